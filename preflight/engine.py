"""Run a check: discover → classify → parse once → rules → suppress → result.

The engine knows no lesson. It imports a rule only when a file of a kind the rule reads is
present, parses each file at most once (and only when a selected rule reads its kind, or PF001
checks it as a deployment file),
calls each rule at the granularity it asks for, and turns every failure into a finding:
a file that cannot be read or parsed is PF001, a rule that raises is PF002.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from preflight import parallel
from preflight.config import ConfigError, Settings
from preflight.depends import Deps, FileRecord, RepoView, RuleResult
from preflight.discover import Discovery, FileRef, discover
from preflight.documents.base import Document
from preflight.facts import Repository
from preflight.model import FileKind, Finding, RunError, Severity, Span, Stats
from preflight.registry import Registry
from preflight.rule import Context, Rule
from preflight.selection import matches_any, selected_ids, validate_selectors
from preflight.suppress import Suppression, find_suppressions, suppressing

if TYPE_CHECKING:  # pragma: no cover
    from preflight.cache import Cache

PARSE_ERROR, RULE_ERROR, UNUSED_SUPPRESSION = "PF001", "PF002", "PF003"
STEP_KINDS = frozenset({FileKind.WORKFLOW, FileKind.ACTION})
# Files a deployment is made of: PF001 checks that they parse even when no selected rule reads
# them. Other kinds (any YAML or TOML, Python, Markdown, ...) are parsed only for a rule that reads them.
DEPLOYMENT_KINDS = frozenset({FileKind.WORKFLOW, FileKind.ACTION, FileKind.COMPOSE, FileKind.DOCKERFILE,
                              FileKind.TERRAFORM, FileKind.PYPROJECT, FileKind.FLY_TOML, FileKind.POETRY_LOCK,
                              FileKind.PULUMI})


@dataclass
class CheckResult:
    """What a check found: findings in output order, internal errors, the rules run."""

    root: str
    findings: list[Finding]
    errors: list[RunError]
    rules: list[Rule]
    stats: Stats = field(default_factory=Stats)
    base: object | None = None  # a preflight.gitbase.BaseSummary in `--base` mode
    # Reads the decoded text of each file a finding points into (see ``sources``); None: no text.
    read_sources: Callable[[], dict[str, str]] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def sources(self) -> dict[str, str]:
        """The decoded text of each file a finding points into, for fingerprints (SARIF, GitLab,
        baselines; see preflight.fingerprint), read on first use: text and JSON output need none,
        and reading thousands of files again at the end of a large run cost time and memory."""
        return self.read_sources() if self.read_sources is not None else {}

    def failing(self, level: Severity) -> list[Finding]:
        # With `--base --all`, findings the change did not bring are shown but do not fail.
        return [f for f in self.findings if f.severity >= level and f.new is not False]


def _kinds_read(kinds: frozenset[FileKind]) -> frozenset[FileKind]:
    """The discovered kinds whose files a rule of ``kinds`` may need."""
    if FileKind.KUBERNETES in kinds:
        return kinds | {FileKind.YAML}  # manifests are told apart from other YAML by their content
    return kinds


class _Run:
    def __init__(self, root: str, settings: Settings, registry: Registry, ids: list[str]) -> None:
        self.root = root
        self.settings = settings
        self.registry = registry
        self.ids = ids
        self.findings: list[Finding] = []
        # path -> ids of rules that looked at it (for unused suppressions). Files of one kind are
        # mostly looked at by the same rules: the sets are shared (a set of 5 to 18 ids is 728
        # bytes; one per file was about 15 MB at 20,000 files).
        self.checked: dict[str, frozenset[str]] = {}

    def pf(self, rule_id: str, span: Span, message: str, severity: Severity) -> None:
        if rule_id in self.ids:
            names = {PARSE_ERROR: "unparseable-file", RULE_ERROR: "rule-error",
                     UNUSED_SUPPRESSION: "unused-suppression"}
            self.findings.append(Finding(rule_id, span, message, severity, name=names[rule_id]))

    def call(self, rule: Rule, hook: str, target: object, ctx: Context, path: str) -> None:
        try:
            produced = list(rule.hooks[hook](target, ctx))
        except ConfigError:  # a rule option with a bad value: a usage error, said once (exit 2)
            raise
        except Exception as exc:  # one rule's bug must not stop the others
            import traceback

            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
            self.pf(RULE_ERROR, Span(path, 1, 1),
                    f"rule {rule.id} ({rule.name}) failed on this file: {type(exc).__name__}: {exc} "
                    f"[{where}]; the other rules ran; please report this", Severity.ERROR)
            return
        self.findings.extend(produced)


# The cyclic garbage collector's thresholds during a run. A run makes millions of objects that
# live until it ends (syntax trees, YAML and TOML nodes) and few cycles; at Python's default (700)
# the collector ran 1,500 times and took 2.2 s of a 12 s run on the 5,000-file bench repository,
# at (50000, 20) 32 times and 0.65 s, at (50000, 100) 0.33 s (middle-generation passes gone; 1.40
# instead of 2.59 s at 20,000 files), for the same peak memory. Turned off, it would cost 76 MB
# more at 20,000 files: released documents do hold cycles. Restored when the run ends.
GC_THRESHOLD = (50_000, 100, 100)


def run_check(root: str, settings: Settings, registry: Registry,
              paths: list[str] | None = None, base: str | None = None, show_all: bool = False, *,
              jobs: int = 1, use_cache: bool = False) -> CheckResult:
    """Check ``root`` (or ``paths`` under it). ``jobs`` > 1 checks files in that many processes
    when the work is big enough (the result is the same); ``use_cache`` reads and writes
    ``.preflight_cache/`` under ``root`` (see :mod:`preflight.cache`), unless ``settings.cache`` is off."""
    import gc

    threshold = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(threshold, GC_THRESHOLD, strict=True)))
    try:
        return _run_check(root, settings, registry, paths, base, show_all, jobs=jobs, use_cache=use_cache)
    finally:
        gc.set_threshold(*threshold)


def _run_check(root: str, settings: Settings, registry: Registry, paths: list[str] | None, base: str | None,
               show_all: bool, *, jobs: int, use_cache: bool) -> CheckResult:
    import time

    started = time.time_ns()  # before discovery: files changed after this are not trusted by stamp
    known = registry.ids()
    for where, selectors in (("select", settings.select or []), ("extend-select", settings.extend_select),
                             ("ignore", settings.ignore)):
        validate_selectors(selectors, known, where)
    for glob, ids in settings.per_file_ignores.items():
        validate_selectors(ids, known, f"per-file-ignores '{glob}'")
    for rule_id in settings.rules:
        if rule_id not in registry.entries:
            raise ConfigError(f"options given for unknown rule '{rule_id}' in [rules]")

    ids = selected_ids(registry.entries.values(), settings)
    use_cache = use_cache and settings.cache
    validate = DEPLOYMENT_KINDS if PARSE_ERROR in ids else frozenset()
    # A file that a selected rule needed but could not read is always said (like a syntax error
    # in ruff), unless PF001/PF002 are ignored outright; only an unselected PF001 stops validating.
    for engine_rule in (PARSE_ERROR, RULE_ERROR):
        if engine_rule not in ids and not matches_any(settings.ignore, engine_rule):
            ids.append(engine_rule)
    try:
        discovery: Discovery = discover(root, paths, exclude=settings.exclude,
                                        respect_gitignore=settings.respect_gitignore,
                                        max_file_size=settings.max_file_size)
    except ValueError as exc:  # an `exclude` pattern that is not a valid gitignore pattern
        raise ConfigError(f"exclude: {exc}") from None
    repo = Repository(root, discovery.files)
    run = _Run(root, settings, registry, ids)
    present = {f.kind for f in repo.files}
    change = None
    if base is not None:  # `--base REF`: the base revision as repo.base, a filter at the end
        from preflight import gitbase

        change = gitbase.open_change(root, base, settings, paths)
        repo.base = gitbase.base_repository(change)
        present |= {f.kind for f in repo.base.files}  # a rule about deleted files runs too

    rules: list[Rule] = []
    for rule_id in ids:
        entry = registry.entries[rule_id]
        if rule_id.startswith("PF") or not (_kinds_read(entry.kinds) & present) or (entry.needs_base and base is None):
            continue
        rule = registry.load(rule_id)
        if rule is not None:
            rules.append(rule)
    view = RepoView(repo)  # what rules see as ctx.repo: records what each result read
    contexts = {rule.id: Context(rule, view, _options(rule, settings)) for rule in rules}
    store = None
    if use_cache:
        store = _open_cache(root, settings, registry, rules, contexts, ids, repo, paths, started)
        replayed = store.replay(discovery, _run_settings(settings)) if change is None else None
        if replayed is not None:  # nothing changed since the recorded run: its findings, no file read
            findings, counts, problem_paths = replayed
            stats = _stats(repo, rules, **counts)
            return CheckResult(root, findings, list(registry.errors), rules, stats,
                               read_sources=_sources(repo, {f.path for f in findings}, problem_paths))

    plan: list[tuple[FileRef, list[str]]] = []
    wanted: dict[FileKind, list[str]] = {}  # the ids of the rules that read a kind: one list per kind, shared
    yaml_read = any(FileKind.YAML in r.kinds for r in rules)
    for ref in repo.files:
        interested = wanted.get(ref.kind)
        if interested is None:
            interested = wanted[ref.kind] = [r.id for r in rules if ref.kind in _kinds_read(r.kinds)]
        if not interested and ref.kind not in validate:
            continue
        if ref.kind is FileKind.YAML and not yaml_read and not repo.is_kubernetes(ref):
            continue  # wanted only if it is a manifest: an OpenAPI spec is not parsed for nothing
        plan.append((ref, interested))

    work = _Work(run, repo, view, {r.id: r for r in rules}, contexts)
    served: dict[str, dict[str, RuleResult | None]] = {}
    records: dict[str, FileRecord] = {}
    todo: list[tuple[FileRef, list[str]]] = []
    for ref, rule_ids in plan:
        if store is not None:
            found = store.file_results(ref.path, ref.kind.value, rule_ids)
            if found:  # a file the cache has nothing for keeps the kind's shared list of rule ids
                served[ref.path] = found
            missing = [i for i in rule_ids if i not in found] if found else rule_ids
            record = store.record(ref.path, ref.kind.value)
            if not missing and record is not None:
                records[ref.path] = record
                continue
            rule_ids = missing
        todo.append((ref, rule_ids))

    cross: dict[str, RuleResult] = {}
    cross_todo: list[str] = []
    for rule in rules:
        if "check_repository" in rule.hooks:
            result = store.cross_result(rule.id) if store is not None else None
            if result is None:
                cross_todo.append(rule.id)
            else:
                cross[rule.id] = result

    computed: dict[str, Mapping[str, RuleResult | None]] = {}
    groups = _groups(rules, cross_todo, todo, jobs) if change is None else None
    if groups:  # each group of rules whole in its own process, at the same time
        work.inherited = set(work.records())
        for group_cross, group_files, group_records in parallel.run_groups(work.run_group, groups):
            cross.update(group_cross)
            for path, results in group_files.items():  # a file some rules of two groups read: both
                computed[path] = {**computed[path], **results} if path in computed else results
            records.update(group_records)
    else:
        # Cross-file rules first, in this process: the documents they parse and the facts they
        # compute are then shared with the workers, which fork from here, instead of being made
        # once per worker.
        for phase_cross, phase_todo in _phases(work, cross_todo, todo, jobs):
            for rule_id in phase_cross:
                rule = work.rules[rule_id]
                cross[rule_id] = work.result(lambda rule=rule: run.call(  # type: ignore[misc]
                    rule, "check_repository", view, contexts[rule.id], "."))
            work.inherited = set(work.records())
            pending = parallel.start(work.check_files, phase_todo, [ref.size for ref, _ in phase_todo], jobs)
            for chunk_results, chunk_records in pending.get():
                computed.update(chunk_results)
                records.update(chunk_records)
        view.forget_facts()  # every rule is done
    cross = {rule.id: cross[rule.id] for rule in rules if rule.id in cross}  # in rule order
    if store is not None:
        for rule_id, result in cross.items():
            store.put_cross_result(rule_id, result)
    records.update(work.records())  # files parsed here: by the cross-file rules, or all of them with one job
    seen: set[int] = set()  # dependency parts whose files were looked at
    for result in cross.values():
        _add_dep_records(result, records, store, seen)

    shared: dict[frozenset[str], frozenset[str]] = {}
    for ref, _ in plan:
        results = {**served.get(ref.path, {}), **computed.get(ref.path, {})}
        checked = []
        for rule_id in [r.id for r in rules if r.id in results]:  # in rule order, like one process
            result = results[rule_id]
            if result is None:
                continue
            checked.append(rule_id)
            run.findings.extend(result.findings)
            _add_dep_records(result, records, store, seen)
        if checked:
            run.checked[ref.path] = shared.setdefault(frozenset(checked), frozenset(checked))
        if store is not None:
            for rule_id, result in computed.get(ref.path, {}).items():
                store.put_file_result(ref.path, rule_id, result)
            for rule_id, result in served.get(ref.path, {}).items():
                store.put_file_result(ref.path, rule_id, result)
    for result in cross.values():
        run.findings.extend(result.findings)

    problems = {p: r.problem for p, r in records.items() if r.problem is not None}
    for path in sorted(problems):
        problem = problems[path]
        run.pf(PARSE_ERROR, Span(problem.path, problem.line, problem.column), problem.message, problem.severity)
    for skipped in discovery.skipped:
        run.pf(PARSE_ERROR, Span(skipped.path, 1, 1), f"{skipped.reason}; not checked", Severity.INFO)
    if store is not None:
        for path, record in records.items():
            store.put_record(path, record)
        store.save()

    findings, suppressed = _suppress(run, repo, records)
    stats = _stats(repo, rules, files_parsed=sum(1 for r in records.values() if r.suppressions is not None),
                   suppressed=suppressed, files_cached=len(plan) - len(todo))
    findings.sort(key=Finding.sort_key)
    findings = _dedupe(findings)
    if store is not None and change is None:
        results = [*cross.values(), *(r for per_file in (served, computed) for by_rule in per_file.values()
                                      for r in by_rule.values() if r is not None)]
        if any(r.deps.opaque for r in results):
            store.forget_run()
        else:
            store.save_run(discovery, _run_settings(settings), findings, sorted(problems),
                           {"files_parsed": stats.files_parsed, "suppressed": suppressed, "files_cached": len(plan)},
                           uses_git=any(r.deps.git for r in results))
    result = CheckResult(root, findings, list(registry.errors), rules, stats,
                         read_sources=_sources(repo, {f.path for f in findings}, set(problems)))
    if change is not None:
        repo.base.close()
        gitbase.apply(result, change, show_all)
    return result


class _FileResults(Mapping[str, "RuleResult | None"]):
    """The results of one file's rules, {rule id: result or None}: the list of rule ids every file
    of the kind shares, and a tuple of results. A dict per file (16 entries for a Python module:
    464 bytes) becomes a tuple (168 bytes), and there is less to send from a worker."""

    __slots__ = ("_ids", "_values")

    def __init__(self, ids: Sequence[str], values: tuple[RuleResult | None, ...]) -> None:
        self._ids, self._values = ids, values

    def __getitem__(self, rule_id: str) -> RuleResult | None:
        try:
            return self._values[self._ids.index(rule_id)]
        except ValueError:
            raise KeyError(rule_id) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __reduce__(self) -> tuple[type, tuple[Sequence[str], tuple[RuleResult | None, ...]]]:
        return _FileResults, (self._ids, self._values)


class _Work:
    """Per-file work (in this process or a worker) and the results of single rules with what they read."""

    def __init__(self, run: _Run, repo: Repository, view: RepoView, rules: dict[str, Rule],
                 contexts: dict[str, Context]) -> None:
        self.run, self.repo, self.view, self.rules, self.contexts = run, repo, view, rules, contexts
        self._records: dict[str, FileRecord] = {}
        self.inherited: set[str] = set()  # files parsed before the workers were started
        self._empty: dict[tuple[str, bool], RuleResult] = {}  # shared results of calls that found nothing

    def result(self, call: Callable[[], None], path: str | None = None) -> RuleResult:
        """What ``call`` (one hook call, or the calls of one rule on the file ``path``) produced
        and read. Most calls on a file find nothing and read only that file: they share one result."""
        start = len(self.run.findings)
        self.view.begin()
        try:
            call()
        finally:
            deps = self.view.end()
        if path is not None and len(self.run.findings) == start and not deps.facts and not deps.lists \
                and not deps.opaque and not deps.git and deps.files <= {path} and path not in self.repo.problems:
            key = (path, bool(deps.files))
            if key not in self._empty:
                self._empty[key] = RuleResult([], Deps({path}) if deps.files else Deps(), {})
            return self._empty[key]
        findings = self.run.findings[start:]
        del self.run.findings[start:]
        problems = deps.problems(self.repo.problems)
        return RuleResult(findings, deps, problems)

    def run_group(self, group: tuple[list[str], list[tuple[FileRef, list[str]]]]) -> tuple[dict, dict, dict]:
        """A group of rules (see :func:`_groups`) whole: their cross-file hooks, then their per-file
        hooks; the results of both, and the files parsed."""
        cross: dict[str, RuleResult] = {}
        out: dict[str, Mapping[str, RuleResult | None]] = {}
        records: dict[str, FileRecord] = {}
        for cross_ids, items in _python_first(self, *group):  # as one process does (see _phases)
            for rule_id in cross_ids:
                rule = self.rules[rule_id]
                cross[rule_id] = self.result(lambda rule=rule: self.run.call(  # type: ignore[misc]
                    rule, "check_repository", self.view, self.contexts[rule.id], "."))
            phase_out, phase_records = self.check_files(items)
            out.update(phase_out)
            records.update(phase_records)
        self.view.forget_facts()  # every rule of the group is done: before the results are sent or taken in
        return cross, out, records

    def check_files(self, items: list[tuple[FileRef, list[str]]]) -> tuple[dict, dict[str, FileRecord]]:
        """Parse each file and run the per-file hooks of its rules: {path: {rule id: result or None}}
        (None: the rule does not apply to what the file turned out to be), and the files parsed."""
        out: dict[str, Mapping[str, RuleResult | None]] = {}
        self._prefetch(items)
        for ref, rule_ids in items:
            doc = self.repo.document(ref)
            results: list[RuleResult | None] = []
            for rule_id in rule_ids:
                rule = self.rules[rule_id]
                if doc is None or doc.kind not in rule.kinds:
                    results.append(None)
                    continue
                results.append(self.result(lambda rule=rule, doc=doc: _per_document(  # type: ignore[misc]
                    self.run, rule, doc, self.repo, self.contexts[rule.id]), ref.path))
            out[ref.path] = _FileResults(rule_ids, tuple(results))
            if doc is not None:  # every rule of this process has checked it: keep its record, let it go
                self._record(ref.path, doc)
                self.repo.release(ref.path)
        return out, {p: r for p, r in self.records().items() if p not in self.inherited}

    def _prefetch(self, items: list[tuple[FileRef, list[str]]]) -> None:
        """Compute the facts the per-file hooks of these items name (Rule.facts) before any file is
        checked and let go. A fact that fails is left for the hook that asks for it (PF002 there)."""
        wanted = {rule_id for _, rule_ids in items for rule_id in rule_ids}
        for rule_id, rule in self.rules.items():
            if rule_id in wanted:
                for compute in rule.facts:
                    try:
                        self.view.fact(compute)
                    except Exception:  # noqa: S112  # said by the hook that asks for it
                        continue

    def _record(self, path: str, doc: Document) -> None:
        if path not in self._records:
            self._records[path] = FileRecord(None, _suppressions(doc))

    def records(self) -> dict[str, FileRecord]:
        """The parse outcome of every file parsed in this process so far."""
        for ref in self.repo.files:
            if ref.path in self._records:
                continue
            if ref.path in self.repo.problems:
                self._records[ref.path] = FileRecord(self.repo.problems[ref.path], None)
            else:
                doc = self.repo.kept(ref.path)
                if doc is not None:
                    self._record(ref.path, doc)
        return dict(self._records)


# Relative cost of a byte of each kind (parse, commands, rules), estimated from profiles of the benchmark
# repository: YAML and TOML parsers are slow per byte, shell-like files have their commands extracted.
_KIND_WEIGHT = {FileKind.WORKFLOW: 2.0, FileKind.ACTION: 2.0, FileKind.COMPOSE: 2.0, FileKind.KUBERNETES: 2.0,
                FileKind.PULUMI: 2.0, FileKind.YAML: 2.0, FileKind.PYPROJECT: 2.0, FileKind.POETRY_LOCK: 2.0,
                FileKind.TOML: 2.0, FileKind.FLY_TOML: 2.0, FileKind.TERRAFORM: 1.5, FileKind.SHELL: 1.5,
                FileKind.MAKEFILE: 1.5, FileKind.DOCKERFILE: 1.5, FileKind.PYTHON: 1.0}


def _groups(rules: list[Rule], cross_todo: list[str], todo: list[tuple[FileRef, list[str]]],
            jobs: int) -> list[tuple[list[str], list[tuple[FileRef, list[str]]]]] | None:
    """With several jobs and enough work, the rules split into groups that run whole in one process
    each (:func:`preflight.parallel.plan_groups`): (cross-file rule ids, per-file work items) per
    group. None when the split would give one group: then cross-file rules run here and the
    per-file work is cut into chunks instead."""
    if not parallel.worth_it(jobs, [ref.size for ref, _ in todo]):
        return None
    kind_cost: dict[FileKind, float] = {}
    for ref, _ in todo:
        kind_cost[ref.kind] = kind_cost.get(ref.kind, 0.0) + ref.size * _KIND_WEIGHT.get(ref.kind, 1.0)
    pending = set(cross_todo) | {rule_id for _, ids in todo for rule_id in ids}
    rule_kinds = {r.id: _kinds_read(r.kinds) for r in rules if r.id in pending}
    planned = parallel.plan_groups(rule_kinds, kind_cost, jobs)
    if len(planned) < 2:
        return None
    owner = {rule_id: n for n, members in enumerate(planned) for rule_id in members}
    by_id = {r.id: r for r in rules}
    items: list[list[tuple[FileRef, list[str]]]] = [[] for _ in planned]
    for ref, ids in todo:
        # A rule with per-file hooks checks the file in its own group. A cross-file rule only
        # marks the file as looked at (for unused-suppression reports): in a group that parses the
        # file anyway when there is one, so the file is not parsed twice for that.
        share: dict[int, list[str]] = {}
        for rule_id in ids:
            if _per_file(by_id[rule_id]):
                share.setdefault(owner[rule_id], []).append(rule_id)
        for rule_id in ids:
            if not _per_file(by_id[rule_id]):
                share.setdefault(min(share) if share else owner[rule_id], []).append(rule_id)
        if not share:  # a deployment file no rule reads: parsed (PF001) in the first group
            share[0] = []
        for n, group_ids in share.items():
            items[n].append((ref, [i for i in ids if i in group_ids]))
    return [([i for i in cross_todo if owner[i] == n], items[n]) for n in range(len(planned))]


def _phases(work: _Work, cross_todo: list[str], todo: list[tuple[FileRef, list[str]]],
            jobs: int) -> list[tuple[list[str], list[tuple[FileRef, list[str]]]]]:
    """The cross-file rules and per-file work in the order this process does them. All in this
    process: the Python files first (the cross-file rules that read Python, then the Python files),
    then the rest. Python's syntax trees are the bulk of a run's memory, and the facts per-file
    hooks ask for need every module: they are let go before the other kinds are parsed, instead of
    being held with them (peak RSS at 20,000 files: 608 -> 512 MB). With workers, one phase."""
    if parallel.worth_it(jobs, [ref.size for ref, _ in todo]):
        return [(cross_todo, todo)]
    return _python_first(work, cross_todo, todo)


def _python_first(work: _Work, cross_todo: list[str], todo: list[tuple[FileRef, list[str]]],
                  ) -> list[tuple[list[str], list[tuple[FileRef, list[str]]]]]:
    """The cross-file rules that read Python and the Python files, then the rest (see _phases)."""
    python = [i for i in cross_todo if FileKind.PYTHON in _kinds_read(work.rules[i].kinds)]
    first = [item for item in todo if item[0].kind is FileKind.PYTHON]
    return [(python, first), ([i for i in cross_todo if i not in python],
                              [item for item in todo if item[0].kind is not FileKind.PYTHON])]


def _per_file(rule: Rule) -> bool:
    return any(hook in rule.hooks for hook in ("check_document", "check_command", "check_step"))


def _open_cache(root: str, settings: Settings, registry: Registry, rules: list[Rule],
                contexts: dict[str, Context], ids: list[str], repo: Repository,
                paths: list[str] | None, started: int) -> Cache:
    options = {rule.id: dict(contexts[rule.id].options) for rule in rules}
    from preflight.cache import Cache, fingerprint

    builtin = {rule_id: entry.builtin for rule_id, entry in registry.entries.items()}
    key, uncacheable = fingerprint(rules, builtin, options, ids)
    return Cache(root, key, repo, uncacheable, partial=paths is not None, started=started)


def _stats(repo: Repository, rules: list[Rule], *, files_parsed: int, suppressed: int, files_cached: int) -> Stats:
    stats = Stats(files_discovered=len(repo.files), files_parsed=files_parsed, rules_run=len(rules),
                  suppressed=suppressed, files_cached=files_cached)
    for ref in repo.files:
        stats.by_kind[ref.kind.value] = stats.by_kind.get(ref.kind.value, 0) + 1
    return stats


def _run_settings(settings: Settings) -> dict[str, object]:
    """The settings a recorded run's findings depend on beyond the cache fingerprint (discovery,
    per-file-ignores, inline comments): a replay needs them unchanged."""
    from dataclasses import asdict

    return {k: v for k, v in asdict(settings).items() if k not in ("cache", "source", "fail_on")}


def _files_once(result: RuleResult, seen: set[int]) -> Iterator[str]:
    """The files ``result`` read, skipping the parts (shared facts) an earlier call went through."""
    for part in result.deps.parts():
        if id(part) not in seen:
            seen.add(id(part))
            yield from part.files


def _add_dep_records(result: RuleResult | None, records: dict[str, FileRecord], store: Cache | None,
                     seen: set[int]) -> None:
    """The parse outcomes of the files a result served from the cache read (their PF001s and
    suppression comments count as if they had been parsed in this run)."""
    if result is None or store is None:
        return
    for path in _files_once(result, seen):
        if path not in records and path in store.by_path:
            record = store.record(path, store.by_path[path].kind.value)
            if record is not None:
                records[path] = record


def _sources(repo: Repository, paths: set[str], problems: set[str]) -> Callable[[], dict[str, str]]:
    """What reads the decoded text of each file a finding points into, for fingerprints, but for
    the files that did not parse (``problems``, wherever they were parsed). The text of a document
    still held is taken now; a file parsed in a worker, let go, or served from the cache is read
    again when the text is asked for, for this only (rules never re-read), so a finding's
    fingerprint does not depend on --jobs or the cache. The repository itself is not kept."""
    refs = {ref.path: ref for ref in repo.files}
    held: dict[str, str] = {}
    to_read: list[FileRef] = []
    for path in sorted(paths - problems):
        doc = repo.kept(path)
        if doc is not None:
            held[path] = doc.text
        elif path in refs and path not in repo.problems:
            to_read.append(refs[path])

    def read() -> dict[str, str]:
        from preflight.documents import read_text

        sources = dict(held)
        for ref in to_read:
            text = read_text(ref.path, ref.abspath)
            if isinstance(text, str):
                sources[ref.path] = text
        return dict(sorted(sources.items()))

    return read


def _options(rule: Rule, settings: Settings) -> dict[str, object]:
    options = rule.option_defaults()
    for key, value in settings.rules.get(rule.id, {}).items():
        if key not in options:
            known = ", ".join(sorted(options)) or "none"
            raise ConfigError(f"unknown option '{key}' for rule {rule.id} in [rules.{rule.id}]; known: {known}")
        options[key] = value
    return options


def _per_document(run: _Run, rule: Rule, doc: Document, repo: Repository, ctx: Context) -> None:
    hooks = rule.hooks
    if "check_document" in hooks:
        run.call(rule, "check_document", doc, ctx, doc.path)
    if "check_command" in hooks and doc.kind in _command_kinds():
        _each(run, rule, "check_command", lambda: repo.commands(doc), ctx, doc.path)
    if "check_step" in hooks and doc.kind in STEP_KINDS:
        _each(run, rule, "check_step", lambda: doc.steps, ctx, doc.path)  # type: ignore[attr-defined]


def _command_kinds() -> frozenset[FileKind]:
    from preflight.commands import COMMAND_KINDS  # the shell layer is imported when a rule needs it

    return COMMAND_KINDS


def _each(run: _Run, rule: Rule, hook: str, items: Callable[[], list], ctx: Context, path: str) -> None:
    try:
        targets = items()
    except Exception as exc:  # the shared layer failed on this file: say so once, as PF002
        run.pf(RULE_ERROR, Span(path, 1, 1), f"could not extract {hook[6:]}s for rule {rule.id}: "
                                             f"{type(exc).__name__}: {exc}; please report this", Severity.ERROR)
        return
    for target in targets:
        run.call(rule, hook, target, ctx, path)


def _suppressions(doc: Document) -> list[Suppression]:
    blocks = getattr(doc, "code_blocks", None)
    fences = None if blocks is None else [(b.fence_line, b.end_line) for b in blocks]
    return find_suppressions(doc.text, fences)


def _suppress(run: _Run, repo: Repository, records: dict[str, FileRecord]) -> tuple[list[Finding], int]:
    """Apply per-file-ignores and inline comments; report inline comments that silenced nothing."""
    per_file = []
    if run.settings.per_file_ignores:
        import pathspec

        per_file = [(pathspec.GitIgnoreSpec.from_lines([glob]), ids)
                    for glob, ids in run.settings.per_file_ignores.items()]
    comments: dict[str, list[Suppression]] = {}
    kept: list[Finding] = []
    suppressed = 0
    for finding in run.findings:
        if any(spec.match_file(finding.path) and matches_any(ids, finding.rule_id) for spec, ids in per_file):
            suppressed += 1
            continue
        if finding.path not in comments:
            record = records.get(finding.path) if run.settings.inline_ignores else None
            comments[finding.path] = (record.suppressions or []) if record is not None else []
        suppression = suppressing(comments[finding.path], finding.rule_id, finding.span.line)
        if suppression is not None:
            suppression.used.add(finding.rule_id)
            suppressed += 1
            continue
        kept.append(finding)

    if UNUSED_SUPPRESSION in run.ids and run.settings.inline_ignores:
        for ref in repo.files:
            record = records.get(ref.path)
            if record is None or record.suppressions is None:
                continue  # not parsed in this run (nor in the cached run it stands for)
            found = comments.setdefault(ref.path, record.suppressions)
            for suppression in found:
                for rule_id in suppression.ids:
                    if rule_id in suppression.used:
                        continue
                    if rule_id not in run.registry.entries:
                        message = f"suppression names unknown rule {rule_id}; remove it or fix the id"
                    elif rule_id in run.checked.get(ref.path, ()):
                        message = f"suppression of {rule_id} matches no finding; remove it"
                    else:
                        continue  # the rule did not run on this file: cannot tell
                    span = Span(ref.path, suppression.line, suppression.column)
                    if suppressing(found, UNUSED_SUPPRESSION, suppression.line) is None:
                        kept.append(Finding(UNUSED_SUPPRESSION, span, message, Severity.INFO,
                                            name="unused-suppression"))
    return kept, suppressed


def _dedupe(findings: list[Finding]) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple] = set()
    for finding in findings:
        key = (finding.rule_id, finding.span, finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out
