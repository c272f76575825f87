"""PEP 440 specifier sets (``>=4.0,<5``, ``==3.11.*``) that decide plain releases themselves.

The ranges people write are nearly all plain releases, and the versions tried against them are
final releases. Those are decided here, by comparing release numbers as PEP 440 says; anything
else (pre-releases, epochs, local versions, ``===``) is handed to ``packaging.specifiers``. That
module is imported only then: it costs 20-30 ms, most of it ``packaging.tags`` (logging,
subprocess, platform) through ``packaging.utils``, which a small check would otherwise pay on every
run. ``tests/test_dep_specifiers.py`` checks both paths against ``packaging``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

# A clause decided here: a plain release (no leading zeros, no epoch, pre, post, dev or local
# part), a wildcard only after == or !=, and ~= with at least two numbers.
_SIMPLE = re.compile(r"(==|!=|<=|>=|<|>|~=)\s*((?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*)(\.\*)?")
_OPERATOR = re.compile(r"(===|~=|==|!=|<=|>=|<|>)\s*(.*)", re.DOTALL)


class Clause(NamedTuple):
    """One clause of a set, as ``packaging``'s ``Specifier`` names its parts (``>=`` and ``4.0``)."""

    operator: str
    version: str

    def __str__(self) -> str:
        return self.operator + self.version


class _Plain(NamedTuple):  # a simple clause, read for comparison
    operator: str
    release: tuple[int, ...]  # trailing zeros stripped (3.10.0 -> (3, 10))
    prefix: tuple[int, ...]  # as written: the prefix of a wildcard, the release ~= keeps all but the last of
    wildcard: bool


class VersionSet:
    """A PEP 440 specifier set (clauses that must all hold), compared and hashed by its clauses.

    ``plain`` holds the clauses read for comparison when every clause is a plain release; otherwise
    it is None and ``packaging``'s ``SpecifierSet`` decides (made on first use).
    """

    __slots__ = ("clauses", "plain", "_full", "_key")

    def __init__(self, clauses: tuple[Clause, ...], plain: tuple[_Plain, ...] | None,
                 full: SpecifierSet | None = None) -> None:
        self.clauses = clauses
        self.plain = plain
        self._full = full
        self._key = frozenset(clauses)

    def __iter__(self) -> Iterator[Clause]:
        return iter(self.clauses)

    def __len__(self) -> int:
        return len(self.clauses)

    def __str__(self) -> str:
        return ",".join(sorted(set(map(str, self.clauses))))

    def __repr__(self) -> str:
        return f"<VersionSet({str(self)!r})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VersionSet) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __and__(self, other: VersionSet) -> VersionSet:
        plain = self.plain + other.plain if self.plain is not None and other.plain is not None else None
        return VersionSet(self.clauses + other.clauses, plain)

    def contains(self, version: Version, prereleases: bool = False) -> bool:
        """Whether ``version`` satisfies every clause (a pre-release only if ``prereleases``)."""
        if self.plain is not None and _is_final(version):
            release = _strip(version.release)
            return all(_holds(clause, release) for clause in self.plain)
        return self._specifier_set().contains(version, prereleases=prereleases)

    def _specifier_set(self) -> SpecifierSet:
        if self._full is None:
            from packaging.specifiers import SpecifierSet

            self._full = SpecifierSet(",".join(map(str, self.clauses)))
        return self._full


def version_set(text: str) -> VersionSet | None:
    """A PEP 440 specifier set (``>=4.0,<5``; "" for any version); None when it is not valid PEP 440."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    read = [_plain(part) for part in parts]
    if None not in read:
        return VersionSet(tuple(r[0] for r in read), tuple(r[1] for r in read))  # type: ignore[index]
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        full = SpecifierSet(text.strip())
    except InvalidSpecifier:
        return None
    clauses = []
    for part in parts:
        match = _OPERATOR.fullmatch(part)
        if match is None:  # SpecifierSet read it, so it has an operator
            return None
        clauses.append(Clause(match[1], match[2].strip()))
    return VersionSet(tuple(clauses), None, full)


def _plain(text: str) -> tuple[Clause, _Plain] | None:
    match = _SIMPLE.fullmatch(text)
    if match is None:
        return None
    operator, release_text, wildcard = match[1], match[2], bool(match[3])
    if wildcard and operator not in ("==", "!="):
        return None
    written = tuple(int(part) for part in release_text.split("."))
    clause = Clause(operator, release_text + (".*" if wildcard else ""))
    if operator == "~=":
        if len(written) < 2:
            return None
        return clause, _Plain(operator, _strip(written), written[:-1], False)
    return clause, _Plain(operator, _strip(written), written, wildcard)


def _is_final(version: Version) -> bool:
    return (version.epoch == 0 and version.pre is None and version.post is None and version.dev is None
            and version.local is None)


def _strip(release: tuple[int, ...]) -> tuple[int, ...]:
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return release[:end]


def _holds(clause: _Plain, release: tuple[int, ...]) -> bool:
    """PEP 440 for a final release against a plain clause. ``release`` and ``clause.release`` have
    no trailing zeros, so comparing the tuples is comparing the versions padded with zeros."""
    operator = clause.operator
    if operator == ">=":
        return release >= clause.release
    if operator == "<":
        return release < clause.release
    if operator == "<=":
        return release <= clause.release
    if operator == ">":
        return release > clause.release
    if operator == "~=":
        return release >= clause.release and _starts_with(release, clause.prefix)
    same = _starts_with(release, clause.prefix) if clause.wildcard else release == clause.release
    return same if operator == "==" else not same


def _starts_with(release: tuple[int, ...], prefix: tuple[int, ...]) -> bool:
    """``==prefix.*``: the release, padded with zeros to the prefix's length, begins with it."""
    padded = release + (0,) * (len(prefix) - len(release))
    return padded[:len(prefix)] == prefix
