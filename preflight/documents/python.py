"""Python source, parsed with ``ast`` (never imported, never executed)."""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from preflight.documents.base import Document, ParseError
from preflight.model import FileKind, Span


@dataclass(eq=False)
class PythonDocument(Document):
    tree: ast.Module | None = None

    def node_span(self, node: ast.AST) -> Span:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0) + 1
        end_line = getattr(node, "end_lineno", None)
        end_col = getattr(node, "end_col_offset", None)
        return Span(self.path, line, col, end_line, end_col + 1 if end_col is not None else None)


def parse(path: str, kind: FileKind, text: str) -> PythonDocument:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. are not our findings
            tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise ParseError(f"invalid Python: {exc.msg}", exc.lineno or 1, exc.offset or 1) from None
    except (ValueError, MemoryError) as exc:
        raise ParseError(f"invalid Python: {exc}") from None
    return PythonDocument(path, kind, text, tree)
