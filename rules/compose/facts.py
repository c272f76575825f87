"""The compose model: every Compose project of the repository, its services merged, with positions.

Compose files (kind COMPOSE) in one directory form a project. Compose runs a *configuration*: a
base file (``compose.yaml`` / ``docker-compose.yml``) plus ``*.override.yml`` by default, or the
base plus an environment overlay (``docker compose -f docker-compose.yml -f
docker-compose.prod.yml``). An environment file whose services can all stand on their own (each
has ``image``, ``build`` or ``extends``) is taken as a standalone configuration instead.

Within a configuration a service is merged over its fragments in order: ``extends`` sources first
(``extends: {file, service}`` and ``extends: service``, cycles guarded), then the base, then the
overlays. A scalar key in a later fragment replaces the earlier one; ``environment``, ``labels``
and ``depends_on`` merge by name, ``volumes`` by target, ``ports`` append. YAML anchors and ``<<``
merge keys are resolved by the YAML layer (merged keys are visible through ``.get()``); their
positions are looked up in the mapping that really holds them, so every value keeps the file and
line where it is written.

``compose_model(repo)`` is a repository fact (``repo.fact(compose_model)``), built once per run.
Rules that look at one service in several configurations use :func:`settled` so that a value that
is fine in some configuration where it appears is not reported.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from preflight.documents.yamldoc import YamlDocument, scalar_text
from preflight.testdata import is_test_data_path
from preflight.facts import Repository
from preflight.model import FileKind, Span

BASE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE = re.compile(r"(?:docker-)?compose\.override\.ya?ml", re.IGNORECASE)
# `${NAME:-default}`, `${NAME-default}` (Compose interpolation; `$$` is a literal dollar)
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")
MAX_EXTENDS = 10


class Value(NamedTuple):
    """A scalar from a compose file and where it is written."""

    text: str | None
    span: Span
    key: Span | None = None  # for `environment` / `labels` entries: where the name is written


class Mount(NamedTuple):
    """A volume, bind mount or tmpfs of a service (short or long syntax)."""

    kind: str  # "volume", "bind", "tmpfs", "anonymous" (a volume without a name: lost on recreate)
    source: str | None
    target: str
    span: Span

    @property
    def persistent(self) -> bool:
        return self.kind in ("volume", "bind")


class Dependency(NamedTuple):
    name: str
    condition: str | None
    span: Span  # the entry naming the dependency


@dataclass(eq=False)
class Fragment:
    """One ``services.<name>`` mapping in one file."""

    doc: YamlDocument
    node: Mapping[str, Any]
    name_span: Span


@dataclass(eq=False)
class Service:
    """One service of a Compose configuration, its fragments across the configuration's files merged."""

    name: str
    directory: str
    configuration: tuple[str, ...]  # the files of the configuration it belongs to
    fragments: list[Fragment] = field(default_factory=list)
    image: Value | None = None
    build: bool = False
    environment: dict[str, Value] = field(default_factory=dict)
    labels: dict[str, Value] = field(default_factory=dict)
    mounts: dict[str, Mount] = field(default_factory=dict)  # by target
    command: list[Value] = field(default_factory=list)  # words (a string command is split)
    entrypoint: list[Value] = field(default_factory=list)
    working_dir: str | None = None
    network_mode: Value | None = None
    healthcheck: dict[str, Any] = field(default_factory=dict)
    healthcheck_span: Span | None = None
    depends_on: dict[str, Dependency] = field(default_factory=dict)
    ports: list[Value] = field(default_factory=list)  # container ports (`ports:` and `expose:`)

    @property
    def span(self) -> Span:
        """Where the service is named (its first fragment of the configuration's own files)."""
        own = [f for f in self.fragments if f.doc.path in self.configuration]
        return (own or self.fragments)[0].name_span

    @property
    def has_healthcheck(self) -> bool:
        """A healthcheck is configured and not disabled (one inherited from the image is not seen)."""
        hc = self.healthcheck
        if not hc:
            return False
        if _truthy(hc.get("disable")):
            return False
        test = hc.get("test")
        words = [scalar_text(w) for w in test] if isinstance(test, list) else [scalar_text(test)]
        return not (words and (words[0] or "").upper() == "NONE")

    @property
    def image_name(self) -> str | None:
        return normalise_image(self.image.text) if self.image and self.image.text else None

    def command_texts(self) -> list[str]:
        return [w.text or "" for w in self.command]

    def is_local_only(self) -> bool:
        return all(is_local_only_path(p) for p in self.configuration)


@dataclass(eq=False)
class Configuration:
    """The files Compose reads together (a base file and its overrides) and the services they make."""

    directory: str
    files: tuple[str, ...]
    services: dict[str, Service]


# -- helpers on YAML nodes ---------------------------------------------------------------------
def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def text_span(doc: YamlDocument, span: Span, needle: str) -> Span:
    """The span of ``needle`` on the line of ``span`` (searched from its column), else ``span``."""
    line = doc.line_text(span.line)
    at = line.find(needle, max(0, span.column - 1)) if needle else -1
    if at < 0:
        return span
    return Span(span.path, span.line, at + 1, span.line, at + 1 + len(needle))


def entries(doc: YamlDocument, node: Any) -> Iterator[tuple[str, Value]]:
    """``environment`` / ``labels`` entries in mapping or ``- KEY=value`` list form."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            name = scalar_text(key)
            if name is None or isinstance(value, (dict, list)):
                continue
            text = scalar_text(value)
            span = doc.value_span(node, key) if value is not None else doc.key_span(node, key)
            if text:
                span = text_span(doc, span, text)
            yield name, Value(text, span, doc.key_span(node, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            text = scalar_text(item)
            if not text:
                continue
            name, eq, value = text.partition("=")
            item = doc.item_span(node, index)
            span = item
            if eq and value:
                named = text_span(doc, item, f"{name}=")
                if named is not item:
                    span = Span(item.path, item.line, named.end_column or item.column, item.line,
                                (named.end_column or item.column) + len(value))
            yield name.strip(), Value(value if eq else None, span, text_span(doc, item, name.strip()))


def split_words(text: str) -> list[str]:
    """A command string's words (quotes removed; good enough for flags and paths)."""
    import shlex

    try:
        return shlex.split(text, comments=False)
    except ValueError:
        return text.split()


def _words(doc: YamlDocument, node: Any, key: str) -> list[Value]:
    value = node.get(key)
    if isinstance(value, list):
        words = []
        for index, item in enumerate(value):
            text = scalar_text(item)
            if text is not None:
                words.append(Value(text, text_span(doc, doc.item_span(value, index), text)))
        return words
    text = scalar_text(value)
    if text is None:
        return []
    return _locate(doc, doc.value_span(node, key), split_words(text))


def _locate(doc: YamlDocument, start: Span, words: list[str]) -> list[Value]:
    """Each word of a string scalar at its position, following it onto the lines of a block scalar."""
    line, column = start.line, start.column - 1
    last = min(len(doc.lines), start.line + 200)
    found = []
    for word in words:
        probe_line, at = line, -1
        while probe_line <= last:
            at = doc.line_text(probe_line).find(word, column if probe_line == line else 0)
            if at >= 0:
                break
            probe_line += 1
        if at < 0:
            found.append(Value(word, start))
            continue
        line, column = probe_line, at + len(word)
        found.append(Value(word, Span(doc.path, line, at + 1, line, at + 1 + len(word))))
    return found


def _container_port(text: str) -> str | None:
    text = text.split("/", 1)[0].strip()
    port = text.rsplit(":", 1)[-1]
    return port if port.isdigit() else None


def _ports(doc: YamlDocument, node: Any) -> list[Value]:
    found = []
    for key in ("ports", "expose"):
        items = node.get(key)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            port = scalar_text(item.get("target")) if isinstance(item, Mapping) else scalar_text(item)
            port = _container_port(port or "")
            if port:
                found.append(Value(port, doc.item_span(items, index)))
    return found


def _mounts(doc: YamlDocument, node: Any) -> list[Mount]:
    found: list[Mount] = []
    volumes = node.get("volumes")
    if isinstance(volumes, list):
        for index, item in enumerate(volumes):
            span = doc.item_span(volumes, index)
            if isinstance(item, Mapping):
                kind = scalar_text(item.get("type")) or "volume"
                source = scalar_text(item.get("source"))
                target = scalar_text(item.get("target"))
                if not target:
                    continue
                if kind == "volume" and not source:
                    kind = "anonymous"
                found.append(Mount(kind, source, _clean_path(target), span))
                continue
            text = scalar_text(item)
            if not text:
                continue
            parts = text.split(":")
            if len(parts) == 1:
                found.append(Mount("anonymous", None, _clean_path(parts[0]), span))
                continue
            source, target = parts[0], parts[1]
            kind = "bind" if source.startswith((".", "/", "~", "$")) else "volume"
            found.append(Mount(kind, source, _clean_path(target), span))
    tmpfs = node.get("tmpfs")
    items = tmpfs if isinstance(tmpfs, list) else [tmpfs]
    for item in items:
        text = scalar_text(item)
        if text:
            found.append(Mount("tmpfs", None, _clean_path(text.split(":")[0]), doc.value_span(node, "tmpfs")))
    return found


def _clean_path(path: str) -> str:
    path = path.strip()
    if not path.startswith("/"):
        return path
    return posixpath.normpath(path)


def _depends_on(doc: YamlDocument, node: Any) -> list[Dependency]:
    deps = node.get("depends_on")
    found = []
    if isinstance(deps, list):
        for index, item in enumerate(deps):
            name = scalar_text(item)
            if name:
                found.append(Dependency(name, None, text_span(doc, doc.item_span(deps, index), name)))
    elif isinstance(deps, Mapping):
        for key, value in deps.items():
            name = scalar_text(key)
            if not name:
                continue
            condition = scalar_text(value.get("condition")) if isinstance(value, Mapping) else None
            found.append(Dependency(name, condition, doc.key_span(deps, key)))
    return found


def merge_fragment(service: Service, fragment: Fragment) -> None:
    """Apply one fragment over what the service has so far (Compose's merge rules, simplified)."""
    doc, node = fragment.doc, fragment.node
    service.fragments.append(fragment)
    if "image" in node:
        service.image = Value(scalar_text(node.get("image")), doc.value_span(node, "image"))
    if "build" in node:
        service.build = node.get("build") is not None
    for name, value in entries(doc, node.get("environment")):
        service.environment[name] = value
    deploy = node.get("deploy")
    label_nodes = [node.get("labels"), deploy.get("labels") if isinstance(deploy, Mapping) else None]
    for labels in label_nodes:  # `deploy.labels` is where Swarm (and Traefik's swarm provider) reads them
        for name, value in entries(doc, labels):
            service.labels[name] = value
    for mount in _mounts(doc, node):
        service.mounts[mount.target] = mount
    if "command" in node:
        service.command = _words(doc, node, "command")
    if "entrypoint" in node:
        service.entrypoint = _words(doc, node, "entrypoint")
    if "working_dir" in node:
        service.working_dir = scalar_text(node.get("working_dir"))
    if "network_mode" in node:
        service.network_mode = Value(scalar_text(node.get("network_mode")), doc.value_span(node, "network_mode"))
    healthcheck = node.get("healthcheck")
    if isinstance(healthcheck, Mapping):
        service.healthcheck.update({scalar_text(k) or "": v for k, v in healthcheck.items()})
        service.healthcheck_span = doc.key_span(node, "healthcheck")
    for dep in _depends_on(doc, node):
        service.depends_on[dep.name] = dep
    service.ports.extend(_ports(doc, node))


# -- files and configurations ------------------------------------------------------------------
def _services_of(doc: YamlDocument) -> list[tuple[str, Fragment]]:
    """The service fragments of a compose file (all of its YAML documents, in order)."""
    found = []
    for root in doc.documents:
        services = root.get("services") if isinstance(root, Mapping) else None
        if not isinstance(services, Mapping):
            continue
        for key, node in services.items():
            name = scalar_text(key)
            if name is not None and isinstance(node, Mapping):
                found.append((name, Fragment(doc, node, doc.key_span(services, key))))
    return found


def _standalone(fragments: list[tuple[str, Fragment]]) -> bool:
    return all(any(k in f.node for k in ("image", "build", "extends")) for _, f in fragments)


class _Builder:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.by_path = {ref.path: ref for ref in repo.files}
        self.fragments: dict[str, list[tuple[str, Fragment]]] = {}

    def file_services(self, path: str) -> list[tuple[str, Fragment]] | None:
        if path not in self.fragments:
            ref = self.by_path.get(path)
            doc = self.repo.document(ref) if ref is not None else None
            self.fragments[path] = _services_of(doc) if isinstance(doc, YamlDocument) else []
        return self.fragments[path]

    def chain(self, fragment: Fragment, path: str, seen: frozenset[tuple[str, str]],
              name: str) -> list[Fragment]:
        """``fragment`` preceded by what it extends (recursively, cycles and depth guarded)."""
        extends = fragment.node.get("extends")
        target_file, target = path, None
        if isinstance(extends, Mapping):
            target = scalar_text(extends.get("service"))
            file = scalar_text(extends.get("file"))
            if file:
                target_file = posixpath.normpath(posixpath.join(posixpath.dirname(path), file))
        else:
            target = scalar_text(extends)
        key = (target_file, target or "")
        if not target or key in seen or len(seen) > MAX_EXTENDS:
            return [fragment]
        sources = [f for n, f in self.file_services(target_file) or [] if n == target]
        before: list[Fragment] = []
        for source in sources:
            before.extend(self.chain(source, target_file, seen | {key, (path, name)}, target))
        return before + [fragment]

    def configuration(self, directory: str, files: tuple[str, ...]) -> Configuration:
        services: dict[str, Service] = {}
        for path in files:
            for name, fragment in self.file_services(path) or []:
                service = services.get(name)
                if service is None:
                    service = services[name] = Service(name, directory, files)
                for part in self.chain(fragment, path, frozenset(), name):
                    merge_fragment(service, part)
        return Configuration(directory, files, services)


def compose_model(repo: Repository) -> list[Configuration]:
    """Every configuration of every Compose project in the repository (a repository fact)."""
    builder = _Builder(repo)
    by_dir: dict[str, list[str]] = {}
    for ref in repo.files_of(FileKind.COMPOSE):
        if is_test_data_path(ref.path):
            continue  # a tool's own test inputs (docker/compose's pkg/e2e/testdata) are never deployed
        by_dir.setdefault(posixpath.dirname(ref.path), []).append(ref.path)
    configurations = []
    for directory, paths in sorted(by_dir.items()):
        names = {posixpath.basename(p).lower(): p for p in paths}
        base = next((names[n] for n in BASE_NAMES if n in names), None)
        overrides = [p for p in paths if OVERRIDE.fullmatch(posixpath.basename(p))]
        others = [p for p in paths if p != base and p not in overrides]
        if base is not None:
            configurations.append(builder.configuration(directory, (base, *overrides)))
        else:
            others = sorted(others + overrides)
        for path in others:
            fragments = builder.file_services(path) or []
            if base is not None and posixpath.basename(path).lower() not in BASE_NAMES \
                    and fragments and not _standalone(fragments):
                configurations.append(builder.configuration(directory, (base, path)))
            else:
                configurations.append(builder.configuration(directory, (path,)))
    return configurations


def all_services(repo: Repository) -> Iterator[Service]:
    for configuration in repo.fact(compose_model):
        yield from configuration.services.values()


def settled(candidates: Iterable[tuple[Span, str | None]]) -> list[tuple[Span, str]]:
    """Findings for spans that are bad in every configuration they appear in.

    ``candidates`` holds (span, message) for a bad case and (span, None) where the same place is
    fine in another configuration; a place seen fine once is not reported. Order is kept.
    """
    bad: dict[Span, str] = {}
    good: set[Span] = set()
    for span, message in candidates:
        if message is None:
            good.add(span)
        else:
            bad.setdefault(span, message)
    return [(span, message) for span, message in bad.items() if span not in good]


# -- images, paths, local-only files -----------------------------------------------------------
def normalise_image(image: str) -> str:
    """``docker.io/library/postgres:16@sha256:..`` -> ``postgres``; ``quay.io/minio/minio`` -> ``minio/minio``."""
    name = image.strip().split("@", 1)[0]
    head, slash, last = name.rpartition("/")
    if ":" in last:
        last = last.split(":", 1)[0]
    name = f"{head}{slash}{last}".lower()
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if "library" in parts[:-1]:
        parts = parts[parts.index("library") + 1:]
    return "/".join(parts)


def under(path: str, directory: str) -> bool:
    """Whether ``path`` is ``directory`` or inside it (both absolute, normalised)."""
    if directory == "/":
        return True
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def is_local_only_path(path: str) -> bool:
    """Local-only files: ``*.override.yml``, ``.dev.``/``.local.`` or ``-dev``/``-local`` before the
    extension (``docker-compose.dev.yml``, ``run-local.sh``), ``.env.local``, and test data."""
    if is_test_data_path(path):
        return True
    name = posixpath.basename(path)
    if OVERRIDE.fullmatch(name):
        return True
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    low = stem.lower()
    if name.lower() == ".env.local":
        return True
    return bool(re.search(r"(?:^|[.\-_])(?:dev|local)$", low)) or bool(
        re.search(r"\.(?:dev|local)\.", name.lower()))


_THROWAWAY_NAME = re.compile(r"(?:^|[._-])(?:test|tests|ci|e2e|cypress)(?:[._-]|$)")
_THROWAWAY_DIRS = frozenset({".ci", "ci", "test", "tests", "e2e"})


def is_throwaway_stack_path(path: str) -> bool:
    """A compose file for CI or tests (``compose.ci.yaml``, ``docker-compose.test.yml``, anything under
    ``.ci/`` or ``tests/``): its containers live for one run."""
    head, _, name = path.rpartition("/")
    stem = name.lower().rsplit(".", 1)[0]
    return bool(_THROWAWAY_NAME.search(stem)) or any(d.lower() in _THROWAWAY_DIRS for d in head.split("/") if d)


def interpolations(text: str) -> list[tuple[str, str | None, int]]:
    """``${NAME:-default}`` references in a compose value: (name, default or None, offset of default)."""
    return [(m.group(1), m.group(2), m.start(2) if m.group(2) is not None else m.start())
            for m in INTERPOLATION.finditer(text)]
