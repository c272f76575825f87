"""SQLAlchemy models and the Alembic revision graph of a repository, gathered once.

Two repository-wide facts, each a plain function for ``repo.fact(...)``:

- :func:`sqlalchemy_models` -- the tables the ORM models declare: declarative classes (subclasses of
  a ``DeclarativeBase``, of a ``declarative_base()`` result, Flask-SQLAlchemy's ``db.Model``, or
  ``SQLModel`` with ``table=True``), found through their bases across modules by name, with
  ``__tablename__``, columns (``Column``/``mapped_column``/``Mapped[...]``/SQLModel fields), columns
  inherited from mixins and abstract bases, single-table inheritance, and ``Table("name", ...)``
  objects. Test code is left out (test models are created by the tests themselves).
- :func:`alembic_history` -- the migration modules of ``versions/`` directories, ordered by their
  ``revision``/``down_revision`` links (branches and merges included), and the schema that
  replaying their ``upgrade()`` ops gives: tables, columns, their types and the op that last set
  each. A table touched by raw SQL (``op.execute("ALTER TABLE ...")``) is marked ``raw_sql``:
  its columns are unknown.

Everything is read from the parsed ``ast`` of each module; nothing is imported or evaluated. Where a
name cannot be followed (a base class from an installed package, a table name built at run time)
the facts leave the thing out rather than guess.
"""

from __future__ import annotations

import ast
import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from preflight.documents.python import PythonDocument, is_test_path, walk_list
from preflight.model import FileKind, Span
from preflight.pynames import Names, constant_str, names_of, string_parts

if TYPE_CHECKING:  # pragma: no cover
    from preflight.facts import Repository

# -- paths ------------------------------------------------------------------------------------------

def in_versions_dir(path: str) -> bool:
    """Where Alembic revisions live: a ``versions/`` directory, or a plugin's own ``migrations/``
    directory holding revisions directly (CTFd's ``plugins/<name>/migrations/``)."""
    path = path.replace("\\", "/")
    if "versions/" not in path and "migrations/" not in path:  # asked of every module by several rules
        return False
    dirs = path.split("/")[:-1]
    return "versions" in dirs or (bool(dirs) and dirs[-1] == "migrations")


# -- small ast helpers ------------------------------------------------------------------------------

def _last_name(node: ast.AST | None) -> str | None:
    """``Column`` for ``Column``, ``sa.Column``, ``db.Column``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "literal"`` assignments (table names and SQL kept in constants)."""
    found: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = constant_str(stmt.value)
            if value is not None:
                found[stmt.targets[0].id] = value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            value = constant_str(stmt.value)
            if value is not None:
                found[stmt.target.id] = value
    return found


def _string(node: ast.AST | None, constants: dict[str, str]) -> str | None:
    value = constant_str(node)
    if value is None and isinstance(node, ast.Name):
        value = constants.get(node.id)
    return value


def sql_text(node: ast.AST | None, constants: dict[str, str] | None = None) -> str | None:
    """The SQL of ``"..."``, ``text("...")``, ``sa.text("...")``, a module constant, or the literal
    parts of an f-string / concatenation (placeholders left out); None when it cannot be read."""
    constants = constants or {}
    if isinstance(node, ast.Call) and _last_name(node.func) in ("text", "TextClause") and node.args:
        node = node.args[0]
    value = _string(node, constants)
    if value is not None:
        return value
    if isinstance(node, (ast.JoinedStr, ast.BinOp)):
        parts = [p for p in string_parts(node) if isinstance(p, str)]
        return "".join(parts) if parts else None
    return None


# -- models -----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ModelColumn:
    """One column a model declares."""

    name: str  # its name in the database
    attribute: str  # the Python attribute that declares it
    path: str  # the module (a path, not the document: facts keep no syntax tree of a whole module alive)
    span: Span  # the attribute (or the column-name string of a Table column)
    type_node: ast.expr | None  # the SQL type given (Float, sa.Numeric(18, 8)); None if none is
    annotation: ast.expr | None  # the Python type: inside Mapped[...], or a SQLModel field's


@dataclass(eq=False)
class ModelTable:
    name: str
    path: str  # the module that declares it
    span: Span  # the __tablename__ value, the Table("name") string, or the class name (derived names)
    class_name: str | None  # None for a Table(...) object
    columns: dict[str, ModelColumn] = field(default_factory=dict)  # lower-cased name -> column


@dataclass
class SqlModels:
    tables: list[ModelTable]
    # A declarative base maps Python `float` to another SQL type (type_annotation_map={float: ...}).
    float_annotation_remapped: bool = False


_ROOT_BASES = frozenset({"sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta",
                         "sqlalchemy.ext.declarative.DeclarativeBase"})
_BASE_FACTORIES = frozenset({"sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base"})
_SQLMODEL = "sqlmodel.SQLModel"
_COLUMN_CALLS = frozenset({"Column", "mapped_column"})
_NOT_COLUMN_TYPES = frozenset({"ForeignKey", "Sequence", "Identity", "Computed", "FetchedValue", "DefaultClause",
                               "CheckConstraint", "UniqueConstraint"})


def column_call(names: Names, node: ast.AST | None) -> bool:
    """``Column(...)``, ``sa.Column(...)``, ``db.Column(...)``, ``mapped_column(...)``."""
    if not isinstance(node, ast.Call):
        return False
    name = _last_name(node.func)
    if name not in _COLUMN_CALLS:
        return False
    qualname = names.qualname(node.func)
    # A local function that happens to be called Column is not SQLAlchemy's.
    return qualname is None or qualname.startswith(("sqlalchemy", "sqlmodel", "flask_sqlalchemy")) \
        or isinstance(node.func, ast.Attribute) or "." in qualname


def column_name_and_type(call: ast.Call) -> tuple[str | None, ast.expr | None]:
    """The name a ``Column``/``mapped_column`` call gives (if any) and its SQL type expression."""
    args = [a for a in call.args if not isinstance(a, ast.Starred)]
    name = None
    if args and constant_str(args[0]) is not None:
        name = constant_str(args[0])
        args = args[1:]
    for kw in call.keywords:
        if kw.arg == "name" and constant_str(kw.value) is not None:
            name = constant_str(kw.value)
    type_node: ast.expr | None = next((kw.value for kw in call.keywords if kw.arg == "type_"), None)
    if type_node is None and args and _last_name(args[0]) not in _NOT_COLUMN_TYPES:
        type_node = args[0]
    return name, type_node


def mapped_inner(names: Names, annotation: ast.AST | None) -> ast.expr | None:
    """``T`` of ``Mapped[T]`` (also ``so.Mapped[T]``, ``"Mapped[T]"`` is not followed), else None."""
    if isinstance(annotation, ast.Subscript) and _last_name(annotation.value) == "Mapped":
        qualname = names.qualname(annotation.value)
        if qualname is None or qualname.startswith("sqlalchemy"):
            return annotation.slice
    return None


def _is_classvar(annotation: ast.AST) -> bool:
    node = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return _last_name(node) == "ClassVar"


def class_columns(doc: PythonDocument, cls: ast.ClassDef, sqlmodel_table: bool = False) -> list[ModelColumn]:
    """The columns declared in the body of ``cls`` (not inherited ones)."""
    # Asked by the model fact and by PY001 of the same classes: kept on the class node, per document.
    cache = cls.__dict__.setdefault("_pf_columns", {})
    cached = cache.get(sqlmodel_table)
    if cached is None:
        cached = cache[sqlmodel_table] = _class_columns(doc, cls, sqlmodel_table)
    return list(cached)


def _class_columns(doc: PythonDocument, cls: ast.ClassDef, sqlmodel_table: bool) -> list[ModelColumn]:
    names = names_of(doc)
    found = []
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, annotation, value = stmt.targets[0], None, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            target, annotation, value = stmt.target, stmt.annotation, stmt.value
        else:
            continue
        attribute = target.id
        if attribute.startswith("__"):
            continue
        inner = mapped_inner(names, annotation) if annotation is not None else None
        if column_call(names, value):
            assert isinstance(value, ast.Call)
            name, type_node = column_name_and_type(value)
            found.append(ModelColumn(name or attribute, attribute, doc.path, doc.node_span(target), type_node,
                                     inner if inner is not None else annotation if sqlmodel_table else None))
        elif inner is not None and value is None:
            found.append(ModelColumn(attribute, attribute, doc.path, doc.node_span(target), None, inner))
        elif sqlmodel_table and annotation is not None and inner is None and not _is_classvar(annotation):
            column = _sqlmodel_field(doc, names, attribute, target, annotation, value)
            if column is not None:
                found.append(column)
    return found


def _sqlmodel_field(doc: PythonDocument, names: Names, attribute: str, target: ast.Name, annotation: ast.expr,
                    value: ast.expr | None) -> ModelColumn | None:
    """A field of a ``table=True`` SQLModel: a column unless it is a ``Relationship()``."""
    if isinstance(value, ast.Call):
        called = _last_name(value.func)
        if called == "Relationship":
            return None
        if called == "Field":
            for kw in value.keywords:
                if kw.arg == "sa_column" and column_call(names, kw.value):
                    assert isinstance(kw.value, ast.Call)
                    name, type_node = column_name_and_type(kw.value)
                    return ModelColumn(name or attribute, attribute, doc.path, doc.node_span(target), type_node, annotation)
                if kw.arg in ("sa_relationship", "sa_relationship_args", "sa_relationship_kwargs"):
                    return None
            type_node = next((kw.value for kw in value.keywords if kw.arg == "sa_type"), None)
            return ModelColumn(attribute, attribute, doc.path, doc.node_span(target), type_node, annotation)
    # `list["Hero"]` and the like are relationships SQLModel cannot map as columns.
    if isinstance(annotation, ast.Subscript) and _last_name(annotation.value) in ("list", "List", "Set", "set"):
        return None
    return ModelColumn(attribute, attribute, doc.path, doc.node_span(target), None, annotation)


@dataclass(eq=False)
class _Class:
    doc: PythonDocument
    node: ast.ClassDef
    body_names: dict[str, ast.AST]  # class-level assignments by name

    @property
    def name(self) -> str:
        return self.node.name

    def sqlmodel_table(self) -> bool:
        return any(kw.arg == "table" and isinstance(kw.value, ast.Constant) and kw.value.value is True
                   for kw in self.node.keywords)


def _body_names(cls: ast.ClassDef) -> dict[str, ast.AST]:
    found: dict[str, ast.AST] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            found[stmt.target.id] = stmt.value if stmt.value is not None else stmt
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[stmt.name] = stmt  # `@declared_attr def __tablename__(cls)`
    return found


def _module_path_matches(path: str, module: str) -> bool:
    """Is ``path`` the file of ``module`` (``app.models``, ``.models``)?"""
    parts = module.lstrip(".").replace(".", "/")
    if not parts:
        return False
    path = "/" + path.replace("\\", "/")
    return path.endswith(f"/{parts}.py") or path.endswith(f"/{parts}/__init__.py")


class _ModelIndex:
    """Classes and declarative roots of all non-test Python modules, for resolving bases."""

    def __init__(self, docs: list[PythonDocument]) -> None:
        self.classes: dict[str, list[_Class]] = {}
        self.roots: dict[str, list[str]] = {}  # `Base = declarative_base()`: name -> module paths
        self.flask_dbs: set[str] = set()  # names bound to flask_sqlalchemy.SQLAlchemy()
        self.float_remapped = False
        for doc in docs:
            self._collect(doc)
        self._memo: dict[int, str | None] = {}

    def _collect(self, doc: PythonDocument) -> None:
        names = names_of(doc)
        assert doc.tree is not None
        for stmt in doc.tree.body:
            if isinstance(stmt, ast.ClassDef):
                self.classes.setdefault(stmt.name, []).append(_Class(doc, stmt, _body_names(stmt)))
            elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                called = names.qualname(stmt.value.func)
                targets = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                if called in _BASE_FACTORIES or _last_name(stmt.value.func) == "generate_base":
                    for target in targets:
                        self.roots.setdefault(target, []).append(doc.path)
                elif called == "flask_sqlalchemy.SQLAlchemy":
                    self.flask_dbs.update(targets)
        for node in doc.nodes_of(ast.keyword):
            if isinstance(node, ast.keyword) and node.arg == "type_annotation_map" and \
                    isinstance(node.value, ast.Dict):
                self.float_remapped |= any(isinstance(k, ast.Name) and k.id == "float" for k in node.value.keys)
        for node in doc.nodes_of(ast.Assign):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "type_annotation_map"
                                                      for t in node.targets) and isinstance(node.value, ast.Dict):
                self.float_remapped |= any(isinstance(k, ast.Name) and k.id == "float" for k in node.value.keys)

    # What a base expression refers to: ("root", kind) for a declarative root, ("class", _Class), or None.
    def resolve_base(self, owner: _Class, base: ast.expr) -> tuple[str, object] | None:
        names = names_of(owner.doc)
        qualname = names.qualname(base)
        if qualname in _ROOT_BASES:
            return ("root", "sqlalchemy")
        if qualname == _SQLMODEL:
            return ("root", "sqlmodel")
        if isinstance(base, ast.Attribute) and base.attr == "Model":
            holder = _last_name(base.value)
            if holder in self.flask_dbs or (holder == "db" and qualname is None) or \
                    (qualname is not None and qualname.startswith("flask_sqlalchemy")):
                return ("root", "flask")
        if isinstance(base, ast.Name):
            local = [c for c in self.classes.get(base.id, []) if c.doc is owner.doc]
            if local:
                return ("class", local[0])
            if owner.doc.path in self.roots.get(base.id, []):
                return ("root", "sqlalchemy")
        if qualname is None or "." not in qualname:
            return None
        module, _, name = qualname.rpartition(".")
        if module.startswith(("sqlalchemy", "sqlmodel", "flask_sqlalchemy", "pydantic")):
            return None
        roots = self.roots.get(name, [])
        classes = self.classes.get(name, [])
        matching_roots = [p for p in roots if _module_path_matches(p, module)]
        matching_classes = [c for c in classes if _module_path_matches(c.doc.path, module)]
        if matching_roots:
            return ("root", "sqlalchemy")
        if matching_classes:
            return ("class", matching_classes[0])
        # Imported through a package that re-exports it: follow the name when it is unambiguous.
        if roots and not classes:
            return ("root", "sqlalchemy")
        if len(classes) == 1 and not roots:
            return ("class", classes[0])
        return None

    def flavour(self, cls: _Class, seen: frozenset[int] = frozenset()) -> str | None:
        """The declarative flavour of ``cls`` ("sqlalchemy", "flask", "sqlmodel") or None."""
        key = id(cls)
        if key in self._memo:
            return self._memo[key]
        if key in seen:
            return None
        result = None
        if any(_last_name(d) == "as_declarative" for d in cls.node.decorator_list):
            result = "sqlalchemy"
        for base in cls.node.bases:
            resolved = self.resolve_base(cls, base)
            if resolved is None:
                continue
            what, value = resolved
            if what == "root":
                result = str(value)
            else:
                assert isinstance(value, _Class)
                result = self.flavour(value, seen | {key}) or result
            if result:
                break
        self._memo[key] = result
        return result

    def base_classes(self, cls: _Class) -> list[_Class]:
        found = []
        for base in cls.node.bases:
            resolved = self.resolve_base(cls, base)
            if resolved is not None and resolved[0] == "class":
                assert isinstance(resolved[1], _Class)
                found.append(resolved[1])
        return found


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _declares_primary_key(cls: _Class) -> bool:
    """A column with ``primary_key=True`` in the class body: Flask-SQLAlchemy then names a table for a
    subclass of a model (joined inheritance, CTFd's ``DynamicChallenge(Challenges)``)."""
    for statement in cls.node.body:
        value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(value, ast.Call) and any(
                k.arg == "primary_key" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in value.keywords):
            return True
    return False


def _flask_table_name(class_name: str) -> str:
    return _CAMEL.sub("_", class_name).lower()


class _ModelBuilder:
    def __init__(self, index: _ModelIndex) -> None:
        self.index = index
        self.tables: dict[int, ModelTable] = {}  # id(_Class) -> its table (STI children share it)
        self.skipped: set[int] = set()

    def is_abstract(self, cls: _Class) -> bool:
        value = cls.body_names.get("__abstract__")
        return isinstance(value, ast.Constant) and value.value is True

    def mapped_parent(self, cls: _Class) -> _Class | None:
        for base in self.index.base_classes(cls):
            if self.index.flavour(base) and not self.is_abstract(base) and not self._is_root_class(base):
                return base
        return None

    def inherited_columns(self, cls: _Class, seen: frozenset[int] = frozenset()) -> list[ModelColumn]:
        """Columns from mixins and abstract bases (not from mapped parents: those have their own table)."""
        found: list[ModelColumn] = []
        for base in reversed(self.index.base_classes(cls)):
            if id(base) in seen:
                continue
            flavour = self.index.flavour(base)
            sqlmodel_base = flavour == "sqlmodel" and not base.sqlmodel_table()
            if flavour and not self.is_abstract(base) and not sqlmodel_base and not self._is_root_class(base):
                continue
            found.extend(self.inherited_columns(base, seen | {id(cls)}))
            found.extend(class_columns(base.doc, base.node, sqlmodel_table=sqlmodel_base))
        return found

    def _is_root_class(self, cls: _Class) -> bool:
        """``class Base(DeclarativeBase)``: mapped classes inherit its (rare) columns. A class that maps
        a table itself (``__tablename__``, or any direct ``db.Model`` subclass) is a model, whose
        columns stay on its table under joined inheritance (CTFd's ``Solves(Submissions)``)."""
        if "__tablename__" in cls.body_names or "__table__" in cls.body_names:
            return False
        roots = [r for r in (self.index.resolve_base(cls, b) for b in cls.node.bases) if r and r[0] == "root"]
        return any(flavour != "flask" for _, flavour in roots)

    def table_of(self, cls: _Class, flavour: str) -> ModelTable | None:
        """The table ``cls`` maps to (its own, or its parent's under single-table inheritance)."""
        key = id(cls)
        if key in self.tables:
            return self.tables[key]
        if key in self.skipped:
            return None
        self.skipped.add(key)  # cycle guard; removed below when a table is found
        table = self._table_of(cls, flavour)
        if table is not None:
            self.skipped.discard(key)
            self.tables[key] = table
        return table

    def _table_of(self, cls: _Class, flavour: str) -> ModelTable | None:
        body = cls.body_names
        if "__table__" in body or self._skips_autogenerate(body.get("__table_args__")):
            return None
        if flavour == "sqlmodel" and not cls.sqlmodel_table():
            return None
        if "__tablename__" in body:
            value = body["__tablename__"]
            name = constant_str(value)
            if name is None:
                return None  # a declared_attr or a computed name: not followed
            return ModelTable(name, cls.doc.path, cls.doc.node_span(value), cls.name)
        if self._tablename_elsewhere(cls):
            return None
        parent = self.mapped_parent(cls)
        if parent is not None and flavour != "sqlmodel" and not (flavour == "flask" and _declares_primary_key(cls)):
            return self.table_of(parent, flavour)  # single-table inheritance
        name_span = _class_name_span(cls)
        if flavour == "sqlmodel":
            return ModelTable(cls.name.lower(), cls.doc.path, name_span, cls.name)
        if flavour == "flask":
            return ModelTable(_flask_table_name(cls.name), cls.doc.path, name_span, cls.name)
        return None

    def _tablename_elsewhere(self, cls: _Class, seen: frozenset[int] = frozenset()) -> bool:
        """A mixin or abstract base that names tables (usually ``@declared_attr __tablename__``)."""
        for base in self.index.base_classes(cls):
            if id(base) in seen:
                continue
            if "__tablename__" in base.body_names and (self.is_abstract(base) or not self.index.flavour(base)
                                                       or self._is_root_class(base)):
                return True
            if self._tablename_elsewhere(base, seen | {id(cls)}):
                return True
        return False

    @staticmethod
    def _skips_autogenerate(args: ast.AST | None) -> bool:
        """``__table_args__ = {"info": {"skip_autogenerate": True}}`` (or a view marker)."""
        if args is None:
            return False
        return any(isinstance(n, ast.Constant) and n.value in ("skip_autogenerate", "is_view")
                   for n in ast.walk(args))


def _class_name_span(cls: _Class) -> Span:
    node = cls.node
    line_text = cls.doc.line_text(node.lineno)
    column = line_text.find(node.name, node.col_offset) + 1
    if column <= 0:
        return cls.doc.node_span(node)
    return Span(cls.doc.path, node.lineno, column, node.lineno, column + len(node.name))


def table_objects(doc: PythonDocument) -> Iterator[ModelTable]:
    """``Table("name", metadata, Column(...), ...)`` and Flask's ``db.Table("name", db.Column(...))``."""
    names = names_of(doc)
    assert doc.tree is not None
    for node in doc.nodes_of(ast.Call):
        if not (isinstance(node, ast.Call) and _last_name(node.func) == "Table" and node.args):
            continue
        qualname = names.qualname(node.func)
        if qualname not in ("sqlalchemy.Table", "sqlmodel.Table") and not (
                isinstance(node.func, ast.Attribute) and qualname is None):
            continue
        name = constant_str(node.args[0])
        if name is None or any(kw.arg in ("autoload_with", "autoload") for kw in node.keywords):
            continue
        table = ModelTable(name, doc.path, doc.node_span(node.args[0]), None)
        for arg in node.args[1:]:
            if column_call(names, arg):
                assert isinstance(arg, ast.Call)
                column_name, type_node = column_name_and_type(arg)
                if column_name is not None:
                    span = doc.node_span(arg.args[0]) if arg.args else doc.node_span(arg)
                    table.columns[column_name.lower()] = ModelColumn(column_name, column_name, doc.path, span,
                                                                     type_node, None)
        yield table


def model_documents(repo: Repository) -> list[PythonDocument]:
    """Python modules that may declare models: not tests, not migrations, importing an ORM."""
    found = []
    for doc in repo.documents(FileKind.PYTHON):
        if not isinstance(doc, PythonDocument) or doc.tree is None:
            continue
        if is_test_path(doc.path) or in_versions_dir(doc.path):
            continue
        found.append(doc)
    return found


def sqlalchemy_models(repo: Repository) -> SqlModels:
    """The tables and columns the repository's SQLAlchemy / SQLModel / Flask-SQLAlchemy models declare."""
    docs = model_documents(repo)
    index = _ModelIndex(docs)
    builder = _ModelBuilder(index)
    for classes in index.classes.values():
        for cls in classes:
            flavour = index.flavour(cls)
            if not flavour or builder.is_abstract(cls):
                continue
            table = builder.table_of(cls, flavour)
            if table is None:
                continue
            sqlmodel = flavour == "sqlmodel"
            columns = builder.inherited_columns(cls) + class_columns(cls.doc, cls.node, sqlmodel_table=sqlmodel)
            for column in columns:
                table.columns.setdefault(column.name.lower(), column)
    tables: list[ModelTable] = []
    seen: set[int] = set()
    for table in builder.tables.values():
        if id(table) not in seen:
            seen.add(id(table))
            tables.append(table)
    for doc in docs:
        if names_of(doc).imports("sqlalchemy") or names_of(doc).imports("sqlmodel") or index.flask_dbs:
            tables.extend(table_objects(doc))
    tables.sort(key=lambda t: (t.path, t.span.line, t.span.column))
    return SqlModels(tables, index.float_remapped)


# -- Alembic ------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Migration:
    path: str  # the migration module (a path: the history of thousands of migrations keeps no tree)
    revision: str
    down_revisions: tuple[str, ...]  # () for a root; several for a merge
    span: Span  # the `revision = ...` assignment


@dataclass(eq=False)
class SchemaColumn:
    name: str
    type_node: ast.expr | None  # the type the last op gave it (None if that op gave none)
    path: str  # the migration of that op
    span: Span  # the op that last set the column (its Column(...) or alter_column call)
    type_span: Span | None


@dataclass(eq=False)
class SchemaTable:
    name: str
    path: str  # the migration that created it
    span: Span  # the op that created it (or first touched it)
    columns: dict[str, SchemaColumn] = field(default_factory=dict)  # lower-cased name -> column
    complete: bool = True  # every column it has is known (created by create_table we could read)
    raw_sql: bool = False  # touched by raw SQL DDL: its columns are unknown


@dataclass
class AlembicHistory:
    config_files: list[str]  # alembic.ini files
    migrations: list[Migration]  # in revision order (parents before children)
    tables: dict[str, SchemaTable]  # lower-cased name -> table, after every upgrade()
    unknown_tables: bool = False  # some op names its table with an expression we cannot read
    transactional_ddl_off: bool = False  # env.py configures transactional_ddl=False
    # Lower-cased strings any op.* call of an upgrade() is given (table names among them): a table
    # the migrations alter but never create exists from a baseline made outside them.
    mentioned: set[str] = field(default_factory=set)

    @property
    def has_alembic(self) -> bool:
        return bool(self.config_files or self.migrations)

    def where(self) -> str:
        """Where the repository's migrations are, for messages."""
        if self.migrations:
            path = self.migrations[0].path
            return path.rsplit("/", 1)[0] + "/" if "/" in path else path
        return self.config_files[0]


def _revision_value(node: ast.AST | None) -> tuple[str, ...] | None:
    if isinstance(node, ast.Constant) and node.value is None:
        return ()
    value = constant_str(node)
    if value is not None:
        return (value,)
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [constant_str(e) for e in node.elts]
        if all(i is not None for i in items):
            return tuple(i for i in items if i is not None)
    return None


def parse_migration(doc: PythonDocument) -> Migration | None:
    """The revision a module in a ``versions/`` directory declares, or None if it is not a migration."""
    if doc.tree is None or not in_versions_dir(doc.path):
        return None
    if "_pf_migration" not in doc.__dict__:  # asked by the history fact and by MIG001 of each module
        doc.__dict__["_pf_migration"] = _parse_migration(doc)
    return doc.__dict__["_pf_migration"]  # type: ignore[no-any-return]


def _parse_migration(doc: PythonDocument) -> Migration | None:
    revision: tuple[str, ...] | None = None
    down: tuple[str, ...] | None = None
    span = None
    for stmt in doc.tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            target, value = stmt.target.id, stmt.value
        else:
            continue
        if target == "revision":
            revision, span = _revision_value(value), doc.node_span(stmt)
        elif target == "down_revision":
            down = _revision_value(value)
    if not revision or len(revision) != 1 or down is None or span is None:
        return None
    return Migration(doc.path, revision[0], down, span)


def upgrade_functions(doc: PythonDocument) -> list[ast.FunctionDef]:
    """``upgrade()``, or for a multi-database template ``upgrade(engine_name)`` the ``upgrade_*`` ones."""
    if doc.tree is None:
        return []
    functions = {s.name: s for s in doc.tree.body if isinstance(s, ast.FunctionDef)}
    upgrade = functions.get("upgrade")
    if upgrade is None:
        return []
    if upgrade.args.args:
        others = [f for n, f in functions.items() if n.startswith("upgrade_")]
        if others:
            return others
    return [upgrade]


def _history_key(migration: Migration) -> tuple[bool, str]:
    """Ties: the application's ``versions/`` before a plugin's own ``migrations/`` history, which
    runs against the schema the application built; then path order."""
    return ("versions" not in migration.path.split("/")[:-1], migration.path)


def _ordered(migrations: list[Migration]) -> list[Migration]:
    """Parents before children (Kahn's algorithm; ties and cycles in the order of :func:`_history_key`)."""
    by_revision: dict[str, Migration] = {}
    for migration in sorted(migrations, key=lambda m: m.path):
        by_revision.setdefault(migration.revision, migration)
    children: dict[str, list[str]] = {r: [] for r in by_revision}
    waiting: dict[str, int] = {}
    for revision, migration in by_revision.items():
        parents = [p for p in set(migration.down_revisions) if p in by_revision and p != revision]
        waiting[revision] = len(parents)
        for parent in parents:
            children[parent].append(revision)
    ready = [(_history_key(by_revision[r]), r) for r, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[Migration] = []
    while ready:
        _, revision = heapq.heappop(ready)
        order.append(by_revision[revision])
        for child in children[revision]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (_history_key(by_revision[child]), child))
    done = {m.revision for m in order}
    order.extend(m for r, m in sorted(by_revision.items(), key=lambda i: _history_key(i[1])) if r not in done)
    return order


_DDL_TABLE = re.compile(
    r"\b(CREATE|ALTER|DROP)\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+"
    r"(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?((?:\"[^\"]+\"|[\w$]+)(?:\s*\.\s*(?:\"[^\"]+\"|[\w$]+))?)",
    re.IGNORECASE)
_RENAME_TO = re.compile(r"\bRENAME\s+TO\s+(\"[^\"]+\"|[\w$]+)", re.IGNORECASE)


def ddl_tables(sql: str) -> list[str]:
    """Tables a SQL text creates, alters or drops (lower-cased unless quoted, schema left out)."""
    found = []
    for match in _DDL_TABLE.finditer(sql):
        found.append(_identifier(match.group(2)))
    found.extend(_identifier(m.group(1)) for m in _RENAME_TO.finditer(sql))
    return found


def _identifier(text: str) -> str:
    last = re.split(r"\s*\.\s*(?=(?:\"|[\w$]))", text.strip())[-1]
    return last[1:-1] if last.startswith('"') else last.lower()


_OPS = frozenset({"create_table", "drop_table", "rename_table", "add_column", "drop_column", "alter_column",
                  "execute"})
_CONSTRAINTS = frozenset({"PrimaryKeyConstraint", "ForeignKeyConstraint", "UniqueConstraint", "CheckConstraint",
                          "Index"})


class _Replay:
    """Applies the ops of one migration's ``upgrade()`` to the schema."""

    def __init__(self, history: AlembicHistory, doc: PythonDocument) -> None:
        self.history = history
        self.doc = doc
        self.names = names_of(doc)
        assert doc.tree is not None
        self.constants = _module_strings(doc.tree)
        self.functions = {s.name: s for s in doc.tree.body if isinstance(s, ast.FunctionDef)}
        self.followed: set[str] = set()

    def run(self) -> None:
        for function in upgrade_functions(self.doc):
            self.followed.add(function.name)
            self.body(function.body, {})

    def body(self, statements: list[ast.stmt], batches: dict[str, str]) -> None:
        for stmt in statements:
            if isinstance(stmt, (ast.With, ast.AsyncWith)):
                inner = dict(batches)
                for item in stmt.items:
                    call = item.context_expr
                    if isinstance(call, ast.Call) and _last_name(call.func) == "batch_alter_table" and \
                            isinstance(item.optional_vars, ast.Name):
                        table = _string(call.args[0] if call.args else None, self.constants)
                        if table is None:
                            table = _string(next((k.value for k in call.keywords if k.arg == "table_name"), None),
                                            self.constants)
                        if table is None:
                            self.history.unknown_tables = True
                        else:
                            inner[item.optional_vars.id] = table
                self.body(stmt.body, inner)
            elif isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While)):
                self.body(stmt.body, batches)
                self.body(stmt.orelse, batches)
            elif isinstance(stmt, ast.Try):
                self.body(stmt.body, batches)
                for handler in stmt.handlers:
                    self.body(handler.body, batches)
                self.body(stmt.orelse, batches)
                self.body(stmt.finalbody, batches)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            else:
                for call in sorted((n for n in walk_list(stmt) if isinstance(n, ast.Call)),
                                   key=lambda n: (n.lineno, n.col_offset)):
                    self.call(call, batches)

    def call(self, call: ast.Call, batches: dict[str, str]) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "op":
            for arg in [*call.args, *(k.value for k in call.keywords)]:
                text = _string(arg, self.constants)
                if text is not None:
                    self.history.mentioned.add(text.lower())
        if isinstance(func, ast.Name) and func.id in self.functions and func.id not in self.followed:
            self.followed.add(func.id)  # a helper of this module called from upgrade()
            self.body(self.functions[func.id].body, batches)
            return
        if not isinstance(func, ast.Attribute) or func.attr not in _OPS and func.attr != "exec_driver_sql":
            return
        holder = func.value
        args = list(call.args)
        if isinstance(holder, ast.Name) and holder.id in batches:
            args.insert(0, ast.Constant(batches[holder.id]))
        elif func.attr in ("execute", "exec_driver_sql"):
            self.raw_sql(call)
            return
        elif not (isinstance(holder, ast.Name) and (holder.id == "op" or self.names.qualname(holder) == "alembic.op")):
            return
        if func.attr == "execute":
            self.raw_sql(call)
            return
        getattr(self, func.attr)(call, args)

    def _table(self, node: ast.AST | None) -> str | None:
        name = _string(node, self.constants)
        if name is None:
            self.history.unknown_tables = True
            return None
        return name

    def _keyword(self, call: ast.Call, name: str) -> ast.expr | None:
        return next((k.value for k in call.keywords if k.arg == name), None)

    def _column(self, node: ast.AST) -> SchemaColumn | None:
        if not column_call(self.names, node):
            return None
        assert isinstance(node, ast.Call)
        name, type_node = column_name_and_type(node)
        if name is None:
            return None
        return SchemaColumn(name, type_node, self.doc.path, self.doc.node_span(node),
                            self.doc.node_span(type_node) if type_node is not None else None)

    def _existing(self, name: str, call: ast.Call) -> SchemaTable:
        """The table ``name``; one the migrations never created existed before them (columns unknown)."""
        table = self.history.tables.get(name.lower())
        if table is None:
            table = SchemaTable(name, self.doc.path, self.doc.node_span(call), complete=False)
            self.history.tables[name.lower()] = table
        return table

    def create_table(self, call: ast.Call, args: list[ast.expr]) -> None:
        name = self._table(args[0] if args else self._keyword(call, "table_name"))
        if name is None:
            return
        table = SchemaTable(name, self.doc.path, self.doc.node_span(call))
        for arg in args[1:]:
            column = self._column(arg)
            if column is not None:
                table.columns[column.name.lower()] = column
            elif not (isinstance(arg, ast.Call) and _last_name(arg.func) in _CONSTRAINTS):
                table.complete = False  # *columns, a helper returning columns, ...
        self.history.tables[name.lower()] = table

    def drop_table(self, call: ast.Call, args: list[ast.expr]) -> None:
        name = self._table(args[0] if args else self._keyword(call, "table_name"))
        if name is not None:
            self.history.tables.pop(name.lower(), None)

    def rename_table(self, call: ast.Call, args: list[ast.expr]) -> None:
        old = self._table(args[0] if args else self._keyword(call, "old_table_name"))
        new = self._table(args[1] if len(args) > 1 else self._keyword(call, "new_table_name"))
        if old is None or new is None:
            return
        table = self.history.tables.pop(old.lower(), None) or SchemaTable(new, self.doc.path, self.doc.node_span(call),
                                                                          complete=False)
        table.name = new
        self.history.tables[new.lower()] = table

    def add_column(self, call: ast.Call, args: list[ast.expr]) -> None:
        name = self._table(args[0] if args else self._keyword(call, "table_name"))
        column_node = args[1] if len(args) > 1 else self._keyword(call, "column")
        if name is None or column_node is None:
            return
        table = self._existing(name, call)
        column = self._column(column_node)
        if column is None:
            table.complete = False
        else:
            table.columns[column.name.lower()] = column

    def drop_column(self, call: ast.Call, args: list[ast.expr]) -> None:
        name = self._table(args[0] if args else self._keyword(call, "table_name"))
        column = _string(args[1] if len(args) > 1 else self._keyword(call, "column_name"), self.constants)
        if name is not None and column is not None and name.lower() in self.history.tables:
            self.history.tables[name.lower()].columns.pop(column.lower(), None)

    def alter_column(self, call: ast.Call, args: list[ast.expr]) -> None:
        name = self._table(args[0] if args else self._keyword(call, "table_name"))
        column_name = _string(args[1] if len(args) > 1 else self._keyword(call, "column_name"), self.constants)
        if name is None or column_name is None:
            return
        table = self._existing(name, call)
        column = table.columns.get(column_name.lower())
        if column is None:
            table.complete = False
            column = SchemaColumn(column_name, None, self.doc.path, self.doc.node_span(call), None)
            table.columns[column_name.lower()] = column
        type_node = self._keyword(call, "type_")  # existing_type= is history, not a declaration
        if type_node is not None:
            column.type_node, column.path = type_node, self.doc.path
            column.span, column.type_span = self.doc.node_span(call), self.doc.node_span(type_node)
        new_name = _string(self._keyword(call, "new_column_name"), self.constants)
        if new_name is not None:
            table.columns.pop(column_name.lower(), None)
            column.name = new_name
            table.columns[new_name.lower()] = column

    def raw_sql(self, call: ast.Call) -> None:
        sql = sql_text(call.args[0] if call.args else None, self.constants)
        if sql is None:
            return
        for name in ddl_tables(sql):
            table = self.history.tables.get(name.lower())
            if table is None:
                table = SchemaTable(name, self.doc.path, self.doc.node_span(call), complete=False)
                self.history.tables[name.lower()] = table
            table.raw_sql = True
            table.complete = False


def migrations_of(repo: Repository) -> dict[Migration, PythonDocument]:
    found = {}
    for doc in repo.documents(FileKind.PYTHON):
        if isinstance(doc, PythonDocument) and in_versions_dir(doc.path):
            migration = parse_migration(doc)
            if migration is not None:
                found[migration] = doc
    return found


def alembic_history(repo: Repository) -> AlembicHistory:
    """The repository's Alembic migrations in revision order and the schema their upgrades build."""
    configs = [f.path for f in repo.files_of(FileKind.INI) if f.path.rsplit("/", 1)[-1].lower() == "alembic.ini"]
    docs = migrations_of(repo)
    history = AlembicHistory(configs, _ordered(list(docs)), {})
    for migration in history.migrations:
        _Replay(history, docs[migration]).run()
    for doc in repo.documents(FileKind.PYTHON):
        if doc.path.rsplit("/", 1)[-1] == "env.py" and isinstance(doc, PythonDocument) and doc.tree is not None:
            for node in doc.nodes_of(ast.keyword):
                if isinstance(node, ast.keyword) and node.arg == "transactional_ddl" and \
                        isinstance(node.value, ast.Constant) and node.value.value is False:
                    history.transactional_ddl_off = True
    return history
