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

from preflight.documents.python import PythonDocument, walk_list

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


# Nodes that bind no name, open no scope, are no call and hold no such node: the walk does not
# enter them (most of a tree: names, constants, their load/store contexts, operators).
_LEAVES = frozenset({ast.Name, ast.Constant, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue,
                     ast.alias, *ast.operator.__subclasses__(), *ast.unaryop.__subclasses__(),
                     *ast.cmpop.__subclasses__(), *ast.boolop.__subclasses__()})


class _Walker:
    """Pre-order walk in ``ast.iter_child_nodes`` order. It reads ``node._fields`` itself and
    dispatches on the node's type through one dict: ``ast.iter_child_nodes`` and a chain of
    isinstance tests per node were most of PY002's time."""

    def __init__(self) -> None:
        self.calls: list[tuple[ast.Call, Scope]] = []
        self.scopes: list[Scope] = []
        self.handlers: dict[type, Callable[..., None]] = {
            ast.FunctionDef: self.function, ast.AsyncFunctionDef: self.function, ast.Lambda: self.lambda_,
            ast.ClassDef: self.class_, ast.Global: self.global_, ast.Nonlocal: _ignore,
            ast.Assign: self.assign, ast.AnnAssign: self.ann_assign, ast.AugAssign: self.aug_assign,
            ast.NamedExpr: self.named_expr, ast.For: self.for_, ast.AsyncFor: self.for_,
            ast.withitem: self.withitem, ast.ExceptHandler: self.except_handler, ast.Call: self.call,
        }

    def scope(self, node: ast.AST, parent: Scope | None, cls: ast.ClassDef | None = None) -> Scope:
        scope = Scope(node, parent, cls)
        self.scopes.append(scope)
        return scope

    def visit(self, node: ast.AST, scope: Scope, cls: ast.ClassDef | None = None) -> None:
        """Visit ``node``'s children in ``scope``; ``cls`` is set while in a class body."""
        leaves, handlers, node_type = _LEAVES, self.handlers, ast.AST
        # The dispatch is written out for a list field and for a single node, on purpose: this loop
        # runs for every node of every module, and a shared helper would add a call (or a one-item
        # tuple) per field.
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for child in value:
                    if isinstance(child, node_type) and type(child) not in leaves:
                        handler = handlers.get(type(child))
                        if handler is None:
                            self.visit(child, scope, cls)
                        else:
                            handler(child, scope, cls)
            elif isinstance(value, node_type) and type(value) not in leaves:
                handler = handlers.get(type(value))
                if handler is None:
                    self.visit(value, scope, cls)
                else:
                    handler(value, scope, cls)

    def visit_node(self, node: ast.AST, scope: Scope, cls: ast.ClassDef | None) -> None:
        if type(node) in _LEAVES:
            return
        handler = self.handlers.get(type(node))
        if handler is None:
            self.visit(node, scope, cls)
        else:
            handler(node, scope, cls)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, cls: ast.ClassDef | None) -> None:
        if cls is None:  # a method's name is an attribute of its class, not a variable
            scope.add(node.name, Binding("def", node=node))
        for expr in [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
            self.visit_node(expr, scope, cls)
        inner = self.scope(node, scope, cls)
        _bind_params(inner, node.args)
        for statement in node.body:
            self.visit_node(statement, inner, None)

    def lambda_(self, node: ast.Lambda, scope: Scope, cls: ast.ClassDef | None) -> None:
        inner = self.scope(node, scope)
        _bind_params(inner, node.args)
        self.visit_node(node.body, inner, None)

    def class_(self, node: ast.ClassDef, scope: Scope, cls: ast.ClassDef | None) -> None:
        scope.add(node.name, Binding("other"))
        for expr in [*node.bases, *node.keywords, *node.decorator_list]:
            self.visit_node(expr, scope, cls)
        # A class body runs in its own namespace that methods do not see: its names stay out.
        body_scope = Scope(node, scope)
        for statement in node.body:
            self.visit_node(statement, body_scope if not isinstance(statement, FUNCTIONS[:2]) else scope, node)

    def global_(self, node: ast.Global, scope: Scope, cls: ast.ClassDef | None) -> None:
        scope.globals_.update(node.names)

    def assign(self, node: ast.Assign, scope: Scope, cls: ast.ClassDef | None) -> None:
        for target in node.targets:
            _bind_target(scope, target, Binding("assign", node.value) if isinstance(target, ast.Name)
                         else Binding("other"))
        self.visit(node, scope, cls)

    def ann_assign(self, node: ast.AnnAssign, scope: Scope, cls: ast.ClassDef | None) -> None:
        if isinstance(node.target, ast.Name):
            scope.add(node.target.id, Binding("assign" if node.value is not None else "declared",
                                              node.value, node.annotation))
        self.visit(node, scope, cls)

    def aug_assign(self, node: ast.AugAssign, scope: Scope, cls: ast.ClassDef | None) -> None:
        if isinstance(node.target, ast.Name):
            scope.add(node.target.id, Binding("augmented", node.value))
        self.visit(node, scope, cls)

    def named_expr(self, node: ast.NamedExpr, scope: Scope, cls: ast.ClassDef | None) -> None:
        if isinstance(node.target, ast.Name):
            scope.add(node.target.id, Binding("assign", node.value))
        self.visit(node, scope, cls)

    def for_(self, node: ast.For | ast.AsyncFor, scope: Scope, cls: ast.ClassDef | None) -> None:
        _bind_target(scope, node.target, Binding("for", node.iter) if isinstance(node.target, ast.Name)
                     else Binding("other"))
        self.visit(node, scope, cls)

    def withitem(self, node: ast.withitem, scope: Scope, cls: ast.ClassDef | None) -> None:
        if node.optional_vars is not None:
            _bind_target(scope, node.optional_vars, Binding("with", node.context_expr)
                         if isinstance(node.optional_vars, ast.Name) else Binding("other"))
        self.visit(node, scope, cls)

    def except_handler(self, node: ast.ExceptHandler, scope: Scope, cls: ast.ClassDef | None) -> None:
        if node.name:
            scope.add(node.name, Binding("other"))
        self.visit(node, scope, cls)

    def call(self, node: ast.Call, scope: Scope, cls: ast.ClassDef | None) -> None:
        self.calls.append((node, scope))
        self.visit(node, scope, cls)


def _ignore(node: ast.AST, scope: Scope, cls: ast.ClassDef | None) -> None:
    """``nonlocal``: the name stays bound where it is (no binding is tracked for it)."""


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
    for node in walk_list(tree):  # ast.walk's nodes, listed faster (only the set of ids matters)
        if isinstance(node, ast.If) and guard(node.test):
            for statement in node.body:
                found.update(id(n) for n in walk_list(statement))
    return found
