"""Kinds read as plain text lines (shell scripts, requirements, nginx, Procfile, ...)."""

from __future__ import annotations

from preflight.documents.base import Document
from preflight.model import FileKind


def parse(path: str, kind: FileKind, text: str) -> Document:
    return Document(path, kind, text)
