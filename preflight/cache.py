"""The result cache in ``.preflight_cache/`` under the scanned root.

What is stored, per run fingerprint (preflight version and source, Python and parser versions,
the selected rules and their options, a hash of each plugin rule's module):

- per file: its content hash and kind, the PF001 problem its parse gave (if any), its suppression
  comments, and for each per-file rule that looked at it the findings it produced;
- per cross-file rule (``check_repository``): its findings.

Every stored rule result carries what it depended on (see :mod:`preflight.depends`): the content
hash of each file it read and a hash of each file listing it asked for, and for a result that
asked git's facts, a digest of git's index and ignore files (:func:`preflight.gitfacts.git_state`).
A result is served only if all of them still match, so a per-file hook that reads a fact, or a
cross-file rule, is re-run as soon as any file it read changes (``poetry.lock`` for TOOL002).
Results that touched anything the view cannot track (``repo.root``) are never stored.

On top of that, a whole run of the full tree is kept as it ended (``run-*.json``: the findings,
and the size, modification and change times and inode of every discovered file). A later run
whose discovery finds the very same files with the very same stamps, with the same settings and
git state, gives those findings without reading the per-file cache or any file (:meth:`Cache.replay`).
A file that changed less than ``RACY_NS`` before the recorded run started is not trusted by its
stamp (it may have changed again within the same clock tick, after it was read): the run is then
checked file by file, by content hash, and recorded anew.

The cache is JSON (nothing in it is executed), written to a temporary file and moved into place
with ``os.replace``, so concurrent runs never see a torn file (the last writer wins). A run keeps
only the entries it used (a run on part of the tree keeps the rest), and at most
``KEEP_FINGERPRINTS`` fingerprint files are kept, the least recently written deleted first. A
missing, stale or damaged cache is ignored; a cache that cannot be written is not an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import sys
from typing import Any

from preflight.depends import Deps, FileRecord, RuleResult, listing_kinds
from preflight.documents import Problem
from preflight.model import Edit, Finding, Fix, Severity, Span
from preflight.suppress import Suppression

CACHE_DIR = ".preflight_cache"
FORMAT = 1
KEEP_FINGERPRINTS = 4
CACHE_FILE = re.compile(r"v[0-9]+-[0-9a-f]{24}\.json")  # only files of these names are ever pruned
RUN_FILE = re.compile(r"run-v[0-9]+-[0-9a-f]{24}\.json")
RACY_NS = 2_000_000_000  # stamps this close to a run's start (or after it) are not trusted
TEMPORARY = re.compile(r"\.tmp-[A-Za-z0-9_]+\.json")
# The parsers' import names: each one's installed files are part of the fingerprint (an upgrade
# rewrites them), found without importing the package or importlib.metadata (30-100 ms a run).
PARSERS = ("ruamel.yaml", "hcl2", "dockerfile_parse", "tomlkit", "pathspec", "packaging")


# -- fingerprint ---------------------------------------------------------------------------------
def _source_stamp(package_dirs: list[str]) -> list[list[Any]]:
    """Size and mtime of every source and data file of preflight and its rules: an editable
    install whose code changed gets a new fingerprint without a version bump."""
    stamp = []
    for top in package_dirs:
        for directory, subdirs, names in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            for name in sorted(names):
                if name.endswith((".py", ".toml", ".yaml")):
                    path = os.path.join(directory, name)
                    try:
                        info = os.stat(path)
                    except OSError:
                        continue
                    stamp.append([os.path.relpath(path, top), info.st_size, info.st_mtime_ns])
    return stamp


def _package_stamp(name: str) -> list[Any] | None:
    """Size and modification time of every ``.py`` file directly in the package ``name``'s
    directory (its ``__init__.py`` and siblings), or of the module's file; None when it is not
    installed."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    origin = getattr(spec, "origin", None)
    if not origin or not os.path.isabs(origin):
        return None
    stamps = []
    directory = os.path.dirname(origin) if spec.submodule_search_locations else None  # type: ignore[union-attr]
    try:
        paths = sorted(os.path.join(directory, n) for n in os.listdir(directory) if n.endswith(".py")) \
            if directory else [origin]
        for path in paths:
            info = os.stat(path)
            stamps.append([os.path.basename(path), info.st_size, info.st_mtime_ns])
    except OSError:
        return None
    return stamps


def _module_hash(module_name: str) -> str | None:
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
    except OSError:
        return None


def fingerprint(rules: list[Any], builtin: dict[str, bool], options: dict[str, Any],
                ids: list[str]) -> tuple[str, set[str]]:
    """The run's fingerprint, and the ids of rules whose results must not be cached (a plugin
    rule whose definition cannot be hashed)."""
    import preflight
    import preflight_rules
    from preflight import __version__

    uncacheable: set[str] = set()
    plugins = {}
    for rule in rules:
        if builtin.get(rule.id, False):
            continue
        digest = _module_hash(rule.module)
        if digest is None:
            uncacheable.add(rule.id)
        plugins[rule.id] = digest
    versions = {name: _package_stamp(name) for name in PARSERS}
    data = {
        "format": FORMAT, "preflight": __version__, "python": list(sys.version_info[:3]),
        "parsers": versions, "ids": sorted(ids), "options": options, "plugins": plugins,
        "source": _source_stamp([os.path.dirname(preflight.__file__), os.path.dirname(preflight_rules.__file__)]),
    }
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest(), uncacheable


# -- (de)serialisation ---------------------------------------------------------------------------
def _span(s: Span) -> list[Any]:
    return [s.path, s.line, s.column, s.end_line, s.end_column]


def _finding(f: Finding) -> list[Any]:
    fix = None if f.fix is None else [f.fix.description, [[_span(e.span), e.replacement] for e in f.fix.edits]]
    return [f.rule_id, _span(f.span), f.message, int(f.severity), fix, f.name]


def _load_span(data: list[Any]) -> Span:
    path, line, column, end_line, end_column = data
    if not (isinstance(path, str) and isinstance(line, int) and isinstance(column, int)
            and isinstance(end_line, (int, type(None))) and isinstance(end_column, (int, type(None)))):
        raise ValueError("not a span")
    return Span(path, line, column, end_line, end_column)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _load_finding(data: list[Any]) -> Finding:
    """A finding from the cache, its types checked (a damaged entry raises and is not served)."""
    rule_id, span, message, severity, fix, name = data
    loaded_fix = None if fix is None else \
        Fix(_text(fix[0]), tuple(Edit(_load_span(s), _text(r)) for s, r in fix[1]))
    return Finding(_text(rule_id), _load_span(span), _text(message), Severity(severity), loaded_fix, _text(name))


def _problem(p: Problem | None) -> list[Any] | None:
    return None if p is None else [p.path, p.message, p.line, p.column, int(p.severity)]


def _load_problem(data: list[Any] | None) -> Problem | None:
    if data is None:
        return None
    path, message, line, column, severity = data
    span = _load_span([path, line, column, None, None])
    return Problem(span.path, _text(message), span.line, span.column, Severity(severity))


def _suppressions(items: list[Suppression] | None) -> list[Any] | None:
    return None if items is None else [[s.line, s.column, list(s.ids), s.whole_file, s.through] for s in items]


def _load_suppressions(data: list[Any] | None) -> list[Suppression] | None:
    if data is None:
        return None
    found = []
    for line, column, ids, whole_file, through in data:
        _load_span(["", line, column, through, None])
        found.append(Suppression(line, column, tuple(_text(i) for i in ids), bool(whole_file), through))
    return found


_UNSET = object()


class Cache:
    """One run's view of the cache: lookups validated against the files as they are now."""

    def __init__(self, root: str, key: str, repo: Any, uncacheable: set[str], partial: bool,
                 started: int = 0) -> None:
        self.directory = os.path.join(root, CACHE_DIR)
        self.key = key
        self.repo = repo
        self.uncacheable = uncacheable
        self.partial = partial
        self.started = started  # time.time_ns() when the run began, before discovery
        self.by_path = {ref.path: ref for ref in repo.files}
        self._hashes: dict[str, str | None] = {}
        self._listings: dict[str, str] = {}
        self._git: object = _UNSET  # a preflight.gitfacts.GitState once computed
        # old_files, old_cross and old_depsets (the stored cache) are read when first used
        # (see __getattr__): a replayed run never reads them.
        self._checked: dict[int, Deps | None] = {}  # depset index -> its deps if still valid
        self.new_files: dict[str, dict[str, Any]] = {}
        self.new_cross: dict[str, Any] = {}
        self.new_depsets: list[Any] = []
        self._interned: dict[tuple[frozenset[str], frozenset[str], tuple[int, ...], str | None], int] = {}
        self._moved: dict[int, int] = {}  # old depset index -> new, for results kept as stored
        # Stored results that found nothing, one per dependency set: most of a run's results, and
        # all of a file's rules that found nothing share one (instead of 304 bytes of dict, list
        # and dict per file and rule). Never changed once made; written out as before.
        self._nothing: dict[int, dict[str, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        if name in ("old_files", "old_cross", "old_depsets"):
            self._load()
            return self.__dict__[name]
        raise AttributeError(name)

    @property
    def path(self) -> str:
        return os.path.join(self.directory, f"v{FORMAT}-{self.key}.json")

    @property
    def usable(self) -> bool:
        """False when the cache directory is a symbolic link (or not a directory): a repository
        must not make preflight read or write, or prune, files somewhere else."""
        return not os.path.islink(self.directory) and (os.path.isdir(self.directory)
                                                        or not os.path.lexists(self.directory))

    def _load(self) -> None:
        self.old_files: dict[str, Any] = {}
        self.old_cross: dict[str, Any] = {}
        self.old_depsets: list[Any] = []
        if not self.usable:
            return
        try:
            if not stat.S_ISREG(os.lstat(self.path).st_mode):
                return  # a link or a device where the cache should be: not read
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("fingerprint") == self.key:
                self.old_files = dict(data.get("files", {}))
                self.old_cross = dict(data.get("cross", {}))
                self.old_depsets = list(data.get("depsets", []))
        except (OSError, ValueError, AttributeError, TypeError):
            pass  # no cache yet, or a damaged one: start afresh

    # -- validation ------------------------------------------------------------------------------
    @property
    def git_digest(self) -> str | None:
        """The digest of git's index and ignore files for this run's files; None when one of them
        changed too recently to be told apart by its stamp (results that asked git are then
        neither served nor stored)."""
        state = self._git_state()
        return None if state.newest_ns >= self.started - RACY_NS else state.digest

    def _git_state(self) -> Any:
        if self._git is _UNSET:
            from preflight.gitfacts import git_state

            self._git = git_state(self.repo.root, [ref.path for ref in self.repo.files])
        return self._git

    def hash_of(self, path: str) -> str | None:
        if path not in self._hashes:
            ref = self.by_path.get(path)
            digest = None
            if ref is not None:
                try:
                    with open(ref.abspath, "rb") as handle:
                        digest = hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
                except OSError:
                    digest = None
            self._hashes[path] = digest
        return self._hashes[path]

    def listing(self, key: str) -> str:
        if key not in self._listings:
            paths = "\n".join(ref.path for ref in self.repo.files_of(*listing_kinds(key)))
            self._listings[key] = hashlib.blake2b(paths.encode(), digest_size=16).hexdigest()
        return self._listings[key]

    def _depset(self, index: int) -> Deps | None:
        """The stored dependency set ``index`` if every file and listing in it is unchanged."""
        if index not in self._checked:
            deps = None
            try:
                stored = self.old_depsets[index]
                git = stored.get("git")
                if all(d is not None and self.hash_of(p) == d for p, d in stored["files"].items()) and \
                        all(self.listing(k) == d for k, d in stored["lists"].items()) and \
                        (git is None or git == self.git_digest):
                    deps = Deps(set(stored["files"]), set(stored["lists"]), git=git is not None)
            except Exception:  # a damaged entry: not served
                deps = None
            self._checked[index] = deps
        return self._checked[index]

    def _valid(self, stored: Any) -> RuleResult | None:
        try:
            deps = self._depset(stored["deps"])
            if deps is None:
                return None
            findings = [_load_finding(f) for f in stored["findings"]]
            problems = {p: _load_problem(v) for p, v in stored["problems"].items()}
        except Exception:  # a damaged entry: not served
            return None
        return RuleResult(findings, deps, problems, stored)  # type: ignore[arg-type]

    def _entry(self, path: str, kind: str) -> dict[str, Any] | None:
        entry = self.old_files.get(path)
        if not isinstance(entry, dict) or entry.get("kind") != kind:
            return None
        digest = self.hash_of(path)
        if digest is None or entry.get("hash") != digest:
            return None
        return entry

    def record(self, path: str, kind: str) -> FileRecord | None:
        entry = self._entry(path, kind)
        if entry is None or "problem" not in entry:
            return None
        try:
            return FileRecord(_load_problem(entry["problem"]), _load_suppressions(entry["suppressions"]))
        except Exception:  # a damaged entry: not served
            return None

    def file_results(self, path: str, kind: str, rule_ids: list[str]) -> dict[str, RuleResult | None]:
        """The stored, still valid results of ``rule_ids`` on ``path`` (None: the rule did not apply)."""
        entry = self._entry(path, kind)
        served: dict[str, RuleResult | None] = {}
        rules = entry.get("rules") if entry is not None else None
        if not isinstance(rules, dict):
            return served
        for rule_id in rule_ids:
            if rule_id in self.uncacheable or rule_id not in rules:
                continue
            stored = rules[rule_id]
            if stored is None:
                served[rule_id] = None
                continue
            result = self._valid(stored)
            if result is not None:
                served[rule_id] = result
        return served

    def cross_result(self, rule_id: str) -> RuleResult | None:
        if rule_id in self.uncacheable or rule_id not in self.old_cross:
            return None
        return self._valid(self.old_cross[rule_id])

    # -- storing ---------------------------------------------------------------------------------
    def _stored(self, result: RuleResult) -> dict[str, Any] | None:
        if result.deps.opaque:
            return None
        deps = result.deps
        git = None
        if deps.git:
            git = self.git_digest
            if git is None:
                return None
        key = (frozenset(deps.files), frozenset(deps.lists), tuple(id(f) for f in deps.facts), git)
        index = self._interned.get(key)
        if index is None:
            all_files, all_lists = deps.flat()
            files = {p: self.hash_of(p) for p in sorted(all_files)}
            if any(d is None for d in files.values()):
                return None
            index = self._interned[key] = len(self.new_depsets)
            depset: dict[str, Any] = {"files": files, "lists": {k: self.listing(k) for k in sorted(all_lists)}}
            if git is not None:
                depset["git"] = git
            self.new_depsets.append(depset)
        if not result.findings and not result.problems:
            nothing = self._nothing.get(index)
            if nothing is None:
                nothing = self._nothing[index] = {"findings": [], "deps": index, "problems": {}}
            return nothing
        return {"findings": [_finding(f) for f in result.findings], "deps": index,
                "problems": {p: _problem(v) for p, v in sorted(result.problems.items())}}

    def _file(self, path: str) -> dict[str, Any] | None:
        ref = self.by_path.get(path)
        digest = self.hash_of(path)
        if ref is None or digest is None:
            return None
        entry = self.new_files.setdefault(path, {"hash": digest, "kind": ref.kind.value})
        return entry

    def put_record(self, path: str, record: FileRecord) -> None:
        entry = self._file(path)
        if entry is not None:
            entry["problem"] = _problem(record.problem)
            entry["suppressions"] = _suppressions(record.suppressions)

    def put_file_result(self, path: str, rule_id: str, result: RuleResult | None) -> None:
        if rule_id in self.uncacheable:
            return
        entry = self._file(path)
        if entry is None:
            return
        stored = None if result is None else self._reuse(result) or self._stored(result)
        if result is None or stored is not None:
            entry.setdefault("rules", {})[rule_id] = stored

    def _reuse(self, result: RuleResult) -> dict[str, Any] | None:
        """A served result as it was stored: its dependency set, checked unchanged, is kept."""
        return None if result.stored is None else _renumber(self, result.stored, self._moved)

    def put_cross_result(self, rule_id: str, result: RuleResult) -> None:
        if rule_id not in self.uncacheable:
            stored = self._reuse(result) or self._stored(result)
            if stored is not None:
                self.new_cross[rule_id] = stored

    # -- the whole run ---------------------------------------------------------------------------
    @property
    def run_path(self) -> str:
        return os.path.join(self.directory, f"run-v{FORMAT}-{self.key}.json")

    def _run_files(self, discovery: Any) -> list[list[Any]] | None:
        files = []
        for ref in discovery.files:
            if ref.stamp is None:
                return None
            files.append([ref.path, ref.kind.value, ref.size, *ref.stamp])
        return files

    def replay(self, discovery: Any, settings: dict[str, Any]) -> tuple[list[Finding], dict[str, int], set[str]] | None:
        """The findings, counts and paths that did not parse of the recorded run, if it checked exactly these files (same
        paths, kinds, sizes, times and inodes, none too recent to trust) with the same settings,
        skipped the same paths and, if it asked git, saw the same git state; else None."""
        if self.partial or self.uncacheable or not self.usable:
            return None
        try:
            if not stat.S_ISREG(os.lstat(self.run_path).st_mode):
                return None
            with open(self.run_path, encoding="utf-8") as handle:
                data = json.load(handle)
            started = data["started"]
            if data.get("format") != FORMAT or data.get("fingerprint") != self.key or \
                    data.get("settings") != json.loads(json.dumps(settings, default=str)) or \
                    not isinstance(started, int):
                return None
            files = self._run_files(discovery)
            if files is None or data["files"] != files:
                return None
            trusted = started - RACY_NS
            if any(entry[3] >= trusted or entry[4] >= trusted for entry in files):
                return None
            if data["skipped"] != [[s.path, s.reason] for s in discovery.skipped]:
                return None
            if data["git"] is not None:
                state = self._git_state()
                if state.digest != data["git"] or state.newest_ns >= trusted:
                    return None
            findings = [_load_finding(f) for f in data["findings"]]
            counts = {name: int(data["counts"][name]) for name in ("files_parsed", "suppressed", "files_cached")}
            problems = {_text(path) for path in data["problems"]}
        except Exception:  # no record, or a damaged one: the run is checked file by file
            return None
        return findings, counts, problems

    def save_run(self, discovery: Any, settings: dict[str, Any], findings: list[Finding], problems: list[str],
                 counts: dict[str, int], uses_git: bool) -> None:
        """Record this run of the full tree for :meth:`replay` (nothing is recorded when it
        cannot be replayed safely: a part of the tree, a result that read outside what the cache
        tracks, or a git state too recent to trust)."""
        files = self._run_files(discovery)
        git = self.git_digest if uses_git else None
        if self.partial or self.uncacheable or files is None or (uses_git and git is None):
            self.forget_run()
            return
        data = {"format": FORMAT, "fingerprint": self.key, "settings": settings, "started": self.started,
                "files": files, "skipped": [[s.path, s.reason] for s in discovery.skipped], "git": git,
                "findings": [_finding(f) for f in findings], "problems": problems, "counts": counts}
        self._write(self.run_path, data)

    def forget_run(self) -> None:
        if self.usable and os.path.lexists(self.run_path) and not os.path.islink(self.directory):
            _remove(self.run_path)

    def save(self) -> None:
        if self.partial:  # keep what this run did not look at, renumbering its dependency sets
            try:
                files, cross = _kept_entries(self)
            except Exception:  # a damaged cache: keep only this run's entries
                files, cross = {}, {}
        else:
            files, cross = {}, {}
        files.update(self.new_files)
        cross.update(self.new_cross)
        if files == self.old_files and cross == self.old_cross and self.new_depsets == self.old_depsets:
            return  # nothing changed: no write
        data = {"format": FORMAT, "fingerprint": self.key, "files": files, "cross": cross,
                "depsets": self.new_depsets}
        self._write(self.path, data)

    def _write(self, path: str, data: dict[str, Any]) -> None:
        """Write ``data`` to ``path`` atomically, then prune old cache files."""
        if not self.usable:
            return
        try:
            os.makedirs(self.directory, exist_ok=True)
            _mark(self.directory)
            import tempfile

            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, separators=(",", ":"), default=str)
                os.replace(tmp, path)
            except BaseException:
                _remove(tmp)
                raise
            _prune(self.directory, keep=path)
        except OSError:
            pass  # a read-only checkout, a full disk: the run's result stands without a cache


def _renumber(cache: Cache, stored: Any, moved: dict[int, int]) -> Any:
    """An old result kept as it is, its dependency set (with its old hashes) copied over."""
    try:
        index = stored["deps"]
        old = cache.old_depsets[index]
    except (IndexError, KeyError, TypeError):
        return None
    if index not in moved:
        moved[index] = len(cache.new_depsets)
        cache.new_depsets.append(old)
    return {**stored, "deps": moved[index]}


def _kept_entries(cache: Cache) -> tuple[dict[str, Any], dict[str, Any]]:
    files: dict[str, Any] = {}
    moved = cache._moved
    for path, entry in cache.old_files.items():
        if path in cache.new_files or not isinstance(entry, dict):
            continue
        rules = {}
        for rule_id, stored in (entry.get("rules") or {}).items():
            rules[rule_id] = None if stored is None else _renumber(cache, stored, moved)
        files[path] = {**entry, "rules": {k: v for k, v in rules.items() if v is not None or
                                          (entry.get("rules") or {}).get(k) is None}}
    cross = {}
    for rule_id, stored in cache.old_cross.items():
        if rule_id not in cache.new_cross:
            renumbered = _renumber(cache, stored, moved)
            if renumbered is not None:
                cross[rule_id] = renumbered
    return files, cross


def _mark(directory: str) -> None:
    """Make the directory ignored by git and by backup tools, as ruff and pytest do."""
    for name, text in ((".gitignore", "# Created by preflight automatically.\n*\n"),
                       ("CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
                                        "# This file is a cache directory tag created by preflight.\n")):
        path = os.path.join(directory, name)
        if not os.path.lexists(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _prune(directory: str, keep: str) -> None:
    """Keep the newest KEEP_FINGERPRINTS cache files; remove temporary files older than an hour."""
    import time

    entries: dict[bool, list[tuple[bool, float, str]]] = {False: [], True: []}  # by: a run file?
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        if TEMPORARY.fullmatch(name):
            if time.time() - mtime > 3600:  # left by a run that was killed
                _remove(path)
        elif CACHE_FILE.fullmatch(name) or RUN_FILE.fullmatch(name):
            entries[bool(RUN_FILE.fullmatch(name))].append((path == keep, mtime, path))
    for kept in entries.values():
        kept.sort(reverse=True)
        for _, _, path in kept[KEEP_FINGERPRINTS:]:
            _remove(path)
