"""## What it catches
A database column named for money (`balance`, `amount`, `price`, `fee`, `wager`, `payout`,
`total_amount`, ...) stored as a binary floating-point type:

- SQLAlchemy models: `Column(Float)`, `sa.Column(sa.Float())`, `db.Column(db.Float)`,
  `mapped_column(Float)`, `Mapped[float]` (also `Mapped[Optional[float]]`, `Mapped[float | None]`),
  `REAL`, `FLOAT`, `DOUBLE`, `DOUBLE_PRECISION` (also from `sqlalchemy.dialects.postgresql`), and
  `Table("t", metadata, Column("amount", Float))`;
- SQLModel `table=True` models: `amount: float = Field(...)`;
- Alembic migrations: a column that is still float after every later migration has run (a column
  created as `Float` and later altered to `Numeric` is fine; `existing_type=sa.Float()` is history);
- SQL DDL given to `op.execute(...)`, `text(...)`, `execute(...)`: `amount REAL`,
  `price DOUBLE PRECISION`, `ALTER COLUMN fee TYPE FLOAT`.

Names are judged by whole tokens (`total_amount`, `walletBalance`), and a name whose last token
says it is not an amount (`total_hours`, `credit_score`, `fee_rate`, `price_id`) is not money.
`Numeric(18, 8)`, `DECIMAL` and `Mapped[Decimal]` are fine, and so are pydantic schemas with
`float` fields: they are not columns. Test code is not checked.

What it cannot see: a type chosen at run time, a column type from a helper function, and a
`type_annotation_map` that maps `float` to something else (then `Mapped[float]` is not reported).

## Why it matters
From seed 001, "Decimal for Money -- Never Float": every money column of a trading game used
`Float` (IEEE 754 double). After hundreds of ticks with variable wager amounts the accumulated
rounding error broke the ledger invariant, `bot.balance != sum(ledger.amount)`, and no amount of
tolerance in the checks made the books add up again. The fix was a schema change
(`Float` -> `Numeric(18, 8)` on `Bot.balance`, `Ledger.amount`, `Prediction.wager_amount`,
`User.balance`, generated with `alembic revision --autogenerate`) and `decimal.Decimal` for every
money calculation in Python. `0.1 + 0.2 != 0.3` in a float column; it is exact in `NUMERIC`.

## Example
```python
# app/models.py
from sqlalchemy import Float
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Bot(Base):
    __tablename__ = "bots"
    id: Mapped[int] = mapped_column(primary_key=True)
    balance: Mapped[float] = mapped_column(Float)
    wager_amount: Mapped[float]
```

## Use instead
```python
# app/models.py
from decimal import Decimal

from sqlalchemy import Numeric
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Bot(Base):
    __tablename__ = "bots"
    id: Mapped[int] = mapped_column(primary_key=True)
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    wager_amount: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    total_hours: Mapped[float]
```

## Fix
Change the column to `Numeric(precision, scale)` (`Numeric(18, 8)` covers crypto amounts;
`Numeric(12, 2)` is enough for cents), annotate it `Mapped[Decimal]`, generate the migration with
`alembic revision --autogenerate` (check it contains `alter_column(..., type_=sa.Numeric(18, 8))`),
and do the arithmetic with `decimal.Decimal`, never `float()`.

The word lists are data (`rules/data/money_words.toml`); change them per project:

```toml
[tool.preflight.rules.PY001]
extend-money-words = ["bounty", "escrow"]
extend-not-money-endings = ["estimate"]
```
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from preflight.data import data_options, load_data, merged
from preflight.documents.python import PythonDocument, is_test_path
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.pynames import names_of
from preflight.rule import Context, RuleMeta
from preflight.sqlmodels import (
    ModelColumn,
    alembic_history,
    class_columns,
    in_versions_dir,
    sql_text,
    sqlalchemy_models,
    table_objects,
)

RULE = RuleMeta(
    id="PY001",
    name="float-money-column",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A money column is stored as a floating-point type",
    source='seed 001 "Decimal for Money -- Never Float"',
    lesson="Float money columns accumulate rounding error until balances no longer equal the sum of the "
           "ledger; store money as Numeric(p, s) and compute with decimal.Decimal.",
    symptoms=("bot.balance != sum(ledger.amount)",),
    options=(*data_options("money-words", "money words"),
             *data_options("not-money-endings", "last name tokens that make a name not money")),
    tags=("sqlalchemy", "alembic", "money", "database"),
)

FLOAT_TYPES = frozenset({"Float", "FLOAT", "REAL", "Double", "DOUBLE", "DOUBLE_PRECISION"})
FLOAT_PYTHON = frozenset({"float"})
ORM_MODULES = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy")
SQL_FLOAT = r"(?:REAL|FLOAT[48]?(?:\s*\(\s*\d+\s*\))?|DOUBLE\s+PRECISION|DOUBLE)\b"
# `name TYPE` in a column list, `ADD [COLUMN] name TYPE`, `ALTER [COLUMN] name [SET DATA] TYPE t`.
SQL_COLUMN = re.compile(r"(?:^|[(,]|\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?|\bALTER\s+(?:COLUMN\s+)?)\s*"
                        r"(\"[^\"]+\"|\w+)\s+(?:SET\s+DATA\s+)?(?:TYPE\s+)?(" + r"[A-Z]\w*(?:\s+PRECISION)?)",
                        re.IGNORECASE | re.MULTILINE)
FLOAT_SQL = re.compile(SQL_FLOAT, re.IGNORECASE)
TOKENS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
SQL_CALLS = frozenset({"execute", "exec_driver_sql", "text"})


@dataclass(frozen=True)
class MoneyWords:
    words: frozenset[str]
    not_endings: frozenset[str]

    def match(self, name: str) -> bool:
        tokens = [t.lower() for t in TOKENS.findall(name)]
        return bool(tokens) and tokens[-1] not in self.not_endings and any(t in self.words for t in tokens)


def money_words(ctx: Context) -> MoneyWords:
    data = load_data("money_words")
    return MoneyWords(frozenset(w.lower() for w in merged(list(data["words"]), ctx.options, "money-words")),
                      frozenset(w.lower() for w in merged(list(data["not_endings"]), ctx.options,
                                                          "not-money-endings")))


def float_type(doc: PythonDocument, node: ast.AST | None) -> str | None:
    """The name of the float type ``node`` (``Float``, ``sa.Float()``, ``db.REAL``) is, else None."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute) and node.func.attr == "with_variant":
            return float_type(doc, node.func.value)
        node = node.func
    if not isinstance(node, (ast.Name, ast.Attribute)):
        return None
    if isinstance(node, ast.Attribute):
        last = node.attr  # sa.Float, db.Float, postgresql.DOUBLE_PRECISION
    else:
        qualname = names_of(doc).qualname(node)
        if qualname is None or not qualname.startswith(ORM_MODULES):
            return None  # a bare name must be imported from SQLAlchemy (or alias it: Money = sa.Float)
        last = qualname.rsplit(".", 1)[-1]
    return last if last in FLOAT_TYPES else None


def float_annotation(node: ast.AST | None) -> ast.AST | None:
    """The ``float`` inside ``float``, ``Optional[float]``, ``float | None``, ``"float"``, ``Union[float, None]``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            parsed = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
        return node if float_annotation(parsed) is not None else None
    if isinstance(node, ast.Name):
        return node if node.id in FLOAT_PYTHON else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [node.left, node.right]
        if any(isinstance(s, ast.Constant) and s.value is None for s in sides):
            return next((float_annotation(s) for s in sides if float_annotation(s) is not None), None)
        return None
    if isinstance(node, ast.Subscript):
        wrapper = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", None)
        if wrapper == "Optional":
            return float_annotation(node.slice)
        if wrapper == "Union" and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) == 2:
            elts = node.slice.elts
            if any(isinstance(e, ast.Constant) and e.value is None for e in elts):
                return next((float_annotation(e) for e in elts if float_annotation(e) is not None), None)
    return None


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    money = money_words(ctx)
    remapped = repo.fact(sqlalchemy_models).float_annotation_remapped
    for doc in repo.documents(FileKind.PYTHON):
        if not isinstance(doc, PythonDocument) or doc.tree is None or is_test_path(doc.path):
            continue
        if not in_versions_dir(doc.path):
            yield from _model_columns(doc, ctx, money, remapped)
        if not in_versions_dir(doc.path):
            yield from _ddl_strings(doc, ctx, money, _sql_calls(doc))
    yield from _migrations(repo, ctx, money)


def _model_columns(doc: PythonDocument, ctx: Context, money: MoneyWords, remapped: bool) -> Iterator[Finding]:
    assert doc.tree is not None
    columns: list[tuple[ModelColumn, str]] = []
    for node in doc.nodes_of(ast.ClassDef):
        if isinstance(node, ast.ClassDef):
            table = any(kw.arg == "table" and isinstance(kw.value, ast.Constant) and kw.value.value is True
                        for kw in node.keywords)
            columns.extend((c, node.name) for c in class_columns(doc, node, sqlmodel_table=table))
    if names_of(doc).imports("sqlalchemy") or names_of(doc).imports("sqlmodel"):
        for table in table_objects(doc):
            columns.extend((c, f'Table("{table.name}")') for c in table.columns.values())
    for column, owner in columns:
        if not money.match(column.name) and not money.match(column.attribute):
            continue
        if column.type_node is not None:
            kind = float_type(doc, column.type_node)
            where = doc.node_span(column.type_node)
        else:
            found = None if remapped else float_annotation(column.annotation)
            kind = "float" if found is not None else None
            where = doc.node_span(found) if found is not None else column.span
        if kind is None:
            continue
        yield ctx.finding(where, f"money column `{column.name}` of {owner} is stored as {kind}: floating point "
                                 "drifts and balances stop matching their ledger; use Numeric(18, 8) with "
                                 "decimal.Decimal (Mapped[Decimal])")


def _migrations(repo: Repository, ctx: Context, money: MoneyWords) -> Iterator[Finding]:
    history = repo.fact(alembic_history)
    if not history.migrations:
        return
    # Column names whose type a later migration set to something else: float DDL before it is history.
    fixed_later: dict[str, int] = {}
    ddl: list[tuple[int, PythonDocument, list[tuple[ast.AST, str | None]]]] = []
    for position, migration in enumerate(history.migrations):
        doc = repo.loaded(migration.path)  # the history keeps paths, not documents
        if not isinstance(doc, PythonDocument) or doc.tree is None:
            continue
        strings = _sql_calls(doc)
        ddl.append((position, doc, strings))
        for _, sql in strings:
            for match in SQL_COLUMN.finditer(sql or ""):
                if not FLOAT_SQL.match(match.group(2)) and re.search(r"\bTYPE\b", match.group(0), re.IGNORECASE):
                    fixed_later[_unquote(match.group(1))] = position
    for table in history.tables.values():
        for column in table.columns.values():
            if column.type_node is None or not money.match(column.name):
                continue
            declared = repo.loaded(column.path)
            kind = float_type(declared, column.type_node) if isinstance(declared, PythonDocument) else None
            if kind is None:
                fixed_later[column.name.lower()] = len(history.migrations)
                continue
            span = column.type_span or column.span
            yield ctx.finding(span, f"migration leaves money column `{table.name}.{column.name}` as {kind}; "
                                    "alter it to sa.Numeric(18, 8) in a new migration (existing_type=sa.Float())")
    for position, doc, strings in ddl:
        yield from _ddl_strings(doc, ctx, money, strings,
                                lambda name, p=position: fixed_later.get(name, -1) > p)  # type: ignore[misc]


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name.lower()


def _sql_calls(doc: PythonDocument) -> list[tuple[ast.AST, str | None]]:
    """SQL strings given to ``execute()``, ``exec_driver_sql()`` and ``text()`` in ``doc``."""
    assert doc.tree is not None
    found: list[tuple[ast.AST, str | None]] = []
    for node in doc.nodes_of(ast.Call):
        if isinstance(node, ast.Call) and node.args and \
                (node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)) in SQL_CALLS:
            arg = node.args[0]
            if isinstance(arg, ast.Call):
                continue  # execute(text("...")): the text() call is visited itself
            found.append((arg, sql_text(arg)))
    return found


def _ddl_strings(doc: PythonDocument, ctx: Context, money: MoneyWords,
                 strings: Iterable[tuple[ast.AST, str | None]], fixed=lambda name: False) -> Iterator[Finding]:  # noqa: ANN001
    for node, sql in strings:
        if not sql or not re.search(r"\b(CREATE|ALTER)\s", sql, re.IGNORECASE):
            continue
        for match in SQL_COLUMN.finditer(sql):
            name = _unquote(match.group(1))
            if not FLOAT_SQL.match(match.group(2)):
                continue
            if not money.match(name) or fixed(name):
                continue
            span = _span_in_string(doc, node, name, match.group(2)) or doc.node_span(node)
            yield ctx.finding(span, f"SQL declares money column `{name}` as {' '.join(match.group(2).split())}: "
                                    "floating point drifts; use NUMERIC(18, 8)")


def _span_in_string(doc: PythonDocument, node: ast.AST, name: str, type_text: str) -> Span | None:
    """Where the type of column ``name`` stands inside the string literal ``node`` in the source."""
    segment = ast.get_source_segment(doc.text, node)
    if segment is None or not hasattr(node, "lineno"):
        return None
    pattern = re.escape(name) + r'"?\s+(?:SET\s+DATA\s+)?(?:TYPE\s+)?(' + r"\s+".join(map(re.escape, type_text.split())) + ")"
    match = re.search(pattern, segment, re.IGNORECASE)
    if match is None:
        return None
    offset = match.start(1)
    before = segment[:offset]
    line = node.lineno + before.count("\n")  # type: ignore[attr-defined]
    column = node.col_offset + 1 + offset if "\n" not in before else len(before) - before.rfind("\n")  # type: ignore[attr-defined]
    if "\n" in match.group(1):
        return None
    return Span(doc.path, line, column, line, column + len(match.group(1)))
