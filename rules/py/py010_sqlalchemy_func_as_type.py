"""## What it catches
SQLAlchemy's `func` proxy used as if it were the types module:

- `func.Integer`, `sa_func.String`, `sa.func.Boolean`, `db.func.Numeric`, ... -- an attribute of
  `sqlalchemy.func` named like a SQLAlchemy type (`Integer`, `BigInteger`, `String`, `Text`,
  `Boolean`, `Float`, `Numeric`, `DateTime`, `INTEGER`, `VARCHAR`, ...) that is not called, or that is
  used where a type goes (second argument of `cast()`/`type_coerce()`, `type_=`, the type of a
  `Column`);
- `hasattr(func, "...")` and `getattr(func, "Integer", default)`: the proxy answers every name, so
  the test is always true and the default is never used.

Real SQL functions are fine: `func.sum(...)`, `func.count()`, `func.now()`, `func.coalesce(...)`,
and `func.DATE(created_at)` / `func.date(...)` called as functions.

## Why it matters
From seed 001, "SUM(boolean) crash": an aggregate was written as
`sa_func.sum(sa_func.cast(col, sa_func.Integer) if hasattr(sa_func, "Integer") else col)`.
`sa_func` is `sqlalchemy.func`, the generator of SQL *function calls*, not `sqlalchemy.types`:
`sa_func.Integer` is not the `Integer` type but a would-be SQL function named `Integer`, and a
`hasattr` guard on the proxy proves nothing -- it makes up an attribute for any name. The
write-up took the guard to be always false, so the ternary fell back to the raw boolean
column, and PostgreSQL refused `SUM()` over a boolean; whichever branch runs, the query is wrong.
The fix was to stop casting inside the aggregate and count the rows with
`COUNT(...) WHERE would_have_been_liquidated IS TRUE` in a separate query.

## Example
```python
# app/stats.py
from sqlalchemy import func as sa_func, select

from app.models import Trade


def liquidations():
    flag = Trade.would_have_been_liquidated
    value = sa_func.cast(flag, sa_func.Integer) if hasattr(sa_func, "Integer") else flag
    return select(sa_func.sum(value))
```

## Use instead
```python
# app/stats.py
from sqlalchemy import Integer, cast, func, select

from app.models import Trade


def liquidations():
    return select(func.sum(cast(Trade.would_have_been_liquidated, Integer)))


def liquidation_count():
    return select(func.count()).where(Trade.would_have_been_liquidated.is_(True))
```

## Fix
Import types from `sqlalchemy` (`from sqlalchemy import Integer, cast`) and write
`cast(col, Integer)`; keep `func` for SQL functions (`func.sum`, `func.count`). Remove `hasattr`
checks on `func`: they are always true. To count true booleans, use
`func.count().filter(col.is_(True))` or a `WHERE col IS TRUE` query.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.base import Document
from preflight.documents.python import PythonDocument
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import Names, constant_str, names_of
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="PY010",
    name="sqlalchemy-func-as-type",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON}),
    summary="SQLAlchemy's func proxy is used as a type, or tested with hasattr()",
    source='seed 001 "SUM(boolean) crash"',
    lesson="sqlalchemy.func makes up a SQL function for any attribute name: func.Integer is not a type "
           "and hasattr(func, ...) is always true; import types from sqlalchemy.",
    symptoms=("function sum(boolean) does not exist",
              "psycopg2.errors.UndefinedFunction: function sum(boolean) does not exist"),
    tags=("sqlalchemy", "python"),
)

# SQLAlchemy's type names (sqlalchemy.types), as spelled by the classes.
TYPE_NAMES = frozenset({
    "ARRAY", "BIGINT", "BINARY", "BLOB", "BOOLEAN", "BigInteger", "Boolean", "CHAR", "CLOB", "DATE", "DATETIME",
    "DECIMAL", "DOUBLE", "DOUBLE_PRECISION", "Date", "DateTime", "Double", "Enum", "FLOAT", "Float", "INT",
    "INTEGER", "Integer", "Interval", "JSON", "LargeBinary", "NCHAR", "NUMERIC", "NVARCHAR", "Numeric",
    "PickleType", "REAL", "SMALLINT", "SmallInteger", "String", "TEXT", "TIME", "TIMESTAMP", "Text", "Time",
    "TupleType", "TypeDecorator", "UUID", "Unicode", "UnicodeText", "Uuid", "VARBINARY", "VARCHAR",
})  # fmt: skip
TYPE_POSITIONS = frozenset({"cast", "type_coerce", "Column", "mapped_column"})


def _is_func(names: Names, node: ast.AST) -> bool:
    """``func``/``sa_func``/``sa.func`` (sqlalchemy.func), or Flask-SQLAlchemy's ``db.func``."""
    qualname = names.qualname(node)
    if qualname == "sqlalchemy.func":
        return True
    return isinstance(node, ast.Attribute) and node.attr == "func" and isinstance(node.value, ast.Name) and \
        node.value.id == "db" and (qualname is None or not qualname.startswith("sqlalchemy"))


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, PythonDocument) or doc.tree is None:
        return
    names = names_of(doc)
    if not (names.imports("sqlalchemy") or names.imports("flask_sqlalchemy") or "db.func" in doc.text):
        return
    if "func" not in doc.text and doc.text.isascii():
        # Every finding needs an expression _is_func accepts: `<x>.func`, or a name bound to
        # sqlalchemy.func, which only an import or assignment spelling `func` binds. (Python folds
        # identifiers with NFKC, so a non-ASCII module may spell it otherwise: those are walked.)
        return
    call_of: dict[int, ast.Call] = {}  # id(function expression) -> the call that calls it
    in_type_position: set[int] = set()
    for node in doc.nodes_of(ast.Call):
        if isinstance(node, ast.Call):
            call_of[id(node.func)] = node
            name = _called_name(node)
            if name in TYPE_POSITIONS:
                index = 1 if name in ("cast", "type_coerce") else 0
                if len(node.args) > index:
                    in_type_position.add(id(node.args[index]))
                if name == "Column" and node.args and constant_str(node.args[0]) is not None and len(node.args) > 1:
                    in_type_position.add(id(node.args[1]))
            for kw in node.keywords:
                if kw.arg == "type_":
                    in_type_position.add(id(kw.value))
    # Attributes first, then calls (findings are sorted by position later): the two node lists of
    # the by-type index instead of every node of the tree.
    for node in doc.nodes_of(ast.Attribute):
        if node.attr in TYPE_NAMES and _is_func(names, node.value):  # type: ignore[attr-defined]
            call = call_of.get(id(node))
            as_type = id(node) in in_type_position or (call is not None and id(call) in in_type_position)
            if call is not None and not as_type:
                continue  # func.DATE(created_at): a real SQL function
            spelled = ast.get_source_segment(doc.text, node) or f"func.{node.attr}"
            yield ctx.finding(doc.node_span(node), f"`{spelled}` is not a type: func builds SQL function calls "
                                                   f"for any name; use sqlalchemy.{node.attr} "
                                                   f"(from sqlalchemy import {node.attr})")
    for node in doc.nodes_of(ast.Call):
        if isinstance(node, ast.Call) and _called_name(node) in ("hasattr", "getattr") and \
                isinstance(node.func, ast.Name) and len(node.args) >= 2 and _is_func(names, node.args[0]):
            attribute = constant_str(node.args[1])
            if node.func.id == "getattr" and (len(node.args) < 3 or attribute not in TYPE_NAMES):
                continue  # getattr(func, name)(...) looks up a SQL function by name: fine
            probed = ast.get_source_segment(doc.text, node.args[0]) or "func"
            yield ctx.finding(doc.node_span(node), f"`{node.func.id}({probed}, ...)` on SQLAlchemy's func proxy always "
                                                   "finds the attribute (func answers every name); import the type "
                                                   "from sqlalchemy instead of probing func")

