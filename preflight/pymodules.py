"""The repository's own Python modules: where an import lands, and what that module defines.

``repo.fact(module_map)`` builds, once, a :class:`ModuleMap` from the repository's Python files:

- **where modules live.** A file imports absolute names against *roots*: the directory above its
  topmost package (the first directory upwards that neither has an ``__init__.py`` nor sits in a
  directory that has one: a script's own directory, or the parent of ``app/`` for
  ``app/api/routes.py``), every directory above that up to the repository root (``python -m`` and
  ``PYTHONPATH=.`` from any of them), the file's own directory, and ``src/`` (the
  src layout: ``src/pkg/...`` is importable as ``pkg``). An import resolves to the repository only
  when its top-level name is a *regular* package (``pkg/__init__.py``) or a module file (``pkg.py``)
  in one of those roots and is not a standard-library name: a top-level directory without
  ``__init__.py`` is a PEP 420 namespace portion, and any installed regular package of the same
  name wins over it, so it is never assumed to be the repository's. Below a top-level package,
  directories without ``__init__.py`` are namespace packages of the repository. Relative imports
  resolve from the importing file's directory.
- **what a module defines** (:meth:`ModuleMap.names`): names bound at module level by
  assignments (tuple unpacking, annotated and augmented assignments, ``for``/``with`` targets,
  ``:=``), ``def``/``async def``/``class``, imports (``import a.b`` binds ``a``, ``from a import b
  as c`` binds ``c``), ``global`` declarations in functions, every branch of ``if``/``try`` (so
  ``try/except ImportError`` fallbacks and ``if TYPE_CHECKING`` imports count), and star imports
  of repository modules (their ``__all__``, else their public names). A module is *open* —
  anything may be defined — when it has a module-level ``__getattr__`` (PEP 562), star-imports a
  module that is not the repository's, or writes its namespace dynamically (``globals()``,
  ``vars()``, ``exec``, ``sys.modules[__name__] = ...``, ``__path__`` extension).
- **submodules**: ``from pkg import sub`` is fine when ``pkg/sub.py`` or ``pkg/sub/`` exists.

Only files discovery classifies as Python are seen: compiled extensions (``.so``, ``.pyx``) and
files generated at build time are not, so names of generated modules (``_version``, ``*_pb2``)
are given to :meth:`ModuleMap.resolve` callers as patterns to treat as present.
"""

from __future__ import annotations

import ast
import posixpath
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from preflight.documents.python import PythonDocument
from preflight.model import FileKind

if TYPE_CHECKING:  # pragma: no cover
    from preflight.facts import Repository

# Attributes every module (or package) has without defining them.
IMPLICIT_NAMES = frozenset({"__name__", "__doc__", "__file__", "__loader__", "__package__", "__spec__",
                            "__path__", "__builtins__", "__cached__", "__dict__", "__annotations__"})
STDLIB_NAMES: frozenset[str] = frozenset(getattr(sys, "stdlib_module_names", ())) | \
    frozenset(sys.builtin_module_names) | {"__future__"}
DYNAMIC_CALLS = frozenset({"globals", "vars", "locals", "exec", "eval"})


class Module(NamedTuple):
    """One importable module or package of the repository."""

    name: str  # dotted, as imported from the root that found it ("app.shared.security")
    path: str | None  # the file: "app/shared/security.py", "app/shared/__init__.py"; None for a namespace package
    directory: str | None  # the package directory ("app/shared"), None for a plain module

    @property
    def is_package(self) -> bool:
        return self.directory is not None


@dataclass
class ModuleNames:
    """What a module binds at its top level."""

    names: set[str] = field(default_factory=set)
    open: bool = False  # anything may be defined
    all_entries: list[ast.Constant] | None = None  # the string literals of a literal __all__
    star_from: list[ast.ImportFrom] = field(default_factory=list)


def _dirname(path: str) -> str:
    return posixpath.dirname(path)


def _join(*parts: str) -> str:
    return posixpath.join(*[p for p in parts if p]) if any(parts) else ""


class ModuleMap:
    """The repository's Python files as importable modules (see the module docstring)."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo
        self._refs = {f.path: f for f in repo.files_of(FileKind.PYTHON)}
        self.files: set[str] = set(self._refs)
        self.dirs: set[str] = set()  # every directory holding a Python file, and their ancestors
        for path in self.files:
            d = _dirname(path)
            while d and d not in self.dirs:
                self.dirs.add(d)
                d = _dirname(d)
        self._names: dict[str, ModuleNames] = {}
        self._roots: dict[str, tuple[str, ...]] = {}

    # -- where a file lives ------------------------------------------------------------------
    def is_init(self, directory: str) -> bool:
        return _join(directory, "__init__.py") in self.files

    def roots_of(self, path: str) -> tuple[str, ...]:
        """The directories an absolute import in ``path`` may be resolved against, nearest first."""
        start = _dirname(path)
        cached = self._roots.get(start)
        if cached is not None:
            return cached
        d = start
        while d and (self.is_init(d) or self.is_init(_dirname(d))):  # namespace dirs inside a package too
            d = _dirname(d)
        roots = [d]
        while d:
            d = _dirname(d)
            roots.append(d)
        for extra in (start, "src"):  # a script's own directory; the src layout
            if extra not in roots and (extra in self.dirs or extra == start) and not self.is_init(extra):
                roots.append(extra)
        self._roots[start] = tuple(roots)
        return self._roots[start]

    def module_at(self, directory: str, dotted: str) -> Module | None:
        """The module ``dotted`` below ``directory`` (no checks on its top level), or None."""
        base = _join(directory, *dotted.split("."))
        init = base + "/__init__.py"
        if init in self.files:
            return Module(dotted, init, base)
        if base + ".py" in self.files:
            return Module(dotted, base + ".py", None)
        if base in self.dirs:
            return Module(dotted, None, base)
        return None

    def top_level(self, root: str, name: str) -> Module | None:
        """A regular package or module file called ``name`` directly in ``root``."""
        if name in STDLIB_NAMES:
            return None
        found = self.module_at(root, name)
        if found is None or found.path is None:  # a namespace portion: an installed package may win
            return None
        return found

    def resolve(self, importer: str, dotted: str) -> tuple[list[Module], list[Module]]:
        """Absolute import ``dotted`` from file ``importer``: (modules it resolves to in the roots
        where its top level is the repository's, packages/modules of those roots where its top
        level is found). Both empty: not the repository's module."""
        top, _, _ = dotted.partition(".")
        found: list[Module] = []
        tops: list[Module] = []
        namespace = False  # some root holds `top` as a namespace portion (a directory, no __init__.py)
        for root in self.roots_of(importer):
            head = self.top_level(root, top)
            if head is None:
                # A namespace portion (`src/poetry/` without __init__.py) that holds the module
                # makes the import resolvable; one that does not may be completed by an installed
                # distribution's portion (poetry-core's `poetry.core`): either way, never report it.
                portion = self.module_at(root, top) if top not in STDLIB_NAMES else None
                if portion is not None and portion.path is None:
                    namespace = True
                    inner = self.module_at(root, dotted)
                    if inner is not None:
                        found.append(inner)
                continue
            tops.append(head)
            module = self.module_at(root, dotted)
            if module is not None and (module.is_package or dotted.count(".") == 0 or
                                       self._parent_is_package(root, dotted)):
                found.append(module)
        if namespace and not found:
            return [], []
        return found, tops

    def _parent_is_package(self, root: str, dotted: str) -> bool:
        parent = dotted.rpartition(".")[0]
        module = self.module_at(root, parent)
        return module is not None and module.is_package

    def relative_base(self, importer: str, level: int) -> str | None:
        """The directory ``from .`` (level 1), ``from ..`` (level 2)... names in ``importer``."""
        d = _dirname(importer)
        for _ in range(level - 1):
            if not d:
                return None
            d = _dirname(d)
        return d

    def resolve_relative(self, importer: str, level: int, dotted: str) -> Module | None | bool:
        """The module of a relative import; None when missing; False when it cannot be judged."""
        base = self.relative_base(importer, level)
        if base is None:
            return False
        if not dotted:
            return Module("." * level, _join(base, "__init__.py") if self.is_init(base) else None, base)
        return self.module_at(base, dotted)

    def submodule(self, module: Module, name: str) -> bool:
        if module.directory is None:
            return False
        return self.module_at(module.directory, name) is not None

    # -- what a module defines ---------------------------------------------------------------
    def names(self, module: Module) -> ModuleNames:
        """The names ``module`` binds (cycles through star imports are cut, conservatively open)."""
        key = module.path or f"{module.directory}/"
        cached = self._names.get(key)
        if cached is not None:
            return cached
        result = ModuleNames()
        self._names[key] = ModuleNames(open=True)  # while computing: a star-import cycle is open
        if module.path is not None:
            doc = self.document(module.path)
            if doc is None or doc.tree is None:
                result.open = True
            else:
                _collect(doc.tree, result, doc.walk())
                for node in result.star_from:
                    self._add_star(module, node, result)
                    if result.open:
                        break
        self._names[key] = result
        return result

    def defines(self, module: Module, name: str) -> bool:
        if name in IMPLICIT_NAMES or self.submodule(module, name):
            return True
        names = self.names(module)
        return names.open or name in names.names

    def document(self, path: str) -> PythonDocument | None:
        ref = self._refs.get(path)
        doc = self._repo.document(ref) if ref is not None else None
        return doc if isinstance(doc, PythonDocument) else None

    def _add_star(self, module: Module, node: ast.ImportFrom, result: ModuleNames) -> None:
        path = module.path or ""
        target: Module | None
        if node.level:
            resolved = self.resolve_relative(path, node.level, node.module or "")
            target = resolved if isinstance(resolved, Module) else None
        else:
            found, _ = self.resolve(path, node.module or "")
            target = found[0] if len(found) == 1 else None
        if target is None:
            result.open = True  # another library's names, or ambiguous: anything may come in
            return
        names = self.names(target)
        if names.open:
            result.open = True
            return
        if names.all_entries is not None:
            result.names.update(str(c.value) for c in names.all_entries)
        else:
            result.names.update(n for n in names.names if not n.startswith("_"))


def module_map(repo: Repository) -> ModuleMap:
    """The repository's module map (a fact: ``repo.fact(module_map)``)."""
    return ModuleMap(repo)


# -- collecting a module's names ------------------------------------------------------------------
def _targets(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def _module_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at module level: into if/try/with/for/while/match, not into defs."""
    for stmt in body:
        yield stmt
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                     ast.ClassDef)):
                yield from _module_statements(inner)
        if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from _module_statements(handler.body)
        if type(stmt).__name__ == "Match":
            for case in stmt.cases:  # type: ignore[attr-defined]
                yield from _module_statements(case.body)


def _string_list(node: ast.AST | None) -> list[ast.Constant] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and \
            all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return list(node.elts)  # type: ignore[arg-type]
    return None


def _collect(tree: ast.Module, out: ModuleNames, nodes: list[ast.AST] | None = None) -> None:
    all_dynamic = False
    entries: list[ast.Constant] | None = None
    for stmt in _module_statements(tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.names.add(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                out.names.update(_targets(target))
                if isinstance(target, ast.Name) and target.id == "__all__":
                    listed = _string_list(stmt.value)
                    if listed is None:
                        all_dynamic = True
                    else:
                        entries = listed
                if isinstance(target, ast.Subscript) and _is_sys_modules(target.value):
                    out.open = True  # sys.modules[__name__] = ...: the module is replaced
        elif isinstance(stmt, ast.AnnAssign):
            out.names.update(_targets(stmt.target))
        elif isinstance(stmt, ast.AugAssign):
            out.names.update(_targets(stmt.target))
            if isinstance(stmt.target, ast.Name) and stmt.target.id == "__all__":
                listed = _string_list(stmt.value)
                if listed is None:
                    all_dynamic = True
                elif entries is not None:
                    entries = entries + listed
            if isinstance(stmt.target, ast.Name) and stmt.target.id == "__path__":
                out.open = True
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            out.names.update(_targets(stmt.target))
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    out.names.update(_targets(item.optional_vars))
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                out.names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if alias.name == "*":
                    out.star_from.append(stmt)
                else:
                    out.names.add(alias.asname or alias.name)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                    func.value.id == "__all__" and func.attr in ("extend", "append"):
                args = stmt.value.args
                listed = _string_list(args[0]) if func.attr == "extend" and args else (
                    [args[0]] if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)
                    else None)
                if listed is None:
                    all_dynamic = True
                elif entries is not None:
                    entries = entries + listed  # type: ignore[operator]
    # One pass over every node: `global x` binds at module level, `globals()` anywhere opens the
    # module. `:=` and dynamic calls count only in module-level code, which needs a walk of its own;
    # most modules have none anywhere, and then that walk is skipped.
    global_type, call_type, name_type, attribute_type = ast.Global, ast.Call, ast.Name, ast.Attribute
    module_level_walk = False
    for node in nodes if nodes is not None else ast.walk(tree):
        kind = type(node)
        if kind is call_type:
            func = node.func  # type: ignore[attr-defined]
            if type(func) is name_type:
                if func.id == "globals":
                    out.open = True
                module_level_walk = module_level_walk or func.id in DYNAMIC_CALLS
            elif type(func) is attribute_type and func.attr in ("extend_path", "declare_namespace"):
                module_level_walk = True
        elif kind is global_type:
            out.names.update(node.names)  # type: ignore[attr-defined]
        elif kind is ast.NamedExpr:
            module_level_walk = True
    if module_level_walk:
        for stmt in _module_statements(tree.body):
            for node in ast.walk(stmt) if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                ast.ClassDef)) else ():
                if isinstance(node, ast.NamedExpr):
                    out.names.update(_targets(node.target))
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                        node.func.id in DYNAMIC_CALLS:
                    out.open = True
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                        node.func.attr in ("extend_path", "declare_namespace"):
                    out.open = True
    if "__getattr__" in out.names:
        out.open = True  # PEP 562: the module computes attributes on demand
    out.all_entries = None if all_dynamic else entries


def _is_sys_modules(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "modules" and \
        isinstance(node.value, ast.Name) and node.value.id == "sys"
