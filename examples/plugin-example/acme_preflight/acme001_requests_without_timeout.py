"""## What it catches
Calls of `requests` functions without a `timeout=`.

## Why it matters
A request without a timeout waits forever when the other side stops answering: our worker hung
for a day on a payment provider that accepted the connection and never replied.

## Example
```python
# app/client.py
import requests

requests.get("https://api.example.com/health")
```

## Use instead
```python
# app/client.py
import requests

requests.get("https://api.example.com/health", timeout=10)
```

## Fix
Pass `timeout=` (seconds) to every call.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import keyword, names_of
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="ACME001",
    name="requests-without-timeout",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A requests call has no timeout",
    source="our incident log",
    lesson="requests waits forever by default; give every call a timeout.",
    symptoms=("worker stuck", "ReadTimeout never raised"),
)
CALLEES = ("requests.get", "requests.post", "requests.put", "requests.patch", "requests.delete",
           "requests.head", "requests.request")


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    names = names_of(doc)
    for node in doc.walk():
        if isinstance(node, ast.Call) and names.resolves(node.func, *CALLEES):
            if keyword(node, "timeout") is None and not any(k.arg is None for k in node.keywords):
                yield ctx.finding(doc.node_span(node), f"{names.qualname(node.func)}() without timeout= waits "
                                                       "forever on a silent server; pass timeout=")
