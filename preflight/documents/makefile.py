"""Makefiles: variables and recipe lines (as shell snippets in the make dialect)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from preflight.documents.base import Document
from preflight.model import FileKind
from preflight.shell import Snippet

ASSIGNMENT = re.compile(r"^(?:(?:export|override)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?=|:::=|::=|:=|\+=|!=|=)\s*(.*)$")
RULE_LINE = re.compile(r"^([^\t#=:][^=:]*?)\s*::?(?!=)\s*(.*)$")
REFERENCE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]")
DIRECTIVES = ("ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "include", "-include", "sinclude",
              "vpath", "unexport")


class MakeVariable(NamedTuple):
    name: str
    value: str
    line: int


@dataclass(eq=False)
class MakefileDocument(Document):
    """A Makefile: its variables and the shell text of its recipes."""

    variables: dict[str, MakeVariable] = field(default_factory=dict)
    recipes: list[Snippet] = field(default_factory=list)

    def expand(self, text: str, depth: int = 0) -> str:
        """``text`` with $(NAME)/${NAME} replaced by the Makefile's values (unknown ones stay)."""
        if depth > 10 or "$" not in text:
            return text

        def value(match: re.Match[str]) -> str:
            variable = self.variables.get(match.group(1))
            return self.expand(variable.value, depth + 1) if variable else match.group(0)

        return REFERENCE.sub(value, text)


def parse(path: str, kind: FileKind, text: str) -> MakefileDocument:
    doc = MakefileDocument(path, kind, text)
    lines = doc.lines
    in_rule = False
    in_define = False
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if in_define:
            in_define = not line.strip().startswith("endef")
            continue
        if line.startswith("\t") and in_rule:
            body, origins = [line[1:]], [(number, 1)]
            while body[-1].endswith("\\") and number < len(lines):
                following = lines[number]
                number += 1
                indent = 1 if following.startswith("\t") else 0
                body.append(following[indent:])
                origins.append((number, indent))
            doc.recipes.append(Snippet(path, "\n".join(body), tuple(origins), dialect="make"))
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("define "):
            in_define = True
            continue
        if stripped.split()[0] in DIRECTIVES:
            continue
        assignment = ASSIGNMENT.match(stripped)
        if assignment:
            name, op, value = assignment.groups()
            value = value.split(" #")[0].strip()
            previous = doc.variables.get(name)
            if op == "+=" and previous:
                value = f"{previous.value} {value}"
            if op == "?=" and previous:
                continue
            doc.variables[name] = MakeVariable(name, value, number)
            continue
        rule = RULE_LINE.match(line)
        if rule:
            in_rule = True
            target, rest = rule.groups()
            if ";" in rest:  # `target: deps ; command`
                column = line.index(";", len(target)) + 1
                command = line[column:]
                doc.recipes.append(Snippet(path, command, ((number, column),), dialect="make"))
    return doc
