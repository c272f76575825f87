"""Version ranges as sets: does one range admit a version of another, Poetry constraints as PEP 440.

A constraint is a union of alternatives, each a :class:`VersionSet` (a PEP 440 specifier set: an
AND of clauses); ``None`` stands for "any version" (a package declared without a constraint). Used
by DEP001 (which versions a dependency table admits) and TOOL004 (which Pythons
``requires-python`` admits).

The ranges people write are nearly all plain releases (``>=4.0,<5``, ``==3.11.*``, ``~=1.4``), and
the versions tried against them are final releases. Those are decided here, by comparing release
numbers as PEP 440 says; anything else (pre-releases, epochs, local versions, ``===``) is handed
to ``packaging.specifiers``. That module is imported only then: it costs 20-30 ms, most of it
``packaging.tags`` (logging, subprocess, platform), which a small check would otherwise pay on
every run. ``tests/test_dep_specifiers.py`` checks both paths against ``packaging``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

HUGE = 10**9

# A clause this module decides itself: a plain release (no leading zeros, no epoch, pre, post, dev
# or local part), a wildcard only after == or !=, and ~= with at least two numbers.
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


Constraint = tuple[VersionSet, ...]  # alternatives (OR); () admits nothing


def parse_pep440(text: str) -> Constraint | None:
    """A PEP 440 specifier (``>=4.0,<5``) as a constraint; None when it is not valid PEP 440."""
    version_set = _version_set(text)
    return None if version_set is None else (version_set,)


def _version_set(text: str) -> VersionSet | None:
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


def poetry_to_pep440(text: str) -> Constraint | None:
    """A Poetry constraint (``^3.11``, ``~1.7``, ``1.2.*``, ``>=1,<2 || 3.0``) as PEP 440 alternatives.

    None when it cannot be read (the caller then treats the package as unconstrained).
    """
    alternatives = []
    for alternative in re.split(r"\s*\|\|?\s*", text.strip()):
        clauses = [c for c in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", alternative.strip()) if c]
        if not clauses or clauses == ["*"]:
            alternatives.append(VersionSet((), ()))
            continue
        converted = []
        for clause in clauses:
            pep = _poetry_clause(clause.replace(" ", ""))
            if pep is None:
                return None
            converted.extend(pep)
        version_set = _version_set(",".join(converted))
        if version_set is None:
            return None
        alternatives.append(version_set)
    return tuple(alternatives)


def _poetry_clause(clause: str) -> list[str] | None:
    if clause in ("*", ""):
        return []
    if clause.startswith("^"):
        release = _release(clause[1:])
        if release is None:
            return None
        # ^1.2.3 -> <2; ^0.2.3 -> <0.3; ^0.0.3 -> <0.0.4; ^0 -> <1
        index = next((i for i, part in enumerate(release) if part != 0), len(release) - 1)
        upper = list(release[:index + 1])
        upper[index] += 1
        return [f">={clause[1:]}", f"<{'.'.join(map(str, upper))}"]
    if clause.startswith("~") and not clause.startswith("~="):
        release = _release(clause[1:])
        if release is None:
            return None
        # ~1.2.3 -> <1.3; ~1.2 -> <1.3; ~1 -> <2
        upper = list(release[:2]) if len(release) > 1 else [release[0]]
        upper[-1] += 1
        return [f">={clause[1:]}", f"<{'.'.join(map(str, upper))}"]
    if clause[0].isdigit():
        return [f"=={clause}"]
    if clause.startswith("=") and not clause.startswith("=="):
        return [f"={clause}"]
    return [clause]


def _release(text: str) -> tuple[int, ...] | None:
    try:
        return Version(text).release
    except InvalidVersion:
        return None


def combine(a: Constraint | None, b: Constraint | None) -> Constraint | None:
    """Both constraints at once (AND); None is "any version"."""
    if a is None:
        return b
    if b is None:
        return a
    return tuple(x & y for x in a for y in b)


def admits_any(a: Constraint | None, b: Constraint | None, extra: Iterable[str] = ()) -> bool:
    """Whether some final release satisfies both ``a`` and ``b``.

    The versions a specifier set admits form intervals whose ends are the versions its clauses
    name; so if two sets meet, they meet at one of those ends or just above or below one. Those
    probe versions (plus ``extra``, e.g. known releases) are tried against both sets.
    """
    return _admits_any(a, b, tuple(extra))


@lru_cache(maxsize=4096)  # a monorepo repeats the same constraints in every project
def _admits_any(a: Constraint | None, b: Constraint | None, extra: tuple[str, ...]) -> bool:
    left = a if a is not None else (VersionSet((), ()),)
    right = b if b is not None else (VersionSet((), ()),)
    probes = _probes([*left, *right], extra)
    return any(x.contains(p, prereleases=False) and y.contains(p, prereleases=False)
               for x in left for y in right for p in probes)


def admitted(constraint: Constraint | None, version: str) -> bool:
    """Whether ``constraint`` admits ``version`` (a release such as "3.12" or "4.0.1")."""
    if constraint is None:
        return True
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False
    return any(s.contains(parsed, prereleases=True) for s in constraint)


def _bounds(spec: Clause) -> list[tuple[int, ...]]:
    text = spec.version
    if spec.operator == "===":
        return []
    wildcard = text.endswith(".*")
    release = _release(text[:-2] if wildcard else text)
    if release is None:
        return []
    found = [release]
    if wildcard:  # ==4.1.* spans [4.1, 4.2)
        found.append(release[:-1] + (release[-1] + 1,))
    elif spec.operator == "~=" and len(release) > 1:  # ~=4.1.2 spans [4.1.2, 4.2)
        upper = release[:-1]
        found.append(upper[:-1] + (upper[-1] + 1,))
    return found


def _probes(sets: Sequence[VersionSet], extra: Iterable[str]) -> list[Version]:
    bounds = [b for s in sets for spec in s for b in _bounds(spec)]
    for text in extra:
        release = _release(text)
        if release is not None:
            bounds.append(release)
    width = max((len(b) for b in bounds), default=1) + 1
    probes = {Version("0"), Version(str(HUGE))}
    for bound in bounds:
        padded = list(bound) + [0] * (width - len(bound))
        probes.add(Version(".".join(map(str, padded))))
        probes.add(Version(".".join(map(str, padded + [1]))))  # just above: nothing else in between
        below = _just_below(padded)
        if below is not None:
            probes.add(Version(".".join(map(str, below))))
    return sorted(probes)


def _just_below(release: list[int]) -> list[int] | None:
    for index in range(len(release) - 1, -1, -1):
        if release[index] > 0:
            return release[:index] + [release[index] - 1] + [HUGE] * (len(release) - index)
    return None
