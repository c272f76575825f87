"""What a local name of a Python module was bound to: assignments, parameters, ``with ... as``, ``for``.

PY002-PY006 and PY012 ask questions like "was ``session`` made by a SQLAlchemy session factory?"
or "is ``ENV_FILE`` a relative path literal?". :func:`calls_in_scope` walks a module once and pairs
every call with the :class:`Scope` (module, function, lambda) it runs in; :meth:`Scope.lookup`
returns every binding of a name visible there, following Python's rule that a name assigned
anywhere in a function is local to all of it (flow-insensitive: every binding counts).
Nothing is evaluated.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from preflight.documents.python import PythonDocument

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


@dataclass(frozen=True, eq=False)
class Binding:
    """One way a name got its value: ``kind`` is assign, param, with, for or other."""

    kind: str
    value: ast.expr | None = None  # assign: the right-hand side; with: the context expression; for: the iterable
    annotation: ast.expr | None = None  # param / annotated assignment
    node: ast.AST | None = None  # def: the function definition


@dataclass(eq=False)
class Scope:
    node: ast.AST
    parent: Scope | None
    cls: ast.ClassDef | None = None  # the class of a method
    names: dict[str, list[Binding]] = field(default_factory=dict)
    globals_: set[str] = field(default_factory=set)

    @property
    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    @property
    def self_name(self) -> str | None:
        """The first parameter of a method (``self``), if this scope is one."""
        node = self.node
        if self.cls is None or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        params = node.args.posonlyargs + node.args.args
        return params[0].arg if params else None

    def lookup(self, name: str) -> tuple[Scope, list[Binding]] | None:
        """The scope that binds ``name`` as seen from here, and its bindings; None if unbound."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.globals_:
                scope = scope.module
                continue
            if name in scope.names:
                return scope, scope.names[name]
            scope = scope.parent
        return None

    def bindings(self, name: str) -> list[Binding]:
        found = self.lookup(name)
        return found[1] if found else []

    def add(self, name: str, binding: Binding) -> None:
        self.names.setdefault(name, []).append(binding)


def _bind_target(scope: Scope, target: ast.expr, binding: Binding) -> None:
    if isinstance(target, ast.Name):
        scope.add(target.id, binding)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:  # unpacking: the element's value is not known
            _bind_target(scope, elt.value if isinstance(elt, ast.Starred) else elt, Binding("other"))
    elif isinstance(target, ast.Starred):
        _bind_target(scope, target.value, Binding("other"))


def _bind_params(scope: Scope, args: ast.arguments) -> None:
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(positional, defaults, strict=True):
        scope.add(arg.arg, Binding("param", default, arg.annotation))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        scope.add(arg.arg, Binding("param", default, arg.annotation))
    for arg in (args.vararg, args.kwarg):
        if arg is not None:
            scope.add(arg.arg, Binding("other"))


class _Walker:
    def __init__(self) -> None:
        self.calls: list[tuple[ast.Call, Scope]] = []
        self.scopes: list[Scope] = []

    def scope(self, node: ast.AST, parent: Scope | None, cls: ast.ClassDef | None = None) -> Scope:
        scope = Scope(node, parent, cls)
        self.scopes.append(scope)
        return scope

    def visit(self, node: ast.AST, scope: Scope, cls: ast.ClassDef | None = None) -> None:
        """Visit ``node``'s children in ``scope``; ``cls`` is set while in a class body."""
        for child in ast.iter_child_nodes(node):
            self.visit_node(child, scope, cls)

    def visit_node(self, node: ast.AST, scope: Scope, cls: ast.ClassDef | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if cls is None:  # a method's name is an attribute of its class, not a variable
                scope.add(node.name, Binding("def", node=node))
            for expr in [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
                self.visit_node(expr, scope, cls)
            inner = self.scope(node, scope, cls)
            _bind_params(inner, node.args)
            for statement in node.body:
                self.visit_node(statement, inner, None)
            return
        if isinstance(node, ast.Lambda):
            inner = self.scope(node, scope)
            _bind_params(inner, node.args)
            self.visit_node(node.body, inner, None)
            return
        if isinstance(node, ast.ClassDef):
            scope.add(node.name, Binding("other"))
            for expr in [*node.bases, *node.keywords, *node.decorator_list]:
                self.visit_node(expr, scope, cls)
            # A class body runs in its own namespace that methods do not see: its names stay out.
            body_scope = Scope(node, scope)
            for statement in node.body:
                self.visit_node(statement, body_scope if not isinstance(statement, FUNCTIONS[:2]) else scope, node)
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            if isinstance(node, ast.Global):
                scope.globals_.update(node.names)
            return
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _bind_target(scope, target, Binding("assign", node.value) if isinstance(target, ast.Name)
                             else Binding("other"))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            scope.add(node.target.id, Binding("assign" if node.value is not None else "declared",
                                              node.value, node.annotation))
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            scope.add(node.target.id, Binding("augmented", node.value))
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            scope.add(node.target.id, Binding("assign", node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            _bind_target(scope, node.target, Binding("for", node.iter) if isinstance(node.target, ast.Name)
                         else Binding("other"))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            _bind_target(scope, node.optional_vars, Binding("with", node.context_expr)
                         if isinstance(node.optional_vars, ast.Name) else Binding("other"))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.add(node.name, Binding("other"))
        elif isinstance(node, ast.comprehension):
            pass  # comprehension variables live in their own scope; we do not track them
        if isinstance(node, ast.Call):
            self.calls.append((node, scope))
        self.visit(node, scope, cls)


@dataclass(frozen=True)
class ModuleScopes:
    module: Scope
    calls: list[tuple[ast.Call, Scope]]
    scopes: list[Scope]
    by_node: dict[int, Scope]

    def scope_of(self, node: ast.AST) -> Scope | None:
        """The scope a function or lambda definition opens."""
        return self.by_node.get(id(node))


def module_scopes(doc: PythonDocument) -> ModuleScopes:
    """The scopes and calls of ``doc``, built on first request and kept on the document."""
    cached = doc.__dict__.get("_pf_scopes")
    if cached is None:
        walker = _Walker()
        tree = doc.tree if doc.tree is not None else ast.Module(body=[], type_ignores=[])
        module = walker.scope(tree, None)
        walker.visit(tree, module)
        walker.calls.sort(key=lambda pair: (pair[0].lineno, pair[0].col_offset))
        cached = ModuleScopes(module, walker.calls, walker.scopes, {id(s.node): s for s in walker.scopes})
        doc.__dict__["_pf_scopes"] = cached
    return cached


def calls_in_scope(doc: PythonDocument) -> Iterator[tuple[ast.Call, Scope]]:
    """Every call of ``doc`` in source order, with the scope it runs in."""
    yield from module_scopes(doc).calls


def class_attributes(scopes: ModuleScopes, cls: ast.ClassDef) -> dict[str, list[tuple[Binding, Scope]]]:
    """``self.<attr>`` bindings made in the methods of ``cls`` and the annotations of its body."""
    key = "_attrs"
    cache = cls.__dict__.setdefault("_pf_cache", {})
    if key in cache:
        return cache[key]
    found: dict[str, list[tuple[Binding, Scope]]] = {}
    class_scope = scopes.module
    for statement in cls.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            found.setdefault(statement.target.id, []).append(
                (Binding("declared", statement.value, statement.annotation), class_scope))
    for scope in scopes.scopes:
        if scope.cls is not cls or scope.self_name is None:
            continue
        for node in ast.walk(scope.node):
            targets: list[ast.expr] = []
            value = None
            annotation = None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign):
                targets, value, annotation = [node.target], node.value, node.annotation
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and \
                        target.value.id == scope.self_name:
                    found.setdefault(target.attr, []).append((Binding("assign", value, annotation), scope))
    cache[key] = found
    return found


def guarded_nodes(tree: ast.AST | None, guard: Callable[[ast.expr], bool]) -> set[int]:
    """Ids of every node inside the body (not the ``else``) of an ``if`` whose test ``guard`` accepts."""
    found: set[int] = set()
    if tree is None:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and guard(node.test):
            for statement in node.body:
                found.update(id(n) for n in ast.walk(statement))
    return found
