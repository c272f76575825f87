"""## What it catches
A table or column that the SQLAlchemy models declare but that no Alembic migration creates. The
rule replays every migration's `upgrade()` in revision order (following `down_revision` links
through branches and merges): `op.create_table`, `op.add_column`, `op.drop_column`,
`op.alter_column(..., new_column_name=...)`, `op.rename_table`, `op.drop_table` and the same ops
inside `with op.batch_alter_table(...)`, and compares the resulting schema with the models
(declarative classes, Flask-SQLAlchemy `db.Model`, SQLModel `table=True`, `Table(...)` objects,
columns inherited from mixins and abstract bases, single-table inheritance; under joined-table
inheritance a subclass's table holds only its own columns). Migrations are read from `versions/`
directories and from a plugin's own `migrations/` directory of revisions, whose history runs after
the application's.

It runs only in repositories that have Alembic migrations, and it stays silent where it cannot
know: a table created or altered by raw SQL (`op.execute("CREATE TABLE ...")`), a table that
existed before the first migration (only altered by them), a `create_table` whose columns come
from a helper, models whose table name is computed (`@declared_attr`), `__table__ = ...`
reflection, views and models marked `info={"skip_autogenerate": True}`. Test code is not read.

With `preflight check --base REF` it also compares the models with those of the base revision:
a table or column that is new, a column whose SQL type changed, or a column the models no longer
declare, in a change that adds no Alembic revision, is reported even where the replay above has
to stay silent (tables made by raw SQL or helpers). A change that adds a revision is judged by the
replay alone.

## Why it matters
Seed 001, rule 1, "Migrations Are Not Optional": any change to a SQLAlchemy model must come with
an Alembic migration (`alembic revision --autogenerate`); `init_db.py` scripts and manual SQL on a
running database left environments whose schema no longer matched the code. Seed 004 §24 adds the
deployment side: schema changes made directly in production, outside versioned migrations, cannot
be reproduced or rolled back. A model without its migration works on the laptop where
`create_all()` made the table, then fails in production with `relation "..." does not exist` or
`column ... does not exist` at the first query.

## Example
```python
# app/models.py
from sqlalchemy import Column, Integer, Numeric, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255))
    balance = Column(Numeric(18, 8))
```

```python
# migrations/versions/0001_users.py
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("email", sa.String(255)))
```

## Use instead
```python
# app/models.py
from sqlalchemy import Column, Integer, Numeric, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(255))
    balance = Column(Numeric(18, 8))
```

```python
# migrations/versions/0001_users.py
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("users", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("email", sa.String(255)))
```

```python
# migrations/versions/0002_balance.py
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("users", sa.Column("balance", sa.Numeric(18, 8)))
```

## Fix
Generate the missing migration against a database at `head` with
`alembic revision --autogenerate -m "..."`, review it, and commit it with the model change. Apply
migrations at deploy time with `alembic upgrade head`; never create tables with
`metadata.create_all()` or hand-written SQL outside `versions/`.
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.sqlmodels import AlembicHistory, alembic_history, sqlalchemy_models

RULE = RuleMeta(
    id="MIG002",
    name="model-without-migration",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON, FileKind.INI}),
    summary="A model's table or column is created by no Alembic migration",
    source='seed 001 rule 1 "Migrations Are Not Optional"; seed 004 §24',
    lesson="Every model change needs its Alembic migration (alembic revision --autogenerate); a table "
           "made by create_all() or manual SQL exists on one machine and is missing everywhere else.",
    symptoms=("psycopg2.errors.UndefinedTable: relation does not exist",
              "psycopg2.errors.UndefinedColumn: column does not exist"),
    tags=("alembic", "sqlalchemy", "migrations", "database"),
)


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    history = repo.fact(alembic_history)
    if not history.migrations:
        return
    reported: set[Span] = set()
    for finding in _replayed(repo, history, ctx):
        reported.add(finding.span)
        yield finding
    if repo.base is not None:
        for finding in _changed_without_migration(repo, history, ctx):
            if finding.span not in reported:
                yield finding


def _replayed(repo: Repository, history: AlembicHistory, ctx: Context) -> Iterator[Finding]:
    models = repo.fact(sqlalchemy_models)
    for table in models.tables:
        owner = f"model {table.class_name}" if table.class_name else f'Table("{table.name}")'
        schema = history.tables.get(table.name.lower())
        if schema is None:
            if history.unknown_tables:
                continue  # some migration names its table with an expression we cannot read
            if table.name.lower() in history.mentioned:
                continue  # altered but never created: it comes from a baseline outside the migrations
            yield ctx.finding(table.span, f"table `{table.name}` of {owner} is created by no Alembic migration in "
                                          f"{history.where()}; run `alembic revision --autogenerate` and commit "
                                          "the migration")
            continue
        if not schema.complete or schema.raw_sql:
            continue
        created = f"{schema.path}:{schema.span.line}"
        for column in table.columns.values():
            if column.name.lower() not in schema.columns:
                yield ctx.finding(column.span, f"column `{table.name}.{column.name}` of {owner} is in no migration "
                                               f"(the table is created at {created} and the migrations after it "
                                               "leave the column out); run `alembic revision --autogenerate`")


def _changed_without_migration(repo: Repository, history: AlembicHistory, ctx: Context) -> Iterator[Finding]:
    """`--base REF`: models that changed since the base while the change adds no migration."""
    base = repo.base
    old_history = base.fact(alembic_history)
    if {m.revision for m in history.migrations} - {m.revision for m in old_history.migrations}:
        return  # the change adds a migration; the replay above judges whether it is complete
    before = {t.name.lower(): t for t in base.fact(sqlalchemy_models).tables}
    advice = "; run `alembic revision --autogenerate` and commit the migration with the model change"
    for table in repo.fact(sqlalchemy_models).tables:
        owner = f"model {table.class_name}" if table.class_name else f'Table("{table.name}")'
        old = before.get(table.name.lower())
        if old is None:
            yield ctx.finding(table.span, f"table `{table.name}` of {owner} is new since {base.ref} and the "
                                          f"change adds no Alembic migration{advice}")
            continue
        for key, column in table.columns.items():
            previous = old.columns.get(key)
            if previous is None:
                what = "is new"
            elif _type(previous.type_node) != _type(column.type_node) and column.type_node is not None:
                what = f"changed type ({_shown(previous.type_node)} -> {_shown(column.type_node)})"
            else:
                continue
            yield ctx.finding(column.span, f"column `{table.name}.{column.name}` of {owner} {what} since {base.ref} "
                                           f"and the change adds no Alembic migration{advice}")
        removed = sorted(c.name for k, c in old.columns.items() if k not in table.columns)
        if removed:
            names = ", ".join(f"`{n}`" for n in removed)
            yield ctx.finding(table.span, f"{owner} no longer declares {names} since {base.ref} and the change adds "
                                          f"no Alembic migration; the column stays in every database{advice}")


def _type(node: object) -> str | None:
    import ast

    return ast.dump(node) if isinstance(node, ast.AST) else None


def _shown(node: object) -> str:
    import ast

    return ast.unparse(node) if isinstance(node, ast.AST) else "none"

