"""Repository facts of the DEP family: which versions of each package an environment admits.

An environment is one directory: its requirements files (and those of a ``requirements/``
directory inside it), its ``pyproject.toml`` dependency tables and its ``poetry.lock``. Declared
constraints (requirements, pyproject) and locked versions are kept apart: a declared range is what
the next resolve may pick, a lock is what is installed today.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


from preflight.documents.requirements import normalise
from preflight.facts import Repository
from preflight.model import FileKind, Span
from preflight_rules.dep.specifiers import Constraint, parse_pep440, poetry_to_pep440

EXTRAS = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*\[([^\]]*)\]")


class Declaration(NamedTuple):
    name: str  # normalised (PEP 503)
    constraint: Constraint | None  # None: any version
    text: str  # the constraint as written ("" when none)
    extras: frozenset[str]
    span: Span

    @property
    def where(self) -> str:
        return f"{self.span.path}:{self.span.line}"


class Locked(NamedTuple):
    name: str
    version: str
    span: Span

    @property
    def where(self) -> str:
        return f"{self.span.path}:{self.span.line}"


@dataclass
class Environment:
    """One directory's declared dependencies (by normalised name) and the locks beside them."""

    directory: str
    declared: dict[str, list[Declaration]] = field(default_factory=dict)
    locks: list[dict[str, Locked]] = field(default_factory=list)


def environment_of(path: str) -> str:
    directory = posixpath.dirname(path)
    if posixpath.basename(directory).lower() == "requirements":
        return posixpath.dirname(directory)
    return directory


class _Constraints:
    """Constraint texts parsed once per run: a monorepo writes the same ranges in every project."""

    def __init__(self) -> None:
        self._pep440: dict[str, Constraint | None] = {}
        self._poetry: dict[str, Constraint | None] = {}

    def pep440(self, text: str) -> Constraint | None:
        if text not in self._pep440:
            self._pep440[text] = parse_pep440(text)
        return self._pep440[text]

    def poetry(self, text: str) -> Constraint | None:
        if text not in self._poetry:
            self._poetry[text] = poetry_to_pep440(text)
        return self._poetry[text]


def environments(repo: Repository) -> list[Environment]:
    """Every directory with dependency declarations or a lock file, in path order."""
    found: dict[str, Environment] = {}
    constraints = _Constraints()

    def env(path: str) -> Environment:
        directory = environment_of(path)
        return found.setdefault(directory, Environment(directory))

    for doc in repo.documents(FileKind.REQUIREMENTS, FileKind.PYPROJECT, FileKind.POETRY_LOCK):
        if doc.kind is FileKind.POETRY_LOCK:
            env(doc.path).locks.append(_locked(doc))
            continue
        declarations = (_requirements(doc, constraints) if doc.kind is FileKind.REQUIREMENTS
                        else _pyproject(doc, constraints))
        target = env(doc.path)
        for declaration in declarations:
            target.declared.setdefault(declaration.name, []).append(declaration)
    return [found[d] for d in sorted(found)]


def _requirements(doc: Any, constraints: _Constraints) -> Iterator[Declaration]:
    for requirement in doc.requirements:
        line = doc.line_text(requirement.span.line)[requirement.span.column - 1:]
        extras = EXTRAS.match(line)
        yield Declaration(requirement.name,
                          constraints.pep440(requirement.specifier) if requirement.specifier else None,
                          requirement.specifier, _extras(extras.group(1) if extras else ""), requirement.span)


def _extras(text: str) -> frozenset[str]:
    return frozenset(normalise(e.strip()) for e in text.split(",") if e.strip())


def _pyproject(doc: Any, constraints: _Constraints) -> Iterator[Declaration]:
    project = doc.get("project")
    if isinstance(project, Mapping):
        yield from _pep508_list(doc, project.get("dependencies"), ("project", "dependencies"), constraints)
        optional = project.get("optional-dependencies")
        if isinstance(optional, Mapping):
            for extra, items in optional.items():
                yield from _pep508_list(doc, items, ("project", "optional-dependencies", str(extra)), constraints)
    groups = doc.get("dependency-groups")
    if isinstance(groups, Mapping):
        for group, items in groups.items():
            yield from _pep508_list(doc, items, ("dependency-groups", str(group)), constraints)
    poetry = doc.get("tool", "poetry")
    if isinstance(poetry, Mapping):
        # Each table looked up from [tool.poetry], not from the document root: tomlkit lookups are slow.
        tables = [(("tool", "poetry", "dependencies"), _get(poetry, "dependencies")),
                  (("tool", "poetry", "dev-dependencies"), _get(poetry, "dev-dependencies"))]
        group_tables = poetry.get("group")
        if isinstance(group_tables, Mapping):
            tables += [(("tool", "poetry", "group", str(g), "dependencies"), _get(group_tables, str(g), "dependencies"))
                       for g in group_tables]
        for table, dependencies in tables:
            yield from _poetry_table(doc, table, dependencies, constraints)


def _get(node: Any, *path: str) -> Any:
    """``TomlDocument.get`` from ``node`` down."""
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _pep508_list(doc: Any, items: Any, key: tuple[str, ...], constraints: _Constraints) -> Iterator[Declaration]:
    if not isinstance(items, list):
        return
    from packaging.requirements import InvalidRequirement, Requirement  # 15 ms of imports: only when needed

    start = doc.key_lines.get(key) or doc.key_lines.get(key[:-1]) or 1
    for item in items:
        if not isinstance(item, str):
            continue  # {include-group = "..."}
        try:
            requirement = Requirement(item)
        except InvalidRequirement:
            continue
        span, start = _string_span(doc, item, start)
        specifier = str(requirement.specifier)
        yield Declaration(normalise(requirement.name), constraints.pep440(specifier) if specifier else None, specifier,
                          _extras(",".join(requirement.extras)), span)


def _string_span(doc: Any, text: str, start: int) -> tuple[Span, int]:
    """Where the TOML string ``text`` is written, searching from line ``start``; and the next start."""
    for number in range(start, len(doc.lines) + 1):
        line = doc.line_text(number)
        for quote in ('"', "'"):
            column = line.find(f"{quote}{text}{quote}")
            if column >= 0:
                return Span(doc.path, number, column + 2, number, column + 2 + len(text)), number
    return doc.key_span(), start


def _poetry_table(doc: Any, table: tuple[str, ...], dependencies: Any,
                  constraints: _Constraints) -> Iterator[Declaration]:
    if not isinstance(dependencies, Mapping):
        return
    for name, value in dependencies.items():
        name = str(name)
        if name.lower() == "python":
            continue
        alternatives = value if isinstance(value, list) else [value]
        constraint: Constraint | None = ()  # union of the alternatives; None: any version
        texts, extras = [], set()
        for alternative in alternatives:
            version = alternative.get("version") if isinstance(alternative, Mapping) else alternative
            if isinstance(alternative, Mapping) and isinstance(alternative.get("extras"), list):
                extras.update(normalise(str(e)) for e in alternative["extras"])
            if isinstance(version, str):
                texts.append(version)
                parsed = constraints.poetry(version)
            elif isinstance(alternative, Mapping) and any(k in alternative for k in ("git", "path", "url", "file")):
                parsed = ()  # a source whose version is not written here: nothing to judge
            else:
                parsed = None
            constraint = None if parsed is None or constraint is None else constraint + parsed
        yield Declaration(normalise(name), constraint, " || ".join(texts),
                          frozenset(extras), doc.key_span(*table, name))


def _locked(doc: Any) -> dict[str, Locked]:
    locked: dict[str, Locked] = {}
    packages = doc.get("package")
    if not isinstance(packages, list):
        return locked
    for index, package in enumerate(packages):
        if not isinstance(package, Mapping):
            continue
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str):
            key = normalise(name)
            locked.setdefault(key, Locked(key, str(version), doc.item_key_span(("package",), index, "name")))
    return locked
