"""Inline suppressions: ``# preflight: ignore[DC001, TOOL001] reason`` on the line or the line
above, ``<!-- preflight: ignore[...] -->`` in Markdown (directly above a fenced code block it
covers the whole block), ``# preflight: ignore-file[...]`` anywhere for the whole file.
``//`` comments count too (HCL)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COMMENT = re.compile(r"(?:#|//|<!--)\s*preflight:\s*(ignore-file|ignore)\[([^\]]*)\]")


@dataclass
class Suppression:
    """One inline suppression comment and the lines it covers."""

    line: int
    column: int
    ids: tuple[str, ...]
    whole_file: bool
    through: int = 0  # last line covered (the line below by default; a whole fenced block)
    used: set[str] = field(default_factory=set)

    def covers(self, line: int) -> bool:
        return self.whole_file or self.line <= line <= self.through


def find_suppressions(text: str, code_blocks: list[tuple[int, int]] | None = None) -> list[Suppression]:
    """Suppression comments in ``text``.

    ``code_blocks`` marks a Markdown file: the (opening fence, closing fence) lines of its fenced
    blocks, as the Markdown parser found them. In Markdown prose ``#`` is not a comment and
    backticks quote rather than comment: there only an HTML comment outside inline code counts.
    Inside fenced blocks every form counts, as it would in the script the block shows.
    """
    if "preflight:" not in text:
        return []
    fences = {start: end for start, end in code_blocks or ()}
    in_code = {n for start, end in fences.items() for n in range(start + 1, end)}
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        if "preflight:" not in line:
            continue
        prose = code_blocks is not None and number not in in_code
        if prose:  # blank out inline code spans, keeping columns
            line = re.sub(r"`+[^`]*`+", lambda m: " " * len(m.group(0)), line)
        for match in COMMENT.finditer(line):
            if prose and not match.group(0).startswith("<!--"):
                continue
            ids = tuple(i.strip() for i in match.group(2).split(",") if i.strip())
            through = fences.get(number + 1, number + 1) if prose else number + 1
            found.append(Suppression(number, match.start() + 1, ids, match.group(1) == "ignore-file", through))
    return found


def suppressing(suppressions: list[Suppression], rule_id: str, line: int) -> Suppression | None:
    """The suppression that silences ``rule_id`` at ``line``, if any."""
    for suppression in suppressions:
        if rule_id in suppression.ids and suppression.covers(line):
            return suppression
    return None
