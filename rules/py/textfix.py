"""The PY002 fix: wrap a constant SQL string in ``text()`` and import it when needed.

The name used for ``sqlalchemy.text`` is, in order: a module-level import of it under any alias
(``from sqlalchemy import text as sa_text``), an attribute of a module-level import of sqlalchemy
(``import sqlalchemy as sa`` gives ``sa.text``), else ``text`` from a new ``from sqlalchemy import
text`` line after the module's leading imports (or ``sa_text``, when the module binds ``text`` to
something else). The import edit is the same for every finding of a file, so the fixer makes it once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from preflight.documents.python import PythonDocument
from preflight.model import Edit, Fix, Span
from preflight.pynames import canonical

TEXT = "sqlalchemy.text"


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at import time: the body, and the bodies of top-level if/try/with."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.If, ast.Try, ast.With)):
            for inner in ("body", "orelse", "finalbody"):
                yield from _module_level(getattr(statement, inner, []) or [])
            for handler in getattr(statement, "handlers", []):
                yield from _module_level(handler.body)


def _bound_names(doc: PythonDocument) -> set[str]:
    """Every name the module binds anywhere (assignments, parameters, defs, imports)."""
    names: set[str] = set()
    for node in doc.walk():
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def _existing(tree: ast.Module) -> str | None:
    """How the module already refers to sqlalchemy.text at module level, if it does."""
    direct = modules = None
    for statement in _module_level(tree.body):
        if isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
            for alias in statement.names:
                if canonical(f"{statement.module}.{alias.name}") == TEXT:
                    direct = direct or alias.asname or alias.name
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.name == "sqlalchemy":
                    modules = modules or f"{alias.asname or alias.name}.text"
    return direct or modules


def _import_position(doc: PythonDocument, tree: ast.Module) -> tuple[Span, str]:
    """Where a new import line goes, and the text to insert there (given the import statement)."""
    body = tree.body
    index = 0
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        index = 1
    after = body[index - 1] if index else None
    while index < len(body) and isinstance(body[index], (ast.Import, ast.ImportFrom)):
        after = body[index]
        index += 1
    if after is None:
        line = 1  # after a shebang, encoding line or leading comments
        while line <= len(doc.lines) and doc.line_text(line).startswith("#"):
            line += 1
    else:
        line = (after.end_lineno or after.lineno) + 1
    if line > len(doc.lines):  # the last import ends the file, with no newline after it
        last = len(doc.lines)
        end = len(doc.line_text(last)) + 1
        return Span(doc.path, last, end, last, end), "\n{}"
    return Span(doc.path, line, 1, line, 1), "{}\n"


def text_fix(doc: PythonDocument, sql: ast.expr) -> Fix | None:
    """``execute("SELECT 1")`` -> ``execute(text("SELECT 1"))``, with the import if it is missing.

    ``sql`` is a string constant, or a name the rule found bound only to constant strings.
    """
    tree = doc.tree
    if not isinstance(tree, ast.Module) or not (isinstance(sql, ast.Name) or
                                                (isinstance(sql, ast.Constant) and isinstance(sql.value, str))):
        return None
    span = doc.node_span(sql)
    if span.end_column is None or span.end_line is None:
        return None
    edits: list[Edit] = []
    name = _existing(tree)
    if name is None:
        bound = _bound_names(doc)
        name = next((n for n in ("text", "sa_text") if n not in bound), None)
        if name is None:
            return None
        where, template = _import_position(doc, tree)
        statement = "from sqlalchemy import text" + ("" if name == "text" else f" as {name}")
        edits.append(Edit(where, template.format(statement)))
    start = Span(doc.path, span.line, span.column, span.line, span.column)
    end = Span(doc.path, span.end_line, span.end_column, span.end_line, span.end_column)
    edits[:0] = [Edit(start, f"{name}("), Edit(end, ")")]
    return Fix(f"wrap the SQL in {name}()", tuple(edits))
