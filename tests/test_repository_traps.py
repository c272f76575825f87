"""Traps that depend on the whole repository, so no good/ fixture tree can hold them with the
opposite case: the same code is a finding in one repository and clean in another."""

from __future__ import annotations

from conftest import check, located, write

ENGINE = ("import os\nfrom sqlalchemy import create_engine\n"
          "engine = create_engine(os.environ['DATABASE_URL'])\n")
MODELS = ("from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import declarative_base\n"
          "Base = declarative_base()\nclass Bot(Base):\n    __tablename__ = 'bots'\n"
          "    id = Column(Integer, primary_key=True)\n")
STARTUP = "from app.models import Base\nfrom app.db import engine\nBase.metadata.create_all(engine)\n"
MIGRATION = ("from alembic import op\nimport sqlalchemy as sa\nrevision = 'a1'\ndown_revision = None\n"
             "def upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))\n")


def test_py012_env_urls_matter_only_on_a_platform_that_hands_out_postgres_urls(tmp_path) -> None:
    write(tmp_path, {"app/db.py": ENGINE})
    assert located(check(tmp_path, select=["PY012"])) == []
    write(tmp_path, {"fly.toml": 'app = "bots"\nprimary_region = "lax"\n'})
    assert located(check(tmp_path, select=["PY012"])) == ["app/db.py:3:24 PY012"]


def test_py014_and_mig002_need_a_repository_with_alembic(tmp_path) -> None:
    write(tmp_path, {"app/models.py": MODELS, "app/main.py": STARTUP, "app/db.py": ENGINE})
    assert located(check(tmp_path, select=["PY014", "MIG002"])) == []
    write(tmp_path, {"alembic.ini": "[alembic]\nscript_location = migrations\n",
                     "migrations/versions/a1_users.py": MIGRATION})
    assert located(check(tmp_path, select=["PY014", "MIG002"])) == [
        "app/main.py:3:1 PY014", "app/models.py:5:21 MIG002"]  # the table name
