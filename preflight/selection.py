"""Which rules run: select / extend-select / ignore by id or prefix, the most specific winning.

Like ruff: ``--select DC --ignore DC001`` runs DC but DC001; ``--ignore DC --select DC001`` runs
only DC001 of the family, since the exact id is more specific than the prefix. Without ``select``
every rule that is on by default runs; a rule that is off by default runs when a selector names it.
"""

from __future__ import annotations

from collections.abc import Iterable

from preflight.config import ConfigError, Settings
from preflight.registry import RuleEntry


def _matches(selector: str, rule_id: str) -> bool:
    return selector == "ALL" or rule_id.startswith(selector)


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


def validate_selectors(selectors: Iterable[str], known: Iterable[str], where: str) -> None:
    ids = list(known)
    for selector in selectors:
        if not any(_matches(selector, rule_id) for rule_id in ids):
            raise ConfigError(f"unknown rule or prefix '{selector}' in {where}; "
                              "'preflight rules' lists the rules")


def selected_ids(entries: Iterable[RuleEntry], settings: Settings) -> list[str]:
    chosen = []
    for entry in entries:
        scores = [_specificity(s) for s in (settings.select or []) + settings.extend_select
                  if _matches(s, entry.id)]
        if settings.select is None and entry.default_enabled:
            scores.append(-1)  # on by default: the weakest reason to run
        if not scores:
            continue
        ignored = [_specificity(s) for s in settings.ignore if _matches(s, entry.id)]
        if not ignored or max(ignored) < max(scores):
            chosen.append(entry.id)
    return sorted(chosen)


def matches_any(selectors: Iterable[str], rule_id: str) -> bool:
    return any(_matches(s, rule_id) for s in selectors)
