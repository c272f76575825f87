"""pip requirements files: one entry per requirement line, with its name, specifier and position.

Options (`-r other.txt`, `--index-url`), comments, URLs and editable paths are not requirements;
continuation lines (`\\`) are joined; hashes and environment markers are kept out of the specifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from preflight.documents.base import Document
from preflight.model import FileKind, Span

REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*?)\s*(;[^#]*)?$")


def normalise(name: str) -> str:
    """A package name as PEP 503 compares them: `Docker_Compose` and `docker-compose` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Requirement(NamedTuple):
    name: str  # normalised (PEP 503)
    specifier: str  # e.g. "==1.29.2", ">=4.1,<5", "" when unconstrained
    marker: str  # environment marker after `;`, "" when none
    span: Span  # the requirement text on its line


@dataclass(eq=False)
class RequirementsDocument(Document):
    """A pip requirements file: one requirement per line that names a package."""

    requirements: list[Requirement] = field(default_factory=list)


def parse(path: str, kind: FileKind, text: str) -> RequirementsDocument:
    doc = RequirementsDocument(path, kind, text)
    lines = doc.lines
    number = 0
    while number < len(lines):
        start = number
        line = lines[number]
        number += 1
        while line.rstrip().endswith("\\") and number < len(lines):
            line = line.rstrip()[:-1] + " " + lines[number].strip()
            number += 1
        body = re.split(r"(?:^|\s)#", line, maxsplit=1)[0]
        body = re.split(r"\s--hash[=\s]", body, maxsplit=1)[0].strip()
        if not body or body.startswith("-") or "://" in body or body.startswith((".", "/")):
            continue
        match = REQUIREMENT.match(body)
        if match is None:
            continue
        name, _, specifier, marker = match.groups()
        column = len(lines[start]) - len(lines[start].lstrip()) + 1
        end = column + len(body) if number - start == 1 else None
        doc.requirements.append(Requirement(
            normalise(name), specifier.replace(" ", ""), (marker or "").lstrip(";").strip(),
            Span(path, start + 1, column, start + 1 if end else None, end)))
    return doc
