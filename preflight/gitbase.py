"""``preflight check --base REF``: what a change did, read from git, and the base revision's files.

git is the only source: ``git rev-parse`` resolves ``REF``, ``git diff --name-status -M REF``
lists the changed files (renames detected), ``git diff -U0 REF`` gives the added and modified
lines, ``git ls-files --others --exclude-standard`` adds untracked files (new, every line counts),
``git ls-tree -r REF`` lists the base revision's files and ``git cat-file --batch`` reads their
blobs on request. Nothing is checked out, fetched or written: the working tree, the index and
the refs are left as they are (``GIT_OPTIONAL_LOCKS=0`` keeps ``git diff`` from refreshing the
index).

The working tree is compared with ``REF`` itself (as ``git diff REF`` does), not with a merge base:
in CI, pass the merge base (``git merge-base origin/main HEAD``) or check out with enough history
and pass ``origin/main`` when the branch is up to date with it.

Two things come out of this module:

- :class:`BaseRepository`, a :class:`~preflight.facts.Repository` over the base revision (same
  classification, excludes and size limit as discovery; documents parsed from blobs on request,
  facts memoised), reachable by rules as ``ctx.repo.base`` (``None`` outside ``--base`` mode);
- :func:`apply`, the reporting filter: keep findings on added or modified lines, findings of
  cross-file rules whose input kinds the change touched, parse errors of changed files, rule
  errors, and findings of rules tagged ``needs-base``; with ``--all`` keep everything and mark
  the new ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, TYPE_CHECKING

from preflight.config import ConfigError
from preflight.discover import DEFAULT_EXCLUDES, FileRef, classify
from preflight.documents import Problem, text_of
from preflight.facts import Repository
from preflight.model import FileKind, Finding

if TYPE_CHECKING:  # pragma: no cover
    from preflight.config import Settings
    from preflight.engine import CheckResult

# Rules that only speak about a change (DIFF001-DIFF003) carry this tag: all their findings are new.
NEEDS_BASE = "needs-base"
ALWAYS_SHOWN = ("PF002",)  # a rule that failed is news whatever lines it looked at
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_SNIFF_BYTES = 256


class GitError(ConfigError):
    """A ``--base`` that cannot work (no git, not a work tree, unknown revision): exit code 2."""


def _git(root: str, *args: str) -> bytes:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=root, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("--base needs git, and no `git` program was found on PATH") from None
    except OSError as exc:
        raise GitError(f"--base: cannot run git: {exc.strerror or exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _Failed(message[-1] if message else f"git {args[0]} exited with {done.returncode}")
    return done.stdout


class _Failed(Exception):
    pass


def _paths(output: bytes) -> list[str]:
    return [os.fsdecode(p) for p in output.split(b"\0") if p]


# -- what changed ---------------------------------------------------------------------------------

@dataclass
class FileChange:
    """One changed file: its status and paths on both sides (relative to the scanned root)."""

    status: str  # A added (or untracked), M modified, D deleted, R renamed, T type changed
    path: str | None  # in the working tree; None when deleted
    old_path: str | None  # at the base revision; None when added
    lines: list[tuple[int, int]] = field(default_factory=list)  # added/modified line ranges (inclusive)

    @property
    def whole(self) -> bool:
        """A new file: every line of it is part of the change."""
        return self.status == "A"


@dataclass
class Change:
    root: str
    ref: str  # as the user gave it
    commit: str  # what it resolved to
    prefix: str  # the scanned root inside the work tree ("" at the top, else "dir/")
    files: list[FileChange]
    scope: list[str] | None = None  # the paths given on the command line (relative), None: all
    settings: Settings | None = None

    def __post_init__(self) -> None:
        self._by_path = {c.path: c for c in self.files if c.path is not None}
        self._by_old = {c.old_path: c for c in self.files if c.old_path is not None}

    def changed(self, path: str) -> bool:
        """Whether the working-tree file ``path`` differs from the base (added, modified, renamed)."""
        return path in self._by_path

    def line_ranges(self, path: str) -> list[tuple[int, int]]:
        """Added or modified lines of ``path`` (inclusive ranges); a new file is one open range."""
        change = self._by_path.get(path)
        if change is None:
            return []
        return [(1, 1 << 30)] if change.whole else change.lines

    def touches(self, path: str, line: int, last_line: int | None = None) -> bool:
        last = line if last_line is None else max(line, last_line)
        return any(start <= last and line <= end for start, end in self.line_ranges(path))

    def old_path(self, path: str) -> str | None:
        """Where the working-tree file ``path`` was at the base (following renames); None if added."""
        change = self._by_path.get(path)
        if change is None:
            return path
        return change.old_path

    def new_path(self, old_path: str) -> str | None:
        """Where the base file ``old_path`` is now (following renames); None if deleted."""
        change = self._by_old.get(old_path)
        if change is None:
            return old_path
        return change.path

    def deleted(self) -> list[str]:
        """Base paths deleted by the change (renamed files are not deleted), sorted."""
        return sorted(c.old_path for c in self.files if c.path is None and c.old_path is not None)

    def added(self) -> list[str]:
        return sorted(c.path for c in self.files if c.old_path is None and c.path is not None)

    def touched_kinds(self) -> set[FileKind]:
        kinds = set()
        for change in self.files:
            for path in (change.path, change.old_path):
                kind = classify(path) if path else None
                if kind is not None:
                    kinds.add(kind)
                    if kind is FileKind.YAML:
                        kinds.add(FileKind.KUBERNETES)
        return kinds


def _name_status(output: bytes) -> list[FileChange]:
    fields = output.split(b"\0")
    changes = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i].decode("ascii", "replace")[:1]
        if status in ("R", "C"):
            old, new = os.fsdecode(fields[i + 1]), os.fsdecode(fields[i + 2])
            i += 3
            changes.append(FileChange("R", new, old) if status == "R" else FileChange("A", new, None))
            continue
        path = os.fsdecode(fields[i + 1])
        i += 2
        if status == "A":
            changes.append(FileChange("A", path, None))
        elif status == "D":
            changes.append(FileChange("D", None, path))
        else:  # M, T, U (unmerged): the file is on both sides
            changes.append(FileChange("T" if status == "T" else "M", path, path))
    return changes


def _unquote(raw: bytes) -> str:
    """A path as ``git diff`` writes it in headers: C-quoted when it holds unusual characters."""
    if not raw.startswith(b'"'):
        return os.fsdecode(raw)
    body = raw[1:-1] if raw.endswith(b'"') else raw[1:]
    out = bytearray()
    i = 0
    simple = {b"n": 10, b"t": 9, b'"': 34, b"\\": 92, b"a": 7, b"b": 8, b"f": 12, b"r": 13, b"v": 11}
    while i < len(body):
        char = body[i:i + 1]
        if char == b"\\" and i + 1 < len(body):
            nxt = body[i + 1:i + 2]
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
            octal = body[i + 1:i + 4]
            if len(octal) == 3 and all(48 <= c <= 55 for c in octal):
                out.append(int(octal, 8))
                i += 4
                continue
        out += char
        i += 1
    return os.fsdecode(bytes(out))


def _hunks(output: bytes) -> dict[str, list[tuple[int, int]]]:
    """Added/modified line ranges of each new-side path in a ``git diff -U0`` output."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    path: str | None = None
    in_header = False
    for line in output.split(b"\n"):
        if line.startswith(b"diff --git "):
            in_header, path = True, None
        elif in_header and line.startswith(b"+++ "):
            target = line[4:].rstrip(b"\t")
            path = None if target == b"/dev/null" else _unquote(target)
            if path is not None and path.startswith("b/"):
                path = path[2:]
        elif line.startswith(b"@@"):
            in_header = False
            match = _HUNK.match(line)
            if match and path is not None:
                start, count = int(match.group(1)), int(match.group(2) or b"1")
                if count:
                    ranges.setdefault(path, []).append((start, start + count - 1))
    return ranges


def open_change(root: str, ref: str, settings: Settings, paths: Sequence[str] | None = None) -> Change:
    """Resolve ``ref`` in the git work tree holding ``root`` and read what changed since it."""
    if not ref or ref.startswith("-"):
        raise GitError(f"--base: '{ref}' is not a git revision")
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree").strip()
    except _Failed:
        inside = b""
    if inside != b"true":
        raise GitError(f"--base needs a git work tree, and {root} is not inside one")
    try:
        commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except _Failed:
        raise GitError(f"--base: unknown git revision '{ref}' (a branch, tag or commit such as origin/main, "
                       "HEAD~1 or a SHA; a shallow CI checkout may need `fetch-depth: 0`)") from None
    try:
        prefix = _git(root, "rev-parse", "--show-prefix").decode("utf-8", "surrogateescape").strip()
        diff_args = ("--no-color", "--no-ext-diff", "--no-textconv", "-M", "--relative")
        files = _name_status(_git(root, "diff", *diff_args, "--name-status", "-z", commit, "--"))
        lines = _hunks(_git(root, "diff", *diff_args, "-U0", "--src-prefix=a/", "--dst-prefix=b/",
                            commit, "--"))
        untracked = _paths(_git(root, "ls-files", "--others", "--exclude-standard", "-z"))
    except _Failed as exc:
        raise GitError(f"--base: git failed: {exc}") from None
    for change in files:
        if change.path is not None and not change.whole:
            change.lines = lines.get(change.path, [])
    known = {c.path for c in files}
    files += [FileChange("A", path, None) for path in untracked if path not in known]
    files.sort(key=lambda c: (c.path or c.old_path or ""))
    return Change(root, ref, commit, prefix, files, _scope(root, paths), settings)


def _scope(root: str, paths: Sequence[str] | None) -> list[str] | None:
    if paths is None:
        return None
    scope = []
    for path in paths:
        rel = os.path.relpath(os.path.abspath(os.path.join(root, path)), root).replace(os.sep, "/")
        scope.append("" if rel == "." else rel)
    return scope


# -- the base revision ----------------------------------------------------------------------------

class _Blobs:
    """Blobs read through one ``git cat-file --batch`` process, started on first need."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._process: subprocess.Popen[bytes] | None = None

    def read(self, oid: str) -> bytes | None:
        if self._process is None:
            env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")
            self._process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=self.root, env=env,
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.DEVNULL)
            weakref.finalize(self, _close, self._process)
        stdin: IO[bytes] = self._process.stdin  # type: ignore[assignment]
        stdout: IO[bytes] = self._process.stdout  # type: ignore[assignment]
        stdin.write(oid.encode("ascii") + b"\n")
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3:  # "<oid> missing"
            return None
        data = stdout.read(int(header[2]))
        stdout.read(1)  # the newline after the contents
        return data

    def close(self) -> None:
        if self._process is not None:
            _close(self._process)
            self._process = None


def _close(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        try:
            process.stdin.close()  # type: ignore[union-attr]
        except OSError:  # pragma: no cover
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


class BaseRepository(Repository):
    """The files of the base revision, with the same API as the working tree's ``Repository``.

    Paths are relative to the scanned root, as at the head. Besides the ``Repository`` API it
    answers questions about the change: :meth:`old_path`, :meth:`new_path`, :meth:`changed`,
    :meth:`deleted`, :meth:`added`, :meth:`touches`.
    """

    def __init__(self, change: Change, files: Iterable[FileRef], blobs: _Blobs, oids: dict[str, str]) -> None:
        super().__init__(change.root, files)
        self.change = change
        self.ref = change.ref
        self.commit = change.commit
        self._blobs = blobs
        self._oids = oids
        self._by_path = {f.path: f for f in self.files}

    def _read(self, ref: FileRef) -> str | Problem:
        data = self._blobs.read(self._oids[ref.path])
        if data is None:
            return Problem(ref.path, f"cannot read {ref.path} at {self.ref}")
        return text_of(ref.path, data)

    def file(self, path: str) -> FileRef | None:
        return self._by_path.get(path)

    def document_at(self, path: str):  # type: ignore[no-untyped-def]
        """The parsed base document at the base path ``path`` (None: absent or unparseable)."""
        ref = self._by_path.get(path)
        return self.document(ref) if ref is not None else None

    def old_path(self, path: str) -> str | None:
        return self.change.old_path(path)

    def new_path(self, path: str) -> str | None:
        return self.change.new_path(path)

    def changed(self, path: str) -> bool:
        return self.change.changed(path)

    def touches(self, path: str, line: int, last_line: int | None = None) -> bool:
        return self.change.touches(path, line, last_line)

    def deleted(self) -> list[str]:
        return [p for p in self.change.deleted() if p in self._by_path]

    def added(self) -> list[str]:
        return self.change.added()

    def close(self) -> None:
        self._blobs.close()


def base_repository(change: Change) -> BaseRepository:
    """A Repository over the base revision's files below the scanned root."""
    import pathspec

    from preflight.config import Settings

    settings = change.settings or Settings()
    scope = change.scope
    excludes = pathspec.GitIgnoreSpec.from_lines(list(DEFAULT_EXCLUDES) + list(settings.exclude))
    try:
        listing = _git(change.root, "ls-tree", "-r", "-l", "-z", "--full-tree", change.commit)
    except _Failed as exc:
        raise GitError(f"--base: git failed: {exc}") from None
    blobs = _Blobs(change.root)
    files: list[FileRef] = []
    oids: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        meta, _, raw_path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) != 4 or parts[1] != b"blob" or parts[0] == b"120000":
            continue  # a submodule, a symlink, or the empty last field
        full = os.fsdecode(raw_path)
        if not full.startswith(change.prefix):
            continue
        path = full[len(change.prefix):]
        if scope is not None and not any(s == "" or path == s or path.startswith(s + "/") for s in scope):
            continue
        size = int(parts[3]) if parts[3].isdigit() else 0
        if size > settings.max_file_size or excludes.match_file(path):
            continue
        oid = parts[2].decode("ascii")
        kind = classify(path)
        if kind is None and "." not in path.rpartition("/")[2]:
            data = blobs.read(oid)
            kind = classify(path, data[:_SNIFF_BYTES]) if data is not None else None
        if kind is None:
            continue
        files.append(FileRef(path, f"{change.commit}:{full}", kind, size))
        oids[path] = oid
    return BaseRepository(change, files, blobs, oids)


# -- the reporting filter -------------------------------------------------------------------------

@dataclass(frozen=True)
class BaseSummary:
    """What the report says about the comparison."""

    ref: str
    commit: str
    files_changed: int
    show_all: bool
    hidden: int  # findings not shown because the change did not touch them (0 with --all)
    old: int  # findings shown with --all that the change did not touch


def _kinds_read(kinds: frozenset[FileKind]) -> set[FileKind]:
    return set(kinds) | ({FileKind.YAML} if FileKind.KUBERNETES in kinds else set())


def is_new(finding: Finding, change: Change, cross_file: dict[str, set[FileKind]],
           always: set[str], touched: set[FileKind]) -> bool:
    """Whether ``finding`` belongs to the change (see the module docstring)."""
    if finding.rule_id in always or finding.rule_id in ALWAYS_SHOWN:
        return True
    if finding.rule_id in cross_file and cross_file[finding.rule_id] & touched:
        return True
    if finding.rule_id == "PF001":
        return change.changed(finding.path)
    return change.touches(finding.path, finding.span.line, finding.span.last_line)


def apply(result: CheckResult, change: Change, show_all: bool) -> None:
    """Filter (or, with ``show_all``, mark) ``result.findings`` by the change; fills ``result.base``."""
    cross_file = {rule.id: _kinds_read(rule.kinds) for rule in result.rules if "check_repository" in rule.hooks}
    always = {rule.id for rule in result.rules if NEEDS_BASE in rule.meta.tags}
    touched = change.touched_kinds()
    kept: list[Finding] = []
    hidden = old = 0
    for finding in result.findings:
        new = is_new(finding, change, cross_file, always, touched)
        if new or show_all:
            kept.append(replace(finding, new=new))
            old += not new
        else:
            hidden += 1
    result.findings = kept
    result.base = BaseSummary(change.ref, change.commit, len(change.files), show_all, hidden, old)

