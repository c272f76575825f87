"""SQL in Python code: which receivers are SQLAlchemy, and which strings are built from values.

Used by PY002 (``session.execute("...")``), PY003 (``text(f"...")``) and PY012 (database URLs).
A receiver counts as SQLAlchemy when the module says so: a parameter annotated with a session,
connection or engine type (resolved through the imports, ``Annotated[...]`` and module-level type
aliases like ``SessionDep``), a FastAPI ``Depends(get_db)`` default, or a value made by
``create_engine()``, ``Session(...)``, a ``sessionmaker()`` factory, ``engine.connect()`` /
``engine.begin()``, ``op.get_bind()``, Flask-SQLAlchemy's ``db.session``, ``self.session`` set from
one of those. DB-API cursors and connections (``sqlite3``, ``psycopg``, ``asyncpg``, ...) are not.
Names imported from the project itself are judged by their names (``engine``, ``SessionLocal``,
``get_db``, ``SessionDep``), which is a heuristic: the defining module is not read.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from preflight.documents.python import PythonDocument
from preflight.facts import Repository
from preflight.model import FileKind
from preflight.pynames import Names, constant_str, names_of
from preflight_rules.py.bindings import Binding, ModuleScopes, Scope, class_attributes, module_scopes

SQLA_MODULES = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy", "alembic")
# Classes whose instances run statements.
DB_CLASSES = frozenset({"Session", "AsyncSession", "Connection", "AsyncConnection", "Engine", "AsyncEngine",
                        "scoped_session", "async_scoped_session", "SignallingSession"})
ENGINE_MAKERS = frozenset({"sqlalchemy.create_engine", "sqlalchemy.ext.asyncio.create_async_engine",
                           "sqlalchemy.engine_from_config", "sqlalchemy.ext.asyncio.async_engine_from_config",
                           "sqlmodel.create_engine", "sqlalchemy.create_mock_engine"})
FACTORY_MAKERS = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.scoped_session",
                            "sqlalchemy.ext.asyncio.async_sessionmaker", "sqlalchemy.ext.asyncio.async_scoped_session",
                            "sqlalchemy.sessionmaker"})
# Methods of an engine / session / factory that hand back something that executes.
DB_METHODS = frozenset({"connect", "begin", "get_bind", "connection", "execution_options", "begin_nested"})
# Third-party modules with a `Session` or `connect` of their own: never SQLAlchemy.
NOT_SQL = frozenset({"requests", "aiohttp", "httpx", "boto3", "botocore", "urllib3", "niquests", "neo4j",
                     "cassandra", "grpc", "paramiko", "tensorflow", "onnxruntime", "sqlite3", "psycopg",
                     "psycopg2", "asyncpg", "pymysql", "aiosqlite", "MySQLdb", "mysql", "aiomysql",
                     "cx_Oracle", "oracledb", "pyodbc", "duckdb", "clickhouse_driver", "snowflake",
                     "redis", "pymongo", "motor", "databases"})
ENGINE_NAME = re.compile(r"(?i)^(async_|sync_)?(db_)?engine$|_engine$")
SESSION_NAME = re.compile(r"(?i)^(db_|async_|sync_)?session$|^db_session$")
FACTORY_NAME = re.compile(r"(?i)(session_?(local|maker|factory)$|^async_?session$|^(async_?)?session_?maker$)")
ANNOTATION_NAME = re.compile(r"(?i)^(async_?)?(db_?)?session(_?dep)?$|^(db|async_?db)(_?dep)?$")
PROVIDER_NAME = re.compile(r"(?i)^get_(async_|sync_)?(db|database|session|db_session|database_session|"
                           r"async_session|sync_session)$")
MAX_DEPTH = 8


def imports_sqlalchemy(names: Names) -> bool:
    return any(names.imports(m) for m in SQLA_MODULES)


@dataclass(frozen=True)
class SqlalchemyUsage:
    """Repository fact: does any module import SQLAlchemy (or SQLModel, Alembic), Flask-SQLAlchemy?"""

    sqlalchemy: bool
    flask_sqlalchemy: bool


def sqlalchemy_usage(repo: Repository) -> SqlalchemyUsage:
    any_sqla = flask = False
    for doc in repo.documents(FileKind.PYTHON):
        if not isinstance(doc, PythonDocument):
            continue
        names = names_of(doc)
        any_sqla = any_sqla or imports_sqlalchemy(names)
        flask = flask or names.imports("flask_sqlalchemy")
        if any_sqla and flask:
            break
    return SqlalchemyUsage(any_sqla, flask)


def _top(qualname: str) -> str:
    return qualname.lstrip(".").split(".")[0]


def _sqla(qualname: str | None) -> bool:
    return qualname is not None and _top(qualname) in SQLA_MODULES and not qualname.startswith(".")


@dataclass
class Receivers:
    """Decides whether expressions of one module are SQLAlchemy sessions, connections or engines."""

    doc: PythonDocument
    flask_db: bool = False
    names: Names = field(init=False)
    scopes: ModuleScopes = field(init=False)

    def __post_init__(self) -> None:
        self.names = names_of(self.doc)
        self.scopes = module_scopes(self.doc)

    # -- names that come from elsewhere ---------------------------------------------------------
    def _foreign(self, name: str) -> str | None:
        """The qualified name of an imported ``name``; "" when imported from a non-SQL library."""
        qualname = self.names.bindings.get(name)
        if qualname is None:
            return None
        return "" if _top(qualname) in NOT_SQL and not qualname.startswith(".") else qualname

    # -- annotations ----------------------------------------------------------------------------
    def is_db_annotation(self, node: ast.AST | None, depth: int = 0) -> bool:
        if node is None or depth > MAX_DEPTH:
            return False
        text = constant_str(node)
        if text is not None:  # "Session" forward reference
            try:
                node = ast.parse(text.strip(), mode="eval").body
            except (SyntaxError, ValueError):
                return False
        if isinstance(node, ast.Subscript):  # Annotated[Session, ...], Optional[Session], Generator[Session, ...]
            inner = node.slice
            elts = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return any(self.is_db_annotation(e, depth + 1) for e in elts[:1]) or \
                any(self.is_db_annotation(e, depth + 1) for e in elts[1:] if not isinstance(e, ast.Call))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self.is_db_annotation(node.left, depth + 1) or self.is_db_annotation(node.right, depth + 1)
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return False
        qualname = self.names.qualname(node)
        if _sqla(qualname):
            return qualname.rsplit(".", 1)[-1] in DB_CLASSES  # type: ignore[union-attr]
        if isinstance(node, ast.Name):
            for binding in self.scopes.module.bindings(node.id):  # SessionDep = Annotated[Session, Depends(get_db)]
                if binding.kind == "assign" and self.is_db_annotation(binding.value, depth + 1):
                    return True
            foreign = self._foreign(node.id)
            if foreign and ANNOTATION_NAME.match(node.id):
                return True
        return False

    # -- values ---------------------------------------------------------------------------------
    def is_db(self, node: ast.AST | None, scope: Scope, depth: int = 0) -> bool:
        """Is ``node`` a SQLAlchemy session, connection or engine (or a scoped_session registry)?"""
        if node is None or depth > MAX_DEPTH:
            return False
        if isinstance(node, ast.Await):
            return self.is_db(node.value, scope, depth + 1)
        if isinstance(node, ast.Name):
            found = scope.lookup(node.id)
            if found is not None:
                where, bindings = found
                return any(self._binding_is_db(b, where, depth + 1) for b in bindings)
            foreign = self._foreign(node.id)
            if foreign is None or foreign == "":
                return False
            if _sqla(foreign):
                return foreign.rsplit(".", 1)[-1] in DB_CLASSES
            return bool(ENGINE_NAME.search(node.id) or SESSION_NAME.match(node.id))
        if isinstance(node, ast.Attribute):
            return self._attribute_is_db(node, scope, depth)
        if isinstance(node, ast.Call):
            return self._call_is_db(node, scope, depth)
        return False

    def _binding_is_db(self, binding: Binding, scope: Scope, depth: int) -> bool:
        if binding.kind == "param":
            if self.is_db_annotation(binding.annotation):
                return True
            default = binding.value
            if isinstance(default, ast.Call) and default.args and \
                    self.names.qualname(default.func) in ("fastapi.Depends", "fastapi.params.Depends"):
                return self.is_provider(default.args[0], scope, depth + 1)
            return False
        if binding.kind in ("assign", "declared"):
            if binding.annotation is not None and self.is_db_annotation(binding.annotation):
                return True
            value = binding.value
            if isinstance(value, ast.Call) and self.names.qualname(value.func) == "next" and value.args:
                value = value.args[0]  # db = next(get_db())
                if isinstance(value, ast.Call):
                    return self.is_provider(value.func, scope, depth + 1)
            return self.is_db(value, scope, depth)
        if binding.kind == "with":
            value = binding.value
            if isinstance(value, ast.Call) and self.is_provider(value.func, scope, depth + 1):
                return True  # with get_session() as session
            return self.is_db(value, scope, depth)
        if binding.kind == "for":  # for db in get_db():
            value = binding.value
            return isinstance(value, ast.Call) and self.is_provider(value.func, scope, depth + 1)
        return False

    def _attribute_is_db(self, node: ast.Attribute, scope: Scope, depth: int) -> bool:
        base = node.value
        if isinstance(base, ast.Name) and base.id == scope.self_name and scope.cls is not None:
            for binding, where in class_attributes(self.scopes, scope.cls).get(node.attr, []):
                if binding.annotation is not None and self.is_db_annotation(binding.annotation):
                    return True
                if binding.value is not None and self._binding_is_db(Binding("assign", binding.value), where, depth + 1):
                    return True
            return False
        if node.attr == "session" and isinstance(base, ast.Name):  # Flask-SQLAlchemy: db.session
            found = scope.lookup(base.id)
            if found is not None:
                return any(b.kind == "assign" and isinstance(b.value, ast.Call) and
                           self.names.qualname(b.value.func) == "flask_sqlalchemy.SQLAlchemy" for b in found[1])
            return self.flask_db and bool(self._foreign(base.id)) and base.id == "db"
        qualname = self.names.qualname(node)
        if _sqla(qualname):
            return qualname.rsplit(".", 1)[-1] in DB_CLASSES  # type: ignore[union-attr]
        return False

    def _call_is_db(self, node: ast.Call, scope: Scope, depth: int) -> bool:
        func = node.func
        qualname = self.names.qualname(func)
        if qualname in ENGINE_MAKERS:
            return True
        if _sqla(qualname) and qualname.rsplit(".", 1)[-1] in DB_CLASSES:  # type: ignore[union-attr]
            return True  # Session(engine)
        if isinstance(func, ast.Attribute) and func.attr in DB_METHODS:
            owner = func.value
            if self.names.qualname(owner) in ("alembic.op", "alembic.context"):
                return True  # op.get_bind()
            return self.is_db(owner, scope, depth + 1) or self.is_factory(owner, scope, depth + 1)
        return self.is_factory(func, scope, depth + 1)

    def is_factory(self, node: ast.AST | None, scope: Scope, depth: int = 0) -> bool:
        """Does calling ``node`` make a session: a ``sessionmaker()`` result or a session class?"""
        if node is None or depth > MAX_DEPTH:
            return False
        if isinstance(node, ast.Call):
            return self.names.qualname(node.func) in FACTORY_MAKERS
        if isinstance(node, ast.Name):
            found = scope.lookup(node.id)
            if found is not None:
                where, bindings = found
                return any(b.kind == "assign" and self.is_factory(b.value, where, depth + 1) for b in bindings)
            foreign = self._foreign(node.id)
            if not foreign:
                return False
            if _sqla(foreign):
                return foreign.rsplit(".", 1)[-1] in DB_CLASSES
            return bool(FACTORY_NAME.search(node.id))
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id == scope.self_name and scope.cls is not None:
                attrs = class_attributes(self.scopes, scope.cls).get(node.attr, [])
                if any(b.value is not None and self.is_factory(b.value, w, depth + 1) for b, w in attrs):
                    return True
                return bool(FACTORY_NAME.search(node.attr)) and bool(attrs)
        return False

    def is_provider(self, node: ast.AST | None, scope: Scope, depth: int = 0) -> bool:
        """Is ``node`` a function that returns or yields a session (a ``get_db`` dependency)?"""
        if depth > MAX_DEPTH or not isinstance(node, ast.Name):
            return False
        found = scope.lookup(node.id)
        if found is not None:
            for binding in found[1]:
                if binding.kind == "def" and isinstance(binding.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if self._function_gives_db(binding.node, depth + 1):
                        return True
            return False
        foreign = self._foreign(node.id)
        return bool(foreign) and bool(PROVIDER_NAME.match(node.id))

    def _function_gives_db(self, func: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> bool:
        if self.is_db_annotation(func.returns, depth):
            return True
        inner = self.scopes.scope_of(func)
        if inner is None:
            return False
        for node in ast.walk(func):
            if isinstance(node, (ast.Yield, ast.Return)) and node.value is not None:
                if self.is_db(node.value, inner, depth + 1):
                    return True
        return False


# -- strings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SqlString:
    """A string expression: how it was built and the values interpolated into it."""

    how: str  # "literal", "f-string", "%", ".format()", "+", "join"
    values: tuple[ast.expr, ...] = ()

    @property
    def built(self) -> bool:
        return self.how != "literal"


def string_of(node: ast.AST | None, scope: Scope, depth: int = 0) -> SqlString | None:
    """What ``node`` is as a string (following local names bound only to strings), or None."""
    if node is None or depth > MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return SqlString("literal")
    if isinstance(node, ast.JoinedStr):
        values = tuple(v.value for v in node.values if isinstance(v, ast.FormattedValue))
        return SqlString("f-string" if values else "literal", values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        left = string_of(node.left, scope, depth + 1)
        if left is None:
            return None
        right = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return SqlString("%", left.values + tuple(right))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = string_of(node.left, scope, depth + 1), string_of(node.right, scope, depth + 1)
        if left is None and right is None:
            return None
        values = (left.values if left else (node.left,)) + (right.values if right else (node.right,))
        if left is not None and right is not None and not left.built and not right.built:
            return SqlString("literal")
        inner = next((s.how for s in (left, right) if s is not None and s.built), "+")
        return SqlString("+" if left is None or right is None else inner, values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr in ("format", "format_map", "join"):
        base = string_of(node.func.value, scope, depth + 1)
        if base is None:
            return None
        args = tuple(a.value if isinstance(a, ast.Starred) else a for a in node.args)
        args += tuple(k.value for k in node.keywords)
        how = "join" if node.func.attr == "join" else ".format()"
        return SqlString(how, base.values + args)
    if isinstance(node, ast.Name):
        found = scope.lookup(node.id)
        if found is None:
            return None
        where, bindings = found
        parts: list[SqlString] = []
        for binding in bindings:
            if binding.kind not in ("assign", "augmented"):
                return None
            part = string_of(binding.value, where, depth + 1)
            if part is None:
                return None
            if binding.kind == "augmented":
                part = SqlString("+" if not part.built else part.how, part.values)
            parts.append(part)
        if not parts:
            return None
        built = [p for p in parts if p.built]
        if not built:
            return SqlString("literal")
        return SqlString(built[0].how, tuple(v for p in built for v in p.values))
    return None


def is_fixed(node: ast.AST, scope: Scope, depth: int = 0) -> bool:
    """Is an interpolated value fixed by the code itself (so neither injection nor plan churn)?

    Literals; names bound only to literals (``TABLE = "users"``); a loop variable over a literal
    tuple of strings; a list of bind-parameter placeholders (``", ".join(f":id{i}" for ...)``).
    """
    if depth > MAX_DEPTH:
        return False
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        found = scope.lookup(node.id)
        if found is None:
            return False
        where, bindings = found
        for binding in bindings:
            if binding.kind == "assign" and binding.value is not None:
                if isinstance(binding.value, ast.Constant) or _placeholder_list(binding.value) or \
                        is_fixed(binding.value, where, depth + 1) and isinstance(binding.value, ast.Name):
                    continue
                string = string_of(binding.value, where, depth + 1)
                if string is not None and all(is_fixed(v, where, depth + 1) for v in string.values):
                    continue
                return False
            if binding.kind == "for" and isinstance(binding.value, (ast.Tuple, ast.List, ast.Set)) and \
                    all(isinstance(e, ast.Constant) for e in binding.value.elts):
                continue
            return False
        return bool(bindings)
    if _placeholder_list(node):
        return True
    return False


def _placeholder_list(node: ast.AST) -> bool:
    """``", ".join(f":id_{i}" for i in ...)``: bind-parameter names, not values."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
            and isinstance(node.func.value, ast.Constant) and len(node.args) == 1):
        return False
    arg = node.args[0]
    if not isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
        return False
    elt = arg.elt
    first = elt.values[0] if isinstance(elt, ast.JoinedStr) and elt.values else elt
    return isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith(":")
