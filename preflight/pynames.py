"""What a name in a Python module refers to, through its imports and aliases.

Python rules ask "is this call ``sqlalchemy.Float``?" rather than "is it spelled ``Float``?", so
``import sqlalchemy as sa`` / ``sa.Column(sa.Float)``, ``from sqlalchemy import Float as F`` /
``F()`` and ``from sqlalchemy.types import Float`` all resolve alike, and a local class that
happens to be called ``Float`` does not. Nothing is imported or evaluated: the resolver reads the
module's ``import`` statements (at any depth: function-level and ``try/except ImportError``
imports count, which is conservative for rules) and simple aliases (``Money = sa.Float``).

Use it through :func:`names_of` (built once per parsed document)::

    names = names_of(doc)
    if names.resolves(call.func, "sqlalchemy.Column", "sqlalchemy.orm.mapped_column"): ...
    names.qualname(node)   # "sqlalchemy.Float", "yaml.load", ".models.Base" or None

Qualified names are canonical: a public re-export is named by its shortest public path
(``sqlalchemy.sql.sqltypes.Float`` and ``sqlalchemy.types.Float`` are ``sqlalchemy.Float``;
``sqlalchemy.sql.expression.func`` is ``sqlalchemy.func``). Relative imports keep their dots
(``from .models import Base`` gives ``.models.Base``). A name bound by neither an import nor an
alias resolves to itself when it is a builtin, else to None.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Iterator
from typing import Any

from preflight.documents.python import PythonDocument

# Module paths that re-export the same objects under a shorter public name: longest first.
CANONICAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("sqlalchemy.sql.expression.", "sqlalchemy."),
    ("sqlalchemy.sql.sqltypes.", "sqlalchemy."),
    ("sqlalchemy.sql.functions.", "sqlalchemy."),
    ("sqlalchemy.sql.schema.", "sqlalchemy."),
    ("sqlalchemy.sql.elements.", "sqlalchemy."),
    ("sqlalchemy.sql.", "sqlalchemy."),
    ("sqlalchemy.types.", "sqlalchemy."),
    ("sqlalchemy.schema.", "sqlalchemy."),
    ("sqlalchemy.engine.create.", "sqlalchemy."),
    ("sqlalchemy.engine.create_engine", "sqlalchemy.create_engine"),
    ("sqlalchemy.dialects.postgresql.base.", "sqlalchemy.dialects.postgresql."),
    ("sqlalchemy.orm.decl_api.", "sqlalchemy.orm."),
    ("sqlalchemy.orm.session.", "sqlalchemy.orm."),
    ("sqlalchemy.orm.properties.", "sqlalchemy.orm."),
    ("sqlalchemy.orm.base.", "sqlalchemy.orm."),
    ("sqlalchemy.ext.asyncio.engine.", "sqlalchemy.ext.asyncio."),
    ("sqlalchemy.ext.asyncio.session.", "sqlalchemy.ext.asyncio."),
    ("sqlmodel.main.", "sqlmodel."),
    ("unittest.mock.", "mock."),  # the `mock` backport and unittest.mock are the same API
    ("flask_sqlalchemy.extension.", "flask_sqlalchemy."),
)
BUILTIN_NAMES = frozenset(dir(builtins))


# Every name a prefix above can match starts with one of these (a quick test for all other names).
_ANY_PREFIX = tuple(prefix.rstrip(".") for prefix, _ in CANONICAL_PREFIXES)


def canonical(qualname: str) -> str:
    if not qualname.startswith(_ANY_PREFIX):
        return qualname
    for prefix, public in CANONICAL_PREFIXES:
        if qualname.startswith(prefix) or qualname == prefix.rstrip("."):
            return public + qualname[len(prefix):] if prefix.endswith(".") else public
    return qualname


class Names:
    """The import bindings of one module, and resolution of expressions through them."""

    def __init__(self, tree: ast.Module | None, nodes: list[ast.AST] | None = None) -> None:
        self.bindings: dict[str, str] = {}  # local name -> canonical qualified name
        self.modules: set[str] = set()  # every module imported, absolute or relative (".models")
        if tree is not None:
            self._collect(nodes if nodes is not None else list(ast.walk(tree)))

    def _collect(self, nodes: list[ast.AST]) -> None:
        aliases: list[ast.Assign] = []
        # Exact type tests: parsed trees hold no subclasses, and this runs over every node of every module.
        import_type, import_from_type, assign_type = ast.Import, ast.ImportFrom, ast.Assign
        for node in nodes:
            kind = type(node)
            if kind is not import_type and kind is not import_from_type and kind is not assign_type:
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.modules.add(alias.name)
                    if alias.asname:
                        self.bindings[alias.asname] = canonical(alias.name)
                    else:  # `import a.b.c` binds `a`
                        top = alias.name.split(".")[0]
                        self.bindings.setdefault(top, top)
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                self.modules.add(module)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    sep = "" if module.endswith(".") else "."
                    self.bindings[alias.asname or alias.name] = canonical(f"{module}{sep}{alias.name}")
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name) and isinstance(node.value, (ast.Name, ast.Attribute)):
                aliases.append(node)
        for node in aliases:  # `Money = sa.Numeric`: an alias of an imported name
            target = node.targets[0].id  # type: ignore[attr-defined]
            if target in self.bindings:
                continue
            resolved = self.qualname(node.value)
            if resolved is not None and "." in resolved:
                self.bindings[target] = resolved

    def qualname(self, node: ast.AST | None) -> str | None:
        """The canonical dotted name ``node`` (a Name or an Attribute chain) refers to, or None."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        base = self.bindings.get(node.id)
        if base is None:
            if node.id not in BUILTIN_NAMES:
                return None
            base = node.id
        if not parts:
            return base
        sep = "" if base.endswith(".") else "."
        return canonical(base + sep + ".".join(reversed(parts)))

    def resolves(self, node: ast.AST | None, *qualnames: str) -> bool:
        """Does ``node`` (or, for a call, the function called) refer to one of ``qualnames``?"""
        if isinstance(node, ast.Call):
            node = node.func
        name = self.qualname(node)
        return name is not None and name in qualnames

    def resolves_under(self, node: ast.AST | None, *prefixes: str) -> str | None:
        """The qualified name of ``node`` when it lies under one of the modules ``prefixes``."""
        if isinstance(node, ast.Call):
            node = node.func
        name = self.qualname(node)
        if name is None:
            return None
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + "."):
                return name
        return None

    def imports(self, module: str) -> bool:
        """Does the module import ``module`` or anything under it?"""
        return any(m == module or m.startswith(module + ".") for m in self.modules)


def names_of(doc: PythonDocument) -> Names:
    """The :class:`Names` of ``doc``, built on first request and kept on the document."""
    cached = doc.__dict__.get("_names")
    if cached is None:
        cached = Names(doc.tree, doc.walk())
        doc.__dict__["_names"] = cached
    return cached


def calls(tree: ast.AST | None) -> Iterator[ast.Call]:
    """Every call in ``tree``, in source order."""
    if tree is None:
        return
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    found.sort(key=lambda n: (n.lineno, n.col_offset))
    yield from found


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    """The value of keyword argument ``name`` of ``call``, if given."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def argument(call: ast.Call, position: int, name: str | None = None) -> ast.expr | None:
    """Argument ``position`` of ``call``, or its keyword ``name``; None if absent or after a ``*args``."""
    if name is not None:
        value = keyword(call, name)
        if value is not None:
            return value
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None
        if i == position:
            return arg
    return None


def constant_str(node: ast.AST | None) -> str | None:
    """The value of a plain string literal (implicit concatenation included), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def is_built_string(node: ast.AST | None) -> bool:
    """An f-string with placeholders, or a string built with ``%``, ``.format()``, ``+`` or ``join``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return _stringy(node.left) or _stringy(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr in ("format", "join", "format_map"):
        return _stringy(node.func.value)
    return False


def _stringy(node: ast.AST) -> bool:
    return constant_str(node) is not None or isinstance(node, ast.JoinedStr) or is_built_string(node)


def string_parts(node: ast.AST | None) -> Iterable[Any]:
    """The literal text pieces of a string expression (f-string, concatenation), for matching."""
    if node is None:
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            if isinstance(value, ast.Constant):
                yield value.value
    elif isinstance(node, ast.BinOp):
        yield from string_parts(node.left)
        yield from string_parts(node.right)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        yield from string_parts(node.func.value)
