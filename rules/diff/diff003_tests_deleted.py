"""## What it catches
A change (`preflight check --base REF`) that removes tests from the run:

- a test file deleted (a Python file under `tests/`, `test_*.py`, `*_test.py`, ... that defined
  tests), or tests deleted from a test file that remains (fewer tests than before);
- tests newly skipped: `@pytest.mark.skip`, `@unittest.skip`, a `skipif`/`skipIf` whose condition
  is the constant `True` (or a `skipUnless` with `False`), a `pytest.skip()`/`self.skipTest()`
  at the top of a test's body, a module-level `pytestmark = pytest.mark.skip` or
  `pytest.skip(..., allow_module_level=True)`, on a class or a test that was not skipped before;
- pytest told to leave tests out where it runs: `--deselect`, `-k "not ..."`, `--ignore` or
  `--ignore-glob` added to a `pytest` command in a workflow, composite action, shell script,
  Makefile or Dockerfile, or to `addopts` in `pyproject.toml` (`[tool.pytest.ini_options]`),
  `setup.cfg` (`[tool:pytest]`) or `tox.ini` (`[pytest]`).

Not reported: a test file that git sees as renamed or moved, tests that reappear under the same
name in another test file (merged or split files), skips whose condition is computed
(`skipif(sys.platform == "win32")` is a platform guard), skips on tests the change added, a
`conftest.py` or helper module without tests. Deleted files are reported at their old path,
line 1.

The rule needs `--base REF`; without it, it reports nothing.

## Why it matters
Seed 002, anti-pattern 4: to make a deployment work, the approach was heading toward deleting
"50+ test files" along with the features they covered. Deleted and skipped tests make the
pipeline green without making the code work; the regression they caught ships. Seed 002's
checklist makes it explicit: no test files removed, all tests passing, none skipped.

## Example
```python
# tests/test_auth.py (base)
def test_login():
    assert True


def test_logout():
    assert True
```

```python
# tests/test_orders.py (base)
def test_total():
    assert 1 + 1 == 2
```

```python
# tests/test_orders.py
import pytest


@pytest.mark.skip(reason="flaky in CI")
def test_total():
    assert 1 + 1 == 2
```

## Use instead
```python
# tests/test_auth.py (base)
def test_login():
    assert True


def test_logout():
    assert True
```

```python
# tests/test_auth.py
def test_login():
    assert True


def test_logout():
    assert True
```

## Fix
Keep the tests and fix what makes them fail. A test that is truly obsolete goes with the feature
it tested, in a commit that says so; suppress the finding there
(`# preflight: ignore[DIFF003]` on the skip, or `per-file-ignores` for a deleted path). For a
flaky test, mark it `xfail(strict=False)` with an issue link rather than skipping it silently.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from preflight.documents.python import PythonDocument, is_test_path
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.pynames import names_of
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="DIFF003",
    name="tests-deleted",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.PYTHON, FileKind.WORKFLOW, FileKind.ACTION, FileKind.SHELL, FileKind.MAKEFILE,
                     FileKind.DOCKERFILE, FileKind.PYPROJECT, FileKind.INI}),
    summary="Tests deleted, newly skipped or deselected in CI by the change (needs --base)",
    source="seed 002 anti-pattern 4",
    lesson="Deployment issues are not feature issues: fix the deployment and keep the tests; deleting or "
           "skipping them makes the pipeline green and ships the regression.",
    symptoms=("collected 0 items", "no tests ran", "SKIPPED [1] unconditional skip",
              "passed, 12 deselected"),
    tags=("tests", "ci", "needs-base"),
)

COMMAND_KINDS = (FileKind.WORKFLOW, FileKind.ACTION, FileKind.SHELL, FileKind.MAKEFILE, FileKind.DOCKERFILE)
SKIP_DECORATORS = frozenset({"pytest.mark.skip", "unittest.skip", "unittest.case.skip"})
SKIP_IF = frozenset({"pytest.mark.skipif", "unittest.skipIf", "unittest.case.skipIf"})
SKIP_UNLESS = frozenset({"unittest.skipUnless", "unittest.case.skipUnless"})
SKIP_CALLS = frozenset({"pytest.skip"})
NOT = re.compile(r"(^|[\s(])not\s")


class Skip(NamedTuple):
    span: Span
    what: str  # "pytest.mark.skip", "pytest.skip()", ...


@dataclass
class TestFile:
    tests: dict[str, Skip | None]  # qualified test name -> the skip that applies to it (None: runs)


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    base = repo.base
    if base is None:
        return
    head_files = {doc.path: _tests(doc) for doc in repo.documents(FileKind.PYTHON)
                  if isinstance(doc, PythonDocument) and is_test_path(doc.path)}
    everywhere = {name.rpartition(".")[2] for tf in head_files.values() for name in tf.tests}

    for old_path in base.deleted():
        if not is_test_path(old_path) or not old_path.endswith(".py"):
            continue
        old = base.document_at(old_path)
        if not isinstance(old, PythonDocument):
            continue
        names = {n.rpartition(".")[2] for n in _tests(old).tests}
        if not names or names <= everywhere:
            continue  # no tests in it, or they moved to other files
        yield ctx.finding(Span(old_path, 1, 1),
                          f"test file deleted since {base.ref} with {_count(len(names))}; keep the tests and fix "
                          "what makes them fail (a deployment that needs fewer tests is a regression)")

    for path, current in head_files.items():
        if not base.changed(path):
            continue
        old_path = base.old_path(path)
        old_doc = base.document_at(old_path) if old_path else None
        if not isinstance(old_doc, PythonDocument):
            continue
        before = _tests(old_doc)
        gone = sorted({n for n in before.tests if n not in current.tests
                       and n.rpartition(".")[2] not in everywhere})
        if gone and len(current.tests) < len(before.tests):
            shown = ", ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
            yield ctx.finding(Span(path, 1, 1), f"{_count(len(gone))} deleted from this file since {base.ref} "
                                                f"({shown}); keep the tests and fix what makes them fail")
        newly: dict[Span, list[str]] = {}
        what: dict[Span, str] = {}
        for name, skip in current.tests.items():
            if skip is not None and name in before.tests and before.tests[name] is None:
                newly.setdefault(skip.span, []).append(name)
                what[skip.span] = skip.what
        for span, names in sorted(newly.items()):
            subject = f"`{names[0]}` is" if len(names) == 1 else f"{len(names)} tests are"
            yield ctx.finding(span, f"{subject} newly skipped since {base.ref} ({what[span]}); fix the test or "
                                    "the code instead of skipping it")

    yield from _deselections(repo, base, ctx)


def _count(number: int) -> str:
    return f"{number} test{'' if number == 1 else 's'}"


# -- tests and skips in a Python file ------------------------------------------------------------------

def _tests(doc: PythonDocument) -> TestFile:
    cached = doc.__dict__.get("_diff003_tests")
    if cached is not None:
        return cached
    found = TestFile({})
    tree = doc.tree
    if tree is not None:
        names = names_of(doc)
        module_skip = _module_skip(doc, tree, names)
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
                found.tests[node.name] = module_skip or _function_skip(doc, node, names)
            elif isinstance(node, ast.ClassDef) and _is_test_class(node):
                class_skip = module_skip or _decorator_skip(doc, node, names)
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test"):
                        found.tests[f"{node.name}.{item.name}"] = class_skip or _function_skip(doc, item, names)
    doc.__dict__["_diff003_tests"] = found
    return found


def _is_test_class(node: ast.ClassDef) -> bool:
    return node.name.startswith("Test") or any(
        isinstance(b, (ast.Name, ast.Attribute)) and (getattr(b, "id", None) or getattr(b, "attr", "")).endswith("TestCase")
        for b in node.bases)


def _module_skip(doc: PythonDocument, tree: ast.Module, names: Any) -> Skip | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            marks = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            for mark in marks:
                what = _unconditional(mark, names)
                if what:
                    return Skip(doc.node_span(mark), what)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and \
                names.resolves(node.value, *SKIP_CALLS):
            return Skip(doc.node_span(node.value), "pytest.skip(allow_module_level=True)")
    return None


def _decorator_skip(doc: PythonDocument, node: ast.AST, names: Any) -> Skip | None:
    for decorator in getattr(node, "decorator_list", ()):
        what = _unconditional(decorator, names)
        if what:
            return Skip(doc.node_span(decorator), what)
    return None


def _function_skip(doc: PythonDocument, node: ast.FunctionDef | ast.AsyncFunctionDef, names: Any) -> Skip | None:
    found = _decorator_skip(doc, node, names)
    if found:
        return found
    for statement in node.body:
        call = None
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
        elif isinstance(statement, ast.Raise) and statement.exc is not None:
            if names.resolves(statement.exc, "unittest.SkipTest", "unittest.case.SkipTest"):
                return Skip(doc.node_span(statement), "raise unittest.SkipTest")
        if call is None:
            continue
        if names.resolves(call, *SKIP_CALLS):
            return Skip(doc.node_span(call), "pytest.skip()")
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "skipTest" and \
                isinstance(func.value, ast.Name) and func.value.id == "self":
            return Skip(doc.node_span(call), "self.skipTest()")
    return None


def _unconditional(node: ast.AST, names: Any) -> str | None:
    """The skip ``node`` (a decorator or a mark) applies whatever the platform, or None."""
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call is not None else node
    name = names.qualname(target)
    if name in SKIP_DECORATORS:
        return name
    if name in SKIP_IF | SKIP_UNLESS:
        if call is None:
            return None
        if not call.args:
            return name if name == "pytest.mark.skipif" and not any(k.arg == "condition" for k in call.keywords) \
                else None
        condition = call.args[0]
        if isinstance(condition, ast.Constant) and not isinstance(condition.value, str):
            wanted = bool(condition.value) if name in SKIP_IF else not bool(condition.value)
            return f"{name}({condition.value!r})" if wanted else None
    return None


# -- pytest deselection where tests run ----------------------------------------------------------------

def _deselections(repo: Repository, base: Any, ctx: Context) -> Iterator[Finding]:
    for doc in repo.documents(*COMMAND_KINDS):
        if not base.changed(doc.path):
            continue
        old_path = base.old_path(doc.path)
        old_doc = base.document_at(old_path) if old_path else None
        before = set()
        if old_doc is not None:
            for command in base.commands(old_doc):
                before.update(option for option, _ in _command_options(command))
        for command in repo.commands(doc):
            for option, span in _command_options(command):
                if option not in before:
                    yield _deselect_finding(ctx, span, option, base.ref)
    for doc in repo.documents(FileKind.PYPROJECT, FileKind.INI):
        if not base.changed(doc.path):
            continue
        found = _addopts(doc)
        if found is None:
            continue
        span, options = found
        old_path = base.old_path(doc.path)
        old_doc = base.document_at(old_path) if old_path else None
        old = _addopts(old_doc) if old_doc is not None else None
        before = set(old[1]) if old is not None else set()
        for option in options:
            if option not in before:
                yield _deselect_finding(ctx, span, option, base.ref)


def _deselect_finding(ctx: Context, span: Span, option: str, ref: str) -> Finding:
    return ctx.finding(span, f"pytest now leaves tests out ({option}), added since {ref}; run the whole suite "
                             "and fix what fails")


def _is_pytest(words: list[str], i: int) -> bool:
    name = words[i].rsplit("/", 1)[-1]
    if name in ("pytest", "py.test"):
        return True
    return name.startswith("python") and i + 2 < len(words) + 1 and words[i + 1:i + 3] == ["-m", "pytest"]


def _command_options(command: Any) -> Iterator[tuple[str, Span]]:
    words = [w.text for w in command.argv]
    for i in range(len(words)):
        if _is_pytest(words, i):
            start = i + (3 if words[i + 1:i + 3] == ["-m", "pytest"] else 1)
            for option, index in _deselecting(words[start:]):
                yield option, command.argv[start + index].span
            return


def _deselecting(args: list[str]) -> Iterator[tuple[str, int]]:
    """Options among pytest ``args`` that leave tests out, as written once normalised, with their index."""
    i = 0
    while i < len(args):
        arg = args[i]
        for flag in ("--deselect", "--ignore", "--ignore-glob", "-k"):
            value = None
            if arg == flag and i + 1 < len(args):
                value = args[i + 1]
            elif arg.startswith(flag + "="):
                value = arg[len(flag) + 1:]
            elif flag == "-k" and arg.startswith("-k") and len(arg) > 2 and not arg.startswith("-k="):
                value = arg[2:]
            if value is None:
                continue
            if flag != "-k" or NOT.search(value):
                yield f'{flag} "{value}"' if " " in value else f"{flag} {value}", i
            if arg == flag:
                i += 1
            break
        i += 1


def _addopts(doc: Any) -> tuple[Span, list[str]] | None:
    if doc.kind is FileKind.PYPROJECT:
        value = doc.get("tool", "pytest", "ini_options", "addopts")
        if value is None:
            return None
        text = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        span = doc.key_span("tool", "pytest", "ini_options", "addopts")
    else:
        name = doc.path.rsplit("/", 1)[-1].lower()
        section = {"setup.cfg": "tool:pytest", "tox.ini": "pytest"}.get(name)
        entry = doc.get(section, "addopts") if section else None
        if entry is None:
            return None
        text = entry.text
        span = Span(doc.path, entry.line, 1)
    try:
        args = shlex.split(text, comments=True)
    except ValueError:
        args = text.split()
    return span, [option for option, _ in _deselecting(args)]
