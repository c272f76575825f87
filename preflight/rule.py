"""What a rule is: its metadata, its docs page, and the hooks the engine calls.

A rule module defines ``RULE = RuleMeta(...)``, a module docstring (its docs page) and one or more
hook functions, each a small pure function of one parsed thing:

- ``check_document(doc, ctx)``  — a whole parsed document of one of ``RULE.kinds``
- ``check_command(cmd, ctx)``   — every shell command found in documents of those kinds
- ``check_step(step, ctx)``     — every step of a GitHub workflow or composite action
- ``check_repository(repo, ctx)`` — once per run, for cross-file rules reading repository facts

Each hook yields :class:`~preflight.model.Finding` objects made with ``ctx.finding(...)``.

A module whose per-file hooks ask for repository facts (``ctx.repo.fact(f)``) may name them in
``FACTS = (f, ...)``: the engine then computes them before it checks files, while the documents
they read are still held, instead of when the first file asks (when some of those documents may
already have been checked, let go, and would be parsed again). It changes no result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from preflight.model import FileKind, Finding, Fix, Severity, Span

if TYPE_CHECKING:  # pragma: no cover
    from preflight.facts import Repository

HOOKS = ("check_document", "check_command", "check_step", "check_repository")
RULE_ID = re.compile(r"^[A-Z][A-Z0-9-]*[0-9]{3}$")


@dataclass(frozen=True)
class Option:
    """A per-rule setting users may give under ``[tool.preflight.rules.<ID>]``."""

    name: str
    default: Any
    help: str


@dataclass(frozen=True)
class RuleMeta:
    """What a rule module declares about itself (its ``RULE``)."""

    id: str
    name: str
    severity: Severity
    kinds: frozenset[FileKind]
    summary: str
    source: str  # the seed and section the lesson comes from
    lesson: str  # the lesson in one or two sentences
    symptoms: tuple[str, ...] = ()  # error messages people saw, for `preflight why`
    default_enabled: bool = True
    options: tuple[Option, ...] = ()
    tags: tuple[str, ...] = ()
    fixable: bool = False


@dataclass(frozen=True, eq=False)
class Rule:
    """A loaded rule: metadata, docs page and hooks, whether built in or from a plugin."""

    meta: RuleMeta
    docs: str
    module: str
    hooks: Mapping[str, Callable[..., Iterator[Finding]]] = field(default_factory=dict)
    facts: tuple[Callable[..., Any], ...] = ()  # facts its per-file hooks ask for (module's FACTS)

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def severity(self) -> Severity:
        return self.meta.severity

    @property
    def kinds(self) -> frozenset[FileKind]:
        return self.meta.kinds

    def option_defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.meta.options}


class RuleDefinitionError(Exception):
    """A rule module that does not follow the contract above."""


def rule_from_module(module: ModuleType) -> Rule:
    meta = getattr(module, "RULE", None)
    if not isinstance(meta, RuleMeta):
        raise RuleDefinitionError(f"{module.__name__} defines no RULE = RuleMeta(...)")
    if not RULE_ID.match(meta.id):
        raise RuleDefinitionError(f"{module.__name__}: rule id {meta.id!r} is not like ABC123")
    hooks = {name: getattr(module, name) for name in HOOKS if callable(getattr(module, name, None))}
    if not hooks and not meta.id.startswith("PF"):  # PF rules are reported by the engine itself
        raise RuleDefinitionError(f"{module.__name__} defines none of {', '.join(HOOKS)}")
    facts = getattr(module, "FACTS", ())
    if not isinstance(facts, (tuple, list)) or not all(callable(f) for f in facts):
        raise RuleDefinitionError(f"{module.__name__}: FACTS must be a tuple of fact functions")
    return Rule(meta=meta, docs=(module.__doc__ or "").strip(), module=module.__name__, hooks=hooks,
                facts=tuple(facts))


@dataclass(frozen=True, eq=False)
class Context:
    """What a hook gets besides the thing it checks: the repository and its rule's options."""

    rule: Rule
    repo: Repository
    options: Mapping[str, Any]

    def finding(self, span: Span, message: str, *, fix: Fix | None = None,
                severity: Severity | None = None) -> Finding:
        return Finding(
            rule_id=self.rule.id,
            span=span,
            message=message,
            severity=severity or self.rule.severity,
            fix=fix,
            name=self.rule.name,
        )
