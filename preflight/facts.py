"""The repository as rules see it: files by kind, documents parsed once, commands, and facts.

A fact is a plain function of the repository (``def poetry_lock_versions(repo) -> ...``) that a
rule asks for with ``repo.fact(poetry_lock_versions)``; it is computed on first request and then
shared by every rule, so cross-file rules cost one pass however many of them there are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from preflight.discover import FileRef, sniff_yaml_kind
from preflight.documents import Document, Problem, parse_text, read_text
from preflight.model import FileKind

if TYPE_CHECKING:  # pragma: no cover
    from preflight.commands import Command

T = TypeVar("T")


class Repository:
    def __init__(self, root: str, files: Iterable[FileRef]) -> None:
        self.root = root
        self.files = sorted(files, key=lambda f: f.path)
        self.problems: dict[str, Problem] = {}
        self._documents: dict[str, Document | None] = {}
        self._commands: dict[str, list[Command]] = {}
        self._statements: dict[str, list[Command]] = {}
        self._texts: dict[str, str] = {}  # read to sniff a kind, not yet parsed
        self._facts: dict[Callable[..., Any], Any] = {}
        self._released: set[str] = set()  # parsed, checked and let go (see release())
        self.reparsed = 0  # documents parsed again after release (a fact asked for them late)
        self._refs: dict[str, FileRef] | None = None
        # In `--base REF` mode, the same view of the base revision (preflight.gitbase); else None.
        self.base: Any = None

    @property
    def git_root(self) -> str:
        """The root, for the facts that read git's own files (preflight.gitfacts)."""
        return self.root

    # -- files and documents ------------------------------------------------------------------
    def files_of(self, *kinds: FileKind) -> list[FileRef]:
        wanted = set(kinds)
        if FileKind.KUBERNETES in wanted:  # decided from content: any YAML may be a manifest
            wanted.add(FileKind.YAML)
        return [f for f in self.files if not wanted or f.kind in wanted]

    def document(self, ref: FileRef) -> Document | None:
        """The parsed document of ``ref`` (parsed on first request); None if it could not be."""
        if ref.path in self._documents:
            return self._documents[ref.path]
        if ref.path in self._released:
            self._released.discard(ref.path)
            self.reparsed += 1
        text = self._texts.pop(ref.path, None) or self._read(ref)
        doc: Document | Problem
        if isinstance(text, Problem):
            doc = text
        else:
            kind = ref.kind
            if kind is FileKind.YAML and sniff_yaml_kind(text) is FileKind.KUBERNETES:
                kind = FileKind.KUBERNETES
            doc = parse_text(ref.path, kind, text)
        if isinstance(doc, Problem):
            self.problems[ref.path] = doc
            self._documents[ref.path] = None
            return None
        self._documents[ref.path] = doc
        return doc

    def _read(self, ref: FileRef) -> str | Problem:
        return read_text(ref.path, ref.abspath)

    def is_kubernetes(self, ref: FileRef) -> bool:
        """Whether a YAML file is a Kubernetes manifest, judged from its first bytes (no parse)."""
        if ref.kind is not FileKind.YAML:
            return ref.kind is FileKind.KUBERNETES
        loaded = self._documents.get(ref.path)
        if loaded is not None:
            return loaded.kind is FileKind.KUBERNETES
        text = self._texts.get(ref.path) or self._read(ref)
        if isinstance(text, Problem):
            return False
        self._texts[ref.path] = text  # kept for document(): read once
        return sniff_yaml_kind(text) is FileKind.KUBERNETES

    def documents(self, *kinds: FileKind) -> Iterator[Document]:
        """Parsed documents of the given kinds (all kinds when none given), in path order."""
        for ref in self.files_of(*kinds):
            doc = self.document(ref)
            if doc is not None and (not kinds or doc.kind in kinds):
                yield doc

    def loaded(self, path: str) -> Document | None:
        """The document of ``path`` if it was parsed in this run (parsed again if it was released)."""
        doc = self._documents.get(path)
        if doc is None and path in self._released:
            if self._refs is None:
                self._refs = {f.path: f for f in self.files}
            return self.document(self._refs[path])
        return doc

    def kept(self, path: str) -> Document | None:
        """The document of ``path`` if it is parsed and held now (never parses)."""
        return self._documents.get(path)

    def release(self, path: str) -> None:
        """Let go of a parsed document and what was extracted from it, once every rule of the run
        has checked it: a run over thousands of files then holds only what cross-file facts keep.
        Asked for again (a fact computed late), it is parsed again, with the same result."""
        doc = self._documents.pop(path, None)
        if doc is not None:
            self._released.add(path)
        self._commands.pop(path, None)
        self._statements.pop(path, None)

    # -- commands and facts -------------------------------------------------------------------
    def commands(self, doc: Document) -> list[Command]:
        """The shell commands of ``doc`` (extracted once)."""
        if doc.path not in self._commands:
            self._commands[doc.path] = [c for c in self.statements(doc) if c.argv]
        return self._commands[doc.path]

    def statements(self, doc: Document) -> list[Command]:
        """Commands and assignment-only statements of ``doc`` (argv empty), in file order."""
        if doc.path not in self._statements:
            from preflight.commands import extract_statements

            self._statements[doc.path] = extract_statements(doc)
        return self._statements[doc.path]

    def all_commands(self, *kinds: FileKind) -> Iterator[Command]:
        from preflight.commands import COMMAND_KINDS

        for doc in self.documents(*(kinds or tuple(COMMAND_KINDS))):
            yield from self.commands(doc)

    def fact(self, compute: Callable[[Repository], T]) -> T:
        if compute not in self._facts:
            self._facts[compute] = compute(self)
        return self._facts[compute]


# -- facts shared by rules ------------------------------------------------------------------------
class LockGenerator(NamedTuple):
    path: str
    version: str
    line: int


def poetry_lock_generators(repo: Repository) -> list[LockGenerator]:
    """The Poetry version that wrote each ``poetry.lock`` (from its ``@generated by`` header)."""
    found = []
    for doc in repo.documents(FileKind.POETRY_LOCK):
        version = getattr(doc, "generator", None)
        if version:
            found.append(LockGenerator(doc.path, version, doc.generator_line))  # type: ignore[attr-defined]
    return found
