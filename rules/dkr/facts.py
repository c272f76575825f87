"""What the Dockerfile rules share: ARG/ENV declarations with their positions, secret mounts, and
the stages that end up in the final image.

All of it is read from the parsed :class:`~preflight.documents.dockerfile.DockerfileDocument`
(its instructions, stages and the parser's own ARG/ENV splitting); nothing here reads files.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from preflight.documents.dockerfile import DockerfileDocument, Instruction, arg_pairs, env_pairs
from preflight.model import Span


class Declaration(NamedTuple):
    name: str
    kind: str  # "ARG" or "ENV"
    value: str | None  # None: an ARG without a default
    instruction: Instruction
    stage: int  # -1 for a global ARG before the first FROM
    span: Span  # the name in the instruction


def declarations(doc: DockerfileDocument) -> list[Declaration]:
    """Every ARG and ENV name in file order."""
    found = []
    for instruction in doc.instructions:
        if instruction.name == "ARG":
            pairs = list(arg_pairs(instruction.value))
        elif instruction.name == "ENV":
            pairs = list(env_pairs(instruction.value).items())
        else:
            continue
        for name, value in pairs:
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                found.append(Declaration(name, instruction.name, value, instruction, instruction.stage,
                                         name_span(doc, instruction, name)))
    return found


def name_span(doc: DockerfileDocument, instruction: Instruction, name: str) -> Span:
    """Where ``name`` is written in ``instruction`` (the instruction's span if it cannot be found)."""
    pattern = re.compile(r"(?<![A-Za-z0-9_$])" + re.escape(name) + r"(?![A-Za-z0-9_])")
    for line in range(instruction.line, instruction.end_line + 1):
        text = doc.line_text(line)
        start = 0
        if line == instruction.line:  # skip the keyword itself
            keyword = re.match(r"\s*[A-Za-z]+\s*", text)
            start = keyword.end() if keyword else 0
        match = pattern.search(text, start)
        if match:
            return Span(doc.path, line, match.start() + 1, line, match.end() + 1)
    return doc.span_of(instruction)


def secret_mount_names(instruction: Instruction) -> frozenset[str]:
    """Variables a ``RUN --mount=type=secret,...,env=NAME`` sets from a secret for that RUN."""
    names = set()
    for flag in instruction.flags:
        if not flag.startswith("--mount="):
            continue
        options = dict(part.partition("=")[::2] for part in flag[len("--mount="):].strip("\"'").split(","))
        if options.get("type") == "secret" and options.get("env"):
            names.add(options["env"])
    return frozenset(names)


def global_args(doc: DockerfileDocument) -> dict[str, str | None]:
    """ARGs declared before the first FROM (the only ones a FROM line can use)."""
    return {d.name: d.value for d in declarations(doc) if d.kind == "ARG" and d.stage < 0}


def final_stages(doc: DockerfileDocument) -> frozenset[int]:
    """The last stage and the stages it is built FROM, transitively: what ships in the final image."""
    if not doc.stages:
        return frozenset()
    by_name = {}
    for stage in doc.stages:
        if stage.name:
            by_name[stage.name.lower()] = stage
        by_name.setdefault(str(stage.index), stage)
    chain = set()
    stage = doc.stages[-1]
    while stage is not None and stage.index not in chain:
        chain.add(stage.index)
        parent = by_name.get(stage.image.lower())
        stage = parent if parent is not None and parent.index < stage.index else None
    return frozenset(chain)
