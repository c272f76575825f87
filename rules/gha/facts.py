"""Repository-wide facts about GitHub Actions secrets, shared by GHA001 and GHA002.

``secret_uses(repo)`` lists every place a workflow or composite action names a secret:

- ``reference``: ``secrets.NAME``, ``secrets['NAME']`` or ``secrets["NAME"]`` inside a ``${{ }}``
  expression, in any value or key of the YAML (``env:``, ``with:``, ``run:``, ...);
- ``declaration``: a name a reusable workflow declares under ``on.workflow_call.secrets``;
- ``passed``: a name a job calling a reusable workflow passes under its own ``secrets:`` mapping
  (``secrets: inherit`` passes everything and names nothing).

GitHub's built-in ``GITHUB_TOKEN`` is never a use. Secret names are case-insensitive on GitHub, so
each use carries its name upper-cased (``name``) besides the spelling found (``written``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from preflight.documents.yamldoc import YamlDocument, scalar_text
from preflight.model import FileKind, Span

BUILTIN_SECRETS = frozenset({"GITHUB_TOKEN"})
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
# `secrets.NAME` / `secrets['NAME']`, not `steps.secrets.outputs` or `needs.secrets...`.
REFERENCE = re.compile(r"(?<![\w.])secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(['\"])([A-Za-z_][A-Za-z0-9_]*)\2\s*\])")


class SecretUse(NamedTuple):
    name: str  # upper-cased: GitHub compares secret names case-insensitively
    written: str  # as spelt in the file
    span: Span  # the name itself when it could be located, else the start of its YAML scalar
    how: str  # "reference", "declaration" or "passed"

    @property
    def where(self) -> str:
        return f"{self.span.path}:{self.span.line}"


def secret_uses(repo: Any) -> list[SecretUse]:
    """Every use of a secret name in the repository's workflows and actions, in path/line order."""
    found: list[SecretUse] = []
    for doc in repo.documents(FileKind.WORKFLOW, FileKind.ACTION):
        if isinstance(doc, YamlDocument):
            found.extend(document_secret_uses(doc))
    found.sort(key=lambda u: (u.span.path, u.span.line, u.span.column))
    return found


def document_secret_uses(doc: YamlDocument) -> list[SecretUse]:
    uses: list[SecretUse] = []
    offsets = _line_offsets(doc.text)
    for root in doc.documents:
        for text, line, column in _scalars(root):
            if "${{" in text and "secrets" in text:
                uses.extend(_references(doc, offsets, text, line, column))
        uses.extend(_declared_and_passed(doc, root))
    return [u for u in uses if u.name not in BUILTIN_SECRETS]


def _scalars(root: Any) -> Iterator[tuple[str, int, int]]:
    """(text, line, column) of every scalar key and value under ``root``; 1-based positions."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen or depth > 200:
            continue
        if isinstance(node, Mapping):
            seen.add(id(node))
            # Keys merged in with `<<: *anchor` are walked where the anchor is written, once.
            own = node.non_merged_items() if hasattr(node, "non_merged_items") else node.items()
            for key, value in own:
                yield from _scalar_at(key, node, "key", key)
                if isinstance(value, (Mapping, list)):
                    stack.append((value, depth + 1))
                else:
                    yield from _scalar_at(value, node, "value", key)
        elif isinstance(node, list):
            seen.add(id(node))
            for index, value in enumerate(node):
                if isinstance(value, (Mapping, list)):
                    stack.append((value, depth + 1))
                else:
                    yield from _scalar_at(value, node, "item", index)


def _scalar_at(value: Any, container: Any, where: str, key: Any) -> Iterator[tuple[str, int, int]]:
    text = value if isinstance(value, str) else None
    if text is None:
        return
    try:
        line, col = getattr(container.lc, where)(key)
    except (AttributeError, KeyError, IndexError, TypeError):
        lc = getattr(container, "lc", None)
        line, col = (lc.line or 0, lc.col or 0) if lc is not None else (0, 0)
    yield text, line + 1, col + 1


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for index, char in enumerate(text):
        if char == "\n":
            offsets.append(index + 1)
    return offsets


def _references(doc: YamlDocument, offsets: list[int], text: str, line: int, column: int) -> Iterator[SecretUse]:
    """The secret references of one scalar, each located at its name in the raw file text.

    The scalar's text has lost quotes, escapes and block indentation, so each reference is searched
    for again in the raw text from the scalar's start on; when it cannot be found there (an escaped
    form), the reference points at the scalar's start.
    """
    raw = doc.text
    cursor = offsets[line - 1] + column - 1 if 0 < line <= len(offsets) else len(raw)
    for expression in EXPRESSION.finditer(text):
        for match in REFERENCE.finditer(expression.group(1)):
            written = match.group(1) or match.group(3)
            located = re.compile(r"(?<![\w.])secrets\s*(?:\.\s*|\[\s*['\"])(" + re.escape(written) + r")\b")
            hit = located.search(raw, cursor)
            if hit is not None:
                start = hit.start(1)
                cursor = hit.end(1)
                at_line = _line_of(offsets, start)
                at_col = start - offsets[at_line - 1] + 1
                span = Span(doc.path, at_line, at_col, at_line, at_col + len(written))
            else:
                span = Span(doc.path, line, column)
            yield SecretUse(written.upper(), written, span, "reference")


def _line_of(offsets: list[int], offset: int) -> int:
    from bisect import bisect_right

    return bisect_right(offsets, offset)


def _declared_and_passed(doc: YamlDocument, root: Any) -> Iterator[SecretUse]:
    if not isinstance(root, Mapping):
        return
    on = root.get("on", root.get(True))  # YAML 1.1 reads a bare `on` as true
    call = on.get("workflow_call") if isinstance(on, Mapping) else None
    declared = call.get("secrets") if isinstance(call, Mapping) else None
    if isinstance(declared, Mapping):
        for key in declared:
            yield from _named(doc, declared, key, "declaration")
    jobs = root.get("jobs")
    if not isinstance(jobs, Mapping):
        return
    for job in jobs.values():
        passed = job.get("secrets") if isinstance(job, Mapping) and "uses" in job else None
        if isinstance(passed, Mapping):  # `secrets: inherit` is a string and names nothing
            for key in passed:
                yield from _named(doc, passed, key, "passed")


def _named(doc: YamlDocument, mapping: Any, key: Any, how: str) -> Iterator[SecretUse]:
    written = scalar_text(key)
    if written and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", written):
        yield SecretUse(written.upper(), written, doc.key_span(mapping, key), how)
