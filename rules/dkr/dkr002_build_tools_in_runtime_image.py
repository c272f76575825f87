"""## What it catches
The final stage of a Dockerfile installing compilers or development headers with the OS package
manager (`apt-get install` / `apt install`, `apk add`, `yum` / `dnf` / `microdnf install`,
`zypper install`): `gcc`, `g++`, `clang`, `cmake`, `build-essential`, Alpine's `build-base`,
`cargo`, `rustc`, `gfortran`, and `-dev` / `-devel` header packages (`python3-dev`, `libpq-dev`,
`musl-dev`, `linux-headers`, `openssl-devel`). The list is data (`rules/data/build_packages.toml`).
Package lists held in a variable (`ARG BUILD_DEPS="gcc libpq-dev"`, or set earlier in the `RUN`)
are expanded. The finding points at the first build package of the install command and names all
of them.

The final stage is the last `FROM` of the file, together with the stages it is built `FROM`
(`FROM base AS runtime` ships whatever `base` installed). Not flagged: build tools in a builder
stage the final stage only copies from, and build tools the same `RUN` removes again
(`apt-get purge -y --auto-remove gcc ...`, `apk add --virtual .build-deps ... && apk del .build-deps`,
`apt-mark auto '.*'` followed by `apt-get autoremove`, `dnf remove ...`). `make` is not a compiler
and is not flagged; nor are Python packages installed with pip. Images that are not deployed are
not judged: Dockerfiles whose path says development, local, test, docs or CI (`.devcontainer/`,
`compose/local/`, `Dockerfile.dev`, `docs/`, `certbot-compatibility-test/`), and toolchain images
whose final stage builds on an image that already ships compilers (`buildpack-deps`, `golang`,
`rust`, `gcc`, the devcontainers images; the `toolchain_images` list in `build_packages.toml`).

preflight sees what the Dockerfile installs, not what the base image already contains: a final
stage `FROM python:3.12` (not `-slim`) ships gcc without installing it.

## Why it matters
From seed 002, "Docker Hardened Images Misunderstood": a team found that `pip install ortools`
failed on a hardened (`dhi.io`) runtime image, decided the hardened images were "too minimal",
and downgraded the base to `python:3.11-slim` with the full toolset. What they missed is that the
hardened images come in two variants: `-dev`, with compilers, for building, and the minimal base
for running. Building in a `-dev` stage and copying the virtualenv into the minimal stage keeps
compilers and headers, and their CVEs, out of the image that runs in production. "Security
decisions are not deployment convenience levers."

## Example
```dockerfile
# Dockerfile
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
```

## Use instead
```dockerfile
# Dockerfile
FROM python:3.12-slim AS builder
RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev
COPY requirements.txt .
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt

FROM python:3.12-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
```

## Fix
Move the compilers and `-dev` packages to a builder stage (for hardened images, the `-dev`
variant: `FROM dhi.io/python:3.12-dev AS builder`), build wheels or a virtualenv there, and copy
the result into a runtime stage that installs only runtime libraries (`libpq5` rather than
`libpq-dev`). If a single stage is unavoidable, remove the build tools in the same `RUN` that
installs them.

The package list can be extended in `pyproject.toml`:

```toml
[tool.preflight.rules.DKR002]
extend-build-packages = ["nasm", "yasm"]
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple
from fnmatch import fnmatchcase

from preflight.commands import Command
from preflight.data import data_options, load_data, merged
from preflight.documents.base import Document
from preflight.documents.dockerfile import DockerfileDocument
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight.shell import Word
from preflight_rules.dkr.facts import final_stages

RULE = RuleMeta(
    id="DKR002",
    name="build-tools-in-runtime-image",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.DOCKERFILE}),
    summary="The final image stage installs compilers or development headers",
    source='seed 002 "Docker Hardened Images Misunderstood"',
    lesson="Build in a -dev/builder stage and copy the artefacts into a minimal runtime stage; "
           "compilers and headers in the runtime image are attack surface, not a convenience.",
    symptoms=("E: Unable to locate package gcc",
              "gcc: command not found",
              "ortools>=9.8 failed to install in dhi.io/python:3.12"),
    options=data_options("build-packages", "list of build-tool package names and patterns"),
    tags=("docker", "multi-stage", "security"),
)


class _Manager(NamedTuple):
    install: frozenset[str]
    remove: frozenset[str]
    value_options: frozenset[str]  # options that take the next word as their value


_APT = _Manager(frozenset({"install"}), frozenset({"purge", "remove"}),
                frozenset({"-o", "--option", "-t", "--target-release", "-c", "--config-file"}))
_RPM = _Manager(frozenset({"install"}), frozenset({"remove", "erase"}),
                frozenset({"-x", "--exclude", "--setopt", "--releasever", "--installroot", "--repo",
                           "--enablerepo", "--disablerepo", "-c", "--config"}))
MANAGERS = {
    "apt-get": _APT, "apt": _APT, "aptitude": _APT,
    "apk": _Manager(frozenset({"add"}), frozenset({"del"}),
                    frozenset({"-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch",
                               "--cache-dir", "--keys-dir"})),
    "yum": _RPM, "dnf": _RPM, "microdnf": _RPM, "tdnf": _RPM,
    "zypper": _Manager(frozenset({"install", "in"}), frozenset({"remove", "rm"}),
                       frozenset({"-r", "--repo", "--from", "-t", "--type"})),
}
VERSION_SUFFIX = re.compile(r"[=~<>:/].*$")


class _Package(NamedTuple):
    word: Word  # the word that names it (a `$VAR` word for a package list in a variable)
    name: str


# Images that are not deployed: development containers, local and test images, docs and CI tooling.
NOT_DEPLOYED = re.compile(r"(^|[/_.-])(dev|develop|development|devcontainer|local|test|tests|testing|e2e|"
                          r"docs|ci)([/_.-]|$)", re.IGNORECASE)


def _image_name(image: str) -> str:
    """``docker.io/library/golang:1.22-alpine@sha256:..`` -> ``golang``."""
    name = image.strip().lower().split("@", 1)[0]
    head, slash, last = name.rpartition("/")
    name = f"{head}{slash}{last.split(':', 1)[0]}"
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _on_toolchain_image(doc: DockerfileDocument, final: set[int], toolchains: list[str]) -> bool:
    """The final stage builds on an image that already ships compilers (buildpack-deps, golang): it is
    a build environment by design, and the packages it adds are not what puts tools in it."""
    stage_names = {s.name.lower() for s in doc.stages if s.name}
    return any(fnmatchcase(_image_name(doc.stages[i].image), pattern) for i in final
               if doc.stages[i].image.lower() not in stage_names for pattern in toolchains)


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, DockerfileDocument) or NOT_DEPLOYED.search(doc.path):
        return
    final = final_stages(doc)
    data = load_data("build_packages")
    if _on_toolchain_image(doc, set(final), [p.lower() for p in data.get("toolchain_images", ())]):
        return
    patterns = [p.lower() for p in merged(list(data["packages"]), ctx.options, "build-packages")]
    exceptions = [p.lower() for p in data["not_build"]]
    runs: dict[int, list[Command]] = {}
    for command in ctx.repo.commands(doc):
        if command.instruction is not None and command.instruction.stage in final:
            runs.setdefault(id(command.instruction), []).append(command)
    for commands in runs.values():
        removed, virtual_removed, auto_all = _removals(commands)
        for command in commands:
            installed = _installs(command)
            if installed is None:
                continue
            packages, virtual = installed
            if virtual and virtual in virtual_removed:
                continue
            build = [p for p in packages if _is_build(p.name, patterns, exceptions)
                     and p.name not in removed and not auto_all]
            if not build:
                continue
            names = ", ".join(dict.fromkeys(p.name for p in build))
            yield ctx.finding(build[0].word.span,
                              f"{_which(doc, command.instruction.stage)} installs build tools ({names}) that ship "
                              "in the runtime image; install them in a builder stage and copy the built result (the "
                              "wheels or virtualenv) into a runtime stage, or remove them in this RUN")


def _which(doc: DockerfileDocument, index: int) -> str:
    stage = doc.stages[index]
    named = f" `{stage.name}`" if stage.name else ""
    if index == doc.stages[-1].index:
        return f"the final stage{named}"
    return f"stage{named}, which the final stage is built FROM,"


def _is_build(name: str, patterns: list[str], exceptions: list[str]) -> bool:
    return (any(fnmatchcase(name, p) for p in patterns) and not any(fnmatchcase(name, p) for p in exceptions))


def _subcommand(cmd: Command, manager: _Manager) -> tuple[str, list[Word]] | None:
    """The package manager's subcommand and the words after it."""
    words = list(cmd.argv[1:])
    while words:
        word = words.pop(0)
        if word.text in manager.value_options and words:
            words.pop(0)
        elif not word.text.startswith("-"):
            return word.text, words
    return None


def _operands(cmd: Command, manager: _Manager, words: list[Word]) -> tuple[list[_Package], str | None]:
    """Package operands (variables holding lists expanded) and an apk `--virtual` name."""
    packages: list[_Package] = []
    virtual = None
    rest = list(words)
    while rest:
        word = rest.pop(0)
        text = word.text
        if text in manager.value_options and rest:
            value = rest.pop(0)
            if text in ("-t", "--virtual") and cmd.program_name == "apk":
                virtual = value.text
            continue
        if text.startswith("--virtual=") and cmd.program_name == "apk":
            virtual = text.split("=", 1)[1]
            continue
        if text.startswith("-"):
            continue
        for name in _expand(cmd, word):
            packages.append(_Package(word, VERSION_SUFFIX.sub("", name).lower()))
    return packages, virtual


def _expand(cmd: Command, word: Word) -> list[str]:
    """A word that is only ``$VAR`` / ``${VAR}`` stands for the list in that variable."""
    if len(word.variables) == 1 and word.text in (f"${word.variables[0]}", f"${{{word.variables[0]}}}"):
        value = cmd.value_of(word.variables[0])
        return [v for v in (value or "").replace('"', " ").replace("'", " ").split() if v]
    return [word.text] if "$" not in word.text else []


def _installs(cmd: Command) -> tuple[list[_Package], str | None] | None:
    manager = MANAGERS.get(cmd.program_name or "")
    if manager is None:
        return None
    found = _subcommand(cmd, manager)
    if found is None or found[0] not in manager.install:
        return None
    return _operands(cmd, manager, found[1])


def _removals(commands: list[Command]) -> tuple[set[str], set[str], bool]:
    """Packages one RUN removes again, apk virtual packages it deletes, and whether an
    `apt-mark auto '.*'` + autoremove removes everything installed."""
    removed: set[str] = set()
    virtual: set[str] = set()
    marked_auto: set[str] = set()
    autoremove = False
    for cmd in commands:
        if cmd.program_name == "apt-mark" and cmd.args[:1] == ["auto"]:
            marked_auto.update(a.lower() for a in cmd.args[1:])
            continue
        manager = MANAGERS.get(cmd.program_name or "")
        found = _subcommand(cmd, manager) if manager is not None else None
        if found is None:
            continue
        sub, words = found
        if sub == "autoremove" or any(w.text in ("--auto-remove", "--autoremove") for w in words):
            autoremove = True
        if sub in manager.remove:
            packages, _ = _operands(cmd, manager, words)
            names = {p.name for p in packages}
            removed.update(names)
            virtual.update(p.word.text for p in packages)
    everything = autoremove and bool(marked_auto & {".*", "^.*$", "*"})
    if autoremove:
        removed.update(marked_auto)
    return removed, virtual, everything
