"""`.env` files: one entry per `KEY=value` line, keeping quotes, `export` and positions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from preflight.documents.base import Document
from preflight.model import FileKind

ENTRY = re.compile(r"^(\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")


class EnvEntry(NamedTuple):
    key: str
    value: str  # unquoted value, inline comment removed
    raw_value: str  # as written after `=`
    quote: str  # "'", '"' or ""
    exported: bool
    line: int
    key_column: int
    value_column: int


@dataclass(eq=False)
class EnvDocument(Document):
    """A ``.env`` file: its ``KEY=value`` entries in order."""

    entries: list[EnvEntry] = field(default_factory=list)


def _value(raw: str) -> tuple[str, str]:
    raw = raw.rstrip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        while quote == '"' and end > 0 and raw[end - 1] == "\\":
            end = raw.find(quote, end + 1)
        return (raw[1:end] if end > 0 else raw[1:]), quote
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip(), ""


def parse(path: str, kind: FileKind, text: str) -> EnvDocument:
    doc = EnvDocument(path, kind, text)
    for number, line in enumerate(doc.lines, start=1):
        match = ENTRY.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        indent, export, key, raw = match.groups()
        value, quote = _value(raw)
        doc.entries.append(EnvEntry(key, value, raw.rstrip(), quote, bool(export), number,
                                    match.start(3) + 1, match.start(4) + 1))
    return doc
