"""Fingerprints of findings that survive edits elsewhere in a file.

Two kinds, neither containing a line number:

- :func:`line_hashes` is GitHub code scanning's ``primaryLocationLineHash``, computed exactly as
  ``github/codeql-action`` computes it in ``src/fingerprints.ts`` (a rolling hash over the next 100
  non-blank characters from the start of each line, with ``:<n>`` counting identical hashes), so an
  upload keeps a dismissed alert dismissed when lines above it move.
- :func:`finding_fingerprints` is preflight's own, for baselines and GitLab Code Quality: the rule,
  the path, the flagged line's text with its blanks collapsed, and an index that tells apart equal
  findings on equal lines.

Both read the text the engine decoded (CRLF and lone CR already LF, which the GitHub hash treats
the same way); nothing here opens a file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from preflight.model import Finding

_BLOCK_SIZE = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, _BLOCK_SIZE, 1 << 64)
_EOF = 65535
_SPACE, _TAB, _LF, _CR = 0x20, 0x09, 0x0A, 0x0D


def line_hashes(text: str) -> dict[int, str]:
    """``{line: "hexhash:count"}`` for every line of ``text``, as GitHub's uploader computes it.

    The uploader reads the file as UTF-8 and hashes UTF-16 code units; a BOM it would see is not
    in ``text`` (the engine strips it), so for a BOM-marked file the hashes differ from GitHub's.
    """
    data = text.encode("utf-16-le")
    units = [data[i] | (data[i + 1] << 8) for i in range(0, len(data), 2)]
    window = [0] * _BLOCK_SIZE
    line_numbers = [-1] * _BLOCK_SIZE
    state = {"hash": 0, "index": 0}
    counts: dict[str, int] = {}
    out: dict[int, str] = {}

    def output() -> None:
        value = format(state["hash"], "x")
        counts[value] = counts.get(value, 0) + 1
        out[line_numbers[state["index"]]] = f"{value}:{counts[value]}"
        line_numbers[state["index"]] = -1

    def update(current: int) -> None:
        index = state["index"]
        begin = window[index]
        window[index] = current
        state["hash"] = (_MOD * state["hash"] + current - _FIRST_MOD * begin) & _MASK
        state["index"] = (index + 1) % _BLOCK_SIZE

    line_number = 0
    line_start = True
    prev_cr = False
    for current in [*units, _EOF]:
        if current in (_SPACE, _TAB) or (prev_cr and current == _LF):
            prev_cr = False
            continue
        if current == _CR:
            current, prev_cr = _LF, True
        else:
            prev_cr = False
        if line_numbers[state["index"]] != -1:
            output()
        if line_start:
            line_start = False
            line_number += 1
            line_numbers[state["index"]] = line_number
        if current == _LF:
            line_start = True
        update(current)
    for _ in range(_BLOCK_SIZE):
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return out


def normalised_line(text: str | None, line: int) -> str | None:
    """The text of ``line`` (1-based) with runs of blanks collapsed; None without the text."""
    if text is None:
        return None
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return None
    return " ".join(lines[line - 1].split())


def finding_fingerprints(findings: Iterable[Finding], sources: dict[str, str]) -> list[str]:
    """One fingerprint per finding, in order.

    The key is the rule, the path and the flagged line's normalised text (the message when the
    file's text is not at hand), plus how many findings with the same key came before this one;
    line and column numbers are not part of it, so edits elsewhere in the file keep it.
    """
    seen: dict[tuple[str, str, str], int] = {}
    prints = []
    for finding in findings:
        content = normalised_line(sources.get(finding.path), finding.span.line)
        key = (finding.rule_id, finding.path, f"line:{content}" if content is not None else f"message:{finding.message}")
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8", "surrogatepass")).hexdigest()
        prints.append(digest[:32])
    return prints
