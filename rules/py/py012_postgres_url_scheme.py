"""## What it catches
A database URL with the `postgres://` scheme (also `postgres+psycopg2://` and the like) that
reaches SQLAlchemy:

- a literal or f-string handed to `create_engine()`, `create_async_engine()`, SQLModel's
  `create_engine()`, `make_url()` or Alembic's `config.set_main_option("sqlalchemy.url", ...)`,
  directly or through a variable;
- the default of a database URL setting in a repository that uses SQLAlchemy:
  `os.getenv("DATABASE_URL", "postgres://...")`, a pydantic settings field
  `database_url: str = "postgres://..."`, `SQLALCHEMY_DATABASE_URI = "postgres://..."`, a
  `{"DATABASE_URL": "postgres://..."}` entry;
- `sqlalchemy.url = postgres://...` in `alembic.ini`;
- in a repository deployed to Fly.io (`fly.toml`) or Heroku (`Procfile`), which hand out
  `DATABASE_URL=postgres://...`: the environment's URL given to SQLAlchemy without normalising
  the scheme: `create_engine(os.environ["DATABASE_URL"])`, `create_engine(DATABASE_URL)` where the
  variable is read from the environment in the module, `create_engine(settings.DATABASE_URL)`,
  `app.config["SQLALCHEMY_DATABASE_URI"] = os.getenv("DATABASE_URL")`.

Not flagged: `postgresql://`, `postgresql+psycopg://`, `postgresql+asyncpg://` URLs; modules that
normalise the scheme (`url.replace("postgres://", "postgresql://", 1)`, a `startswith("postgres://")`
check, `make_url(url).set(drivername=...)`); a settings attribute when some module of the
repository normalises (a validator usually does it once); URLs given to libpq-based drivers
(psycopg, asyncpg), which accept `postgres://`. The platform is recognised from `fly.toml` and
`Procfile`; an `app.json` or `heroku.yml` alone is not seen.

## Why it matters
Seed 004, section 17: Fly.io provides `postgres://` URLs (so does Heroku) but SQLAlchemy only
knows the dialect as `postgresql` since 1.4 removed the old alias. The service crashed at start-up
with

    sqlalchemy.exc.NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres

The URL worked with every other tool (`psql`, psycopg), so the failure appeared only once the
platform's URL reached SQLAlchemy. The fix was an automatic URL conversion in the shared database
code, handled once in infrastructure code rather than in each service.

## Example
```python
# app/db.py
from sqlalchemy import create_engine

engine = create_engine("postgres://app:secret@db.internal:5432/app")
```

## Use instead
```python
# app/db.py
import os

from sqlalchemy import create_engine

raw_database_url = os.environ["DATABASE_URL"]
DATABASE_URL = raw_database_url.replace("postgres://", "postgresql://", 1)
engine = create_engine(DATABASE_URL)
```

## Fix
Write `postgresql://` in literals (the fix offered for a literal does that). Normalise URLs that
come from the platform once, where the engine is created:
`url.replace("postgres://", "postgresql://", 1)` or
`make_url(url).set(drivername="postgresql+psycopg")`, or in a pydantic validator of the setting.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from preflight.documents.base import Document
from preflight.documents.python import PythonDocument
from preflight.facts import Repository
from preflight.model import Edit, FileKind, Finding, Fix, Severity, Span
from preflight.pynames import Names, argument, constant_str, names_of
from preflight.rule import Context, RuleMeta
from preflight.secretnames import tokens
from preflight_rules.py.bindings import Scope, calls_in_scope
from preflight_rules.py.envreads import ConfigRead, config_reads
from preflight_rules.py.sql import sqlalchemy_usage

RULE = RuleMeta(
    id="PY012",
    name="postgres-url-scheme",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON, FileKind.INI, FileKind.FLY_TOML, FileKind.PROCFILE}),
    summary="A postgres:// database URL reaches SQLAlchemy, which only knows postgresql://",
    source='seed 004 section 17 "SQLAlchemy postgres:// vs postgresql:// URL Compatibility"',
    lesson="Fly.io and Heroku hand out postgres:// URLs but SQLAlchemy 1.4+ only accepts postgresql://; "
           "normalise the scheme once where the engine is created.",
    symptoms=("sqlalchemy.exc.NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres",),
    tags=("python", "sqlalchemy", "postgres", "fly", "heroku"),
    fixable=True,
)

POSTGRES_URL = re.compile(r"^postgres(\+[A-Za-z0-9_]+)?://.", re.IGNORECASE)
CONSUMERS = frozenset({"sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine",
                       "sqlmodel.create_engine", "sqlalchemy.make_url", "sqlalchemy.engine.make_url",
                       "sqlalchemy.engine.url.make_url"})
# Libraries that accept postgres:// themselves: a module using them (and not SQLAlchemy) is not ours.
LIBPQ_CLIENTS = ("asyncpg", "psycopg", "psycopg2", "databases", "tortoise", "peewee", "pony", "pg8000")
ALEMBIC_URL = re.compile(r"^postgres(\+[A-Za-z0-9_]+)?://\S*", re.IGNORECASE)
NORMALISING_LITERALS = re.compile(r"^\^?postgres(\\?:(//)?)?$", re.IGNORECASE)
SYMPTOM = "NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres"


# -- repository facts ---------------------------------------------------------------------------

def postgres_platforms(repo: Repository) -> list[tuple[str, str]]:
    """(file, platform) saying the repository deploys where the platform hands out postgres:// URLs."""
    found = [(ref.path, "Fly.io") for ref in repo.files_of(FileKind.FLY_TOML)]
    found.extend((ref.path, "Heroku") for ref in repo.files_of(FileKind.PROCFILE))
    return found


def normalises(doc: PythonDocument) -> bool:
    """Does the module rewrite a postgres:// scheme (replace/startswith/re.sub/drivername=)?"""
    cached = doc.__dict__.get("_pf_normalises")
    if cached is None:
        cached = False
        text = doc.text.lower()
        # Both signs are literal words in the source: a module without either is not scanned.
        scan = "drivername" in text or "postgres" in text
        for call in doc.nodes_of(ast.Call) if scan else ():  # any call will do: no scopes needed
            assert isinstance(call, ast.Call)
            if any(k.arg == "drivername" for k in call.keywords) or any(
                    NORMALISING_LITERALS.match(constant_str(a) or "-") for a in call.args):
                cached = True
                break
        doc.__dict__["_pf_normalises"] = cached
    return cached


def normalising_modules(repo: Repository) -> list[str]:
    return [doc.path for doc in repo.documents(FileKind.PYTHON)
            if isinstance(doc, PythonDocument) and doc.tree is not None and normalises(doc)]


# -- helpers ------------------------------------------------------------------------------------

def is_database_url_name(name: str) -> bool:
    parts = tokens(name)
    return bool(parts) and parts[-1] in ("url", "uri", "dsn") and \
        any(p in ("database", "db", "sqlalchemy", "postgres", "postgresql", "pg", "psql") for p in parts)


def _postgres_literal(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(POSTGRES_URL.match(node.value))
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return isinstance(first, ast.Constant) and isinstance(first.value, str) and \
            bool(re.match(r"^postgres(\+[A-Za-z0-9_]+)?://", first.value, re.IGNORECASE))
    return False


def _literals(node: ast.AST | None, scope: Scope, reads: dict[int, ConfigRead], depth: int = 0) -> list[ast.expr]:
    """postgres:// literals that ``node`` may evaluate to: itself, an env default, a variable's value."""
    if node is None or depth > 6:
        return []
    if _postgres_literal(node):
        return [node]  # type: ignore[list-item]
    read = reads.get(id(node))
    if read is not None:
        return _literals(read.default, read.scope, reads, depth + 1)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
        return _literals(node.args[0], scope, reads, depth + 1)
    if isinstance(node, ast.Name):
        found: list[ast.expr] = []
        for binding in scope.bindings(node.id):
            if binding.kind == "assign":
                found.extend(_literals(binding.value, scope, reads, depth + 1))
        return found
    return []


def _from_environment(node: ast.AST | None, scope: Scope, reads: dict[int, ConfigRead], depth: int = 0) -> str | None:
    """How ``node`` carries a database URL from the environment unchanged, or None."""
    if node is None or depth > 6:
        return None
    read = reads.get(id(node))
    if read is not None and read.how != "settings field":
        return f"the {read.name} environment variable"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
        return _from_environment(node.args[0], scope, reads, depth + 1)
    if isinstance(node, ast.Name):
        bindings = scope.bindings(node.id)
        if bindings and all(b.kind == "assign" for b in bindings):
            found = [_from_environment(b.value, scope, reads, depth + 1) for b in bindings]
            if all(found):
                return found[0]
        return None
    if isinstance(node, ast.Attribute) and is_database_url_name(node.attr):
        return "settings"  # settings.DATABASE_URL
    if isinstance(node, ast.Subscript) and is_database_url_name(constant_str(node.slice) or ""):
        return "settings"
    return None


def _fix(doc: Document, node: ast.expr) -> Fix | None:
    line = doc.line_text(node.lineno)
    if not line.isascii() or node.end_lineno != node.lineno:
        return None
    head = line[node.col_offset:node.col_offset + 6]
    match = re.match(r"[rRbBfFuU]{0,2}['\"]", head)
    if match is None:
        return None
    start = node.col_offset + match.end()
    if line[start:start + 11].lower() != "postgres://" and not re.match(r"postgres\+", line[start:start + 9], re.I):
        return None
    span = Span(doc.path, node.lineno, start + 1, node.lineno, start + 9)
    return Fix("use the postgresql:// scheme", (Edit(span, "postgresql"),))


_CONSUMER_WORDS = frozenset({c.rsplit(".", 1)[-1] for c in CONSUMERS} | {"set_main_option"})


def _consumer_argument(call: ast.Call, names: Names) -> ast.expr | None:
    qualname = names.qualname(call.func)
    if qualname in CONSUMERS:
        return argument(call, 0, "url") or argument(call, 0, "name_or_url")
    if isinstance(call.func, ast.Attribute) and call.func.attr == "set_main_option" and \
            constant_str(argument(call, 0, "name")) == "sqlalchemy.url":
        return argument(call, 1, "value")
    return None


# -- the rule -----------------------------------------------------------------------------------

def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if doc.kind is FileKind.INI:
        yield from _check_alembic_ini(doc, ctx)
    elif isinstance(doc, PythonDocument) and doc.tree is not None:
        yield from _check_python(doc, ctx)


def _check_alembic_ini(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not doc.path.rsplit("/", 1)[-1].lower() == "alembic.ini":
        return
    for section in getattr(doc, "sections", {}):
        url = doc.get(section, "sqlalchemy.url")  # type: ignore[attr-defined]
        found = url.find(ALEMBIC_URL, doc.path) if url is not None else None
        if found is None:
            continue
        _, span = found
        scheme = Span(doc.path, span.line, span.column, span.line, span.column + len("postgres"))
        fix = Fix("use the postgresql:// scheme", (Edit(scheme, "postgresql"),))
        yield ctx.finding(span, f"sqlalchemy.url uses the postgres:// scheme, which SQLAlchemy rejects ({SYMPTOM}); "
                                "write postgresql://", fix=fix)


def _check_python(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    text = doc.text
    if "postgres" not in text and "SQLALCHEMY_DATABASE_URI" not in text and \
            not any(word in text for word in _CONSUMER_WORDS):
        return  # no URL literal, no engine: nothing this rule could say (most modules)
    names = names_of(doc)
    reads_list = config_reads(doc)
    reads = {id(r.node): r for r in reads_list}
    reported: set[int] = set()

    def literal_finding(node: ast.expr, where: str) -> Finding:
        reported.add(id(node))
        return ctx.finding(doc.node_span(node), f"{where} uses the postgres:// scheme, which SQLAlchemy rejects "
                                                f"({SYMPTOM}); write postgresql://", fix=_fix(doc, node))

    consumers = []
    for call, scope in calls_in_scope(doc):
        url = _consumer_argument(call, names)
        if url is None:
            continue
        consumers.append((call, url, scope))
        for literal in _literals(url, scope, reads):
            if id(literal) not in reported:
                yield literal_finding(literal, "this database URL")

    own_module = any(names.imports(m) for m in ("sqlalchemy", "sqlmodel", "flask_sqlalchemy", "alembic"))
    other_client = any(names.imports(m) for m in LIBPQ_CLIENTS)
    if (own_module or (not other_client and ctx.repo.fact(sqlalchemy_usage).sqlalchemy)) and not normalises(doc):
        for node, where in _named_defaults(doc, reads_list):
            if id(node) not in reported:
                yield literal_finding(node, where)

    platforms = ctx.repo.fact(postgres_platforms)
    if not platforms or normalises(doc):
        return
    targets = [(url, scope) for _call, url, scope in consumers]
    targets.extend(_flask_uri_assignments(doc))
    for url, scope in targets:
        source = _from_environment(url, scope, reads)
        if source is None or id(url) in reported:
            continue
        if source == "settings" and ctx.repo.fact(normalising_modules):
            continue  # a validator elsewhere in the repository rewrites the scheme
        reported.add(id(url))
        what = "a database URL setting" if source == "settings" else source
        path, platform = platforms[0]
        yield ctx.finding(doc.node_span(url),
                          f"SQLAlchemy gets {what} unchanged, but the app deploys to {platform} ({path}), which "
                          f"sets postgres:// URLs that SQLAlchemy rejects ({SYMPTOM}); normalise with "
                          '.replace("postgres://", "postgresql://", 1)')


def _named_defaults(doc: PythonDocument, reads: list[ConfigRead]) -> Iterator[tuple[ast.expr, str]]:
    """postgres:// literals given to database URL settings: env defaults, fields, assignments, keys."""
    for read in reads:
        if read.default is not None and _postgres_literal(read.default) and \
                any(is_database_url_name(n) for n in (read.name, *read.aliases)):
            yield read.default, f"the default of {read.name}"
    assert doc.tree is not None
    # Every postgres:// literal is (or starts with) a string constant of the tree: a module without
    # one need not be walked (most modules; an early text test would miss "post" "gres://").
    if not any(isinstance(c.value, str) and "postgres" in c.value.casefold() for c in doc.nodes_of(ast.Constant)):
        return
    for node in doc.walk():
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and _postgres_literal(node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            name = next((n for n in map(_target_name, targets) if n and is_database_url_name(n)), None)
            if name:
                yield node.value, name  # type: ignore[misc]
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if is_database_url_name(constant_str(key) or "") and _postgres_literal(value):
                    yield value, str(constant_str(key))
        elif isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg and is_database_url_name(kw.arg) and _postgres_literal(kw.value):
                    yield kw.value, kw.arg


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return constant_str(target.slice)
    return None


def _flask_uri_assignments(doc: PythonDocument) -> list[tuple[ast.expr, Scope]]:
    """``SQLALCHEMY_DATABASE_URI = <value>`` / ``app.config["SQLALCHEMY_DATABASE_URI"] = <value>``."""
    from preflight_rules.py.bindings import module_scopes

    scopes = module_scopes(doc)
    found = []
    for scope in scopes.scopes:
        for name, bindings in scope.names.items():
            if name.upper() == "SQLALCHEMY_DATABASE_URI":
                found.extend((b.value, scope) for b in bindings if b.kind == "assign" and b.value is not None)
    assert doc.tree is not None
    for node in doc.walk():
        if isinstance(node, ast.Assign) and any(_target_name(t) == "SQLALCHEMY_DATABASE_URI" and
                                                not isinstance(t, ast.Name) for t in node.targets):
            found.append((node.value, scopes.module))
        elif isinstance(node, ast.ClassDef):  # class Config: SQLALCHEMY_DATABASE_URI = ...
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(_target_name(t) == "SQLALCHEMY_DATABASE_URI"
                                                             for t in statement.targets):
                    found.append((statement.value, scopes.module))
    return found


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (sqlalchemy_usage, postgres_platforms, normalising_modules)
