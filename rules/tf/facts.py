"""Terraform facts shared by the TF rules: modules (directories of .tf files) and literal values.

A Terraform module is a directory: every ``.tf`` file in it is part of one configuration, so the
rules see a resource, the volume attached to it and the provider it is built with together even
when they sit in different files. Nothing is evaluated beyond literals: ``var.x`` and ``local.x``
resolve to a literal default/value when the module declares one.

python-hcl2 gives attribute values as Python values, with every expression as a string such as
``"${data.vault_generic_secret.do.data[\"token\"]}"``; blocks are lists of mappings carrying
``__start_line__`` / ``__end_line__``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.documents.hcl import Block, HclDocument
from preflight.model import FileKind, Span

META_KEYS = ("__start_line__", "__end_line__")
_VAR_REF = re.compile(r"^\$\{(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)\}$")
_FILE_CALL = re.compile(r"\b(?:file|templatefile|filebase64)\(\s*\\?\"((?:[^\"\\]|\\.)*?)\\?\"")
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, eq=False)
class Resource:
    doc: HclDocument
    block: Block

    @property
    def type(self) -> str:
        return self.block.labels[0] if self.block.labels else ""

    @property
    def name(self) -> str:
        return self.block.labels[1] if len(self.block.labels) > 1 else ""

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    @property
    def span(self) -> Span:
        return self.doc.block_span(self.block)


@dataclass(eq=False)
class Module:
    """The ``.tf`` files of one directory, with their blocks by type."""

    directory: str  # '' for the repository root
    documents: list[HclDocument] = field(default_factory=list)

    def blocks(self, block_type: str) -> Iterator[tuple[HclDocument, Block]]:
        for doc in self.documents:
            for block in doc.blocks(block_type):
                yield doc, block

    def resources(self) -> list[Resource]:
        return [Resource(doc, block) for doc, block in self.blocks("resource") if len(block.labels) >= 2]

    def data_sources(self) -> list[Resource]:
        return [Resource(doc, block) for doc, block in self.blocks("data") if len(block.labels) >= 2]

    def variables(self) -> dict[str, tuple[HclDocument, Block]]:
        return {block.labels[0]: (doc, block) for doc, block in self.blocks("variable") if block.labels}

    def locals(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for _doc, block in self.blocks("locals"):
            values.update({k: v for k, v in block.body.items() if k not in META_KEYS})
        return values

    def literal(self, value: Any) -> Any:
        """``value`` itself, or the literal a ``var.x`` default / ``local.x`` holds; None if unknown."""
        for _ in range(5):  # a local may name a variable, which has a literal default
            match = _VAR_REF.match(value) if isinstance(value, str) else None
            if match is None:
                return value
            kind, name = match.groups()
            if kind == "var":
                found = self.variables().get(name)
                if found is None or "default" not in found[1].body:
                    return None
                value = found[1].body["default"]
            else:
                scope = self.locals()
                if name not in scope:
                    return None
                value = scope[name]
        return None

    def path(self, relative: str) -> str:
        """A path written relative to this module, as a repository path ('' if it leaves the repo)."""
        joined = posixpath.normpath(posixpath.join(self.directory, relative)) if self.directory else \
            posixpath.normpath(relative)
        return "" if joined.startswith("..") or joined.startswith("/") else joined


def terraform_modules(repo: Any) -> list[Module]:
    """Every directory holding ``.tf`` files, as one module (``.tfvars``/``.hcl`` files are not modules)."""
    modules: dict[str, Module] = {}
    for doc in repo.documents(FileKind.TERRAFORM):
        if not isinstance(doc, HclDocument) or not doc.path.endswith(".tf"):
            continue
        directory = posixpath.dirname(doc.path)
        modules.setdefault(directory, Module(directory)).documents.append(doc)
    return [modules[d] for d in sorted(modules)]


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def nested_blocks(body: Mapping[str, Any], name: str) -> Iterator[Mapping[str, Any]]:
    """The nested blocks ``name { ... }`` of a block body, including ``dynamic "name"`` contents."""
    for entry in _as_list(body.get(name)):
        if isinstance(entry, Mapping):
            yield entry
    for dynamic in _as_list(body.get("dynamic")):
        if isinstance(dynamic, Mapping) and isinstance(dynamic.get(name), Mapping):
            for content in _as_list(dynamic[name].get("content")):
                if isinstance(content, Mapping):
                    yield content


def strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string inside an attribute value (lists, maps and nested blocks included)."""
    if depth > 20:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            if key not in META_KEYS:
                yield from strings(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner, depth + 1)


def file_references(text: str) -> list[str]:
    """Paths given to ``file()`` / ``templatefile()`` in an expression, with ``path.module`` as ``.``."""
    found = []
    for match in _FILE_CALL.finditer(text):
        path = match.group(1).replace('\\"', '"')
        path = re.sub(r"^\$\{path\.(module|root|cwd)\}/?", "", path)
        if "${" not in path and path:
            found.append(path)
    return found


def tokens(text: str) -> tuple[str, ...]:
    """Lower-case alphanumeric tokens: ``vault-data-prod`` -> ("vault", "data", "prod")."""
    return tuple(_TOKEN.findall(text.lower()))


def attribute_span(doc: HclDocument, first: int, last: int, name: str) -> Span | None:
    """Where ``name = ...`` is written between lines ``first`` and ``last`` (the attribute's line)."""
    pattern = re.compile(rf"^\s*{re.escape(name)}\s*=")
    for line in range(first, min(last, len(doc.lines)) + 1):
        text = doc.line_text(line)
        if pattern.match(text):
            start = len(text) - len(text.lstrip()) + 1
            return Span(doc.path, line, start, line, len(text.rstrip()) + 1)
    return None


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []
