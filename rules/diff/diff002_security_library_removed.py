"""## What it catches
A change (`preflight check --base REF`) that drops a security library from a project's
dependencies while a lower-level primitive it wraps stays or arrives: `passlib` removed while
`bcrypt` is still (or newly) declared, `python-jose` removed while `cryptography` stays,
`defusedxml` removed while `lxml` stays. The pairs are a data table (`rules/data/security_libraries.toml`)
that users extend with `extend-libraries`.

A project is a directory: its requirements files (and those of a `requirements/` directory inside
it) and its `pyproject.toml` tables (`[project]` dependencies and extras, `[dependency-groups]`,
Poetry dependencies and groups). A library moved from one file of a project to another, or moved to
another project that still declares it, is not removed. Replacing it by an abstraction of the same
level (`passlib` -> `pwdlib` or `libpass`, `python-jose` -> `PyJWT`) is not a downgrade and is not
reported. When the primitive is only in the project's `poetry.lock` (installed, not declared), the
finding points at line 1 of the dependency file.

The rule needs `--base REF`; without it, it reports nothing.

## Why it matters
Seed 002, anti-pattern 2: `passlib[bcrypt]==1.7.4` broke with bcrypt 4.1
(`ValueError: password: max_secret_size of 72 bytes exceeded`), and the fix that shipped ripped
passlib out for direct `bcrypt` calls. The deployment worked, and the application lost its
`CryptContext`: hash migration to a new scheme, rehash on login, configurable rounds, deprecated
scheme detection. The right fix was a version pin (`bcrypt==4.0.1`). Fix versions, do not replace
abstractions with primitives.

## Example
```text
# requirements.txt (base)
fastapi==0.115.0
passlib[bcrypt]==1.7.4
bcrypt>=4.0.1,<5.0.0
```

```text
# requirements.txt
fastapi==0.115.0
bcrypt>=4.0.1,<5.0.0
```

## Use instead
```text
# requirements.txt (base)
fastapi==0.115.0
passlib[bcrypt]==1.7.4
bcrypt>=4.0.1,<5.0.0
```

```text
# requirements.txt
fastapi==0.115.0
passlib[bcrypt]==1.7.4
bcrypt==4.0.1
```

## Fix
Put the library back and pin the versions that work together (`passlib[bcrypt]==1.7.4` with
`bcrypt==4.0.1`), or move to a maintained abstraction of the same level (`pwdlib`, `libpass`,
`PyJWT`). If the removal is deliberate (the feature is gone), say so in the commit and suppress the
finding on the primitive's line (`# preflight: ignore[DIFF002]`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.data import data_options, load_data, merged
from preflight.documents.requirements import normalise
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.dep.facts import Environment, environments

RULE = RuleMeta(
    id="DIFF002",
    name="security-library-removed",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.REQUIREMENTS, FileKind.PYPROJECT}),
    summary="A security library left the dependencies while a lower-level primitive stays (needs --base)",
    source="seed 002 anti-pattern 2",
    lesson="Fix versions, do not replace abstractions: pin passlib[bcrypt]==1.7.4 with bcrypt==4.0.1 instead "
           "of ripping passlib out for raw bcrypt calls.",
    symptoms=("ValueError: password: max_secret_size of 72 bytes exceeded",
              "password cannot be longer than 72 bytes",
              "(trapped) error reading bcrypt version",
              "AttributeError: module 'bcrypt' has no attribute '__about__'"),
    options=data_options("libraries", "table of security libraries, their primitives and replacements"),
    tags=("dependencies", "security", "needs-base"),
)


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    base = repo.base
    if base is None:
        return
    table = _table(merged(dict(load_data("security_libraries")["libraries"]), ctx.options, "libraries"))
    if not table:
        return
    head_envs = {env.directory: env for env in repo.fact(environments)}
    base_envs = base.fact(environments)
    everywhere = {name for env in head_envs.values() for name in env.declared}
    reported: set[tuple[str, str]] = set()
    for old_env in base_envs:
        for library, (primitives, replacements) in table.items():
            if library not in old_env.declared:
                continue
            env = head_envs.get(old_env.directory)
            if env is not None and library in env.declared:
                continue
            if env is None and library in everywhere:
                continue  # the project moved; another one still declares the library
            targets = [env] if env is not None else list(head_envs.values())
            if any(r in e.declared for e in targets for r in replacements):
                continue
            found = _primitive(targets, primitives, old_env, library, base)
            if found is None or (found[0].path, library) in reported:
                continue
            span, primitive, how = found
            reported.add((span.path, library))
            old = old_env.declared[library][0]
            yield ctx.finding(span, f"`{library}` (declared at {old.where} in {base.ref}) was removed from the "
                                    f"dependencies while the lower-level `{primitive}` {how}; pin versions that "
                                    f"work together instead of replacing the abstraction")


def _table(raw: Any) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    from preflight.config import ConfigError

    table = {}
    for name, entry in raw.items():
        if not isinstance(entry, Mapping):
            raise ConfigError(f"DIFF002 libraries: entry '{name}' must be a table with primitives and replacements")
        primitives = frozenset(normalise(p) for p in entry.get("primitives", ()))
        replacements = frozenset(normalise(p) for p in entry.get("replacements", ()))
        table[normalise(name)] = (primitives, replacements)
    return table


def _primitive(targets: list[Environment], primitives: frozenset[str], old_env: Environment, library: str,
               base: Any) -> tuple[Span, str, str] | None:
    declared = sorted((d.span.path, d.span.line, d.name, d.span) for env in targets for name in primitives
                      for d in env.declared.get(name, ()))
    if declared:
        _, _, name, span = declared[0]
        was = any(name in e.declared for e in base.fact(environments) if e.directory == old_env.directory)
        return span, name, "stays" if was else "arrives"
    for env in targets:
        for lock in env.locks:
            for name in sorted(primitives & lock.keys()):
                old_file = old_env.declared[library][0].span.path
                new_file = base.new_path(old_file)
                files = sorted(d.span.path for decls in env.declared.values() for d in decls)
                path = new_file if new_file in files else (files[0] if files else lock[name].span.path)
                return Span(path, 1, 1), name, f"stays in {lock[name].span.path}"
    return None
