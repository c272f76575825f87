"""## What it catches
A long-running loop — `while True:`, `while not stop:`, `while self.running:`,
`while not shutdown_event.is_set():` — that sleeps a long or named interval in one call
(`await asyncio.sleep(TICK_RATE)`, `time.sleep(60)`, `sleep(self.interval)`; also `anyio`, `trio`
and `gevent` sleeps) in a module that installs no SIGTERM handling. *Long* is a literal of at
least `min-seconds` (default 5); *named* is any argument that is not a literal. The finding points
at the sleep call. A loop that can `return` or `break` (a retry loop that ends on success, like
`while True: try: return call() except Error: sleep(wait)`) is not a daemon loop and is not checked.

A module counts as handling SIGTERM when it references `signal.SIGTERM` (or `SIGTERM` imported
from `signal`) and registers a handler (`signal.signal(...)`, `loop.add_signal_handler(...)`), or
when a module of the repository that imports it does (the usual `main.py` that installs the handler
and starts the worker). Handlers installed anywhere else — a framework (uvicorn, Celery), a module
reached through several imports, the process manager — cannot be seen.

## Why it matters
From the trading-bot platform (seed 001, "Daemon Signal Handling Pattern"): the ticker and oracle
daemons looped with `await asyncio.sleep(TICK_RATE)`. `docker stop` sends SIGTERM and, after
its grace period (10 s by default), SIGKILL: a daemon stuck in a long sleep with no handler never
noticed the request, was killed, and a kill that lands mid-cycle interrupts a transaction and
corrupts state. The fix was a SIGTERM handler that sets a flag, checked before each cycle and
between 1-second sleep increments, so the current cycle finishes and the process exits promptly.

## Example
```python
# workers/ticker.py
import asyncio

TICK_RATE = 60


async def run_ticker(process_tick):
    while True:
        await process_tick()
        await asyncio.sleep(TICK_RATE)
```

## Use instead
```python
# workers/ticker.py
import asyncio
import signal

TICK_RATE = 60


async def run_ticker(process_tick):
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    while not stop.is_set():
        await process_tick()
        try:
            await asyncio.wait_for(stop.wait(), timeout=TICK_RATE)
        except asyncio.TimeoutError:
            pass
```

## Fix
Install a SIGTERM handler that sets a flag or an event, and wait on the event with a timeout
(`await asyncio.wait_for(stop.wait(), timeout=...)`, `stop_event.wait(timeout)`) or sleep in
1-second increments that check the flag. Set the threshold for a literal sleep:

```toml
[tool.preflight.rules.PY011]
min-seconds = 10
```
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument
from preflight.model import FileKind, Finding, Severity
from preflight.pymodules import module_map
from preflight.pynames import Names, names_of
from preflight.rule import Context, Option, RuleMeta

RULE = RuleMeta(
    id="PY011",
    name="daemon-unresponsive-sleep",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A daemon loop sleeps a long interval in one call with no SIGTERM handling",
    source='seed 001 "Daemon Signal Handling Pattern"',
    lesson="A daemon sleeping asyncio.sleep(TICK_RATE) ignores SIGTERM until the sleep ends and is "
           "killed mid-transaction; handle SIGTERM and wait on an event with a timeout.",
    symptoms=("failed to exit within 10 seconds of signal 15 - using the force",
              "exited with code 137"),
    options=(Option("min-seconds", 5, "a literal sleep of at least this many seconds counts as long"),),
    tags=("python", "daemon", "docker", "shutdown"),
)

SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "anyio.sleep", "trio.sleep", "gevent.sleep", "eventlet.sleep"})


def handles_sigterm(doc: PythonDocument) -> bool:
    """The module references SIGTERM and registers a signal handler."""
    if doc.tree is None or "SIGTERM" not in doc.text:
        return False
    names = names_of(doc)
    sigterm = registers = False
    for node in doc.walk():
        if isinstance(node, (ast.Name, ast.Attribute)) and \
                names.qualname(node) in ("signal.SIGTERM", "signal.Signals.SIGTERM"):
            sigterm = True
        elif isinstance(node, ast.Call):
            func = node.func
            if names.resolves(func, "signal.signal") or \
                    (isinstance(func, ast.Attribute) and func.attr == "add_signal_handler"):
                registers = True
    return sigterm and registers


def sigterm_covered(repo) -> frozenset[str]:  # type: ignore[no-untyped-def]
    """Paths of Python modules that handle SIGTERM, or are imported directly by one that does."""
    modules = repo.fact(module_map)
    covered: set[str] = set()
    for doc in repo.documents(FileKind.PYTHON):
        if not isinstance(doc, PythonDocument) or not handles_sigterm(doc):
            continue
        covered.add(doc.path)
        for node in doc.walk():  # type: ignore[arg-type]
            if isinstance(node, ast.Import):
                targets = [modules.resolve(doc.path, a.name)[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    found = modules.resolve_relative(doc.path, node.level, node.module or "")
                    base = [found] if found and found is not True else []
                else:
                    base = modules.resolve(doc.path, node.module or "")[0]
                targets = [base]  # type: ignore[list-item]
                for module in base:  # `from workers import ticker`: the submodule
                    if module.directory is not None:  # type: ignore[union-attr]
                        for alias in node.names:
                            sub = modules.module_at(module.directory, alias.name)  # type: ignore[union-attr]
                            if sub is not None:
                                targets.append([sub])
            else:
                continue
            covered.update(m.path for group in targets for m in group if m.path)  # type: ignore[union-attr]
    return frozenset(covered)


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None or "sleep" not in doc.text or "while" not in doc.text:
        return
    names = names_of(doc)
    threshold = ctx.options.get("min-seconds", 5)
    threshold = threshold if isinstance(threshold, (int, float)) else 5
    found = []
    for loop in doc.nodes_of(ast.While):
        if isinstance(loop, ast.While) and _long_running(loop.test) and not _exits(loop):
            for call in _sleeps(loop, names):
                seconds = _seconds(call.args[0] if call.args else None)
                if seconds is None or seconds >= threshold:
                    found.append((call, seconds))
    if not found or doc.path in ctx.repo.fact(sigterm_covered):
        return
    seen = set()
    for call, seconds in found:
        if id(call) in seen:
            continue
        seen.add(id(call))
        how = f"{seconds:g} seconds" if seconds is not None else f"`{ast.unparse(call.args[0])}`"
        yield ctx.finding(doc.node_span(call),
                          f"this daemon loop sleeps {how} in one call and the module installs no SIGTERM "
                          "handler: `docker stop` waits out the sleep, then kills the process mid-cycle; handle "
                          "SIGTERM and wait on an event with a timeout (or sleep in 1-second steps)")


def _long_running(test: ast.AST) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value) and not isinstance(test.value, str)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if isinstance(test, (ast.Name, ast.Attribute)):
        return True
    return isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and \
        test.func.attr in ("is_set", "is_running", "should_stop", "is_shutting_down")


def _exits(loop: ast.While) -> bool:
    """A `return` or `break` of the loop itself: a retry loop that ends on success, not a daemon."""
    stack: list[ast.AST] = [*loop.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Return, ast.Break)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                             ast.For, ast.AsyncFor, ast.While)):
            continue  # a `break` there ends the inner loop; a `return` there is another function's
        stack.extend(ast.iter_child_nodes(node))
    return False


def _sleeps(loop: ast.While, names: Names) -> Iterator[ast.Call]:
    """Sleep calls run directly by ``loop`` (not in nested loops, functions or classes)."""
    stack: list[ast.AST] = [*loop.body, *loop.orelse]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                             ast.For, ast.AsyncFor, ast.While)):
            continue  # an inner `for _ in range(TICK_RATE): sleep(1)` is the fix
        if isinstance(node, ast.Call) and names.resolves(node.func, *SLEEPS):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _seconds(node: ast.AST | None) -> float | None:
    """A literal (or constant arithmetic) duration, or None when it is named."""
    try:
        value = ast.literal_eval(node) if node is not None else 0
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
            left, right = _seconds(node.left), _seconds(node.right)
            if left is not None and right is not None:
                return left * right if isinstance(node.op, ast.Mult) else left + right
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (sigterm_covered,)
