"""## What it catches
A retry loop (`for attempt in range(n):`, `while ...:`) whose HTTP 429 branch sleeps a fixed
interval: the branch is an `if` testing `status_code == 429` / `resp.status in (429, 503)` /
`HTTPStatus.TOO_MANY_REQUESTS` / `status.HTTP_429_TOO_MANY_REQUESTS`, or an `except` of a
rate-limit exception (`RateLimitError`, `RateLimitExceeded`, `TooManyRequests`, ...), and the
sleep's argument is a literal or a name that nothing in the function grows. The finding points at
the sleep call.

Backoff is clean: a delay computed from the attempt counter (`2 ** attempt`, `base * attempt`),
a name the loop grows (`delay *= 2`), the `Retry-After` header, random jitter, or any call
(`backoff(attempt)`). Decorators (`tenacity`, `backoff`) are not loops and are not looked at, so
`wait_fixed` there cannot be seen, nor can a sleep done by a helper the branch calls.

## Why it matters
From the trading-bot platform (seed 001, "External API Rate Limits (CoinGecko)" and "Tool
Reliability — Retry/Backoff"): the oracle polled CoinGecko's free tier (about 10-30 calls a
minute) and hit `429 Too Many Requests` during bursts — start-up, retry loops, several instances.
Retrying at a fixed interval keeps the client inside the limit window, so every retry is rejected
too and the burst never clears. The fix was exponential backoff on 429 with a generous base (120 s,
doubling per retry, at most 3 attempts) and a log line for operators; the Wikipedia tool got
retries with exponential backoff (base 2 s) on 429 and timeouts.

## Example
```python
# oracle/prices.py
import time

import requests


def fetch_prices(url):
    for attempt in range(3):
        response = requests.get(url, timeout=10)
        if response.status_code == 429:
            time.sleep(60)
            continue
        return response.json()
    return None
```

## Use instead
```python
# oracle/prices.py
import time

import requests


def fetch_prices(url):
    for attempt in range(3):
        response = requests.get(url, timeout=10)
        if response.status_code == 429:
            retry_after = response.headers.get("Retry-After")
            time.sleep(float(retry_after) if retry_after else 120 * 2 ** attempt)
            continue
        return response.json()
    return None
```

## Fix
Back off exponentially on 429 — `base * 2 ** attempt`, with jitter, capped — and honour the
`Retry-After` header when the API sends one; or use `tenacity` (`wait_exponential`) or `backoff`
(`backoff.expo`). Log the cool-down so operators see it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from preflight.documents.python import PythonDocument
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import Names, names_of
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="PY015",
    name="fixed-retry-on-rate-limit",
    severity=Severity.INFO,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A retry loop sleeps a fixed interval after HTTP 429",
    source='seed 001 "External API Rate Limits (CoinGecko)"; "Tool Reliability — Retry/Backoff & Fee"',
    lesson="Retrying a rate-limited API at a fixed interval keeps hitting the limit; back off "
           "exponentially on 429 and honour Retry-After.",
    symptoms=("429 Too Many Requests",),
    tags=("python", "http", "retry"),
)

SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "anyio.sleep", "trio.sleep", "gevent.sleep"})
RATE_LIMIT_NAMES = re.compile(r"rate_?limit|too_?many_?requests|throttl", re.IGNORECASE)


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None or "sleep" not in doc.text:
        return
    text = doc.text.lower()
    if "429" not in text and not RATE_LIMIT_NAMES.search(text):
        return
    names = names_of(doc)
    reported: set[int] = set()
    for scope in [doc.tree, *(n for n in doc.walk() if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
        growing = _growing_names(scope)
        for loop in _own(scope):
            if not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
                continue
            dynamic = growing | (_targets(loop.target) if isinstance(loop, (ast.For, ast.AsyncFor)) else set())
            for branch in _rate_limit_branches(loop):
                for call in _sleeps(branch, names):
                    if id(call) in reported or not call.args or _backs_off(call.args[0], dynamic):
                        continue
                    reported.add(id(call))
                    yield ctx.finding(doc.node_span(call),
                                      f"after HTTP 429 this retry loop sleeps a fixed `{ast.unparse(call.args[0])}`: "
                                      "every retry lands in the same rate-limit window; back off exponentially "
                                      "(base * 2 ** attempt, with jitter) and honour Retry-After")


def _own(scope: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield child
        yield from _own(child)


def _targets(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _growing_names(scope: ast.AST) -> set[str]:
    """Names the function changes as it goes: augmented assignments, and names computed from them,
    from `**`, `Retry-After` or random (to a fixed point)."""
    assigns: list[tuple[set[str], ast.AST]] = []
    growing: set[str] = set()
    for node in _own(scope):
        if isinstance(node, ast.AugAssign):
            growing |= _targets(node.target)
        elif isinstance(node, ast.Assign):
            assigns.append((set().union(*(_targets(t) for t in node.targets)), node.value))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            assigns.append((_targets(node.target), node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            growing |= _targets(node.target)
    changed = True
    while changed:
        changed = False
        for targets, value in assigns:
            if not targets <= growing and _backs_off(value, growing):
                growing |= targets
                changed = True
    return growing


def _backs_off(node: ast.AST, dynamic: set[str]) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id in dynamic:
            return True
        if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Pow):
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.lower() == "retry-after":
            return True
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name not in ("float", "int", "min", "max"):
                return True  # computed by a call: backoff(attempt), random.uniform(...), ...
    return False


def _is_429(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and sub.value == 429 and not isinstance(sub.value, bool):
            return True
        if isinstance(sub, (ast.Attribute, ast.Name)):
            name = sub.attr if isinstance(sub, ast.Attribute) else sub.id
            if name.upper() in ("TOO_MANY_REQUESTS", "HTTP_429_TOO_MANY_REQUESTS", "TOO_MANY") or \
                    (name.lower() == "too_many_requests"):
                return True
    return False


def _rate_limit_branches(loop: ast.AST) -> Iterator[list[ast.stmt]]:
    for node in _own(loop):
        if isinstance(node, ast.If) and _is_429(node.test):
            yield node.body
        elif isinstance(node, ast.ExceptHandler) and node.type is not None and \
                any(RATE_LIMIT_NAMES.search(n.attr if isinstance(n, ast.Attribute) else n.id)
                    for n in ast.walk(node.type) if isinstance(n, (ast.Name, ast.Attribute))):
            yield node.body


def _sleeps(body: list[ast.stmt], names: Names) -> Iterator[ast.Call]:
    for stmt in body:
        for node in [stmt, *_own(stmt)]:
            if isinstance(node, ast.Call) and names.resolves(node.func, *SLEEPS):
                yield node
