"""## What it catches
Dependency declarations that admit a combination of versions known to break, from a data file of
known conflicts (`rules/data/known_conflicts.toml`) that you can extend. The built-in entry is
the seed's: `passlib` 1.7.x with `bcrypt` 4.1 or newer.

A range is judged by whether it admits a bad version, not by what is installed today:

- `bcrypt>=4.0`, `bcrypt>=4.0.1,<5.0.0` or `bcrypt = "^4.0"` next to `passlib` 1.7 is reported at
  the `bcrypt` line; `bcrypt==4.0.1`, `bcrypt<4.1` and `bcrypt~=4.0.1` are fine;
- `passlib[bcrypt]` with no `bcrypt` constraint at all admits the newest `bcrypt`: reported at the
  `passlib` line. Plain `passlib` (no extra) without `bcrypt` installs no `bcrypt` and is fine;
- a `poetry.lock` that locks both at a breaking pair is reported at the locked `bcrypt`.

Sources: requirements files, `pyproject.toml` (`[project]` dependencies and optional
dependencies, `[dependency-groups]`, `[tool.poetry.dependencies]` and its groups, with Poetry's
`^`/`~`/`*` read as PEP 440) and `poetry.lock`. All requirements files and the `pyproject.toml` of
one directory (plus a `requirements/` directory inside it) are one environment: a constraint in
`requirements-dev.txt` counts for `requirements.txt` too. A lock file is judged on its own.

It cannot see `uv.lock`, constraints passed on the command line (`pip install -c`), packages
pulled in by other packages without a declaration or a lock file, nor conflicts missing from the
data file.

## Why it matters
The lesson from seed 002 ("passlib + bcrypt Version Conflict"): with `passlib[bcrypt]==1.7.4`
and `bcrypt>=4.0.1,<5.0.0`, the resolver picked bcrypt 4.1+, whose changed internals passlib 1.7
does not expect. Password hashing failed with

    ValueError: password: max_secret_size of 72 bytes exceeded

(also seen as "password cannot be longer than 72 bytes"). The team ripped out passlib and
hand-rolled bcrypt calls, losing `CryptContext`'s hash migration and scheme deprecation. The
actual fix was one line: pin `bcrypt==4.0.1`, the last release passlib 1.7.4 works with.

## Example
```text
# requirements.txt
fastapi==0.115.0
passlib[bcrypt]==1.7.4
bcrypt>=4.0.1,<5.0.0
```

## Use instead
```text
# requirements.txt
fastapi==0.115.0
passlib[bcrypt]==1.7.4
bcrypt==4.0.1  # passlib 1.7 breaks with bcrypt 4.1+
```

## Fix
Pin the other package to a version that works (`bcrypt==4.0.1`), in the same place you declare
the first one, and re-lock.

Options: `extend-conflicts` adds entries to the table of known conflicts (an entry with the id of
a built-in one replaces it), `conflicts` replaces the table:

```toml
[tool.preflight.rules.DEP001.extend-conflicts.acme-sdk-urllib3]
package = "acme-sdk"
affected = "<3"
other = "urllib3"
bad = ">=2"
symptom = "ImportError: cannot import name 'DEFAULT_CIPHERS'"
fix = "urllib3<2"
```
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from preflight.data import data_options, load_data, merged
from preflight.documents.requirements import normalise
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight_rules.dep.facts import Declaration, Environment, environments
from preflight_rules.dep.specifiers import Constraint, admits_any, admitted, combine, parse_pep440

RULE = RuleMeta(
    id="DEP001",
    name="known-incompatible-versions",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.REQUIREMENTS, FileKind.PYPROJECT, FileKind.POETRY_LOCK}),
    summary="Dependency ranges admit a combination of versions known to break",
    source='seed 002 "passlib + bcrypt Version Conflict"',
    lesson="passlib 1.7 breaks with bcrypt 4.1+, and a bcrypt range let the resolver pick one; pin the "
           "version that works (bcrypt==4.0.1) instead of ripping the library out.",
    symptoms=("ValueError: password: max_secret_size of 72 bytes exceeded",
              "password cannot be longer than 72 bytes"),
    options=data_options("conflicts", "table of known conflicts"),
    tags=("dependencies", "pinning", "python"),
)


class Conflict(NamedTuple):
    """One entry of the table of known conflicts, its ranges read."""

    package: str
    affected: Constraint | None
    affected_text: str
    other: str
    bad: Constraint
    bad_text: str
    extra: str | None
    symptom: str
    fix: str
    seen: tuple[str, ...]


def conflicts(options: Mapping[str, Any]) -> list[Conflict]:
    table = merged(load_data("known_conflicts")["conflicts"], options, "conflicts")
    found = []
    for entry in table.values() if isinstance(table, Mapping) else ():
        if not isinstance(entry, Mapping):
            continue
        package, other, bad = entry.get("package"), entry.get("other"), entry.get("bad")
        affected = entry.get("affected") or ""
        bad_set = parse_pep440(bad) if isinstance(bad, str) else None
        affected_set = parse_pep440(affected) if isinstance(affected, str) else None
        if not (isinstance(package, str) and isinstance(other, str) and bad_set and affected_set):
            continue
        seen = entry.get("seen")
        found.append(Conflict(
            normalise(package), affected_set, affected, normalise(other), bad_set, bad,
            normalise(entry["extra"]) if isinstance(entry.get("extra"), str) else None,
            str(entry.get("symptom") or "known to break"), str(entry.get("fix") or f"{other} outside {bad}"),
            tuple(str(s) for s in seen) if isinstance(seen, list) else ()))
    return found


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    known = conflicts(ctx.options)
    if not known:
        return
    for env in repo.fact(environments):
        for conflict in known:
            yield from _declared(env, conflict, ctx)
            yield from _locked(env, conflict, ctx)


def _declared(env: Environment, conflict: Conflict, ctx: Context) -> Iterator[Finding]:
    packages = env.declared.get(conflict.package)
    if not packages:
        return
    allowed = _combined(packages)
    if not admits_any(allowed, conflict.affected, conflict.seen):
        return
    first = packages[0]
    others = env.declared.get(conflict.other)
    if others:
        if not admits_any(_combined(others), conflict.bad, conflict.seen):
            return
        for other in others:
            said = f"`{other.text}`" if other.text else "without a version"
            yield ctx.finding(other.span, f"{conflict.other} {said} allows {conflict.other} {conflict.bad_text}, "
                                          f"which breaks {conflict.package} {conflict.affected_text} ({first.where}): "
                                          f"{conflict.symptom}; pin {conflict.fix}")
        return
    with_extra = [p for p in packages if conflict.extra and conflict.extra in p.extras]
    if with_extra:
        package = with_extra[0]
        yield ctx.finding(package.span, f"{conflict.package}[{conflict.extra}] installs {conflict.other} with no "
                                        f"version constraint, so the newest {conflict.other} "
                                        f"({conflict.bad_text}) breaks {conflict.package}"
                                        f" {conflict.affected_text}: {conflict.symptom}; declare {conflict.fix}")


def _combined(declarations: list[Declaration]) -> Constraint | None:
    result: Constraint | None = None
    for declaration in declarations:
        result = combine(result, declaration.constraint)
    return result


def _locked(env: Environment, conflict: Conflict, ctx: Context) -> Iterator[Finding]:
    for lock in env.locks:
        package, other = lock.get(conflict.package), lock.get(conflict.other)
        if package is None or other is None:
            continue
        if admitted(conflict.affected, package.version) and admitted(conflict.bad, other.version):
            yield ctx.finding(other.span, f"{conflict.other} {other.version} is locked together with "
                                          f"{conflict.package} {package.version} (line {package.span.line}), "
                                          f"a combination known to break: {conflict.symptom}; declare "
                                          f"{conflict.fix} and re-lock")
