"""What a rule's result depended on: the files it read and the file listings it asked for.

Rules reach the repository only through ``ctx.repo``. The engine hands them a :class:`RepoView`
that forwards every call to the real :class:`~preflight.facts.Repository` and records, for the
hook call under way, which files were read (documents, commands, a YAML file sniffed for a
Kubernetes manifest) and which listings were asked for (``files``, ``files_of(kinds)``). A fact
is computed once through the view, so what it read is recorded once and added to every hook
that asks for it.

A result that asked git's facts (:mod:`preflight.gitfacts`, through ``repo.git_root``) is marked
``git``: the cache stores with it a digest of git's index and ignore files (:func:`~preflight.gitfacts.git_state`)
and serves it only while that digest is the same. Anything else a hook touches (``repo.root``,
``repo.problems``, attributes this module does not know) makes its result *opaque*: it may depend
on things outside the scanned files, so it is never served from the cache. This is what lets the cache keep the
results of cross-file rules and of per-file hooks that read facts: a result is reused only when
every file it read has the same content and every listing it asked for names the same files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from preflight.model import FileKind, Finding

if TYPE_CHECKING:  # pragma: no cover
    from preflight.documents import Problem
    from preflight.suppress import Suppression

T = TypeVar("T")
ALL = "*"  # the key of the listing of every file


_NOTHING: frozenset[str] = frozenset()


class Deps:
    """What one hook call (or one fact) read. ``files`` and ``lists`` stay the shared empty
    frozenset until something is recorded: a run makes one of these per file and rule, and most
    record only their own file."""

    __slots__ = ("files", "lists", "opaque", "git", "facts", "_flat")

    def __init__(self, files: set[str] | frozenset[str] = _NOTHING, lists: set[str] | frozenset[str] = _NOTHING,
                 opaque: bool = False, facts: list[Deps] | None = None, git: bool = False) -> None:
        self.files = files  # paths whose text or document was read
        self.lists = lists  # listing keys: ALL or sorted kind values joined by ','
        self.opaque = opaque
        self.git = git  # read git's index or ignore files (through repo.git_root)
        # What the facts it asked for read, shared (not copied): a fact over every Python file is
        # asked for by every Python file's hooks, and copying its set into each would be quadratic.
        self.facts: list[Deps] | tuple[()] = facts if facts is not None else ()
        self._flat: tuple[frozenset[str], frozenset[str]] | None = None

    def add_file(self, path: str) -> None:
        if isinstance(self.files, frozenset):
            self.files = set(self.files)
        self.files.add(path)

    def add_list(self, key: str) -> None:
        if isinstance(self.lists, frozenset):
            self.lists = set(self.lists)
        self.lists.add(key)

    def merge(self, other: Deps) -> None:
        if other is not self and not any(f is other for f in self.facts):
            if isinstance(self.facts, tuple):
                self.facts = []
            self.facts.append(other)
        self.opaque = self.opaque or other.opaque
        self.git = self.git or other.git

    def flat(self, keep: bool = False) -> tuple[frozenset[str], frozenset[str]]:
        """Every file and listing read, its facts' included (call once the result is complete).
        Only a fact's (shared) answer is kept; a hook's is made when asked."""
        if self._flat is not None:
            return self._flat
        files, lists = set(self.files), set(self.lists)
        for fact in self.facts:
            more_files, more_lists = fact.flat(keep=True)
            files |= more_files
            lists |= more_lists
        flat = (frozenset(files), frozenset(lists))
        if keep:
            self._flat = flat
        return flat

    def parts(self) -> Iterator[Deps]:
        """This and every fact it includes, each once per call."""
        if not self.facts:
            yield self
            return
        seen: set[int] = set()
        stack = [self]
        while stack:
            deps = stack.pop()
            if id(deps) not in seen:
                seen.add(id(deps))
                yield deps
                stack.extend(deps.facts)

    def reads(self, path: str) -> bool:
        return any(path in part.files for part in self.parts())

    def problems(self, problems: dict[str, Any]) -> dict[str, Any]:
        """The entries of ``problems`` (path -> PF001 problem) for files this read, in path order."""
        if not problems:
            return {}
        found = {}
        for part in self.parts():
            files = part.files
            if len(files) < len(problems):
                found.update((path, problems[path]) for path in files if path in problems)
            else:
                found.update((path, problem) for path, problem in problems.items() if path in files)
        return dict(sorted(found.items())) if found else {}


@dataclass(slots=True)  # one per file and rule that found something, and one per file shared by the rest
class RuleResult:
    """What one rule produced for one file (or, cross-file, for the repository)."""

    findings: list[Finding]
    deps: Deps
    problems: dict[str, Problem]  # PF001 problems of the files it read that did not parse
    stored: Any = None  # the cache's form of this result, when it was served from the cache


@dataclass(slots=True)  # one per file of the run
class FileRecord:
    """A file's parse outcome: the problem, or its suppression comments when it parsed."""

    problem: Problem | None
    suppressions: list[Suppression] | None


def listing_key(kinds: tuple[FileKind, ...]) -> str:
    return ",".join(sorted(k.value for k in kinds)) if kinds else ALL


def listing_kinds(key: str) -> tuple[FileKind, ...]:
    return () if key == ALL else tuple(FileKind(v) for v in key.split(","))


class RepoView:
    """The repository as a hook sees it (``ctx.repo``): the same API, with reads recorded."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self._stack: list[Deps] = []
        self._fact_deps: dict[Callable[..., Any], Deps] = {}
        self._facts: dict[Callable[..., Any], Any] = {}

    # -- recording ------------------------------------------------------------------------------
    def begin(self) -> None:
        self._stack.append(Deps())

    def end(self) -> Deps:
        return self._stack.pop()

    def _file(self, path: str) -> None:
        if self._stack:
            self._stack[-1].add_file(path)

    def _list(self, kinds: tuple[FileKind, ...]) -> None:
        if self._stack:
            self._stack[-1].add_list(listing_key(kinds))

    def _opaque(self) -> None:
        if self._stack:
            self._stack[-1].opaque = True

    # -- the Repository API ----------------------------------------------------------------------
    @property
    def files(self) -> list[Any]:
        self._list(())
        return self._repo.files

    @property
    def root(self) -> str:
        self._opaque()
        return self._repo.root

    @property
    def git_root(self) -> str:
        """The root, for reading git's index and ignore files (:mod:`preflight.gitfacts`): the
        result then depends on git's state, which the cache checks, and is not opaque."""
        if self._stack:
            self._stack[-1].git = True
        return self._repo.git_root

    @property
    def problems(self) -> dict[str, Any]:
        self._opaque()
        return self._repo.problems

    @property
    def base(self) -> Any:
        """The base revision in ``--base`` mode (its contents are not tracked: a result that used
        it is not cached); None otherwise, which a result may depend on without losing its cache."""
        base = self._repo.base
        if base is not None:
            self._opaque()
        return base

    def files_of(self, *kinds: FileKind) -> list[Any]:
        self._list(kinds)
        return self._repo.files_of(*kinds)

    def document(self, ref: Any) -> Any:
        self._file(ref.path)
        return self._repo.document(ref)

    def is_kubernetes(self, ref: Any) -> bool:
        self._file(ref.path)
        return self._repo.is_kubernetes(ref)

    def documents(self, *kinds: FileKind) -> Iterator[Any]:
        for ref in self.files_of(*kinds):
            doc = self.document(ref)
            if doc is not None and (not kinds or doc.kind in kinds):
                yield doc

    def loaded(self, path: str) -> Any:
        self._file(path)
        return self._repo.loaded(path)

    def commands(self, doc: Any) -> list[Any]:
        self._file(doc.path)
        return self._repo.commands(doc)

    def statements(self, doc: Any) -> list[Any]:
        self._file(doc.path)
        return self._repo.statements(doc)

    def all_commands(self, *kinds: FileKind) -> Iterator[Any]:
        from preflight.commands import COMMAND_KINDS

        for doc in self.documents(*(kinds or tuple(COMMAND_KINDS))):
            yield from self.commands(doc)

    def fact(self, compute: Callable[[Any], T]) -> T:
        """Compute ``compute(repo)`` once; what it read is added to every hook asking for it."""
        if compute not in self._facts:
            self._stack.append(Deps())
            try:
                value = compute(self)
            finally:
                deps = self._stack.pop()
            self._facts[compute] = value
            self._fact_deps[compute] = deps
        if self._stack:
            self._stack[-1].merge(self._fact_deps[compute])
        return self._facts[compute]

    def forget_facts(self) -> None:
        """Let go of every fact computed so far, once no rule will ask for one again: what they
        keep (models with their column types, the names each module binds, ...) is tens of MB of
        a large run, and the rest of the run (merging results, reports) then fits in that memory.
        What they read stays recorded: results share it. Asked for again, a fact is computed again."""
        self._facts.clear()

    def __getattr__(self, name: str) -> Any:  # anything else: forwarded, and the result is opaque
        self._opaque()
        return getattr(self._repo, name)
