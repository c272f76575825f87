"""Declarative rules: a team's lessons as YAML files in ``.preflight/rules/``, run like built-in rules.

Each ``*.yml`` / ``*.yaml`` file defines one rule (the schema is in docs/declarative-rules.md):
metadata as a built-in rule has it (id in a user namespace, name, severity, summary, lesson,
symptoms, docs) and one or more matchers (:mod:`preflight.declarative.matchers`). Each file
becomes a :class:`~preflight.rule.Rule` with ``check_command`` / ``check_document`` hooks, added
to the registry like a plugin rule, so selection, suppressions, reports and ``explain`` treat it
as any other rule.

Loading is a pure function of (root, settings): the same files give the same rules, in file-name
order, so a worker process rebuilding the registry gets the same one. A file that cannot be read
or is not valid is a run error naming the file and line (exit code 2, like a broken plugin); the
other rules, built-in or declarative, still run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from preflight.declarative.spec import RuleFileError, RuleSpec, check_rule_id, parse_rule_file
from preflight.model import FileKind, Finding, RunError
from preflight.registry import DEFAULT_RULES_DIR
from preflight.rule import Context, Rule, RuleMeta

if TYPE_CHECKING:  # pragma: no cover
    from preflight.declarative.matchers import Matcher
    from preflight.config import Settings
    from preflight.registry import Registry

__all__ = ["DEFAULT_RULES_DIR", "RuleFileError", "RuleSpec", "add_declarative_rules", "check_rule_id",
           "load_directory", "rule_from_spec", "rules_dir"]

SUFFIXES = (".yml", ".yaml")


def rules_dir(root: str, settings: Settings | None) -> str:
    """The directory of declarative rules: ``rules-dir`` of the configuration, relative to the
    configuration file, else ``.preflight/rules`` under the scanned root."""
    configured = getattr(settings, "rules_dir", None) if settings is not None else None
    if configured:
        base = os.path.dirname(os.path.abspath(settings.source)) if settings and settings.source else root
        return os.path.normpath(os.path.join(base, configured))
    return os.path.join(root, DEFAULT_RULES_DIR)


def _shown(path: str, root: str) -> str:
    relative = os.path.relpath(path, root)
    return path if relative.startswith("..") else relative.replace(os.sep, "/")


def rule_files(directory: str) -> list[str]:
    """The rule files of ``directory`` (not recursive, hidden files skipped), in name order."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names
            if n.endswith(SUFFIXES) and not n.startswith(".") and os.path.isfile(os.path.join(directory, n))]


def load_directory(directory: str, root: str) -> tuple[list[tuple[RuleSpec, Rule]], list[RunError]]:
    """Every valid rule of ``directory`` and a run error for each file that is not."""
    loaded: list[tuple[RuleSpec, Rule]] = []
    errors: list[RunError] = []
    seen: dict[str, str] = {}
    for path in rule_files(directory):
        shown = _shown(path, root)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(RunError(f"rule file {shown} could not be read: {exc}", shown))
            continue
        try:
            spec = parse_rule_file(shown, text)
        except RuleFileError as exc:
            errors.append(RunError(f"rule file {exc}; the rule is not loaded", shown))
            continue
        if spec.id in seen:
            errors.append(RunError(f"rule file {shown}:{spec.line}: rule id {spec.id} is already defined by "
                                   f"{seen[spec.id]}; ignored", shown))
            continue
        seen[spec.id] = shown
        try:
            rule = rule_from_spec(spec)
        except RuleFileError as exc:
            errors.append(RunError(f"rule file {exc}; the rule is not loaded", shown))
            continue
        loaded.append((spec, rule))
    return loaded, errors


def rule_from_spec(spec: RuleSpec) -> Rule:
    """A :class:`Rule` whose hooks run the spec's matchers."""
    from preflight.declarative.matchers import ALLOWED_KINDS, build  # only when a project has rules

    default_message = spec.message or spec.summary
    matchers: list[Matcher] = []
    for matcher_spec in spec.matchers:
        matcher = build(matcher_spec, default_message)
        outside = matcher.kinds - ALLOWED_KINDS[matcher.type]
        if outside:
            raise RuleFileError(spec.path, matcher_spec.line,
                                f"a {matcher.type} matcher cannot read {', '.join(sorted(k.value for k in outside))} "
                                f"files; it reads {', '.join(sorted(k.value for k in ALLOWED_KINDS[matcher.type]))}")
        matchers.append(matcher)
    kinds: frozenset[FileKind] = frozenset().union(*(m.kinds for m in matchers))
    meta = RuleMeta(id=spec.id, name=spec.name, severity=spec.severity, kinds=kinds, summary=spec.summary,
                    source=spec.source, lesson=spec.lesson, symptoms=spec.symptoms, default_enabled=spec.enabled,
                    tags=spec.tags)
    by_command = [m for m in matchers if m.type == "command"]
    by_document = [m for m in matchers if m.type != "command"]
    hooks = {}
    if by_command:
        def check_command(cmd, ctx: Context) -> Iterator[Finding]:
            for matcher in by_command:
                yield from matcher.check_command(cmd, ctx)

        hooks["check_command"] = check_command
    if by_document:
        def check_document(doc, ctx: Context) -> Iterator[Finding]:
            for matcher in by_document:
                yield from matcher.check_document(doc, ctx)

        hooks["check_document"] = check_document
    return Rule(meta=meta, docs=spec.docs or _default_docs(spec), module=spec.path, hooks=hooks)


def _default_docs(spec: RuleSpec) -> str:
    return (f"## What it catches\n{spec.summary}.\n\n## Why it matters\n{spec.lesson}\n\n"
            f"Defined by the team rule file `{spec.path}`.\n")


def add_declarative_rules(registry: Registry, root: str, settings: Settings | None) -> None:
    """Add the rules of the project's rules directory to ``registry``; problems become run errors."""
    directory = rules_dir(root, settings)
    configured = settings is not None and getattr(settings, "rules_dir", None)
    if configured and not os.path.isdir(directory):
        registry.errors.append(RunError(f"rules-dir {_shown(directory, root)} is not a directory "
                                        f"(from {settings.source or 'the configuration'})", directory))
        return
    loaded, errors = load_directory(directory, root)
    registry.errors.extend(errors)
    for spec, rule in loaded:
        if rule.id in registry.entries:
            registry.errors.append(RunError(f"rule file {spec.path}:{spec.line}: rule id {rule.id} is already "
                                            f"defined by {registry.entries[rule.id].module}; ignored", spec.path))
            continue
        registry.add_rule(rule)
