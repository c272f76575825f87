"""What git knows about the scanned files: which are tracked, which are ignored.

``.gitignore`` applies to untracked files only: a ``.env`` committed before ``.env`` was added to
``.gitignore`` is still in every clone.  Rules about secrets therefore need both facts:

- :func:`tracked_files` -- the paths in the enclosing work tree's index (``.git/index``, versions
  2, 3 and 4), relative to the scanned root; None when there is no work tree or the index cannot
  be read (split index, unknown version, damaged file), in which case rules judge by gitignore
  alone.  Read directly from the file: no subprocess, no network.
- :func:`git_ignore` -- a :class:`preflight.discover.GitIgnore` answering whether a path would be
  ignored, with the very rules discovery applies (nested ``.gitignore`` files,
  ``.git/info/exclude``, the ``.gitignore`` files above the scanned root).

Both are repository facts (``repo.fact(tracked_files)``), computed once per run.  Files inside a
nested repository (a submodule, a vendored checkout) are not in the outer index; they count as
untracked.
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    from preflight.discover import GitIgnore
    from preflight.facts import Repository

__all__ = ["GitState", "TrackedFiles", "git_dir", "git_ignore", "git_state", "is_ignored", "read_index",
           "stamp", "tracked_files", "tracked_under", "work_tree_of"]

_INDEX_LIMIT = 512 * 1024 * 1024  # a larger "index" is not one we want to read


def work_tree_of(path: str) -> str | None:
    """The nearest directory at or above ``path`` holding a ``.git`` (directory or file)."""
    current = os.path.realpath(path)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def git_dir(work_tree: str) -> str | None:
    """The git directory of ``work_tree``: ``.git`` itself, or what a ``.git`` file's
    ``gitdir: <path>`` line names (linked worktrees, submodules)."""
    dotgit = os.path.join(work_tree, ".git")
    if os.path.isdir(dotgit):
        return dotgit
    try:
        with open(dotgit, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    if not head.startswith(b"gitdir:"):
        return None
    lines = head[len(b"gitdir:"):].splitlines()
    if not lines:
        return None
    target = os.fsdecode(lines[0].strip())
    if not target:
        return None
    path = os.path.normpath(os.path.join(work_tree, target))
    return path if os.path.isdir(path) else None


def _hash_size(gitdir: str) -> int:
    """20 for SHA-1 repositories, 32 for SHA-256 ones (``extensions.objectformat``)."""
    config = os.path.join(gitdir, "config")
    try:
        common = open(os.path.join(gitdir, "commondir"), encoding="utf-8").read().strip()
        if common:
            config = os.path.join(gitdir, common, "config")
    except OSError:
        pass
    try:
        with open(config, encoding="utf-8", errors="replace") as handle:
            text = handle.read(65536).lower()
    except OSError:
        return 20
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "objectformat" and value.strip() == "sha256":
            return 32
    return 20


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """git's offset varint (index v4 prefix lengths): each continuation adds one before shifting."""
    byte = data[pos]
    pos += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = data[pos]
        pos += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, pos


def read_index(data: bytes, hash_size: int = 20) -> list[str]:
    """The paths (work-tree relative, '/'-separated) of the entries of an index file's bytes.

    Raises ``ValueError`` for something that is not an index of version 2, 3 or 4, and for a
    split index (its entries live in another file).
    """
    if len(data) < 12 or data[:4] != b"DIRC":
        raise ValueError("not a git index")
    version, count = struct.unpack(">II", data[4:12])
    if version not in (2, 3, 4):
        raise ValueError(f"unsupported index version {version}")
    pos = 12
    fixed = 40 + hash_size + 2  # stat data, object name, flags
    paths: list[str] = []
    previous = b""
    end_of_entries = len(data) - hash_size
    for _ in range(count):
        if pos + fixed > end_of_entries:
            raise ValueError("index entry runs past the end of the file")
        start = pos
        (flags,) = struct.unpack(">H", data[pos + fixed - 2: pos + fixed])
        pos += fixed
        if version >= 3 and flags & 0x4000:  # extended flags
            pos += 2
        if version == 4:
            strip, pos = _varint(data, pos)
            nul = data.index(b"\x00", pos)
            if strip > len(previous):
                raise ValueError("index v4 prefix longer than the previous path")
            name = previous[: len(previous) - strip] + data[pos:nul]
            pos = nul + 1
        else:
            length = flags & 0x0FFF
            if length < 0x0FFF:
                name = data[pos: pos + length]
                nul = pos + length
            else:  # a name of 4095 bytes or more: up to the NUL
                nul = data.index(b"\x00", pos)
                name = data[pos:nul]
            # 1 to 8 NULs pad the entry to a multiple of 8 bytes.
            pos = start + ((nul - start) // 8 + 1) * 8
        previous = name
        paths.append(name.decode("utf-8", "surrogateescape"))
    # Extensions: a split index keeps its entries in a shared file we do not read.
    while pos + 8 <= end_of_entries:
        signature = data[pos: pos + 4]
        (size,) = struct.unpack(">I", data[pos + 4: pos + 8])
        if signature == b"link":
            raise ValueError("split index")
        pos += 8 + size
    return paths


class TrackedFiles(NamedTuple):
    """Tracked paths relative to the scanned root, and every directory that holds one."""

    files: frozenset[str]
    dirs: frozenset[str]

    def __contains__(self, path: object) -> bool:
        return path in self.files


def tracked_under(root: str) -> TrackedFiles | None:
    """The tracked files at or below ``root`` (relative to it), from its work tree's index."""
    real_root = os.path.realpath(root)
    top = work_tree_of(real_root)
    if top is None:
        return None
    gitdir = git_dir(top)
    if gitdir is None:
        return None
    index = os.path.join(gitdir, "index")
    try:
        if os.path.getsize(index) > _INDEX_LIMIT:
            return None
        with open(index, "rb") as handle:
            data = handle.read()
        paths = read_index(data, _hash_size(gitdir))
    except FileNotFoundError:  # a fresh repository: nothing is tracked yet
        return TrackedFiles(frozenset(), frozenset())
    except (OSError, ValueError, struct.error):
        return None
    below = os.path.relpath(real_root, top).replace(os.sep, "/")
    prefix = "" if below == "." else below + "/"
    files = set()
    dirs = set()
    for path in paths:
        if prefix:
            if not path.startswith(prefix):
                continue
            path = path[len(prefix):]
        path = path.rstrip("/")  # a sparse-index directory entry
        if not path:
            continue
        files.add(path)
        head = path
        while "/" in head:
            head = head.rpartition("/")[0]
            if head in dirs:
                break
            dirs.add(head)
    return TrackedFiles(frozenset(files), frozenset(dirs))


# -- repository facts --------------------------------------------------------------------------


def tracked_files(repo: Repository) -> TrackedFiles | None:
    """Fact: the tracked files of the scanned root (None: not a work tree, or unreadable index)."""
    return tracked_under(repo.git_root)


def git_ignore(repo: Repository) -> GitIgnore:
    """Fact: whether a root-relative path would be git-ignored (untracked files only)."""
    from preflight.discover import GitIgnore

    return GitIgnore(repo.git_root)


# -- what these facts read, for the cache -------------------------------------------------------


def stamp(path: str) -> tuple[int, int, int, int] | None:
    """Size, modification and change times (ns) and inode of ``path`` (not followed if a link);
    None if it does not exist. A rewrite changes the change time, whatever the modification time
    was set to, and git replaces its index by renaming a new file over it (a new inode)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class GitState(NamedTuple):
    """A digest of every file :func:`tracked_files` and :func:`git_ignore` read (or would read) for
    a set of paths, and the newest change time among them."""

    digest: str
    newest_ns: int


def git_state(root: str, paths: list[str]) -> GitState:
    """What git's facts depend on for the root-relative ``paths``: the ``.git`` looked for in
    each directory from root up to the enclosing work tree's top, that git directory's index,
    config, commondir and info/exclude, and the ``.gitignore`` (and nested ``.git``, whose
    info/exclude then counts too) of every directory from the top down to each path's parent.
    A file added, changed or deleted among them changes the digest. Costs two ``lstat`` calls
    per directory, no read."""
    import hashlib

    real_root = os.path.realpath(root)
    top = work_tree_of(real_root)
    watched: set[str] = set()
    current = real_root
    while True:  # the .git work_tree_of looked for, at root and each directory above it up to top
        watched.add(os.path.join(current, ".git"))
        parent = os.path.dirname(current)
        if current == top or parent == current:
            break
        current = parent
    if top is not None:
        gitdir = git_dir(top)
        if gitdir is not None:
            watched.update(os.path.join(gitdir, name) for name in ("index", "config", "commondir"))
            watched.add(os.path.join(gitdir, "info", "exclude"))
        ancestor = top
        for part in [p for p in os.path.relpath(real_root, top).split(os.sep) if p not in ("", ".")]:
            watched.add(os.path.join(ancestor, ".gitignore"))
            ancestor = os.path.join(ancestor, part)
    directories = {""}
    for path in paths:
        head = path.rpartition("/")[0]
        while head and head not in directories:
            directories.add(head)
            head = head.rpartition("/")[0]
    stamps: dict[str, tuple[int, int, int, int] | None] = {}
    for directory in directories:
        base = f"{real_root}/{directory}" if directory else real_root
        if os.sep != "/":
            base = os.path.normpath(base)
        ignore = os.path.join(base, ".gitignore")
        stamps[ignore] = stamp(ignore)
        dotgit = os.path.join(base, ".git")
        stamps[dotgit] = stamp(dotgit)
        if directory and stamps[dotgit] is not None and os.path.isdir(dotgit):  # a nested repository
            watched.add(os.path.join(dotgit, "info", "exclude"))
    for path in watched:
        if path not in stamps:
            stamps[path] = stamp(path)
    ordered = sorted(stamps.items())
    newest = max((max(s[1], s[2]) for _, s in ordered if s is not None), default=0)
    digest = hashlib.blake2b(repr(ordered).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
    return GitState(digest, newest)


def is_ignored(repo: Repository, path: str) -> bool:
    """Whether ``path`` (root-relative) matches the ignore rules git applies to it."""
    return repo.fact(git_ignore).ignored(path)
