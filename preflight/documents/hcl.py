"""Terraform / HCL files, parsed by python-hcl2 with the start and end line of every block."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.documents.base import Document, ParseError
from preflight.model import FileKind, Span


@dataclass(eq=False)
class Block:
    """A top-level Terraform block with its labels and body."""

    type: str  # resource, data, provider, variable, module, ...
    labels: tuple[str, ...]  # ("aws_ebs_volume", "data")
    body: Mapping[str, Any]
    line: int
    end_line: int


@dataclass(eq=False)
class HclDocument(Document):
    """A Terraform file: the body python-hcl2 reads, with the lines of its blocks."""

    body: Mapping[str, Any] = field(default_factory=dict)

    def blocks(self, block_type: str | None = None) -> Iterator[Block]:
        """Top-level blocks, each with its labels, in file order."""
        found: list[Block] = []
        for kind, entries in self.body.items():
            if block_type is not None and kind != block_type:
                continue
            if not isinstance(entries, list):
                continue
            for entry in entries:
                found.extend(_labelled(kind, entry, ()))
        yield from sorted(found, key=lambda b: b.line)

    def block_span(self, block: Block) -> Span:
        text = self.line_text(block.line)
        return Span(self.path, block.line, len(text) - len(text.lstrip()) + 1, block.line, len(text.rstrip()) + 1)


def _labelled(kind: str, node: Any, labels: tuple[str, ...]) -> Iterator[Block]:
    if not isinstance(node, Mapping):
        return
    if "__start_line__" in node:
        yield Block(kind, labels, node, int(node["__start_line__"]), int(node.get("__end_line__", node["__start_line__"])))
        return
    for label, inner in node.items():
        yield from _labelled(kind, inner, labels + (str(label),))


# HCL1 (Consul, Nomad and older Vault configs) lets a comma end an attribute line in a block:
# `name = "web",`. HCL2 does not; such commas are blanked (columns kept) on a second attempt.
_HCL1_TRAILING_COMMA = re.compile(r'(?m)^([ \t]*[A-Za-z_][\w-]*[ \t]*=[ \t]*'
                                  r'(?:"(?:[^"\\\n]|\\.)*"|[\w.+-]+)[ \t]*),(?=[ \t]*(?:#.*)?$)')


def _loads(hcl2: Any, text: str) -> Any:
    source = text if text.endswith("\n") else text + "\n"
    try:
        return hcl2.loads(source, with_meta=True)
    except Exception:
        hcl1 = _HCL1_TRAILING_COMMA.sub(r"\1 ", source)
        if hcl1 == source:
            raise
        try:
            return hcl2.loads(hcl1, with_meta=True)
        except Exception:
            pass
        raise  # the first error is the one to report


def parse(path: str, kind: FileKind, text: str) -> HclDocument:
    import hcl2
    from lark.exceptions import UnexpectedInput

    try:
        body = _loads(hcl2, text)
    except UnexpectedInput as exc:
        raise ParseError(f"invalid HCL: {str(exc).splitlines()[0]}", getattr(exc, "line", 1) or 1,
                         getattr(exc, "column", 1) or 1) from None
    except RecursionError:
        raise  # parse_text says "nesting too deep to parse"
    except Exception as exc:  # python-hcl2 raises assorted errors on odd input
        raise ParseError(f"invalid HCL: {type(exc).__name__}: {exc}") from None
    return HclDocument(path, kind, text, body)
