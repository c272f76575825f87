"""## What it catches
A YAML, JSON or TOML configuration file loaded into a plain dict (`yaml.safe_load(f)`,
`yaml.load`, `json.load(f)`, `json.loads(path.read_text())`, `tomllib.load`, `tomli.load`,
`toml.load`) that the code hands on as configuration — returns it (or a part of it), stores it
on `self`, in a module-level config name (`CONFIG`, `settings`) or a `global` — without passing it through a model in the same
function: `Model(**data)`, `Model(data)` (a class), `Model.model_validate(data)`, `parse_obj`,
`TypeAdapter(...).validate_python(data)`, `msgspec.convert`, `cattrs.structure`,
`dacite.from_dict`, a marshmallow `schema.load(data)`, `jsonschema.validate(data, ...)`.

Off by default (turn it on with `extend-select = ["PY007"]`): it is a heuristic. It cannot see a
dict validated by the caller or in another function, and it skips tests. `json.loads` of
anything but a file's contents (an API payload) is not a config file and is not flagged.

## Why it matters
From the trading-bot platform's rules (seed 001, rule 6: "All external configurations (YAML) must
be validated via Pydantic at runtime"): loading external configuration files without validation
was a primary source of runtime errors. A typo in `bots/*.yaml` (a missing key, a string where a
number belongs) does not fail when the file is read; it fails later, deep in a tick, as a
`KeyError` or `TypeError` far from the file that caused it. A model validated at start-up names the
file, the field and the problem before anything runs.

## Example
```python
# app/config.py
import yaml


def load_bot_config(path):
    with open(path) as f:
        return yaml.safe_load(f)
```

## Use instead
```python
# app/config.py
import yaml
from pydantic import BaseModel


class BotConfig(BaseModel):
    handle: str
    strategy: str
    max_wager: float


def load_bot_config(path):
    with open(path) as f:
        return BotConfig.model_validate(yaml.safe_load(f))
```

## Fix
Give every configuration file a pydantic model (or a dataclass/attrs class, msgspec struct) and
parse the loaded dict into it where it is read, so a bad file fails at start-up with a message
that names the field.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument, is_test_path
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import Names, names_of
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="PY007",
    name="unvalidated-config-load",
    severity=Severity.INFO,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A config file is loaded into a plain dict and used without a validating model",
    source="seed 001 rule 6",
    lesson="External configuration loaded without validation fails late and far from its cause; "
           "parse every config file into a pydantic (or similar) model at start-up.",
    symptoms=("AttributeError: 'NoneType' object has no attribute 'get'",
              "TypeError: 'NoneType' object is not subscriptable"),
    default_enabled=False,
    tags=("python", "config", "pydantic", "heuristic"),
)

FILE_LOADERS = frozenset({"yaml.safe_load", "yaml.load", "yaml.full_load", "yaml.unsafe_load", "json.load",
                          "tomllib.load", "tomli.load", "toml.load", "tomlkit.load", "ruamel.yaml.YAML.load"})
TEXT_LOADERS = frozenset({"json.loads", "tomllib.loads", "tomli.loads", "toml.loads"})
VALIDATORS = frozenset({"model_validate", "model_validate_json", "parse_obj", "validate_python", "validate",
                        "structure", "convert", "from_dict", "load", "parse_raw", "validate_json",
                        "construct_from", "from_mapping"})


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None or is_test_path(doc.path):
        return
    names = names_of(doc)
    if not any(names.imports(m) for m in ("yaml", "json", "tomllib", "tomli", "toml", "tomlkit")):
        return
    scopes = [doc.tree, *(n for n in doc.walk() if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]
    for scope in scopes:
        yield from _check_scope(doc, scope, names, ctx)


def _own(scope: ast.AST) -> list[ast.AST]:
    found: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _is_load(node: ast.AST, names: Names) -> bool:
    if not isinstance(node, ast.Call):
        return False
    if names.resolves(node.func, *FILE_LOADERS):
        return True
    if names.resolves(node.func, *TEXT_LOADERS) and node.args:  # json.loads(path.read_text())
        arg = node.args[0]
        return isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and \
            arg.func.attr in ("read", "read_text")
    return False


def _validated(nodes: list[ast.AST], data: set[str], load: ast.Call) -> bool:
    for node in nodes:
        if not isinstance(node, ast.Call) or node is load:
            continue
        args = [*node.args, *(k.value for k in node.keywords)]
        if not any(_mentions(a, data, load) for a in args):
            continue
        if any(k.arg is None for k in node.keywords):  # Model(**data)
            return True
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in VALIDATORS or name[:1].isupper():
            return True
    return False


def _mentions(node: ast.AST, data: set[str], load: ast.Call) -> bool:
    return any(n is load or (isinstance(n, ast.Name) and n.id in data) for n in ast.walk(node))


def _check_scope(doc: PythonDocument, scope: ast.AST, names: Names, ctx: Context) -> Iterator[Finding]:
    nodes = _own(scope)
    loads = sorted((n for n in nodes if _is_load(n, names)), key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]
    if not loads:
        return
    is_module = isinstance(scope, ast.Module)
    globals_ = {g for n in nodes if isinstance(n, ast.Global) for g in n.names}
    for load in loads:
        assert isinstance(load, ast.Call)
        data: set[str] = set()
        for node in nodes:  # names the loaded dict is bound to
            if isinstance(node, ast.Assign) and _mentions_direct(node.value, load, data):
                data |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and node.value is not None and \
                    _mentions_direct(node.value, load, data) and isinstance(node.target, ast.Name):
                data.add(node.target.id)
        if _validated(nodes, data, load):
            continue
        if _escapes(nodes, data, load, is_module, globals_):
            yield ctx.finding(doc.node_span(load),
                              "this config file is loaded into a plain dict and used without validation: a "
                              "typo in the file fails later, far from it; parse it into a pydantic model "
                              "(Model.model_validate(data)) here")


def _mentions_direct(value: ast.AST, load: ast.Call, data: set[str]) -> bool:
    """The value is the loaded dict (or a part of it, or an alias of it)."""
    if value is load:
        return True
    if isinstance(value, ast.Subscript):
        return _mentions_direct(value.value, load, data)
    if isinstance(value, ast.BoolOp):  # yaml.safe_load(f) or {}
        return any(_mentions_direct(v, load, data) for v in value.values)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get":
        return _mentions_direct(value.func.value, load, data)
    return isinstance(value, ast.Name) and value.id in data


def _escapes(nodes: list[ast.AST], data: set[str], load: ast.Call, is_module: bool, globals_: set[str]) -> bool:
    """Returned, stored on an object, or bound at module level / to a global."""
    if is_module and any(n.isupper() or any(w in n.lower() for w in ("config", "conf", "cfg", "setting"))
                         for n in data):
        return True  # a module-level CONFIG / settings; other module-level names are a script's locals
    if data & globals_:
        return True
    for node in nodes:
        if isinstance(node, ast.Return) and node.value is not None and _mentions_direct(node.value, load, data):
            return True
        if isinstance(node, ast.Assign) and _mentions_direct(node.value, load, data) and \
                any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in node.targets):
            return True
    return False
