"""## What it catches
YAML loaded with a loader that can build arbitrary Python objects, or with no loader at all:

- PyYAML `yaml.load(stream)` / `yaml.load_all(stream)` without a `Loader`;
- `Loader=yaml.Loader`, `yaml.CLoader`, `yaml.UnsafeLoader`, `yaml.FullLoader` (positional or
  keyword; also as `from yaml import load, Loader`, and local subclasses of those loaders);
- `yaml.unsafe_load`, `yaml.unsafe_load_all`, `yaml.full_load`, `yaml.full_load_all`;
- the same through ruamel.yaml's old API (`ruamel.yaml.load(stream)`), and
  `ruamel.yaml.YAML(typ="unsafe")`.

Not flagged: `yaml.safe_load`, `yaml.load(stream, Loader=yaml.SafeLoader)` (also `CSafeLoader`,
`BaseLoader`, `CBaseLoader` and local subclasses of them), ruamel's `YAML()` / `YAML(typ="safe")`
/ `YAML(typ="rt")`, and any `load` that is not PyYAML's or ruamel's (`json.load`, `toml.load`).
A loader passed in through a variable or imported from elsewhere in the project is not judged.

`FullLoader` is flagged too: it was PyYAML's "safer" default for `load()` in 5.1, needed
security fixes for arbitrary code execution twice (CVE-2020-1747, CVE-2020-14343; fixed in 5.4)
and still constructs Python objects (`!!python/name`, tuples) that a configuration file never
needs. Configuration is data: the safe subset is enough.

## Why it matters
Seed 001, rule 6: every external configuration file (the bots' `bots/*.yaml`) must be parsed
into a validated model at start-up, because unvalidated configuration is a primary source of
runtime errors. Validation starts with a loader that only builds plain data. `yaml.load()` with
PyYAML's full or unsafe loaders turns a tag like `!!python/object/apply:os.system` into a
function call: whoever can edit a config file can run code in the service. Without any loader,
PyYAML 6 refuses outright, so code written for 5.x breaks on upgrade with

    TypeError: load() missing 1 required positional argument: 'Loader'

## Example
```python
# app/bots.py
import yaml


def load_bots(path):
    with open(path) as handle:
        return yaml.load(handle, Loader=yaml.Loader)
```

## Use instead
```python
# app/bots.py
import yaml


def load_bots(path):
    with open(path) as handle:
        return yaml.safe_load(handle)
```

## Fix
Use `yaml.safe_load()` / `yaml.safe_load_all()` (or `Loader=yaml.CSafeLoader` for speed), or
ruamel's `YAML(typ="safe")`, then validate the result with a pydantic model. A `yaml.load(x)`
without a loader can be fixed automatically to `yaml.safe_load(x)`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument
from preflight.model import Edit, FileKind, Finding, Fix, Severity, Span
from preflight.pynames import Names, argument, constant_str, keyword, names_of
from preflight.rule import Context, RuleMeta
from preflight_rules.py.bindings import calls_in_scope

RULE = RuleMeta(
    id="PY006",
    name="unsafe-yaml-load",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PYTHON}),
    summary="YAML is loaded with a loader that can construct arbitrary Python objects",
    source="seed 001 rule 6 (validated YAML configuration)",
    lesson="Load configuration YAML with the safe loader and validate it with a model; full and unsafe "
           "loaders execute tags like !!python/object/apply.",
    symptoms=("TypeError: load() missing 1 required positional argument: 'Loader'",),
    tags=("python", "yaml", "security", "configuration"),
    fixable=True,
)

MODULES = ("yaml", "ruamel.yaml")
SAFE = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader", "RoundTripLoader", "CRoundTripLoader"})
UNSAFE = frozenset({"Loader", "CLoader", "UnsafeLoader", "CUnsafeLoader", "FullLoader", "CFullLoader"})
UNSAFE_FUNCTIONS = frozenset({"unsafe_load", "unsafe_load_all", "full_load", "full_load_all"})


def _module_function(names: Names, func: ast.expr) -> tuple[str, str] | None:
    qualname = names.qualname(func)
    if qualname is None:
        return None
    module, _, name = qualname.rpartition(".")
    return (module, name) if module in MODULES else None


def _loader_verdict(node: ast.expr, names: Names, classes: dict[str, ast.ClassDef], depth: int = 0) -> str | None:
    """"safe", the unsafe loader's name, or None when the loader cannot be judged."""
    if depth > 5:
        return None
    if isinstance(node, ast.Call) and names.qualname(node.func) == "getattr" and len(node.args) >= 2:
        # getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        verdicts = [_loader_verdict(a, names, classes, depth + 1) for a in node.args[2:3]]
        attr = constant_str(node.args[1])
        verdicts.append("safe" if attr in SAFE else attr if attr in UNSAFE else None)
        if all(v == "safe" for v in verdicts):
            return "safe"
        return next((v for v in verdicts if v not in (None, "safe")), None)
    qualname = names.qualname(node)
    if qualname is not None:
        module, _, name = qualname.rpartition(".")
        if module in MODULES or module.startswith(("yaml.", "ruamel.yaml.")):
            return "safe" if name in SAFE else name if name in UNSAFE else None
    if isinstance(node, ast.Name) and node.id in classes:  # class MyLoader(yaml.SafeLoader)
        verdicts = [_loader_verdict(b, names, classes, depth + 1) for b in classes[node.id].bases]
        return next((v for v in verdicts if v not in (None, "safe")), "safe" if "safe" in verdicts else None)
    return None


def _fix(doc: PythonDocument, call: ast.Call, name: str) -> Fix | None:
    """``yaml.load(x)`` -> ``yaml.safe_load(x)`` (only for a plain ``<module>.load`` attribute)."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.end_lineno != func.lineno or func.end_col_offset is None:
        return None
    line = doc.line_text(func.lineno)
    if not line.isascii():
        return None  # ast columns are UTF-8 byte offsets
    start = func.end_col_offset - len(func.attr)
    if line[start:func.end_col_offset] != func.attr:
        return None
    replacement = "safe_" + name
    span = Span(doc.path, func.lineno, start + 1, func.lineno, func.end_col_offset + 1)
    return Fix(f"use yaml.{replacement}()", (Edit(span, replacement),))


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None:
        return
    names = names_of(doc)
    if not (names.imports("yaml") or names.imports("ruamel")):
        return
    classes = {n.name: n for n in doc.nodes_of(ast.ClassDef) if isinstance(n, ast.ClassDef)}
    for call, _scope in calls_in_scope(doc):
        found = _module_function(names, call.func)
        if found is None:
            continue
        module, name = found
        if name == "YAML" and module == "ruamel.yaml":
            typ = keyword(call, "typ")
            if constant_str(typ) == "unsafe":
                assert typ is not None
                yield ctx.finding(doc.node_span(typ), 'ruamel.yaml YAML(typ="unsafe") constructs arbitrary Python '
                                  'objects from tags; use YAML(typ="safe") and validate the result with a model')
            continue
        if name in UNSAFE_FUNCTIONS:
            safe = name.replace("unsafe_", "safe_").replace("full_", "safe_")
            yield ctx.finding(doc.node_span(call), f"{module}.{name}() constructs Python objects from tags in the "
                              f"document; use {module}.{safe}() and validate the result with a model")
            continue
        if name not in ("load", "load_all"):
            continue
        loader = argument(call, 1, "Loader")
        if loader is None:
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                continue  # load(*args) / load(**kwargs): the loader may be in there
            why = ("PyYAML 6 raises TypeError and older versions" if module == "yaml"
                   else "ruamel.yaml 0.18 removed it and older versions")
            yield ctx.finding(doc.node_span(call),
                              f"{module}.{name}() without a Loader: {why} load with an unsafe loader; "
                              f"use {module}.safe_{name}()",
                              fix=_fix(doc, call, name) if module == "yaml" else None)
            continue
        verdict = _loader_verdict(loader, names, classes)
        if verdict is None or verdict == "safe":
            continue
        shown = ast.unparse(loader)
        if shown.rsplit(".", 1)[-1] != verdict and shown.isascii() and len(shown) < 40:
            verdict = f"{shown} (a {verdict})"
        yield ctx.finding(doc.node_span(call),
                          f"{module}.{name}() with {verdict} constructs Python objects from tags in the document; "
                          f"use {module}.safe_{name}() (or Loader={module}.SafeLoader) and validate the result")
