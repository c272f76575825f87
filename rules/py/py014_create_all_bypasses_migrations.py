"""## What it catches
Tables created by SQLAlchemy instead of by migrations, in application code of a repository that
has Alembic migrations (an `alembic.ini`, or revisions in a `versions/` directory):
`Base.metadata.create_all(engine)`, `metadata.create_all(bind=engine)`,
`SQLModel.metadata.create_all(engine)`, `await conn.run_sync(Base.metadata.create_all)` and
Flask-SQLAlchemy's `db.create_all()`.

Test code is fine (files under `tests/`, `test_*.py`, `*_test.py`, `tests.py`, `conftest.py`, pytest
fixtures, `setUp` methods, and calls guarded by a test switch such as `if settings.TESTING:`), and
so is a repository without Alembic, where `create_all()` is how the schema is made. Migrations themselves are not checked.
Nor is Alembic's documented way to build a fresh database: `create_all()` followed, in the same
function, by stamping the version table (`command.stamp(cfg, "head")`, Flask-Migrate's `stamp()`,
or a function of the same module that does), so later migrations start from the right revision.

## Why it matters
Seed 001, rule 1, "Migrations Are Not Optional": every model change must come with an Alembic
migration, and `init_db.py`-style scripts must not build the schema. `create_all()` creates the
tables that are missing from the current models and never alters existing ones, and it does not
stamp the Alembic version table: a database made this way has the latest tables but no revision,
so `alembic upgrade head` later tries to create them again (`relation "..." already exists`) or
someone stamps it and the next column change is silently missing in production. Two sources of
truth for the schema drift apart.

## Example
```python
# app/main.py
from fastapi import FastAPI

from app.db import Base, engine

app = FastAPI()


@app.on_event("startup")
def init_db():
    Base.metadata.create_all(bind=engine)
```

```ini
# alembic.ini
[alembic]
script_location = migrations
```

## Use instead
```python
# app/main.py
from fastapi import FastAPI

app = FastAPI()  # the schema is migrated by `alembic upgrade head` before the app starts
```

```python
# tests/conftest.py
import pytest

from app.db import Base, engine


@pytest.fixture(scope="session", autouse=True)
def schema():
    Base.metadata.create_all(bind=engine)
    yield
    Base.metadata.drop_all(bind=engine)
```

## Fix
Run `alembic upgrade head` as the deploy or start-up step (a release command, an entrypoint, a
one-off job) and delete the `create_all()` call from application code. Keep `create_all()` only in
test fixtures.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from preflight.documents.base import Document
from preflight.documents.python import PythonDocument, is_test_path
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import names_of
from preflight.rule import Context, RuleMeta
from preflight.sqlmodels import alembic_history, in_versions_dir

RULE = RuleMeta(
    id="PY014",
    name="create-all-bypasses-migrations",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.PYTHON, FileKind.INI}),
    summary="metadata.create_all() builds the schema in a repository that has Alembic migrations",
    source='seed 001 rule 1 "Migrations Are Not Optional"',
    lesson="Schema changes go through Alembic migrations; create_all() in application code makes tables "
           "outside the revision history, which then drifts from the real database.",
    symptoms=("psycopg2.errors.DuplicateTable: relation already exists",
              "Target database is not up to date."),
    tags=("sqlalchemy", "alembic", "migrations"),
)

TEST_SWITCH = re.compile(r"test|pytest", re.IGNORECASE)


def _is_create_all(node: ast.AST, flask_db: bool) -> bool:
    """``<x>.metadata.create_all``, ``metadata.create_all``, Flask's ``db.create_all``."""
    if not (isinstance(node, ast.Attribute) and node.attr == "create_all"):
        return False
    holder = node.value
    if isinstance(holder, ast.Attribute) and holder.attr == "metadata":
        return True
    if isinstance(holder, ast.Name):
        return "metadata" in holder.id.lower() or (holder.id == "db" and flask_db)
    return False


def _test_guarded(parents: list[ast.AST]) -> bool:
    """Inside ``if ... TESTING ...:``, a pytest fixture, or a function named like a test helper."""
    for parent in parents:
        if isinstance(parent, ast.If):
            mentioned = [n.id for n in ast.walk(parent.test) if isinstance(n, ast.Name)]
            mentioned += [n.attr for n in ast.walk(parent.test) if isinstance(n, ast.Attribute)]
            mentioned += [n.value for n in ast.walk(parent.test) if isinstance(n, ast.Constant)
                          and isinstance(n.value, str)]
            if any(TEST_SWITCH.search(m) for m in mentioned):
                return True
        elif isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if TEST_SWITCH.search(parent.name) or parent.name in ("setUp", "setUpClass", "asyncSetUp") or any("fixture" in (ast.unparse(d)) for d in parent.decorator_list):
                return True
    return False


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, PythonDocument) or doc.tree is None:
        return
    if is_test_path(doc.path) or in_versions_dir(doc.path) or doc.path.rsplit("/", 1)[-1] == "env.py":
        return
    if "create_all" not in doc.text:
        return
    if not any(node.attr == "create_all" for node in doc.nodes_of(ast.Attribute)):  # type: ignore[attr-defined]
        return  # only in a comment or a string: no call to find, no tree to walk
    history = ctx.repo.fact(alembic_history)
    if not history.has_alembic:
        return
    flask_db = names_of(doc).imports("flask_sqlalchemy") or "db" in names_of(doc).bindings
    yield from _visit(doc, ctx, doc.tree, [], flask_db, history.where())


def _visit(doc: PythonDocument, ctx: Context, node: ast.AST, parents: list[ast.AST], flask_db: bool,
           where: str) -> Iterator[Finding]:
    for child in ast.iter_child_nodes(node):
        if _is_create_all(child, flask_db) and not _test_guarded(parents) and not _then_stamps(doc, parents):
            spelled = ast.get_source_segment(doc.text, child) or "metadata.create_all"
            yield ctx.finding(doc.node_span(child), f"`{spelled}` creates tables outside Alembic, but this "
                                                    f"repository has migrations ({where}); run `alembic upgrade "
                                                    "head` instead and keep create_all() for tests")
        else:
            yield from _visit(doc, ctx, child, [*parents, child], flask_db, where)


def _call_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _then_stamps(doc: PythonDocument, parents: list[ast.AST]) -> bool:
    """The enclosing function also stamps the Alembic version (`command.stamp(cfg, "head")`, directly or
    through a function of the same module): Alembic's documented way to build a fresh database."""
    function = next((p for p in reversed(parents) if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if function is None or doc.tree is None:
        return False
    local = {n.name: n for n in doc.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}

    def stamps(node: ast.AST, follow: bool) -> bool:
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            name = _call_name(call.func)
            if "stamp" in name.lower():
                return True
            if follow and name in local and local[name] is not node and stamps(local[name], False):
                return True
        return False

    return stamps(function, True)


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (alembic_history,)
