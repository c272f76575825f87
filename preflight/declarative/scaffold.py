"""``preflight new-rule``: a declarative rule to fill in, or a plugin package that pip installs."""

from __future__ import annotations

import os
import re

from preflight.declarative.spec import NAME, check_rule_id


class ScaffoldError(Exception):
    """Why nothing was written (a bad name or id, a file that already exists)."""


YAML_TEMPLATE = """\
# A team rule for preflight; the schema is in docs/declarative-rules.md.
# Check it with `preflight test-rules`, see it with `preflight rules` and `preflight explain {id}`.
id: {id}
name: {name}
severity: error
summary: The legacy docker-compose v1 binary is run
lesson: >-
  docker-compose 1.x cannot read images built by current Docker and fails with
  KeyError: 'ContainerConfig'; use the `docker compose` v2 plugin.
symptoms:
  - "KeyError: 'ContainerConfig'"
message: "`{{match}}` is Compose v1; run `docker compose` (v2)"
match:
  - command:
      program: docker-compose
    kinds: [makefile, shell, workflow, action, dockerfile]
tests:
  bad:
    - path: Makefile
      content: |
        deploy:
        \tdocker-compose up -d
      expect: [2]
  good:
    - path: Makefile
      content: |
        deploy:
        \tdocker compose up -d
docs: |
  ## What it catches
  `docker-compose` (Compose v1) run in a Makefile, script, workflow or Dockerfile.

  ## Why it matters
  Our deploy of 2024-03 died with `KeyError: 'ContainerConfig'` on the new host.

  ## Example
  ```make
  # Makefile
  deploy:
  \tdocker-compose up -d
  ```

  ## Use instead
  ```make
  # Makefile
  deploy:
  \tdocker compose up -d
  ```

  ## Fix
  Replace `docker-compose` with `docker compose`.
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "Team rules for preflight"
requires-python = ">=3.10"
dependencies = ["preflight-deploy"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points."preflight.rules"]
{id} = "{package}.{module}"

[tool.setuptools]
packages = ["{package}"]
"""

RULE_MODULE = '''\
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
    id="{id}",
    name="{name}",
    severity=Severity.WARNING,
    kinds=frozenset({{FileKind.PYTHON}}),
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
                yield ctx.finding(doc.node_span(node), f"{{names.qualname(node.func)}}() without timeout= waits "
                                                       "forever on a silent server; pass timeout=")
'''

TEST_MODULE = '''\
"""The rule against its fixtures: exact findings in bad/, none in good/."""

from pathlib import Path

from preflight.config import Settings
from preflight.engine import run_check
from preflight.registry import load_registry

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "{id}"


def located(root):
    result = run_check(str(root), Settings(select=["{id}"]), load_registry())
    assert not result.errors, result.errors
    return [f"{{f.path}}:{{f.span.line}}" for f in result.findings]


def test_bad():
    assert located(FIXTURES / "bad") == ["app/client.py:3", "app/client.py:4"]


def test_good():
    assert located(FIXTURES / "good") == []
'''

BAD_FIXTURE = """\
import requests as http

http.get("https://api.example.com/health")
http.post("https://api.example.com/pay", json={})
"""

GOOD_FIXTURE = """\
import requests

requests.get("https://api.example.com/health", timeout=10)
requests.post("https://api.example.com/pay", json={}, timeout=(3, 30))
session_get = requests.Session().get  # a session call is not judged
"""


def _free_id(directory: str) -> str:
    used = set()
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            try:
                with open(os.path.join(directory, name), encoding="utf-8") as handle:
                    used.update(re.findall(r"^id:\s*[\"']?(X-\d{3})", handle.read(), re.MULTILINE))
            except (OSError, UnicodeDecodeError):
                continue
    number = 1
    while f"X-{number:03d}" in used:
        number += 1
    return f"X-{number:03d}"


def _check(name: str, rule_id: str) -> None:
    if not NAME.match(name):
        raise ScaffoldError(f"rule name {name!r} must be kebab-case, like no-compose-v1")
    problem = check_rule_id(rule_id)
    if problem:
        raise ScaffoldError(problem)


def _write(path: str, text: str) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def yaml_rule(name: str, rule_id: str | None, directory: str) -> list[str]:
    """Write ``<directory>/<name>.yml``; returns the files written."""
    rule_id = (rule_id or _free_id(directory)).upper()
    _check(name, rule_id)
    path = os.path.join(directory, f"{name}.yml")
    if os.path.exists(path):
        raise ScaffoldError(f"{path} already exists; choose another name")
    return [_write(path, YAML_TEMPLATE.format(id=rule_id, name=name))]


def python_plugin(name: str, rule_id: str | None, directory: str) -> list[str]:
    """Write a plugin package for rule ``name`` into ``directory`` (which must not exist yet)."""
    package = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not package or package[0].isdigit():
        raise ScaffoldError(f"cannot make a Python package name from {name!r}")
    if rule_id is None:
        letters = re.sub(r"[^A-Z]", "", name.upper())[:4] or "X"
        rule_id = f"{letters}001" if check_rule_id(f"{letters}001") is None else f"X-{letters}001"
    rule_id = rule_id.upper()
    _check(name, rule_id)
    if os.path.exists(directory):
        raise ScaffoldError(f"{directory} already exists; choose another name or --dir")
    module = f"{re.sub(r'[^a-z0-9]+', '_', rule_id.lower())}_requests_without_timeout"
    files = {
        "pyproject.toml": PYPROJECT.format(dist=f"{package.replace('_', '-')}", id=rule_id, package=package,
                                           module=module),
        f"{package}/__init__.py": f'"""preflight rules of {name}."""\n',
        f"{package}/{module}.py": RULE_MODULE.format(id=rule_id, name="requests-without-timeout"),
        f"fixtures/{rule_id}/bad/app/client.py": BAD_FIXTURE,
        f"fixtures/{rule_id}/good/app/client.py": GOOD_FIXTURE,
        f"tests/test_{module}.py": TEST_MODULE.format(id=rule_id),
        "README.md": f"# {name}\n\nA preflight plugin. Install with `pip install -e .`; `preflight rules` then lists "
                     f"{rule_id}. Run its tests with `pytest`.\n",
    }
    return [_write(os.path.join(directory, *rel.split("/")), text) for rel, text in files.items()]
