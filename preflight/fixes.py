"""Apply the safe fixes rules attach to findings: ``preflight check --fix`` and ``--diff``.

A fix is a set of :class:`~preflight.model.Edit` s, each replacing an exact range of one file
(1-based lines and columns of the text the rules saw, end exclusive). Applying works like ruff:

- run the check; take every finding that carries a fix;
- per file, apply the edits of fixes that do not overlap an edit already taken in this pass
  (bottom-up, so earlier positions stay valid); a fix whose edits overlap is left for the next
  pass, when it is computed again on the changed text. Identical edits from several findings
  (two findings that both need ``from sqlalchemy import text``) are one edit;
- run the check again on the changed text, until no fix applies (at most ``MAX_PASSES`` passes);
- a pass that makes a file unparseable (a new PF001 error) is undone for that file and its fixes
  are not tried again.

All passes work on the text in memory; ``--fix`` writes the changed files at the end, ``--diff``
prints a unified diff and writes nothing. Files keep their bytes outside the edits: the encoding
and byte-order mark, and each line's ending (CRLF, LF, CR); an edit that inserts new lines uses
the file's dominant line ending.
"""

from __future__ import annotations

import codecs
import difflib
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from preflight.config import Settings
from preflight.engine import PARSE_ERROR, CheckResult, run_check
from preflight.model import Edit, Finding, Severity
from preflight.registry import Registry

MAX_PASSES = 10
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_LINE_END = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")


class _Unfixable(Exception):
    """An edit that does not fit the file (a position past a line's end, a path outside the root)."""


@dataclass
class SourceFile:
    """One file being fixed: how it was encoded, its original text and its current text.

    ``text`` keeps the file's own line endings; ``normalised`` is what rules see (LF only).
    """

    path: str
    abspath: str
    bom: bytes
    codec: str
    original: str
    text: str = ""

    def __post_init__(self) -> None:
        self.text = self.text or self.original

    @classmethod
    def read(cls, root: str, path: str) -> SourceFile:
        abspath = os.path.join(root, *path.split("/"))
        real_root = os.path.realpath(root)
        if os.path.islink(abspath) or not os.path.realpath(abspath).startswith(real_root + os.sep) \
                or not os.path.isfile(abspath):
            raise _Unfixable(f"{path} is not a regular file inside the checked directory")
        with open(abspath, "rb") as handle:
            data = handle.read()
        bom, codec = next(((b, c) for b, c in _BOMS if data.startswith(b)), (b"", "utf-8"))
        try:
            text = data[len(bom):].decode(codec)
        except UnicodeDecodeError:
            raise _Unfixable(f"{path} is not valid {codec}") from None
        return cls(path, abspath, bom, codec, text)

    @property
    def normalised(self) -> str:
        return self.text.replace("\r\n", "\n").replace("\r", "\n")

    @property
    def newline(self) -> str:
        crlf = self.text.count("\r\n")
        return "\r\n" if crlf and crlf >= self.text.count("\n") - crlf else "\n"

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def encoded(self) -> bytes:
        return self.bom + self.text.encode(self.codec)

    def offsets(self, edit: Edit) -> tuple[int, int]:
        """The edit's range as offsets into ``text``; _Unfixable if it does not fit."""
        starts = [0] + [m.end() for m in _LINE_END.finditer(self.text)]
        ends = [m.start() for m in _LINE_END.finditer(self.text)] + [len(self.text)]

        def offset(line: int, column: int | None) -> int:
            if column is None or not 0 < line <= len(starts) or column < 1:
                raise _Unfixable(f"edit at {self.path}:{line}:{column} is outside the file")
            position = starts[line - 1] + column - 1
            if position > ends[line - 1]:
                raise _Unfixable(f"edit at {self.path}:{line}:{column} is past the end of its line")
            return position

        span = edit.span
        start = offset(span.line, span.column)
        end = offset(span.last_line, span.end_column)
        if end < start:
            raise _Unfixable(f"edit at {self.path}:{span.line}:{span.column} ends before it starts")
        return start, end

    def apply(self, edits: list[tuple[int, int, str]]) -> None:
        """Replace non-overlapping ``(start, end, replacement)`` ranges, last first."""
        text = self.text
        newline = self.newline
        for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            if newline != "\n":
                replacement = replacement.replace("\n", newline)
            text = text[:start] + replacement + text[end:]
        self.text = text

    def diff(self) -> str:
        """A unified diff (``a/path``, ``b/path``); control characters other than tab and CR escaped."""
        before = self.original.splitlines(keepends=True)
        after = self.text.splitlines(keepends=True)
        lines = []
        for line in difflib.unified_diff(before, after, f"a/{self.path}", f"b/{self.path}"):
            line = _CONTROL.sub(lambda m: repr(m.group())[1:-1], line)
            lines.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
        return "".join(lines)


@dataclass
class FixOutcome:
    """What ``--fix`` / ``--diff`` did: the check after the fixes, and what changed."""

    result: CheckResult
    files: dict[str, SourceFile] = field(default_factory=dict)
    fixed: Counter[tuple[str, str]] = field(default_factory=Counter)  # (path, rule id) -> findings fixed
    notes: list[str] = field(default_factory=list)  # fixes that were undone or could not apply
    passes: int = 0

    @property
    def fixed_count(self) -> int:
        return sum(self.fixed.values())

    @property
    def changed(self) -> list[SourceFile]:
        return [f for _, f in sorted(self.files.items()) if f.changed]

    def diff(self) -> str:
        return "".join(f.diff() for f in self.changed)

    def summary_lines(self, would: bool = False) -> list[str]:
        """``Fixed 3 findings (1 remaining).`` and one line per file and rule."""
        verb = "Would fix" if would else "Fixed"
        count = self.fixed_count
        head = f"{verb} {count} finding{'' if count == 1 else 's'}"
        if not would:
            remaining = len(self.result.findings)
            head += f" ({remaining} remaining)"
        lines = [head + (":" if count else ".")]
        for (path, rule_id), n in sorted(self.fixed.items()):
            lines.append(f"  {path}: {n} x {rule_id}")
        return lines


@contextmanager
def _reading(files: dict[str, SourceFile]) -> Iterator[None]:
    """Make the repository read the fixed texts in memory instead of the files on disk."""
    import preflight.facts as facts

    original = facts.read_text

    def read_text(path: str, abspath: str):  # type: ignore[no-untyped-def]
        source = files.get(path)
        if source is not None and source.changed:
            return source.normalised
        return original(path, abspath)

    facts.read_text = read_text  # type: ignore[assignment]
    try:
        yield
    finally:
        facts.read_text = original  # type: ignore[assignment]


def _fix_key(finding: Finding) -> tuple:
    assert finding.fix is not None
    return (finding.rule_id, finding.path, finding.span, finding.message, finding.fix.description,
            tuple((e.span.path, e.replacement) for e in finding.fix.edits))


def _parse_errors(result: CheckResult) -> set[str]:
    return {f.path for f in result.findings if f.rule_id == PARSE_ERROR and f.severity is Severity.ERROR}


def fix_repository(root: str, settings: Settings, registry: Registry, paths: list[str] | None = None,
                   *, write: bool = True, max_passes: int = MAX_PASSES) -> FixOutcome:
    """Apply the safe fixes of a check of ``root`` until none applies; write the files if ``write``."""
    files: dict[str, SourceFile] = {}
    fixed: Counter[tuple[str, str]] = Counter()
    notes: list[str] = []
    given_up: set[tuple] = set()
    last_pass: dict[str, tuple[str, list[tuple]]] = {}  # path -> (text before, fixes applied)
    passes = 0
    broken_before: set[str] = set()
    while True:
        with _reading(files):
            result = run_check(root, settings, registry, paths)
        broken = _parse_errors(result)
        undone = False
        for path, (before, keys) in last_pass.items():
            if path in broken and path not in broken_before:  # the fixes broke the file: undo them
                files[path].text = before
                given_up.update(keys)
                for key in keys:
                    fixed[(key[1], key[0])] -= 1
                notes.append(f"fixes of {', '.join(sorted({k[0] for k in keys}))} in {path} made it unparseable; "
                             "undone, please report this")
                undone = True
        last_pass = {}
        if undone:
            fixed = +fixed  # drop zero counts
            continue  # check the restored text again
        broken_before = broken
        if passes >= max_passes:
            break
        applied, keys = _apply_pass(root, result.findings, files, given_up, notes)
        if not applied:
            break
        passes += 1
        for key in keys:
            fixed[(key[1], key[0])] += 1
        last_pass = {path: (before, touching) for path, before, touching in applied}
    outcome = FixOutcome(result, files, +fixed, notes, passes)
    if write:
        for source in outcome.changed:
            with open(source.abspath, "wb") as handle:
                handle.write(source.encoded())
    return outcome


def _apply_pass(root: str, findings: list[Finding], files: dict[str, SourceFile], given_up: set[tuple],
                notes: list[str]) -> tuple[list[tuple[str, str, list[tuple]]], list[tuple]]:
    """Apply every fix that does not overlap another.

    Returns [(path, text before, keys of the fixes that edited it)] per changed file, and the keys
    of every fix applied.
    """
    taken: dict[str, list[tuple[int, int, str]]] = {}
    touching: dict[str, list[tuple]] = {}
    keys: dict[tuple, set[str]] = {}  # fix -> the files it edits
    for finding in findings:
        if finding.fix is None or not finding.fix.edits:
            continue
        key = _fix_key(finding)
        if key in given_up:
            continue
        try:
            ranges = []
            for edit in finding.fix.edits:
                path = edit.span.path
                if path not in files:
                    files[path] = SourceFile.read(root, path)
                start, end = files[path].offsets(edit)
                ranges.append((path, start, end, edit.replacement))
        except (_Unfixable, OSError) as exc:
            given_up.add(key)
            notes.append(f"{finding.rule_id} fix at {finding.path}:{finding.span.line} not applied: {exc}")
            continue
        if any(_conflicts(taken.get(path, []), (start, end, text)) for path, start, end, text in ranges):
            continue  # computed again on the changed text in the next pass
        for path, start, end, text in ranges:
            if (start, end, text) not in taken.setdefault(path, []):
                taken[path].append((start, end, text))
            if key not in touching.setdefault(path, []):
                touching[path].append(key)
        keys[key] = {path for path, _, _, _ in ranges}
    applied = []
    for path, edits in sorted(taken.items()):
        source = files[path]
        before = source.text
        source.apply(edits)
        if source.text != before:
            applied.append((path, before, touching[path]))
    if not applied:
        return [], []
    changed = {path for path, _, _ in applied}
    return applied, [key for key, paths in keys.items() if paths & changed]


def _conflicts(taken: list[tuple[int, int, str]], edit: tuple[int, int, str]) -> bool:
    start, end, _ = edit
    for other in taken:
        if other == edit:
            continue  # the same edit wanted by two findings: one edit
        o_start, o_end, _ = other
        if start < o_end and o_start < end:
            return True  # overlapping ranges
        if start == o_start or (start == end and o_start < start < o_end) or \
                (o_start == o_end and start < o_start < end):
            return True  # two edits at one point: their order would be a guess
    return False
