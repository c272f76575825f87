"""## What it catches
SQLAlchemy's `text()` (`sqlalchemy.text`, `sa.text`, `sqlalchemy.sql.text`, `sqlmodel.text`)
given SQL built from values: an f-string with placeholders, `%` formatting, `.format()`, `+`
concatenation or `join()` of something that is not a literal, also through a local variable that
holds such a string (`query = f"..."; session.execute(text(query))`).

Not flagged, because the interpolated text is fixed by the code itself and can carry neither
injected SQL nor a new query plan per value:

- a constant string, and constant pieces joined with `+`;
- names bound only to literals (`TABLE = "users"`, then `text(f"SELECT * FROM {TABLE}")`), and a
  loop variable over a literal tuple of names (`for table in ("users", "orders"):`);
- a list of bind-parameter placeholders, `", ".join(f":id_{i}" for i in range(len(ids)))`.

Any other value is flagged even when you know it is safe (a table name from a function argument,
an attribute, an enum): the rule cannot prove where it came from. Build such statements with
`sqlalchemy.table()` / `column()` / `select()`, or silence the line with a suppression comment
that says why.

## Why it matters
Seed 001, rule 4: raw SQL goes through `text()` "to prevent SQL injection vulnerabilities".
`text()` only protects values passed as bind parameters; `text(f"... WHERE name = '{name}'")`
wraps an injection hole in the construct that was supposed to close it, and a user called
`x' OR '1'='1` reads every row. Each distinct value also makes a distinct SQL text, so the
database and SQLAlchemy's statement cache see a new query every time and never reuse a plan.

## Example
```python
# app/users.py
from sqlalchemy import text


def find_user(session, name):
    return session.execute(text(f"SELECT * FROM users WHERE name = '{name}'")).first()
```

## Use instead
```python
# app/users.py
from sqlalchemy import text


def find_user(session, name):
    return session.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name}).first()
```

## Fix
Put a named placeholder (`:name`) in the SQL and pass the value separately:
`session.execute(text("... WHERE id = :id"), {"id": user_id})` or
`text("... WHERE id = :id").bindparams(id=user_id)`. For a list of values use
`bindparam("ids", expanding=True)` with `IN :ids`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import argument, names_of
from preflight.rule import Context, RuleMeta
from preflight_rules.py.bindings import calls_in_scope
from preflight_rules.py.sql import is_fixed, string_of

RULE = RuleMeta(
    id="PY003",
    name="sql-interpolated-into-text",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON}),
    summary="SQLAlchemy text() is given SQL built from values",
    source='seed 001 rule 4 "No Raw SQL in execute()"',
    lesson="text() protects only values passed as bind parameters; SQL built with f-strings or % is an "
           "injection hole and a new query plan per value.",
    symptoms=("psycopg2.errors.SyntaxError: syntax error at or near",
              "SQL injection"),
    tags=("python", "sqlalchemy", "sql", "security"),
)

TEXT_FUNCTIONS = ("sqlalchemy.text", "sqlmodel.text")
HOW = {"f-string": "an f-string", "%": "% formatting", ".format()": ".format()", "+": "+ concatenation",
       "join": "join()"}


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None:
        return
    names = names_of(doc)
    if not any(names.imports(m) for m in ("sqlalchemy", "sqlmodel")):
        return
    if not any(names.resolves(node, *TEXT_FUNCTIONS) for node in doc.nodes_of(ast.Call)):
        return  # no text() call: the scopes below are not needed (most modules importing SQLAlchemy)
    for call, scope in calls_in_scope(doc):
        if not names.resolves(call.func, *TEXT_FUNCTIONS):
            continue
        sql = argument(call, 0, "text")
        string = string_of(sql, scope) if sql is not None else None
        if string is None or not string.built:
            continue
        if all(is_fixed(value, scope) for value in string.values):
            continue
        assert sql is not None
        yield ctx.finding(doc.node_span(sql),
                          f"text() is given SQL built with {HOW.get(string.how, 'interpolation')}: an injection "
                          "hole and a new query plan per value; write a :name placeholder and pass the value "
                          "as a bind parameter")
