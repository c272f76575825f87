"""``preflight why "<error message>"``: which lessons explain an error seen in production.

Every rule's metadata lists ``symptoms``, the error messages people saw when the lesson was
learnt. A pasted message is matched against them, and with less weight against the rule's
lesson, summary and name:

- both sides are normalised: case, quotes (``'x'``, ``"x"``, backticks and typographic quotes are
  one), whitespace, and words are split at punctuation and camel case (``ContainerConfig`` also
  gives ``container`` and ``config``); a handful of filler words are dropped;
- a symptom scores by the weighted share of tokens it has in common with the message, counted
  both ways (how much of the message the symptom explains, how much of the symptom the message
  shows), so a partial message and a whole traceback around the message both match; each token
  weighs by its rarity across all rules (``ContainerConfig`` says more than ``error``), and a
  message that shares only a common word or two with a symptom counts for less;
- a symptom found inside the message, or the message inside a symptom, scores a bonus;
- the lesson, summary and name count for half, by how much of the message they explain.

Scores run from 0 to 1 (a symptom pasted whole); results are ranked by score, then rule id. Nothing is executed and nothing leaves the machine.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from preflight.rule import Rule

SUBSTRING_BONUS = 0.5
MIN_SCORE = 0.35 / (1 + SUBSTRING_BONUS)  # scores are 0..1
TEXT_WEIGHT = 0.5
FILLER = frozenset({"a", "an", "the", "of", "to", "in", "on", "at", "by", "for", "with", "is", "are", "was",
                    "be", "and", "or", "it", "its", "this", "that", "s", "t"})
_QUOTES = str.maketrans({c: "'" for c in "\"`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u00b4"})
_WORD = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def normalise(text: str) -> str:
    """Lower case, one kind of quote, single spaces."""
    return " ".join(text.translate(_QUOTES).lower().split())


def tokens(text: str) -> set[str]:
    """The words of ``text`` (``can't`` is ``cant``), with the parts of camel-case words."""
    text = re.sub(r"(?<=[A-Za-z])['\u2019](?=[A-Za-z])", "", text)
    found: set[str] = set()
    for word in _WORD.findall(text):
        found.add(word.lower())
        parts = _CAMEL.findall(word)
        if len(parts) > 1:
            found.update(p.lower() for p in parts)
    return found - FILLER


@dataclass
class Match:
    rule: Rule
    score: float
    symptom: str | None  # the symptom that matched best, None when only the lesson text did
    findings: list | None = field(default=None)  # with --check: the repository's findings of the rule
    checked: bool = False  # with --check: whether the rule had files to read


class Index:
    """The symptoms and texts of a set of rules, with token weights, ready to match messages."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = sorted(rules, key=lambda r: r.id)
        self._symptoms = {r.id: [(s, normalise(s), tokens(s)) for s in r.meta.symptoms] for r in self.rules}
        self._texts = {r.id: tokens(" ".join((r.meta.lesson, r.meta.summary, r.name.replace("-", " "))))
                       for r in self.rules}
        df: Counter[str] = Counter()
        for rule in self.rules:
            words = set(self._texts[rule.id])
            for _, _, symptom_tokens in self._symptoms[rule.id]:
                words |= symptom_tokens
            df.update(words)
        total = max(len(self.rules), 1)
        self._idf = {word: math.log(1 + total / count) for word, count in df.items()}
        self._unseen = math.log(1 + total)  # a word no rule uses: as rare as can be
        # What a message must have in common with a symptom to count in full: two fairly rare words.
        # One common word ("error") explains a message of one word, but says little.
        self._enough = 2 * math.log(1 + total / 3)

    def weight(self, words: Iterable[str]) -> float:
        return sum(self._idf.get(w, self._unseen) for w in words)

    def score(self, rule: Rule, message: str) -> tuple[float, str | None]:
        text, words = normalise(message), tokens(message)
        if not words:
            return 0.0, None
        total = self.weight(words)
        best, best_symptom = 0.0, None
        for symptom, normal, symptom_words in self._symptoms[rule.id]:
            if not symptom_words:
                continue
            common = self.weight(words & symptom_words)
            explained = common / total * min(1.0, common / self._enough)
            shown = common / self.weight(symptom_words)
            score = (explained + shown) / 2
            if (len(normal) >= 8 and normal in text) or (len(text) >= 8 and text in normal):
                score += SUBSTRING_BONUS
            if score > best:
                best, best_symptom = score, symptom
        common = self.weight(words & self._texts[rule.id])
        lesson = TEXT_WEIGHT * common / total * min(1.0, common / self._enough)
        if lesson > best:
            return lesson / (1 + SUBSTRING_BONUS), None
        return best / (1 + SUBSTRING_BONUS), best_symptom

    def search(self, message: str, limit: int = 5, min_score: float = MIN_SCORE) -> list[Match]:
        matches = []
        for rule in self.rules:
            score, symptom = self.score(rule, message)
            if score >= min_score:
                matches.append(Match(rule, round(score, 3), symptom))
        matches.sort(key=lambda m: (-m.score, m.rule.id))
        return matches[:limit]


def attach_findings(matches: list[Match], root: str, settings, registry, paths=None) -> None:  # type: ignore[no-untyped-def]
    """Run the engine with only the matched rules selected and attach each rule's findings."""
    from preflight.engine import run_check

    if not matches:
        return
    settings.select = [m.rule.id for m in matches]
    settings.extend_select = []
    result = run_check(root, settings, registry, paths)
    ran = {r.id for r in result.rules}
    for match in matches:
        match.checked = match.rule.id in ran
        match.findings = [f for f in result.findings if f.rule_id == match.rule.id]
    return None


def render_text(message: str, matches: list[Match], checked: bool) -> str:
    from preflight.report import printable

    if not matches:
        return f"No lesson matches {printable(message.strip())[:200]!r}; 'preflight rules' lists them all.\n"
    lines: list[str] = []
    for match in matches:
        rule = match.rule
        lines.append(f"{rule.id} {rule.name} ({rule.severity}, score {match.score:.2f})")
        lines.append(f"  lesson:  {rule.meta.lesson}")
        if match.symptom:
            lines.append(f"  symptom: {match.symptom}")
        if checked:
            if not match.checked:
                lines.append("  here:    not checked (no file of the kinds it reads)")
            elif not match.findings:
                lines.append("  here:    no findings")
            else:
                count = len(match.findings)
                lines.append(f"  here:    {count} finding{'' if count == 1 else 's'}")
                for finding in match.findings[:5]:
                    lines.append(f"    {printable(finding.path)}:{finding.span.line}:{finding.span.column}: "
                                 f"{printable(finding.message)}")
                if count > 5:
                    lines.append(f"    ... and {count - 5} more")
        lines.append(f"  details: preflight explain {rule.id}")
        lines.append("")
    return "\n".join(lines)


def render_json(message: str, matches: list[Match], checked: bool) -> str:
    import json

    from preflight.report.json import finding_dict

    items = []
    for match in matches:
        rule = match.rule
        item = {"rule": rule.id, "name": rule.name, "severity": str(rule.severity), "score": match.score,
                "symptom": match.symptom, "lesson": rule.meta.lesson, "summary": rule.meta.summary,
                "source": rule.meta.source}
        if checked:
            item["checked"] = match.checked
            item["findings"] = [finding_dict(f) for f in match.findings or []]
        items.append(item)
    return json.dumps({"version": 1, "message": message, "matches": items}, indent=2) + "\n"
