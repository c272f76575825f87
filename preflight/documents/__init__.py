"""Parse once: every file a run needs becomes one Document that keeps source positions.

``load(ref)`` reads the file (once), decodes it, and hands the text to the parser module of its
kind, imported only the first time a file of that kind is loaded. A file that cannot be read,
decoded or parsed becomes a :class:`Problem` — reported as PF001 — and never an exception.
"""

from __future__ import annotations

import codecs
import importlib
import re
from typing import NamedTuple

from preflight.documents.base import Document, ParseError
from preflight.model import FileKind, Severity

# kind -> parser module (each defines `parse(path, kind, text) -> Document`)
PARSERS: dict[FileKind, str] = {
    FileKind.WORKFLOW: "preflight.documents.workflow",
    FileKind.ACTION: "preflight.documents.workflow",
    FileKind.COMPOSE: "preflight.documents.yamldoc",
    FileKind.KUBERNETES: "preflight.documents.yamldoc",
    FileKind.PULUMI: "preflight.documents.yamldoc",
    FileKind.YAML: "preflight.documents.yamldoc",
    FileKind.DOCKERFILE: "preflight.documents.dockerfile",
    FileKind.TERRAFORM: "preflight.documents.hcl",
    FileKind.PYPROJECT: "preflight.documents.tomldoc",
    FileKind.TOML: "preflight.documents.tomldoc",
    FileKind.FLY_TOML: "preflight.documents.tomldoc",
    FileKind.POETRY_LOCK: "preflight.documents.tomldoc",
    FileKind.PYTHON: "preflight.documents.python",
    FileKind.SHELL: "preflight.documents.text",
    FileKind.MAKEFILE: "preflight.documents.makefile",
    FileKind.MARKDOWN: "preflight.documents.markdown",
    FileKind.DOTENV: "preflight.documents.dotenv",
    FileKind.REQUIREMENTS: "preflight.documents.requirements",
    FileKind.NGINX: "preflight.documents.nginx",
    FileKind.PYTHON_VERSION: "preflight.documents.text",
    FileKind.PROCFILE: "preflight.documents.text",
    FileKind.INI: "preflight.documents.ini",
}

TEMPLATE_MARKERS = re.compile(r"\{\{|\{%|<%")


class Problem(NamedTuple):
    """Why a file could not be checked; the engine turns it into a PF001 finding."""

    path: str
    message: str
    line: int = 1
    column: int = 1
    severity: Severity = Severity.ERROR


def decode(data: bytes) -> str:
    """Text of a file: UTF-8 (with or without BOM) or BOM-marked UTF-16/32; else UnicodeDecodeError."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding)
    return data.decode("utf-8")


def read_text(path: str, abspath: str) -> str | Problem:
    try:
        with open(abspath, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return Problem(path, f"cannot read file: {exc.strerror or exc}")
    return text_of(path, data)


def text_of(path: str, data: bytes) -> str | Problem:
    """The text of a file's bytes as :func:`read_text` gives it (also used for git blobs)."""
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        declared = _python_source_encoding(path, data)
        if declared is not None:  # PEP 263: a `# -*- coding: latin-1 -*-` line makes it valid Python
            return read_python_declared(path, data, declared)
        if b"\x00" in data[:8192]:
            return Problem(path, "binary file, not checked", severity=Severity.INFO)
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(path, f"not UTF-8 text: invalid byte 0x{data[exc.start]:02x} at line {line}; "
                             "save the file as UTF-8", line=line)
    if "\x00" in text:
        return Problem(path, "binary file, not checked", severity=Severity.INFO)
    # One line-ending convention downstream: CRLF and lone CR become LF (positions stay the same lines).
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _python_source_encoding(path: str, data: bytes) -> str | None:
    """The encoding a Python file declares in a PEP 263 coding line, when it is not UTF-8."""
    if not path.endswith((".py", ".pyw")):
        return None
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # an unknown codec name, or a BOM contradicting the declaration
        return None
    return None if encoding in ("utf-8", "utf-8-sig") else encoding


def read_python_declared(path: str, data: bytes, encoding: str) -> str | Problem:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(path, f"not {encoding} text as its coding line declares: invalid byte "
                             f"0x{data[exc.start]:02x} at line {line}", line=line)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _looks_templated(kind: FileKind, text: str, line: int) -> bool:
    """Whether a parse error is explained by template markers. In Python, only markers on or just
    before the failing line count: `{{` is also an f-string's literal brace, and a Jinja-templated
    module fails at its first `{%`/`{{`; elsewhere any marker in the file counts."""
    if kind is not FileKind.PYTHON:
        return bool(TEMPLATE_MARKERS.search(text))
    lines = text.split("\n")
    return any(TEMPLATE_MARKERS.search(lines[i]) for i in range(max(0, line - 2), min(len(lines), line)))


def parse_text(path: str, kind: FileKind, text: str) -> Document | Problem:
    module = importlib.import_module(PARSERS[kind])
    try:
        return module.parse(path, kind, text)
    except ParseError as exc:
        severity = exc.severity
        message = exc.message
        if _looks_templated(kind, text, exc.line):
            severity = Severity.INFO
            message = f"looks like a template (Jinja/Helm), not checked: {message}"
        return Problem(path, message, exc.line, exc.column, severity)
    except RecursionError:
        return Problem(path, "nesting too deep to parse")
    except MemoryError:
        return Problem(path, "file too large to parse in memory")
    except Exception as exc:  # a parser bug must not stop the run; say which parser and why
        return Problem(path, f"parser failed: {type(exc).__name__}: {exc}")


__all__ = ["Document", "ParseError", "Problem", "PARSERS", "decode", "read_text", "parse_text", "text_of"]
