"""Markdown: fenced code blocks with their info string and the prose line that introduces them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from preflight.documents.base import Document
from preflight.model import FileKind

FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")


class CodeBlock(NamedTuple):
    info: str  # the language, lower case ("bash", "" when none)
    line: int  # line of the first content line
    text: str  # the content, dedented by the fence's indentation
    indent: int
    intro: str  # the nearest non-blank line above the fence ("" at the top of the file)
    fence_line: int = 0  # the opening fence
    end_line: int = 0  # the closing fence (the last line of the file when it is missing)


@dataclass(eq=False)
class MarkdownDocument(Document):
    """A Markdown file: its fenced code blocks."""

    code_blocks: list[CodeBlock] = field(default_factory=list)


def parse(path: str, kind: FileKind, text: str) -> MarkdownDocument:
    doc = MarkdownDocument(path, kind, text)
    lines = doc.lines
    number = 0
    last_prose = ""
    while number < len(lines):
        line = lines[number]
        number += 1
        fence = FENCE.match(line)
        if not fence:
            if line.strip():
                last_prose = line.strip()
            continue
        indent, marker, info = len(fence.group(1)), fence.group(2), fence.group(3).lower()
        fence_line = number
        body: list[str] = []
        while number < len(lines):
            current = lines[number]
            number += 1
            if current.strip().startswith(marker[0] * len(marker)) and not current.strip().strip(marker[0]):
                break
            body.append(current[indent:] if current[:indent].strip() == "" else current.lstrip())
        doc.code_blocks.append(CodeBlock(info, fence_line + 1, "\n".join(body), indent, last_prose,
                                         fence_line, number))
        last_prose = ""
    return doc
