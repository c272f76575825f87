"""nginx facts: which repository files each config `include`s (the include graph), and helpers to
read a config together with what it includes."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from preflight.documents.nginx import Directive, NginxDocument
from preflight.facts import Repository
from preflight.model import FileKind

MAX_DEPTH = 16


@dataclass(frozen=True)
class IncludeGraph:
    documents: dict[str, NginxDocument]  # path -> parsed config
    includes: dict[int, tuple[str, ...]]  # id(include directive) -> repository paths it names

    def included_paths(self) -> set[str]:
        return {p for paths in self.includes.values() for p in paths}


def _match(paths: list[str], pattern: str) -> list[str]:
    """Repository paths whose last components match ``pattern``'s components (glob per component)."""
    wanted = [p for p in pattern.split("/") if p not in ("", ".")]
    if not wanted:
        return []
    found = []
    for path in paths:
        parts = path.split("/")
        if len(parts) >= len(wanted) and all(fnmatchcase(a, b) for a, b in zip(parts[-len(wanted):], wanted, strict=True)):
            found.append(path)
    return found


def resolve_include(paths: list[str], including: str, pattern: str) -> tuple[str, ...]:
    """Config files of the repository an ``include`` names: relative to the including file's
    directory, else by the longest matching tail (`/etc/nginx/conf.d/*.conf` -> `conf.d/*.conf`),
    since the repository's layout rarely mirrors /etc/nginx."""
    if "$" in pattern and "${" not in pattern:
        return ()
    if not pattern.startswith("/"):
        here = posixpath.normpath(posixpath.join(posixpath.dirname(including), pattern))
        exact = [p for p in paths if fnmatchcase(p, here) and p.count("/") == here.count("/")]
        if exact:
            return tuple(sorted(p for p in exact if p != including))
    parts = [p for p in pattern.split("/") if p not in ("", ".", "..")]
    for start in range(len(parts)):
        tail = "/".join(parts[start:])
        if start == len(parts) - 1 and any(c in tail for c in "*?["):
            break  # a bare `*.conf` would match every config in the repository
        found = [p for p in _match(paths, tail) if p != including]
        if found:
            return tuple(sorted(found))
    return ()


def include_graph(repo: Repository) -> IncludeGraph:
    documents = {doc.path: doc for doc in repo.documents(FileKind.NGINX) if isinstance(doc, NginxDocument)}
    paths = sorted(documents)
    includes: dict[int, tuple[str, ...]] = {}
    for path, doc in documents.items():
        for directive in doc.walk():
            if directive.name == "include" and directive.args:
                includes[id(directive)] = resolve_include(paths, path, directive.args[0].text)
    return IncludeGraph(documents, includes)


def expanded(graph: IncludeGraph, directives: list[Directive] | None, depth: int = 0,
             seen: frozenset[str] = frozenset()) -> Iterator[Directive]:
    """``directives`` with every `include` replaced by the included files' top-level directives
    (recursively, cycle-safe): what nginx sees inside one block."""
    for directive in directives or ():
        if directive.name == "include" and depth < MAX_DEPTH:
            for path in graph.includes.get(id(directive), ()):
                if path not in seen and path in graph.documents:
                    yield from expanded(graph, graph.documents[path].directives, depth + 1, seen | {path})
        else:
            yield directive


def closure(graph: IncludeGraph, root: str) -> Iterator[tuple[str, Directive]]:
    """Every directive of ``root`` and of what it includes, each with the file it is written in."""
    stack = [(root, 0)]
    seen = {root}
    while stack:
        path, depth = stack.pop()
        doc = graph.documents[path]
        for directive in doc.walk():
            yield path, directive
            if directive.name == "include" and depth < MAX_DEPTH:
                for target in graph.includes.get(id(directive), ()):
                    if target not in seen and target in graph.documents:
                        seen.add(target)
                        stack.append((target, depth + 1))
