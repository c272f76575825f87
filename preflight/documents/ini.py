"""INI files (``tox.ini``, ``setup.cfg``, ``alembic.ini``): sections, keys and values with positions.

Read the way ``configparser`` reads them (``key = value`` or ``key: value``, indented continuation
lines, full-line ``#``/``;`` comments, inline comments after whitespace), but keeping where every
key and every line of its value is written, which ``configparser`` forgets. Nothing is
interpolated. The format is lenient, so nothing here is a parse error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from preflight.documents.base import Document
from preflight.model import FileKind, Span

_SECTION = re.compile(r"^\[([^\]]+)\]")
_KEY = re.compile(r"^([^=:\s][^=:]*?)\s*[=:]\s?")
_INLINE_COMMENT = re.compile(r"\s[#;].*$")


@dataclass(frozen=True)
class IniLine:
    line: int
    column: int  # 1-based column where ``text`` starts
    text: str


@dataclass(frozen=True)
class IniValue:
    key: str
    line: int  # the key's line
    parts: tuple[IniLine, ...]  # the value's text on each physical line (the first may be empty)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.parts).strip()

    def find(self, pattern: re.Pattern[str], path: str) -> tuple[re.Match[str], Span] | None:
        """The first match of ``pattern`` in one line of the value, and where it is written."""
        for part in self.parts:
            match = pattern.search(part.text)
            if match:
                column = part.column + match.start()
                return match, Span(path, part.line, column, part.line, column + len(match.group(0)))
        return None


@dataclass(eq=False)
class IniDocument(Document):
    sections: dict[str, dict[str, IniValue]] = field(default_factory=dict)  # keys lower-cased

    def get(self, section: str, key: str) -> IniValue | None:
        return self.sections.get(section, {}).get(key.lower())


def parse(path: str, kind: FileKind, text: str) -> IniDocument:
    doc = IniDocument(path, kind, text)
    section: dict[str, IniValue] | None = None
    current: tuple[str, int, list[IniLine]] | None = None

    def close() -> None:
        if current is not None and section is not None:
            key, line, parts = current
            section[key.lower()] = IniValue(key, line, tuple(parts))

    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[0] in " \t" and current is not None:  # a continuation line of the current value
            body = _INLINE_COMMENT.sub("", stripped)
            current[2].append(IniLine(number, len(raw) - len(raw.lstrip()) + 1, body))
            continue
        header = _SECTION.match(stripped)
        if header:
            close()
            current = None
            section = doc.sections.setdefault(header.group(1).strip(), {})
            continue
        match = _KEY.match(raw)
        if match is None or section is None:
            close()
            current = None
            continue
        close()
        value = _INLINE_COMMENT.sub("", raw[match.end():]).rstrip()
        current = (match.group(1).strip(), number, [IniLine(number, match.end() + 1, value)])
    close()
    return doc
