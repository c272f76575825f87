"""Version ranges as sets: does one range admit a version of another, Poetry constraints as PEP 440.

A constraint is a union of alternatives, each a :class:`VersionSet` (a PEP 440 specifier set: an
AND of clauses); ``None`` stands for "any version" (a package declared without a constraint). Used
by DEP001 (which versions a dependency table admits) and TOOL004 (which Pythons
``requires-python`` admits).

The sets are :mod:`preflight.versions`'s: plain release ranges are decided without importing
``packaging.specifiers``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from packaging.version import InvalidVersion, Version

from preflight.versions import Clause, VersionSet, version_set

HUGE = 10**9
Constraint = tuple[VersionSet, ...]  # alternatives (OR); () admits nothing


def parse_pep440(text: str) -> Constraint | None:
    """A PEP 440 specifier (``>=4.0,<5``) as a constraint; None when it is not valid PEP 440."""
    parsed = version_set(text)
    return None if parsed is None else (parsed,)


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
        parsed = version_set(",".join(converted))
        if parsed is None:
            return None
        alternatives.append(parsed)
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
