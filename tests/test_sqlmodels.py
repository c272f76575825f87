"""The models and migrations fact: declarative classes across modules, and the replayed revision graph."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, check, write
from preflight.discover import discover
from preflight.facts import Repository
from preflight.sqlmodels import alembic_history, ddl_tables, sqlalchemy_models


def repository(root: Path) -> Repository:
    return Repository(str(root), discover(str(root)).files)


def migration(revision: str, down: str, body: str) -> str:
    return (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = {revision!r}\n"
            f"down_revision = {down}\n\n\ndef upgrade():\n" + "".join(f"    {line}\n" for line in body.splitlines()))


def schema(root: Path) -> dict[str, list[str]]:
    history = repository(root).fact(alembic_history)
    return {name: sorted(t.columns) for name, t in sorted(history.tables.items())}


def test_models_found_through_bases_across_modules() -> None:
    repo = repository(REPO / "fixtures" / "MIG002" / "good")
    tables = {t.name: sorted(t.columns) for t in repo.fact(sqlalchemy_models).tables}
    assert tables == {
        "accepted_attempts": ["id", "reviewer"],  # joined inheritance: only its own columns
        "attempts": ["answer", "id", "kind", "submitted_at"],
        "bots": ["desk", "handle", "id", "note"],  # abstract base columns + single-table child
        "legacy_accounts": ["id", "old_field"],
        "markets": ["id", "kind"],
        "ranked_attempt": ["id", "rank_points"],  # a db.Model subclass with its own primary key
        "user_profile": ["id"],  # Flask-SQLAlchemy's derived name
        "wallets": ["balance", "id"],
    }


def test_linear_history_with_rename_and_batch(tmp_path: Path) -> None:
    write(tmp_path, {
        "m/versions/2.py": migration("b", "'a'", 'op.alter_column("t", "x", new_column_name="y", type_=sa.Text())\n'
                                                 'with op.batch_alter_table("t") as b:\n    b.add_column(sa.Column("z", sa.Integer()))'),
        "m/versions/1.py": migration("a", "None", 'op.create_table("t", sa.Column("id", sa.Integer()), sa.Column("x", sa.String()))'),
        "m/versions/3.py": migration("c", "'b'", 'op.rename_table("t", "u")\nop.drop_column("u", "id")'),
    })
    history = repository(tmp_path).fact(alembic_history)
    assert [m.revision for m in history.migrations] == ["a", "b", "c"]
    assert schema(tmp_path) == {"u": ["y", "z"]}
    assert history.tables["u"].columns["y"].span.path == "m/versions/2.py"


def test_branches_and_merge_are_replayed_parents_first(tmp_path: Path) -> None:
    write(tmp_path, {
        "m/versions/0_merge.py": migration("m", "('b1', 'b2')", 'op.add_column("t", sa.Column("merged", sa.Integer()))'),
        "m/versions/1_root.py": migration("r", "None", 'op.create_table("t", sa.Column("id", sa.Integer()))'),
        "m/versions/2_b1.py": migration("b1", "'r'", 'op.add_column("t", sa.Column("one", sa.Integer()))'),
        "m/versions/3_b2.py": migration("b2", "'r'", 'op.execute("CREATE TABLE raw (id int)")'),
    })
    history = repository(tmp_path).fact(alembic_history)
    assert [m.revision for m in history.migrations] == ["r", "b1", "b2", "m"]
    assert schema(tmp_path) == {"raw": [], "t": ["id", "merged", "one"]}
    assert history.tables["raw"].raw_sql and not history.tables["t"].raw_sql


def test_ddl_tables() -> None:
    assert ddl_tables('CREATE TABLE IF NOT EXISTS public."Bots" (id int); ALTER TABLE ONLY ledger RENAME TO entries') == \
        ["Bots", "ledger", "entries"]


def test_py014_is_silent_without_alembic(tmp_path: Path) -> None:
    write(tmp_path, {"app/main.py": "from app.db import Base, engine\nBase.metadata.create_all(engine)\n"})
    assert check(tmp_path, select=["PY014"]).findings == []
    write(tmp_path, {"alembic.ini": "[alembic]\nscript_location = migrations\n"})
    [finding] = check(tmp_path, select=["PY014"]).findings
    assert finding.message.startswith("`Base.metadata.create_all` creates tables outside Alembic") and \
        "(alembic.ini)" in finding.message


def test_mig002_is_silent_without_migrations(tmp_path: Path) -> None:
    write(tmp_path, {"app/models.py": "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import declarative_base\n"
                                      "Base = declarative_base()\nclass A(Base):\n    __tablename__ = 'a'\n"
                                      "    id = Column(Integer, primary_key=True)\n"})
    assert check(tmp_path, select=["MIG002"]).findings == []


def test_a_table_the_migrations_alter_but_never_create_comes_from_a_baseline(tmp_path) -> None:
    from conftest import check, located, write

    write(tmp_path, {
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        "app/models.py": ("from sqlalchemy import Column, Integer, Table\nfrom app.db import Base\n"
                          "team_terms = Table('team_terms', Base.metadata, Column('id', Integer))\n"
                          "orphans = Table('orphans', Base.metadata, Column('id', Integer))\n"),
        "migrations/versions/0001_fk.py": ("from alembic import op\nrevision = '0001'\ndown_revision = None\n"
                                           "def upgrade():\n"
                                           "    op.create_foreign_key(None, 'team_terms', 'term', ['term_id'], ['id'])\n"),
    })
    assert located(check(tmp_path, select=["MIG002"])) == ["app/models.py:4:17 MIG002"]  # the "orphans" name
