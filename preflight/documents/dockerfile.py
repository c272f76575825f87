"""Dockerfiles: instructions with their lines, build stages, ARG/ENV scope, and RUN as shell text.

dockerfile-parse groups continuation lines and drops comments; it does not know heredocs
(``RUN <<EOF``), so their bodies are folded back into the instruction that opens them.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

from preflight.documents.base import Document, ParseError
from preflight.model import FileKind, Span
from preflight.shell import Snippet

HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
RUN_FLAG = re.compile(r"--[a-z-]+(=(\"[^\"]*\"|'[^']*'|\S+))?\s+")


@dataclass(eq=False)
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    name: str  # upper case: FROM, RUN, ARG, ...
    value: str  # as dockerfile-parse joins it (continuations removed)
    line: int  # 1-based first line
    end_line: int
    stage: int  # index of the build stage (-1 before the first FROM)
    flags: tuple[str, ...] = ()  # e.g. ("--mount=type=secret,id=pat",) on RUN


@dataclass(eq=False)
class Stage:
    """One build stage: the FROM that starts it."""

    index: int
    name: str | None
    image: str  # as written, e.g. "python:3.12-slim" or "${BASE}"
    instruction: Instruction


@dataclass(eq=False)
class DockerfileDocument(Document):
    """A Dockerfile: its instructions in order, and its build stages."""

    instructions: list[Instruction] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    # variables_at of every RUN, computed on first request (per document, so per run)
    _run_scopes: dict[Instruction, dict[str, str | None]] | None = field(default=None, init=False, repr=False)

    def span_of(self, instruction: Instruction) -> Span:
        end = len(self.line_text(instruction.end_line).rstrip()) + 1
        first = self.line_text(instruction.line)
        return Span(self.path, instruction.line, len(first) - len(first.lstrip()) + 1,
                    instruction.end_line, end)

    def variables_at(self, instruction: Instruction) -> dict[str, str | None]:
        """ARG and ENV names in scope at ``instruction`` (value None when it has no default).

        A stage built ``FROM`` an earlier stage inherits that stage's ENV (not its ARGs); a bare
        ``ARG NAME`` in a stage takes the default of a global ``ARG NAME`` before the first FROM.
        """
        if instruction.name == "RUN":
            # Asked for every RUN (commands, DKR001): one walk for all of them, not one each,
            # which made a Dockerfile of many RUN and ENV lines quadratic.
            if self._run_scopes is None:
                self._run_scopes = {}
                runs = sum(1 for i in self.instructions if i.name == "RUN")
                for current, scope in self._scopes():
                    if runs == len(self._run_scopes):
                        break  # nothing after the last RUN is needed
                    if current is not None and current.name == "RUN":
                        self._run_scopes[current] = dict(scope)
            if instruction in self._run_scopes:
                return dict(self._run_scopes[instruction])
        for current, scope in self._scopes(instruction):
            if current is instruction or current is None:
                return scope
        raise AssertionError("unreachable: _scopes ends with None")

    def _scopes(self, asking: Instruction | None = None
                ) -> Iterator[tuple[Instruction | None, dict[str, str | None]]]:
        """Each instruction with the names in scope at it, then ``(None, scope at the end)``.

        The scope of an instruction in a stage is the stage's; before the first FROM it is the
        global ARGs (for the final entry, as ``asking`` stands). The dicts are live: the walk
        changes them as it goes on.
        """
        global_args: dict[str, str | None] = {}
        stage_env: dict[str, dict[str, str | None]] = {}  # stage name or index -> its ENV so far
        scope: dict[str, str | None] = {}
        env: dict[str, str | None] = {}
        for current in self.instructions:
            yield current, scope if current.stage >= 0 else global_args
            if current.name == "FROM":
                stage = self.stages[current.stage]
                env = dict(stage_env.get(stage.image.lower(), {}))
                scope = dict(env)
            elif current.name == "ARG":
                for name, value in arg_pairs(current.value):
                    if current.stage < 0:
                        global_args[name] = value
                    else:
                        scope[name] = value if value is not None else global_args.get(name)
            elif current.name == "ENV" and current.stage >= 0:
                pairs = env_pairs(current.value)
                scope.update(pairs)
                env.update(pairs)
                stage = self.stages[current.stage]
                for key in (str(stage.index), (stage.name or "").lower()):
                    if key:
                        stage_env[key] = dict(env)
        yield None, scope if asking is None or asking.stage >= 0 else global_args

    def run_snippet(self, instruction: Instruction) -> Snippet | None:
        """The shell text of a RUN, with every line at its true position in the file."""
        if instruction.name != "RUN":
            return None
        lines = self.lines[instruction.line - 1:instruction.end_line]
        first = lines[0]
        match = re.match(r"\s*RUN\s+", first, re.IGNORECASE)
        if not match:
            return None
        offset = match.end()
        rest = first[offset:]
        while (flag := RUN_FLAG.match(rest)) is not None:
            offset += flag.end()
            rest = first[offset:]
        if rest.lstrip().startswith("["):
            return self._exec_form(instruction, offset)
        body = [rest] + [("\\" if line.strip().startswith("#") else line) for line in lines[1:]]
        origins = [(instruction.line, offset)] + [(instruction.line + i, 0) for i in range(1, len(lines))]
        heredoc = HEREDOC.match(rest.strip())
        if heredoc and rest.strip() == heredoc.group(0) and len(lines) > 1:
            # `RUN <<EOF` alone: the heredoc body is the script the shell runs.
            body, origins = lines[1:-1], origins[1:-1]
            if heredoc.group(1):
                body = [line.lstrip("\t") for line in body]
        elif heredoc:
            body = [rest] + lines[1:]  # the shell sees the heredoc itself
        return Snippet(self.path, "\n".join(body), tuple(origins))

    def _exec_form(self, instruction: Instruction, offset: int) -> Snippet | None:
        try:
            argv = json.loads(instruction.value)
        except ValueError:
            return None
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            return None
        if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in ("sh", "bash") and argv[1] in ("-c", "-lc", "-ec"):
            text = argv[2]
            # Point into the JSON string when it is written without escapes; else at the array.
            found = self.line_text(instruction.line).find(json.dumps(text))
            if found >= 0 and "\n" not in text:
                offset = found + 1
        else:
            text = shlex.join(argv)
        return Snippet(self.path, text.replace("\n", " "), ((instruction.line, offset),))


def _leading_flags(value: str) -> tuple[str, ...]:
    flags = []
    rest = value.lstrip()
    while (flag := RUN_FLAG.match(rest)) is not None:
        flags.append(flag.group(0).strip())
        rest = rest[flag.end():]
    return tuple(flags)


def arg_pairs(value: str) -> list[tuple[str, str | None]]:
    pairs = []
    for token in _split(value):
        name, eq, default = token.partition("=")
        pairs.append((name, _unquote(default) if eq else None))
    return pairs


def env_pairs(value: str) -> dict[str, str]:
    tokens = _split(value)
    if tokens and "=" not in tokens[0]:  # legacy `ENV NAME value with spaces`
        return {tokens[0]: value.split(None, 1)[1] if len(value.split(None, 1)) > 1 else ""}
    return {name: _unquote(v) for name, _, v in (t.partition("=") for t in tokens)}


def _split(value: str) -> list[str]:
    """``A=1 B="x y"`` -> ["A=1", "B=x y"]: quotes may start inside a word, as in the shell."""
    try:
        return shlex.split(value, posix=True)
    except ValueError:
        return value.split()


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _stage_of(value: str) -> tuple[str, str | None]:
    words = [w for w in value.split() if not w.startswith("--")]
    image = words[0] if words else ""
    name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    return image, name


def parse(path: str, kind: FileKind, text: str) -> DockerfileDocument:
    from dockerfile_parse import DockerfileParser

    doc = DockerfileDocument(path, kind, text)
    try:
        parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8")), env_replace=False)
        structure = parser.structure
    except Exception as exc:  # dockerfile-parse raises assorted errors on malformed input
        raise ParseError(f"invalid Dockerfile: {exc}") from None
    lines = doc.lines
    stage = -1
    skip_until = 0
    for item in structure:
        start, end = item["startline"] + 1, item["endline"] + 1
        name = item["instruction"].upper()
        if start <= skip_until or name == "COMMENT":
            continue
        heredoc = HEREDOC.search(lines[start - 1]) if name in ("RUN", "COPY", "ADD") else None
        if heredoc:
            end = _heredoc_end(lines, end, heredoc.group(3), bool(heredoc.group(1)))
            skip_until = end
        if name == "FROM":
            stage += 1
        flags = _leading_flags(item["value"]) if name == "RUN" else ()
        instruction = Instruction(name, item["value"], start, end, stage, flags)
        doc.instructions.append(instruction)
        if name == "FROM":
            image, stage_name = _stage_of(item["value"])
            doc.stages.append(Stage(stage, stage_name, image, instruction))
    return doc


def _heredoc_end(lines: list[str], after: int, word: str, strip_tabs: bool) -> int:
    for number in range(after + 1, len(lines) + 1):
        text = lines[number - 1]
        if (text.lstrip("\t") if strip_tabs else text).rstrip() == word:
            return number
    return len(lines)
