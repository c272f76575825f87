"""One registry for built-in rules and plugins.

Built-in rules are listed explicitly in ``preflight_rules.BUILTIN`` (a code table, like ruff's),
each with the file kinds it needs, so a rule module is imported only when the run needs it.
Plugins add rules through the ``preflight.rules`` entry-point group; an entry point names a module
that follows the same contract as a built-in rule module (see :mod:`preflight.rule`).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from preflight.model import FileKind, RunError
from preflight.rule import Rule, RuleDefinitionError, rule_from_module

if TYPE_CHECKING:  # pragma: no cover
    from preflight.config import Settings

ENTRY_POINT_GROUP = "preflight.rules"
DEFAULT_RULES_DIR = os.path.join(".preflight", "rules")  # team rules, under the scanned root


class RuleEntry(NamedTuple):
    """A rule known by id before its module is imported."""

    id: str
    module: str
    kinds: frozenset[FileKind]
    default_enabled: bool = True
    builtin: bool = True
    needs_base: bool = False  # tagged ``needs-base``: silent without `--base REF`, so not even imported


@dataclass
class Registry:
    """The rules known by id; each module is imported on first use."""

    entries: dict[str, RuleEntry] = field(default_factory=dict)
    errors: list[RunError] = field(default_factory=list)
    _loaded: dict[str, Rule] = field(default_factory=dict)

    def add(self, entry: RuleEntry) -> None:
        if entry.id in self.entries:
            self.errors.append(RunError(f"rule {entry.id} from {entry.module} is already defined by "
                                        f"{self.entries[entry.id].module}; ignored", entry.module))
            return
        self.entries[entry.id] = entry

    def add_rule(self, rule: Rule, builtin: bool = False) -> None:
        self.add(RuleEntry(rule.id, rule.module, rule.kinds, rule.meta.default_enabled, builtin,
                           "needs-base" in rule.meta.tags))
        self._loaded.setdefault(rule.id, rule)

    def ids(self) -> list[str]:
        return sorted(self.entries)

    def load(self, rule_id: str) -> Rule | None:
        """Import the rule's module (once); None, with a RunError, if it is broken."""
        if rule_id in self._loaded:
            return self._loaded[rule_id]
        entry = self.entries[rule_id]
        try:
            rule = rule_from_module(importlib.import_module(entry.module))
        except Exception as exc:  # a broken plugin must not stop the built-in rules
            self.errors.append(RunError(f"rule {rule_id} could not be loaded from {entry.module}: "
                                        f"{type(exc).__name__}: {exc}", entry.module))
            self._loaded[rule_id] = None  # type: ignore[assignment]
            return None
        if rule.id != rule_id:
            self.errors.append(RunError(f"{entry.module} declares {rule.id}, registered as {rule_id}",
                                        entry.module))
        self._loaded[rule_id] = rule
        return rule

    def load_all(self, ids: Iterable[str] | None = None) -> list[Rule]:
        rules = [self.load(i) for i in (self.ids() if ids is None else ids)]
        return [r for r in rules if r is not None]


def builtin_registry() -> Registry:
    from preflight_rules import BUILTIN, NEEDS_BASE

    registry = Registry()
    for rule_id, (module, kinds, default_enabled) in BUILTIN.items():
        registry.add(RuleEntry(rule_id, f"preflight_rules.{module}", frozenset(kinds), default_enabled,
                               needs_base=rule_id in NEEDS_BASE))
    return registry


def load_registry(plugins: bool = True, root: str | None = None, settings: Settings | None = None) -> Registry:
    """Built-in rules, plugins and, given the scanned ``root``, the project's declarative rules
    (a function of ``root`` and ``settings`` only; see :mod:`preflight.declarative`)."""
    registry = builtin_registry()
    if plugins:
        _add_entry_points(registry)
    if root is not None and (getattr(settings, "rules_dir", None) or
                             os.path.isdir(os.path.join(root, DEFAULT_RULES_DIR))):
        from preflight.declarative import add_declarative_rules  # only for a project with team rules

        add_declarative_rules(registry, root, settings)
    return registry


def _may_have_entry_points() -> bool:
    """Whether an installed distribution may declare ``preflight.rules`` entry points. Reading
    ``entry_points.txt`` of every distribution on ``sys.path`` directly costs about a millisecond;
    importing :mod:`importlib.metadata` and asking it costs 30-40 ms of every run's start, so it is
    asked only when a distribution names the group (or a path entry is not a plain directory, such
    as a zip file, which only it can read)."""
    marker = f"[{ENTRY_POINT_GROUP}]"
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [e.name for e in listing if e.name.endswith((".dist-info", ".egg-info"))]
        except NotADirectoryError:
            return True
        except OSError:
            continue
        for name in names:
            try:
                with open(os.path.join(entry or ".", name, "entry_points.txt"), encoding="utf-8",
                          errors="replace") as handle:
                    if marker in handle.read():
                        return True
            except OSError:
                continue
    return False


def _add_entry_points(registry: Registry) -> None:
    if not _may_have_entry_points():
        return
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = importlib.import_module(ep.value.split(":")[0])
            rule = rule_from_module(module)
        except (Exception, RuleDefinitionError) as exc:
            registry.errors.append(RunError(f"plugin rule {ep.name!r} ({ep.value}) could not be loaded: "
                                            f"{type(exc).__name__}: {exc}", ep.value))
            continue
        if rule.id in registry.entries:
            registry.errors.append(RunError(f"plugin rule {rule.id} ({ep.value}) clashes with an existing "
                                            "rule id; ignored", ep.value))
            continue
        registry.add_rule(rule)
