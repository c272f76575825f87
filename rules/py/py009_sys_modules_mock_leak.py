"""## What it catches
Tests (files under `tests/`, `test_*.py`, `*_test.py`, `conftest.py`) that put a stub module into
`sys.modules` for good:

- `sys.modules.setdefault("redis", MagicMock())`;
- `sys.modules["redis"] = Mock()` (also `MagicMock`, `AsyncMock`, `types.ModuleType(...)`,
  `SimpleNamespace(...)`, or a name assigned one of those);
- `sys.modules.update({"redis": MagicMock()})`.

Clean: the same statements inside `with patch.dict(sys.modules, ...):` or a function decorated
with `@patch.dict(sys.modules, ...)` (restored on exit), `monkeypatch.setitem(sys.modules, ...)`,
and a fixture or test class that removes the stub again (`del sys.modules[name]`,
`sys.modules.pop(name)`, `addCleanup(sys.modules.pop, name)`, in the same function or class).
Assigning a real module loaded with `importlib` is not a stub.

## Why it matters
From the trading-bot platform's lessons (seed 001, "TrackedProvider Pattern", the note on
"sys.modules stub pollution"): a test stubbed an optional dependency with
`sys.modules.setdefault(mod, MagicMock())` and never removed it. The mock stayed in `sys.modules`
for the whole test session, so every later `import` of that module, in any test, returned the
`MagicMock` instead of the real thing: later tests passed against a mock or failed with baffling
errors depending on the order pytest ran them in.

## Example
```python
# tests/test_llm_client.py
import sys
from unittest.mock import MagicMock

sys.modules.setdefault("openai", MagicMock())

from app import llm_client  # noqa: E402


def test_client() -> None:
    assert llm_client is not None
```

## Use instead
```python
# tests/test_llm_client.py
import sys
from unittest.mock import MagicMock, patch


def test_client() -> None:
    with patch.dict(sys.modules, {"openai": MagicMock()}):
        from app import llm_client
        assert llm_client is not None
    sys.modules.pop("app.llm_client", None)
```

## Fix
Use `patch.dict(sys.modules, stubs)` as a context manager (or `monkeypatch.setitem(sys.modules,
name, stub)` in pytest), and `sys.modules.pop(mod, None)` for modules you imported inside the
context so they are imported afresh, against the real dependency, by later tests.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument, is_test_path
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import Names, constant_str, names_of
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="PY009",
    name="sys-modules-mock-leak",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A test puts a stub module into sys.modules without restoring it",
    source='seed 001 "TrackedProvider Pattern" (sys.modules stub pollution)',
    lesson="sys.modules.setdefault(mod, MagicMock()) in a test leaks the mock into every later test; "
           "use patch.dict(sys.modules, ...) and pop the modules imported inside it.",
    symptoms=("<MagicMock name='mock.",
              "tests pass alone but fail when run with the whole suite"),
    tags=("python", "tests", "mock"),
)

STUB_FACTORIES = frozenset({"mock.Mock", "mock.MagicMock", "mock.AsyncMock", "mock.NonCallableMock",
                            "mock.NonCallableMagicMock", "mock.create_autospec", "types.ModuleType",
                            "types.SimpleNamespace", "pytest_mock.MockerFixture"})
STUB_NAMES = frozenset({"Mock", "MagicMock", "AsyncMock", "NonCallableMock", "ModuleType", "SimpleNamespace"})


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None or not is_test_path(doc.path):
        return
    names = names_of(doc)
    if not names.imports("sys") and "sys" not in doc.text:
        return
    yield from _visit(doc, doc.tree, names, ctx, [], set())


def _sys_modules(node: ast.AST | None, names: Names) -> bool:
    return names.qualname(node) == "sys.modules"


def _stub_call(node: ast.AST | None, names: Names, stubs: set[str]) -> bool:
    if isinstance(node, ast.Name) and node.id in stubs:
        return True
    if isinstance(node, ast.Call):
        qualname = names.qualname(node.func)
        if qualname is not None:
            return qualname in STUB_FACTORIES
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return last in STUB_NAMES or last in ("mock", "Mock") and isinstance(func, ast.Attribute)  # mocker.Mock()
    return False


def _restores(scope: ast.AST, names: Names) -> bool:
    """Does ``scope`` remove entries from sys.modules again (del / pop / clear / a saved copy)?"""
    for node in ast.walk(scope):
        if isinstance(node, ast.Delete) and any(isinstance(t, ast.Subscript) and _sys_modules(t.value, names)
                                                for t in node.targets):
            return True
        if isinstance(node, ast.Attribute) and node.attr in ("pop", "clear", "update") and \
                _sys_modules(node.value, names):
            if node.attr != "update" or _is_restore_update(scope, node):
                return True
    return False


def _is_restore_update(scope: ast.AST, attribute: ast.Attribute) -> bool:
    """``sys.modules.update(saved)`` restores; ``sys.modules.update({"x": MagicMock()})`` stubs."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Call) and node.func is attribute:
            return bool(node.args) and not isinstance(node.args[0], ast.Dict)
    return True  # passed as a callback (addCleanup(sys.modules.update, saved))


def _patches_sys_modules(node: ast.AST, names: Names) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "dict" and \
        bool(node.args) and _sys_modules(node.args[0], names)


def _visit(doc: PythonDocument, node: ast.AST, names: Names, ctx: Context, scopes: list[ast.AST],
           stubs: set[str]) -> Iterator[Finding]:
    if isinstance(node, (ast.With, ast.AsyncWith)) and any(_patches_sys_modules(i.context_expr, names)
                                                           for i in node.items):
        return  # patch.dict restores sys.modules on exit
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
            any(_patches_sys_modules(d, names) for d in node.decorator_list):
        return
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        scopes = [*scopes, node]
        stubs = set()
    if isinstance(node, ast.Assign):
        if _stub_call(node.value, names, stubs):
            stubs.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for target in node.targets:
            if isinstance(target, ast.Subscript) and _sys_modules(target.value, names) and \
                    _stub_call(node.value, names, stubs) and not _restored(scopes, names):
                yield _finding(doc, ctx, node, target.slice, "assigned")
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            _sys_modules(node.func.value, names) and not _restored(scopes, names):
        if node.func.attr == "setdefault" and len(node.args) >= 2 and _stub_call(node.args[1], names, stubs):
            yield _finding(doc, ctx, node, node.args[0], "set by setdefault()")
        elif node.func.attr == "update" and node.args and isinstance(node.args[0], ast.Dict) and \
                any(_stub_call(v, names, stubs) for v in node.args[0].values):
            key = next((k for k, v in zip(node.args[0].keys, node.args[0].values, strict=True)
                        if _stub_call(v, names, stubs)), None)
            yield _finding(doc, ctx, node, key, "set by update()")
    for child in ast.iter_child_nodes(node):
        yield from _visit(doc, child, names, ctx, scopes, stubs)


def _restored(scopes: list[ast.AST], names: Names) -> bool:
    return any(_restores(scope, names) for scope in scopes)


def _finding(doc: PythonDocument, ctx: Context, node: ast.AST, key: ast.AST | None, how: str) -> Finding:
    name = constant_str(key)
    what = f"sys.modules[{name!r}]" if name else "a sys.modules entry"
    return ctx.finding(doc.node_span(node),
                       f"{what} is {how} to a stub and never restored: the stub leaks into every later test of "
                       "the session; use `with patch.dict(sys.modules, {...}):` or monkeypatch.setitem(sys.modules, ...)")
