"""Inline suppressions: ``# preflight: ignore[DC001, TOOL001] reason`` on the line or the line
above, ``<!-- preflight: ignore[...] -->`` in Markdown (directly above a fenced code block it
covers the whole block), ``# preflight: ignore-file[...]`` anywhere for the whole file.
``//`` comments count too (HCL)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COMMENT = re.compile(r"(?:#|//|<!--)\s*preflight:\s*(ignore-file|ignore)\[([^\]]*)\]")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


@dataclass
class Suppression:
    line: int
    column: int
    ids: tuple[str, ...]
    whole_file: bool
    through: int = 0  # last line covered (the line below by default; a whole fenced block)
    used: set[str] = field(default_factory=set)

    def covers(self, line: int) -> bool:
        return self.whole_file or self.line <= line <= self.through


def _block_end(lines: list[str], fence_index: int) -> int:
    marker = FENCE.match(lines[fence_index]).group(1)  # type: ignore[union-attr]
    for index in range(fence_index + 1, len(lines)):
        if lines[index].strip().startswith(marker[0] * len(marker)) and not lines[index].strip().strip(marker[0]):
            return index + 1
    return len(lines)


def find_suppressions(text: str, markdown: bool = False) -> list[Suppression]:
    """Suppression comments in ``text``.

    In Markdown prose ``#`` is not a comment and backticks quote rather than comment: there only
    an HTML comment outside inline code counts. Inside fenced code blocks every form counts, as it
    would in the script the block shows.
    """
    if "preflight:" not in text:
        return []
    lines = text.split("\n")
    found = []
    fence = ""
    for index, line in enumerate(lines):
        opened = FENCE.match(line) if markdown else None
        if opened:
            marker = opened.group(1)
            if not fence:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence) and not line.strip().strip(marker[0]):
                fence = ""
            continue
        if "preflight:" not in line:
            continue
        prose = markdown and not fence
        if prose:  # blank out inline code spans, keeping columns
            line = re.sub(r"`+[^`]*`+", lambda m: " " * len(m.group(0)), line)
        for match in COMMENT.finditer(line):
            if prose and not match.group(0).startswith("<!--"):
                continue
            ids = tuple(i.strip() for i in match.group(2).split(",") if i.strip())
            through = index + 2
            if match.group(0).startswith("<!--") and index + 1 < len(lines) and FENCE.match(lines[index + 1]):
                through = _block_end(lines, index + 1)
            found.append(Suppression(index + 1, match.start() + 1, ids, match.group(1) == "ignore-file", through))
    return found


def suppressing(suppressions: list[Suppression], rule_id: str, line: int) -> Suppression | None:
    """The suppression that silences ``rule_id`` at ``line``, if any."""
    for suppression in suppressions:
        if rule_id in suppression.ids and suppression.covers(line):
            return suppression
    return None
