"""The shared Python name resolver sees through import styles and aliases."""

from __future__ import annotations

import ast

import pytest

from preflight.documents.python import parse
from preflight.model import FileKind
from preflight.pynames import Names, is_built_string, names_of


def resolve(source: str, expr: str) -> str | None:
    names = Names(ast.parse(source))
    return names.qualname(ast.parse(expr, mode="eval").body)


@pytest.mark.parametrize(("source", "expr", "expected"), [
    ("import sqlalchemy as sa", "sa.Float", "sqlalchemy.Float"),
    ("from sqlalchemy import Float as F", "F", "sqlalchemy.Float"),
    ("from sqlalchemy.types import Float", "Float", "sqlalchemy.Float"),
    ("from sqlalchemy.sql import sqltypes", "sqltypes.Float", "sqlalchemy.Float"),
    ("from sqlalchemy.orm import Mapped, mapped_column", "mapped_column", "sqlalchemy.orm.mapped_column"),
    ("from sqlalchemy.sql.expression import func as sa_func", "sa_func.Integer", "sqlalchemy.func.Integer"),
    ("import sqlalchemy.orm", "sqlalchemy.orm.Session", "sqlalchemy.orm.Session"),
    ("import yaml", "yaml.load", "yaml.load"),
    ("from . import models", "models.Base", ".models.Base"),
    ("from .db import engine", "engine", ".db.engine"),
    ("import sqlalchemy as sa\nMoney = sa.Float", "Money", "sqlalchemy.Float"),
    ("def f():\n    from unittest.mock import MagicMock\n", "MagicMock", "mock.MagicMock"),
    ("try:\n    import yaml\nexcept ImportError:\n    yaml = None", "yaml.safe_load", "yaml.safe_load"),
    ("", "float", "float"),
    ("class Float: pass", "Float", None),
    ("", "session.execute", None),
])
def test_qualified_names(source: str, expr: str, expected: str | None) -> None:
    assert resolve(source, expr) == expected


def test_names_are_built_once_per_document() -> None:
    doc = parse("app.py", FileKind.PYTHON, "import yaml\n")
    assert names_of(doc) is names_of(doc)
    assert names_of(doc).imports("yaml")


@pytest.mark.parametrize(("expr", "built"), [
    ('f"SELECT {x}"', True), ('"SELECT %s" % x', True), ('"a" + b', True), ('"{}".format(x)', True),
    ('"SELECT 1"', False), ('f"SELECT 1"', False), ("query", False), ("text(q)", False),
])
def test_built_strings(expr: str, built: bool) -> None:
    assert is_built_string(ast.parse(expr, mode="eval").body) is built
