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
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight.sqlmodels import alembic_history, sqlalchemy_models

RULE = RuleMeta(
    id="MIG002",
    name="model-without-migration",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON, FileKind.INI}),
    summary="A model's table or column is created by no Alembic migration",
    source='seed 001 rule 1 "Migrations Are Not Optional"; seed 004 §24',
    lesson="Every model change needs its Alembic migration (alembic revision --autogenerate); a table "
           "made by create_all() or manual SQL exists on one machine and is missing everywhere else.",
    symptoms=(),
    tags=("alembic", "sqlalchemy", "migrations", "database"),
)


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    history = repo.fact(alembic_history)
    if not history.migrations:
        return
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
        created = f"{schema.doc.path}:{schema.span.line}"
        for column in table.columns.values():
            if column.name.lower() not in schema.columns:
                yield ctx.finding(column.span, f"column `{table.name}.{column.name}` of {owner} is in no migration "
                                               f"(the table is created at {created} and the migrations after it "
                                               "leave the column out); run `alembic revision --autogenerate`")
