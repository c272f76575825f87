"""Configuration reads in Python code: environment variables and settings classes, with their defaults.

Used by PY004 (critical settings with a fallback) and PY012 (database URLs). Recognised reads:

- ``os.getenv(NAME, default)``, ``os.environ.get(NAME, default)``, ``os.environ.setdefault(NAME, value)``,
  also as ``getenv`` / ``environ`` imported from ``os``; ``os.environ[NAME]`` (no default);
- ``os.getenv(NAME) or "fallback"``;
- python-decouple ``config(NAME, default=...)`` (also an ``AutoConfig()`` / ``Config()`` instance);
- django-environ ``env(NAME, default=...)`` / ``env.str(NAME, default=...)`` / ``env.db(...)`` on an
  ``environ.Env()`` instance (its second positional argument is a cast, not a default), and the
  ``environ.Env(NAME=(cast, default))`` scheme;
- environs ``env.str(NAME, default)`` on an ``environs.Env()`` instance;
- fields of pydantic ``BaseSettings`` classes (``pydantic_settings`` or pydantic 1), also through
  subclasses defined in the same module: ``secret_key: str = "x"``, ``Field("x")``,
  ``Field(default="x")``, ``SecretStr("x")``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from preflight.documents.python import PythonDocument
from preflight.pynames import argument, constant_str, keyword, names_of
from preflight_rules.py.bindings import Scope, calls_in_scope, module_scopes

OS_READS = {"os.getenv": "os.getenv", "os.environ.get": "os.environ.get", "os.environ.setdefault": "os.environ.setdefault"}
SETTINGS_BASES = frozenset({"pydantic_settings.BaseSettings", "pydantic.BaseSettings", "pydantic.v1.BaseSettings",
                            "pydantic_settings.main.BaseSettings", "pydantic.env_settings.BaseSettings"})
FIELD_FUNCTIONS = frozenset({"pydantic.Field", "pydantic.fields.Field", "pydantic.v1.Field"})
SECRET_WRAPPERS = frozenset({"pydantic.SecretStr", "pydantic.SecretBytes", "pydantic.types.SecretStr",
                             "pydantic.v1.SecretStr"})


@dataclass(frozen=True, eq=False)
class ConfigRead:
    """One configuration value read by the code, and the fallback it gets when unset."""

    name: str  # the variable or field name
    node: ast.AST  # the whole read (call, subscript, field assignment)
    default: ast.expr | None  # the fallback expression, None when there is none
    how: str  # "os.getenv", "os.environ[]", "or", "decouple", "django-environ", "environs", "settings field"
    scope: Scope
    aliases: tuple[str, ...] = ()  # other names of a settings field (alias=, env=)


def _instance_of(scope: Scope, node: ast.expr, doc: PythonDocument, *classes: str) -> bool:
    """Is ``node`` a name bound to ``cls(...)`` for one of ``classes``?"""
    if not isinstance(node, ast.Name):
        return False
    names = names_of(doc)
    return any(b.kind == "assign" and isinstance(b.value, ast.Call) and names.qualname(b.value.func) in classes
               for b in scope.bindings(node.id))


def _env_library(call: ast.Call, scope: Scope, doc: PythonDocument) -> str | None:
    names = names_of(doc)
    qualname = names.qualname(call.func)
    if qualname in OS_READS:
        return "os.getenv" if qualname == "os.getenv" else qualname
    if qualname == "decouple.config" or _instance_of(scope, call.func, doc, "decouple.AutoConfig", "decouple.Config"):
        return "decouple"
    target = call.func.value if isinstance(call.func, ast.Attribute) else call.func
    if _instance_of(scope, target, doc, "environ.Env", "environ.environ.Env"):
        return "django-environ"
    if _instance_of(scope, target, doc, "environs.Env"):
        return "environs"
    return None


# Every read this module recognises needs one of these words in the module's text: os.getenv /
# os.environ, decouple's config(), django-environ's environ.Env, environs' Env(), pydantic settings.
_READ_WORDS = ("getenv", "environ", "decouple", "Env(", "Settings")


def config_reads(doc: PythonDocument) -> list[ConfigRead]:
    """Every configuration read of ``doc`` (built once per document)."""
    cached = doc.__dict__.get("_pf_config_reads")
    if cached is not None:
        return cached
    reads: list[ConfigRead] = []
    if not any(word in doc.text for word in _READ_WORDS):  # no way to read configuration: skip the walk
        doc.__dict__["_pf_config_reads"] = reads
        return reads
    names = names_of(doc)
    scopes = module_scopes(doc)
    if doc.tree is not None:
        for call, scope in calls_in_scope(doc):
            library = _env_library(call, scope, doc)
            if library is None:
                if names.qualname(call.func) in ("environ.Env", "environ.environ.Env"):
                    reads.extend(_env_scheme(call, scope))
                continue
            name = constant_str(argument(call, 0, "key" if library.startswith("os.") else None))
            if name is None and library in ("decouple", "django-environ", "environs"):
                name = constant_str(argument(call, 0, "var")) or constant_str(argument(call, 0, "option"))
            if name is None:
                continue
            if library in ("os.getenv", "os.environ.get", "os.environ.setdefault", "decouple", "environs"):
                default = argument(call, 1, "default" if library != "os.environ.setdefault" else "value")
            else:
                default = keyword(call, "default")
            reads.append(ConfigRead(name, call, default, library, scope))
        by_node = {id(r.node): r for r in reads}
        for node in doc.walk():
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) >= 2:
                read = by_node.get(id(node.values[0]))
                if read is not None and read.default is None:  # os.getenv("X") or "fallback"
                    reads.append(ConfigRead(read.name, node, node.values[1], "or", read.scope))
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and \
                    names.qualname(node.value) == "os.environ":
                name = constant_str(node.slice)
                if name is not None:
                    reads.append(ConfigRead(name, node, None, "os.environ[]", scopes.module))
        reads.extend(_settings_fields(doc, scopes.module))
    reads.sort(key=lambda r: (getattr(r.node, "lineno", 0), getattr(r.node, "col_offset", 0)))
    doc.__dict__["_pf_config_reads"] = reads
    return reads


def _env_scheme(call: ast.Call, scope: Scope) -> list[ConfigRead]:
    """``environ.Env(SECRET_KEY=(str, "dev"))``: the scheme gives each variable a cast and a default."""
    found = []
    for kw in call.keywords:
        if kw.arg and isinstance(kw.value, ast.Tuple) and len(kw.value.elts) >= 2:
            found.append(ConfigRead(kw.arg, kw.value, kw.value.elts[1], "django-environ", scope))
    return found


def settings_classes(doc: PythonDocument) -> list[ast.ClassDef]:
    """Pydantic settings classes of ``doc``, including subclasses of those defined in it."""
    names = names_of(doc)
    known: set[str] = set()
    found: list[ast.ClassDef] = []
    if doc.tree is None:
        return found
    classes = [n for n in doc.nodes_of(ast.ClassDef) if isinstance(n, ast.ClassDef)]
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name in known:
                continue
            for base in cls.bases:
                if names.qualname(base) in SETTINGS_BASES or (isinstance(base, ast.Name) and base.id in known):
                    known.add(cls.name)
                    found.append(cls)
                    changed = True
                    break
    return sorted(found, key=lambda c: c.lineno)


def _settings_fields(doc: PythonDocument, module: Scope) -> list[ConfigRead]:
    names = names_of(doc)
    reads = []
    for cls in settings_classes(doc):
        for statement in cls.body:
            if not (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)):
                continue
            if statement.value is None or names.qualname(statement.annotation) in ("typing.ClassVar",) or \
                    (isinstance(statement.annotation, ast.Subscript) and
                     names.qualname(statement.annotation.value) == "typing.ClassVar"):
                continue
            value: ast.expr | None = statement.value
            aliases: list[str] = []
            if isinstance(value, ast.Call) and names.qualname(value.func) in FIELD_FUNCTIONS:
                for key in ("alias", "validation_alias", "env"):
                    alias = constant_str(keyword(value, key))
                    if alias:
                        aliases.append(alias)
                value = argument(value, 0, "default")
                if value is None or (isinstance(value, ast.Constant) and value.value is Ellipsis):
                    continue
            reads.append(ConfigRead(statement.target.id, statement, value, "settings field", module,
                                    tuple(aliases)))
    return reads


def unwrap_secret(node: ast.expr | None, doc: PythonDocument) -> ast.expr | None:
    """``SecretStr("x")`` -> ``"x"``."""
    if isinstance(node, ast.Call) and names_of(doc).qualname(node.func) in SECRET_WRAPPERS and node.args:
        return node.args[0]
    return node
