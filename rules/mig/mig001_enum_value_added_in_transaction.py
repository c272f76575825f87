"""## What it catches
An Alembic migration that runs PostgreSQL's `ALTER TYPE ... ADD VALUE` (through `op.execute("...")`,
`op.execute(sa.text("..."))`, `op.get_bind().execute(text("..."))`, `connection.exec_driver_sql(...)`)

- inside Alembic's transaction: neither in `with op.get_context().autocommit_block():` nor after an
  explicit `op.execute("COMMIT")` earlier in `upgrade()` (and `env.py` does not turn transactional
  DDL off), or
- without `IF NOT EXISTS`, so running the migration again (after a partial failure, or on a database
  where the value was added by hand) fails with `enum label "..." already exists`.

Each is its own finding on the SQL string.

## Why it matters
From seed 001, "Enum Migrations Require COMMIT": `ALTER TYPE ... ADD VALUE` cannot run inside a
transaction on PostgreSQL, and Alembic wraps every migration in one by default. Before
PostgreSQL 12 the statement fails outright with
`ALTER TYPE ... ADD cannot run inside a transaction block`; since 12 it runs, but the new value
cannot be used in the same transaction (`unsafe use of new value "..." of enum type ...`), so a
migration that adds a value and then backfills rows with it breaks at deploy time. The fix was
to commit before the `ALTER TYPE` and to add the value with `IF NOT EXISTS` so the migration can be
re-run; the downgrade is a no-op because PostgreSQL cannot remove enum values.

## Example
```python
# migrations/versions/0007_add_liquidated.py
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade():
    op.execute("ALTER TYPE bot_status ADD VALUE 'LIQUIDATED'")
```

## Use instead
```python
# migrations/versions/0007_add_liquidated.py
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade():
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE bot_status ADD VALUE IF NOT EXISTS 'LIQUIDATED'")


def downgrade():
    pass  # PostgreSQL cannot drop an enum value
```

## Fix
Wrap the statement in `with op.get_context().autocommit_block():` (Alembic commits the migration's
transaction before the block and starts a new one after it), or run `op.execute("COMMIT")` just
before it, and write `ADD VALUE IF NOT EXISTS`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from preflight.documents.base import Document
from preflight.documents.python import PythonDocument, walk_list
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight.sqlmodels import alembic_history, parse_migration, sql_text, upgrade_functions

RULE = RuleMeta(
    id="MIG001",
    name="enum-value-added-in-transaction",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON}),
    summary="ALTER TYPE ... ADD VALUE runs inside the migration's transaction or without IF NOT EXISTS",
    source='seed 001 "Enum Migrations Require COMMIT"',
    lesson="PostgreSQL cannot add an enum value inside a transaction and Alembic runs each migration in "
           "one: commit first (autocommit_block) and use ADD VALUE IF NOT EXISTS.",
    symptoms=("ALTER TYPE ... ADD cannot run inside a transaction block", "unsafe use of new value"),
    tags=("alembic", "postgresql", "enum", "migrations"),
)

ADD_VALUE = re.compile(r"\bALTER\s+TYPE\s+\S+\s+ADD\s+VALUE\b(\s+IF\s+NOT\s+EXISTS\b)?", re.IGNORECASE)
COMMIT = re.compile(r"^\s*(COMMIT|END)\b", re.IGNORECASE)
SQL_CALLS = frozenset({"execute", "exec_driver_sql"})


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, PythonDocument) or parse_migration(doc) is None:
        return
    assert doc.tree is not None
    constants = {t.id: s.value.value for s in doc.tree.body if isinstance(s, ast.Assign)
                 for t in s.targets if isinstance(t, ast.Name)
                 and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)}
    no_transaction = ctx.repo.fact(alembic_history).transactional_ddl_off
    for function in upgrade_functions(doc):
        committed = False
        for node, autocommit in _statements(function.body, False):
            text = sql_text(node, constants)
            if text is None:
                if isinstance(node, ast.Call) and _called(node) == "commit":
                    committed = True  # connection.commit()
                continue
            for match in ADD_VALUE.finditer(text):
                span = doc.node_span(node)
                committed_here = re.search(r"\bCOMMIT\b", text[:match.start()], re.IGNORECASE)
                if not (autocommit or committed or no_transaction or committed_here):
                    yield ctx.finding(span, "ALTER TYPE ... ADD VALUE runs inside the migration's transaction; "
                                            "PostgreSQL rejects it or the new value (unsafe use of new value); wrap "
                                            "it in `with op.get_context().autocommit_block():`")
                if not match.group(1):
                    yield ctx.finding(span, "ALTER TYPE ... ADD VALUE without IF NOT EXISTS fails when the value "
                                            "already exists (a re-run, a hand-made fix); write "
                                            "`ADD VALUE IF NOT EXISTS`")
            if COMMIT.match(text):
                committed = True


def _called(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _statements(body: list[ast.stmt], autocommit: bool) -> Iterator[tuple[ast.AST, bool]]:
    """The SQL argument of every execute() in ``body`` (source order), and whether it runs in autocommit."""
    for stmt in body:
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            inner = autocommit or any(isinstance(i.context_expr, ast.Call) and
                                      _called(i.context_expr) == "autocommit_block" for i in stmt.items)
            yield from _statements(stmt.body, inner)
        elif isinstance(stmt, (ast.If, ast.For, ast.While, ast.Try)):
            for part in ("body", "orelse", "finalbody"):
                yield from _statements(getattr(stmt, part, []), autocommit)
            for handler in getattr(stmt, "handlers", []):
                yield from _statements(handler.body, autocommit)
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            calls = sorted((n for n in walk_list(stmt) if isinstance(n, ast.Call)),
                           key=lambda n: (n.lineno, n.col_offset))
            for call in calls:
                name = _called(call)
                if name in SQL_CALLS and call.args:
                    yield call.args[0], autocommit
                elif name == "commit":
                    yield call, autocommit


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (alembic_history,)
