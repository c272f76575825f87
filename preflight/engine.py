"""Run a check: discover → classify → parse once → rules → suppress → result.

The engine knows no lesson. It imports a rule only when a file of a kind the rule reads is
present, parses each file at most once (and only when a selected rule reads its kind, or PF001
checks it as a deployment file),
calls each rule at the granularity it asks for, and turns every failure into a finding:
a file that cannot be read or parsed is PF001, a rule that raises is PF002.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from preflight.commands import COMMAND_KINDS
from preflight.config import ConfigError, Settings
from preflight.discover import Discovery, discover
from preflight.documents.base import Document
from preflight.facts import Repository
from preflight.model import FileKind, Finding, RunError, Severity, Span, Stats
from preflight.registry import Registry
from preflight.rule import Context, Rule
from preflight.selection import matches_any, selected_ids, validate_selectors
from preflight.suppress import Suppression, find_suppressions, suppressing

PARSE_ERROR, RULE_ERROR, UNUSED_SUPPRESSION = "PF001", "PF002", "PF003"
STEP_KINDS = frozenset({FileKind.WORKFLOW, FileKind.ACTION})
# Files a deployment is made of: PF001 checks that they parse even when no selected rule reads
# them. Other kinds (any YAML or TOML, Python, Markdown, ...) are parsed only for a rule that reads them.
DEPLOYMENT_KINDS = frozenset({FileKind.WORKFLOW, FileKind.ACTION, FileKind.COMPOSE, FileKind.DOCKERFILE,
                              FileKind.TERRAFORM, FileKind.PYPROJECT, FileKind.FLY_TOML, FileKind.POETRY_LOCK,
                              FileKind.PULUMI})


@dataclass
class CheckResult:
    root: str
    findings: list[Finding]
    errors: list[RunError]
    rules: list[Rule]
    stats: Stats = field(default_factory=Stats)
    base: object | None = None  # a preflight.gitbase.BaseSummary in `--base` mode
    # The decoded text of each file a finding points into (for fingerprints; see preflight.fingerprint).
    sources: dict[str, str] = field(default_factory=dict)

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
        self.checked: dict[str, set[str]] = {}  # path -> ids of rules that looked at it

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
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{os.path.basename(frame.filename)}:{frame.lineno}"
            self.pf(RULE_ERROR, Span(path, 1, 1),
                    f"rule {rule.id} ({rule.name}) failed on this file: {type(exc).__name__}: {exc} "
                    f"[{where}]; the other rules ran; please report this", Severity.ERROR)
            return
        self.findings.extend(produced)


def run_check(root: str, settings: Settings, registry: Registry,
              paths: list[str] | None = None, base: str | None = None, show_all: bool = False) -> CheckResult:
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
        if rule_id.startswith("PF") or not (_kinds_read(entry.kinds) & present):
            continue
        rule = registry.load(rule_id)
        if rule is not None:
            rules.append(rule)
    contexts = {rule.id: Context(rule, repo, _options(rule, settings)) for rule in rules}

    for ref in repo.files:
        interested = [r for r in rules if ref.kind in _kinds_read(r.kinds)]
        if not interested and ref.kind not in validate:
            continue
        if ref.kind is FileKind.YAML and not any(FileKind.YAML in r.kinds for r in interested) and \
                not repo.is_kubernetes(ref):
            continue  # wanted only if it is a manifest: an OpenAPI spec is not parsed for nothing
        doc = repo.document(ref)
        if doc is None:
            continue
        for rule in interested:
            if doc.kind in rule.kinds:
                _per_document(run, rule, doc, repo, contexts[rule.id])

    for rule in rules:
        if "check_repository" in rule.hooks:
            run.call(rule, "check_repository", repo, contexts[rule.id], ".")

    for problem in sorted(repo.problems.values(), key=lambda p: p.path):
        run.pf(PARSE_ERROR, Span(problem.path, problem.line, problem.column), problem.message, problem.severity)
    for skipped in discovery.skipped:
        run.pf(PARSE_ERROR, Span(skipped.path, 1, 1), f"{skipped.reason}; not checked", Severity.INFO)

    findings, suppressed = _suppress(run, repo)
    stats = Stats(files_discovered=len(repo.files), files_parsed=sum(1 for _ in _loaded(repo)),
                  rules_run=len(rules), suppressed=suppressed)
    for ref in repo.files:
        stats.by_kind[ref.kind.value] = stats.by_kind.get(ref.kind.value, 0) + 1
    findings.sort(key=Finding.sort_key)
    sources = {path: doc.text for path in {f.path for f in findings} if (doc := repo.loaded(path)) is not None}
    result = CheckResult(root, _dedupe(findings), list(registry.errors), rules, stats, sources=sources)
    if change is not None:
        repo.base.close()
        gitbase.apply(result, change, show_all)
    return result


def _options(rule: Rule, settings: Settings) -> dict[str, object]:
    options = rule.option_defaults()
    for key, value in settings.rules.get(rule.id, {}).items():
        if key not in options:
            known = ", ".join(sorted(options)) or "none"
            raise ConfigError(f"unknown option '{key}' for rule {rule.id} in [rules.{rule.id}]; known: {known}")
        options[key] = value
    return options


def _per_document(run: _Run, rule: Rule, doc: Document, repo: Repository, ctx: Context) -> None:
    run.checked.setdefault(doc.path, set()).add(rule.id)
    hooks = rule.hooks
    if "check_document" in hooks:
        run.call(rule, "check_document", doc, ctx, doc.path)
    if "check_command" in hooks and doc.kind in COMMAND_KINDS:
        _each(run, rule, "check_command", lambda: repo.commands(doc), ctx, doc.path)
    if "check_step" in hooks and doc.kind in STEP_KINDS:
        _each(run, rule, "check_step", lambda: doc.steps, ctx, doc.path)  # type: ignore[attr-defined]


def _each(run: _Run, rule: Rule, hook: str, items: Callable[[], list], ctx: Context, path: str) -> None:
    try:
        targets = items()
    except Exception as exc:  # the shared layer failed on this file: say so once, as PF002
        run.pf(RULE_ERROR, Span(path, 1, 1), f"could not extract {hook[6:]}s for rule {rule.id}: "
                                             f"{type(exc).__name__}: {exc}; please report this", Severity.ERROR)
        return
    for target in targets:
        run.call(rule, hook, target, ctx, path)


def _loaded(repo: Repository) -> Iterator[Document]:
    for ref in repo.files:
        doc = repo.loaded(ref.path)
        if doc is not None:
            yield doc


def _suppressions(doc: Document) -> list[Suppression]:
    blocks = getattr(doc, "code_blocks", None)
    fences = None if blocks is None else [(b.fence_line, b.end_line) for b in blocks]
    return find_suppressions(doc.text, fences)


def _suppress(run: _Run, repo: Repository) -> tuple[list[Finding], int]:
    """Apply per-file-ignores and inline comments; report inline comments that silenced nothing."""
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
            doc = repo.loaded(finding.path) if run.settings.inline_ignores else None
            comments[finding.path] = _suppressions(doc) if doc is not None else []
        suppression = suppressing(comments[finding.path], finding.rule_id, finding.span.line)
        if suppression is not None:
            suppression.used.add(finding.rule_id)
            suppressed += 1
            continue
        kept.append(finding)

    if UNUSED_SUPPRESSION in run.ids and run.settings.inline_ignores:
        for doc in _loaded(repo):
            found = comments.get(doc.path)
            if found is None:
                found = comments[doc.path] = _suppressions(doc)
            for suppression in found:
                for rule_id in suppression.ids:
                    if rule_id in suppression.used:
                        continue
                    if rule_id not in run.registry.entries:
                        message = f"suppression names unknown rule {rule_id}; remove it or fix the id"
                    elif rule_id in run.checked.get(doc.path, ()):
                        message = f"suppression of {rule_id} matches no finding; remove it"
                    else:
                        continue  # the rule did not run on this file: cannot tell
                    span = Span(doc.path, suppression.line, suppression.column)
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
