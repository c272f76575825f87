"""## What it catches
python-dotenv's `load_dotenv()` / `dotenv_values()` given a relative path, which is resolved
against the process's working directory, not against the file that calls it:

- a string literal: `load_dotenv(".env.bots")`, `dotenv_values("config/.env")`,
  `load_dotenv(dotenv_path="../.env")`, `load_dotenv(f".env.{stage}")`, or a module constant
  holding one (`ENV_FILE = ".env.bots"`);
- `Path(".env")`, `Path("config") / ".env"`, `os.path.join("config", ".env")`;
- `find_dotenv(usecwd=True)`, which searches from the working directory.

Not flagged: paths built from the code's own location (`Path(__file__).resolve().parent / ".env"`,
`os.path.join(os.path.dirname(__file__), ".env")`, `BASE_DIR / ".env"`), absolute paths,
`load_dotenv()` with no path and `find_dotenv(".env.bots")`: without a path python-dotenv calls
`find_dotenv()`, which searches upward from the directory of the calling file, so the result does
not depend on where the process was started. Paths given through a variable whose value the
module does not show are not judged.

## Why it matters
Seed 001, "dotenv Path Resolution": `load_dotenv(".env.bots")` resolves relative to the working
directory, not the script file. When `src/backend/run_bots.py` was launched from the project root
it looked for `./.env.bots` at the root instead of `src/backend/.env.bots`, found nothing, and
python-dotenv does not complain about a missing file: the bots started without their
credentials. The same script works or fails depending on the directory it is started from (a
shell, systemd's `WorkingDirectory`, a Dockerfile's `WORKDIR`, cron).

## Example
```python
# src/backend/run_bots.py
from dotenv import load_dotenv

load_dotenv(".env.bots")
```

## Use instead
```python
# src/backend/run_bots.py
from pathlib import Path

from dotenv import load_dotenv

ENV_FILE = Path(__file__).resolve().parent / ".env.bots"
assert ENV_FILE.exists(), f"missing {ENV_FILE}"
load_dotenv(ENV_FILE)
```

## Fix
Build the path from the calling file: `Path(__file__).resolve().parent / ".env.bots"` (go up
with `.parents[n]` for a file elsewhere in the project), and assert it exists before loading.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument
from preflight.model import FileKind, Finding, Severity
from preflight.pynames import Names, argument, keyword, names_of
from preflight.rule import Context, RuleMeta
from preflight_rules.py.bindings import Scope, calls_in_scope

RULE = RuleMeta(
    id="PY005",
    name="cwd-relative-dotenv",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.PYTHON}),
    summary="A dotenv file is loaded by a path relative to the working directory",
    source='seed 001 "dotenv Path Resolution"',
    lesson="load_dotenv('.env.bots') resolves against the working directory, not the script; build "
           "the path from Path(__file__) and assert it exists.",
    symptoms=('load_dotenv(".env.bots") finds no file when launched from the project root',
              "KeyError: 'DATABASE_URL'"),
    tags=("python", "dotenv", "configuration"),
)

LOADERS = frozenset({"dotenv.load_dotenv", "dotenv.dotenv_values", "dotenv.main.load_dotenv",
                     "dotenv.main.dotenv_values"})
FINDERS = frozenset({"dotenv.find_dotenv", "dotenv.main.find_dotenv"})
PATHS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath"})
JOINS = frozenset({"os.path.join", "posixpath.join"})


def _relative_text(text: str) -> bool:
    return not (text.startswith(("/", "~", "\\")) or (len(text) > 1 and text[1] == ":"))


def relative_path(node: ast.AST | None, scope: Scope, names: Names, depth: int = 0) -> str | None:
    """The relative path text ``node`` builds (from literals only), or None."""
    if node is None or depth > 6:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if node.value and _relative_text(node.value) else None
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and _relative_text(first.value):
            return "".join(v.value if isinstance(v, ast.Constant) else "{...}" for v in node.values)
        return None
    if isinstance(node, ast.Call):
        qualname = names.qualname(node.func)
        if qualname in PATHS or qualname in JOINS:
            if not node.args:
                return None
            first = relative_path(node.args[0], scope, names, depth + 1)
            if first is None:
                return None
            rest = [a.value for a in node.args[1:] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            return "/".join([first, *rest])
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute"):
            return relative_path(node.func.value, scope, names, depth + 1)  # resolved against the cwd
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left = relative_path(node.left, scope, names, depth + 1)
        if left is None or not isinstance(node.left, (ast.Call, ast.BinOp, ast.Name)):
            return None  # "a" / "b" is not a path; the left side must be a Path
        right = node.right.value if isinstance(node.right, ast.Constant) and isinstance(node.right.value, str) else "..."
        return f"{left}/{right}"
    if isinstance(node, ast.Name):
        bindings = scope.bindings(node.id)
        if bindings and all(b.kind == "assign" for b in bindings):
            found = [relative_path(b.value, scope, names, depth + 1) for b in bindings]
            if all(f is not None for f in found):
                return found[0]
    return None


def check_document(doc: PythonDocument, ctx: Context) -> Iterator[Finding]:
    if doc.tree is None:
        return
    names = names_of(doc)
    if not names.imports("dotenv"):
        return
    for call, scope in calls_in_scope(doc):
        qualname = names.qualname(call.func)
        if qualname in FINDERS:
            usecwd = keyword(call, "usecwd")
            if isinstance(usecwd, ast.Constant) and usecwd.value is True:
                yield ctx.finding(doc.node_span(usecwd), "find_dotenv(usecwd=True) searches from the working "
                                  "directory, so the file found depends on where the process starts; build the "
                                  "path from Path(__file__).resolve().parent instead")
            continue
        if qualname not in LOADERS:
            continue
        path = argument(call, 0, "dotenv_path")
        text = relative_path(path, scope, names)
        if text is None:
            continue
        assert path is not None
        name = text.rsplit("/", 1)[-1] or text
        yield ctx.finding(doc.node_span(path),
                          f"{qualname.rsplit('.', 1)[-1]}() is given the relative path {ascii(text)}, which resolves "
                          "against the working directory, not this file; build it from the file, e.g. "
                          f"Path(__file__).resolve().parent / {ascii(name)} and assert it exists")
