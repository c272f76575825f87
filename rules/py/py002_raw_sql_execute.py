"""## What it catches
`execute()` on a SQLAlchemy session, connection or engine given a SQL string instead of a
`text()` construct: a plain literal, an f-string, or a string built with `%`, `.format()`, `+`
or `join` (also through a local variable that only ever holds such a string):

- `db.execute("SELECT 1")` where `db: Session = Depends(get_db)`, `session: AsyncSession`,
  `SessionDep` and other `Annotated[Session, ...]` aliases;
- `with SessionLocal() as session:` / `async with async_session() as session:` (a `sessionmaker()`
  or `async_sessionmaker()` factory), `with Session(engine) as session:`;
- `with engine.connect() as conn:` / `async with engine.begin() as conn:` on an engine made by
  `create_engine()` / `create_async_engine()`, and `conn = op.get_bind()` in Alembic migrations;
- Flask-SQLAlchemy's `db.session.execute(...)`, and `self.session.execute(...)` where the class
  stored a session.

Not flagged: `execute(text(...))`, `execute(select(...))` and other constructs;
`conn.exec_driver_sql("...")` (the API for driver-level SQL); DB-API cursors and connections
(`sqlite3`, `psycopg`/`psycopg2`, `asyncpg`, `pymysql`, `aiosqlite`: `cur.execute("... %s", (x,))`
is their parameterised form); Alembic's `op.execute("...")`, which accepts strings. A plain
string (not one built from values) is not flagged where the repository pins SQLAlchemy below 2.0
in every requirements file, `pyproject.toml` and `poetry.lock` that names it (`sqlalchemy==1.4.54`,
`<2.0`): 1.x runs it. The upgrade to 2.x is where it breaks; this rule reports it then.

The receiver is judged from the module: its imports, its annotations, how the variable was
obtained. Names imported from the project itself are judged by their names (`engine`,
`SessionLocal`, `get_db`, `SessionDep`), because the rule does not read the defining module; a
session handed in without any of these clues is not seen.

## Why it matters
Seed 001, rule 4 ("No Raw SQL in `execute()`"): all raw SQL strings passed to SQLAlchemy's
`execute()` must be wrapped in `text()`, both to keep values out of the SQL text (SQL
injection) and for SQLAlchemy 2.0 compatibility. SQLAlchemy 1.x accepted plain strings with a
deprecation warning; 2.x refuses them at run time:

    sqlalchemy.exc.ObjectNotExecutableError: Not an executable object: 'SELECT 1'

so code that worked before an upgrade fails on the first request that reaches the query. A string
assembled from values is worse: it works, and it is an injection hole.

## Example
```python
# app/api/health.py
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from app.db import get_db

router = APIRouter()


@router.get("/health")
def health(db: Session = Depends(get_db)):
    db.execute("SELECT 1")
    return {"ok": True}
```

## Use instead
```python
# app/api/health.py
from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import get_db

router = APIRouter()


@router.get("/health")
def health(db: Session = Depends(get_db)):
    db.execute(text("SELECT 1"))
    return {"ok": True}
```

## Fix
Wrap the SQL in `sqlalchemy.text()` and pass values as bind parameters:
`session.execute(text("SELECT * FROM users WHERE id = :id"), {"id": user_id})`. Use
`connection.exec_driver_sql(...)` only for driver-specific SQL without user values.

For a constant string, `preflight check --fix` writes the `text(...)` around it and, when the
module does not import `sqlalchemy.text` yet, adds `from sqlalchemy import text` after its
imports (an existing `from sqlalchemy import text as t` or `import sqlalchemy as sa` is used as
`t(...)` or `sa.text(...)`). A string built from values is not fixed: it needs bind parameters,
which is a change to make by hand.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import argument
from preflight.rule import Context, RuleMeta
from preflight_rules.py.bindings import calls_in_scope
from preflight_rules.py.sql import Receivers, sqlalchemy_usage, string_of
from preflight_rules.py.textfix import text_fix

RULE = RuleMeta(
    id="PY002",
    name="raw-sql-execute",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON}),
    summary="SQLAlchemy execute() is given a SQL string instead of text()",
    source='seed 001 rule 4 "No Raw SQL in execute()"',
    lesson="SQLAlchemy 2.x refuses plain SQL strings in execute() and strings built from values are "
           "an injection hole; wrap SQL in text() and pass values as bind parameters.",
    symptoms=("sqlalchemy.exc.ObjectNotExecutableError: Not an executable object",),
    tags=("python", "sqlalchemy", "sql", "security"),
    fixable=True,
)

BUILT = {"f-string": "an f-string", "%": "a string built with %", ".format()": "a string built with .format()",
         "+": "a string built with +", "join": "a string built with join()"}


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None:
        return
    if "execute" not in doc.text and doc.text.isascii():
        # No call can be an `.execute(...)`: skip the scope analysis. (Python folds identifiers with
        # NFKC, so a non-ASCII module may spell `execute` differently: those are always analysed.)
        return
    receivers: Receivers | None = None
    for call, scope in calls_in_scope(doc):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "execute"):
            continue
        sql = argument(call, 0, "statement")
        string = string_of(sql, scope) if sql is not None else None
        if string is None:
            continue
        if receivers is None:
            usage = ctx.repo.fact(sqlalchemy_usage)
            if not usage.sqlalchemy:
                return  # no module of the repository imports SQLAlchemy: nothing here is its session
            receivers = Receivers(doc, usage.flask_sqlalchemy)
        if not receivers.is_db(func.value, scope):
            continue
        assert sql is not None
        if string.built:
            what = BUILT.get(string.how, "a built string")
            message = (f"execute() is given SQL as {what}: values spliced into SQL are an injection hole and "
                       "SQLAlchemy 2.x rejects strings; use text() with bind parameters (:name) and pass the values")
        elif ctx.repo.fact(sqlalchemy_pinned_below_2):
            continue  # 1.x runs a plain string; only a string built from values is a problem there
        else:
            message = ("execute() is given a plain SQL string, which SQLAlchemy 2.x rejects with "
                       "ObjectNotExecutableError; wrap it in sqlalchemy.text()")
        yield ctx.finding(doc.node_span(sql), message, fix=None if string.built else text_fix(doc, sql))


def sqlalchemy_pinned_below_2(repo: Repository) -> bool:
    """The repository declares or locks SQLAlchemy, and no declaration or lock admits 2.x
    (redash's `sqlalchemy==1.3.24`, CTFd's `sqlalchemy==1.4.54`)."""
    from preflight_rules.dep.facts import environments
    from preflight_rules.dep.specifiers import admits_any, parse_pep440

    two = parse_pep440(">=2")
    seen = False
    for env in repo.fact(environments):
        for declaration in env.declared.get("sqlalchemy", []):
            seen = True
            if admits_any(declaration.constraint, two):
                return False
        for lock in env.locks:
            locked = lock.get("sqlalchemy")
            if locked is not None:
                seen = True
                if not locked.version.split(".")[0].isdigit() or int(locked.version.split(".")[0]) >= 2:
                    return False
    return seen


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (sqlalchemy_usage,)
