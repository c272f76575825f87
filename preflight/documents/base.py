"""The base document every parser module returns."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from preflight.model import FileKind, Severity, Span


class ParseError(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1,
                 severity: Severity = Severity.ERROR) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())  # one line, whatever the parser said
        self.line = max(1, line)
        self.column = max(1, column)
        self.severity = severity


@dataclass(eq=False)
class Document:
    """A parsed file: its path (relative to the root), kind and decoded text."""

    path: str
    kind: FileKind
    text: str

    @cached_property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def span(self, line: int, column: int = 1, end_line: int | None = None,
             end_column: int | None = None) -> Span:
        return Span(self.path, line, column, end_line, end_column)

    def line_span(self, line: int) -> Span:
        """The whole of one line, from its first non-blank character."""
        text = self.line_text(line)
        start = len(text) - len(text.lstrip()) + 1
        return Span(self.path, line, start, line, len(text.rstrip()) + 1)
