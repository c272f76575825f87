"""Every shell command a repository runs, wherever it is written, as one kind of object.

Shell scripts, Makefile recipes, workflow and composite-action ``run:`` blocks, Dockerfile ``RUN``
and shell code blocks in Markdown are cut into :class:`~preflight.shell.Snippet` s whose lines keep
their true file positions, tokenised by :mod:`preflight.shell`, and given the context a rule needs:
the variables known to be set at that point (workflow ``env:``, Dockerfile ``ARG``/``ENV``, earlier
assignments and exports, Make variables) and where the command came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from preflight.model import FileKind, Span
from preflight.shell import ShellCommand, Snippet, Word, parse_script

if TYPE_CHECKING:  # pragma: no cover
    from preflight.documents.base import Document
    from preflight.documents.dockerfile import Instruction
    from preflight.documents.markdown import CodeBlock
    from preflight.documents.workflow import Step

COMMAND_KINDS = frozenset({FileKind.SHELL, FileKind.MAKEFILE, FileKind.WORKFLOW, FileKind.ACTION,
                           FileKind.DOCKERFILE, FileKind.MARKDOWN})
SHELL_BLOCKS = frozenset({"", "sh", "bash", "shell", "zsh", "ksh", "dash", "console", "shell-session",
                          "shellsession", "terminal", "bash-session"})
OUTPUT_BLOCKS = frozenset({"console", "shell-session", "shellsession", "terminal", "bash-session"})
DECLARERS = frozenset({"export", "declare", "typeset", "readonly", "local"})
# A Markdown example introduced as the wrong way documents a lesson; it is not an instance of it.
COUNTEREXAMPLE = re.compile(r"❌|✗|⛔|🚫|\b(wrong|incorrect|deprecated|legacy|don'?t|do not|never|avoid|bad|old way)\b",
                            re.IGNORECASE)
ENDORSED = re.compile(r"✅|✓|✔|\b(correct|right|good|instead|recommended|do this|use this)\b", re.IGNORECASE)


@dataclass(eq=False)
class Command:
    """One simple command, with the context it runs in."""

    shell: ShellCommand
    argv: tuple[Word, ...]  # after wrappers; Make variables expanded in Makefiles
    doc: Document
    env: Mapping[str, str | None]  # variables set at this point (None: set, value unknown)
    step: Step | None = None
    instruction: Instruction | None = None
    code_block: CodeBlock | None = None
    counterexample: bool = False
    pipe_from: Command | None = field(default=None, repr=False)
    via: str | None = None  # an action that runs this script elsewhere (`appleboy/ssh-action`)

    @property
    def path(self) -> str:
        return self.doc.path

    @property
    def kind(self) -> FileKind:
        return self.doc.kind

    @property
    def span(self) -> Span:
        return self.shell.span

    @property
    def program(self) -> str | None:
        """argv[0] as written (``/usr/local/bin/docker-compose``)."""
        return self.argv[0].text if self.argv else None

    @property
    def program_name(self) -> str | None:
        """argv[0] without its directory (``docker-compose``)."""
        return self.argv[0].text.rsplit("/", 1)[-1] if self.argv else None

    @property
    def args(self) -> list[str]:
        return [w.text for w in self.argv[1:]]

    @property
    def remote(self) -> bool:
        """Runs on another host: inside ``ssh host '...'`` or the script of an SSH action."""
        if self.via is not None:
            return True
        outer = self.shell.nested_in
        while outer is not None:
            if outer.program and outer.program.rsplit("/", 1)[-1] == "ssh":
                return True
            outer = outer.nested_in
        return False

    def is_set(self, name: str) -> bool:
        """Whether variable ``name`` is known to be set for this command."""
        return name in self.env or name in dict(self.shell.assignments)

    def value_of(self, name: str) -> str | None:
        assigned = dict(self.shell.assignments).get(name)
        if assigned is not None:
            return assigned.text
        return self.env.get(name)


def extract(doc: Document) -> list[Command]:
    """All commands of one parsed document, in file order."""
    return [c for c in extract_statements(doc) if c.argv]


def extract_statements(doc: Document) -> list[Command]:
    """Commands and assignment-only statements (``VAULT_ADDR="${VAULT_ADDR:-…}"``, argv empty)."""
    kind = doc.kind
    if kind is FileKind.SHELL:
        return _sequential(doc, [Snippet(doc.path, doc.text, ((1, 0),))], {})
    if kind is FileKind.MAKEFILE:
        return _makefile(doc)
    if kind in (FileKind.WORKFLOW, FileKind.ACTION):
        return _workflow(doc)
    if kind is FileKind.DOCKERFILE:
        return _dockerfile(doc)
    if kind is FileKind.MARKDOWN:
        return _markdown(doc)
    return []


def _link_pipes(commands: list[Command]) -> list[Command]:
    by_shell = {id(c.shell): c for c in commands}
    for command in commands:
        if command.shell.pipe_from is not None:
            command.pipe_from = by_shell.get(id(command.shell.pipe_from))
    return commands


def _assignments_of(shell: ShellCommand) -> Iterable[tuple[str, str]]:
    """Variables a command sets for the commands after it."""
    if not shell.argv:
        for name, word in shell.assignments:
            yield name, word.text
    elif shell.argv[0].text in DECLARERS:
        for word in shell.argv[1:]:
            name, eq, value = word.text.partition("=")
            if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                yield name, value


def _sequential(doc: Document, snippets: list[Snippet], env: Mapping[str, str | None],
                **context: object) -> list[Command]:
    """Commands of snippets run one after another, each seeing the variables set before it."""
    known: Mapping[str, str | None] = dict(env)  # shared by commands until a variable changes
    commands: list[Command] = []
    for snippet in snippets:
        for shell in parse_script(snippet):
            if shell.argv or shell.assignments:
                commands.append(Command(shell, shell.argv, doc, known, **context))  # type: ignore[arg-type]
            if shell.argv and shell.argv[0].text not in DECLARERS:
                continue  # sets nothing for the commands after it (see _assignments_of)
            assigned = dict(_assignments_of(shell))
            if assigned:
                known = {**known, **assigned}
    return _link_pipes(commands)


def _makefile(doc: Document) -> list[Command]:
    from preflight.documents.makefile import MakefileDocument

    assert isinstance(doc, MakefileDocument)
    make_env: dict[str, str | None] = {name: doc.expand(v.value) for name, v in doc.variables.items()}
    commands: list[Command] = []
    for recipe in doc.recipes:  # each recipe line runs in its own shell
        for command in _sequential(doc, [recipe], make_env):
            command.argv = _expand_make(doc, command.argv)
            commands.append(command)
    return commands


# Wrappers a Make variable may hold (`SUDO = sudo -E`): the shell layer strips them from what is
# written; after expansion they are stripped here.
MAKE_WRAPPERS = frozenset({"sudo", "doas", "nohup", "time", "exec"})


def _expand_make(doc: Document, argv: tuple[Word, ...]) -> tuple[Word, ...]:
    """argv with Make variables replaced by their values, each part at the reference's position.

    A word that is only a reference to a variable the Makefile does not define expands to
    nothing, as in make (``$(SUDO) docker-compose up``); a reference inside a larger word
    (``poetry==$(POETRY_VERSION)``) stays as written, since the value may come from the environment.
    """
    expanded: list[Word] = []
    for word in argv:
        if not word.make_refs:
            expanded.append(word)
            continue
        text = doc.expand(word.text)  # type: ignore[attr-defined]
        if text == word.text and re.fullmatch(r"\$[({][A-Za-z_][A-Za-z0-9_.-]*[)}]", text):
            continue
        parts = text.split() if not word.quoted else [text]
        expanded.extend(replace(word, text=part) for part in parts)
    while expanded and expanded[0].text in MAKE_WRAPPERS and argv and argv[0].make_refs:
        expanded.pop(0)
        while expanded and expanded[0].text.startswith("-"):
            expanded.pop(0)
    return tuple(expanded)


# Actions that run a shell script given as an input on another host: (action, input).
SCRIPT_ACTIONS = {"appleboy/ssh-action": "script", "garygrossgarten/github-action-ssh": "command",
                  "d3lm/ssh-action": "script"}


def _workflow(doc: Document) -> list[Command]:
    from preflight.documents.workflow import run_snippet

    commands: list[Command] = []
    for step in doc.steps:  # type: ignore[attr-defined]
        snippet = step.run_snippet()
        if snippet is not None:
            commands.extend(_sequential(doc, [snippet], step.env, step=step))
            continue
        action = (step.uses or "").split("@", 1)[0].lower()
        key = SCRIPT_ACTIONS.get(action)
        if key is not None and isinstance(step.with_.get(key), str):
            script = run_snippet(doc, step.with_, key)  # type: ignore[arg-type]
            if script is not None:  # the remote host's environment, not the runner's
                commands.extend(_sequential(doc, [script], {}, step=step, via=action))
    return commands


def _dockerfile(doc: Document) -> list[Command]:
    commands: list[Command] = []
    for instruction in doc.instructions:  # type: ignore[attr-defined]
        if instruction.name != "RUN":
            continue
        snippet = doc.run_snippet(instruction)  # type: ignore[attr-defined]
        if snippet is not None:
            env = doc.variables_at(instruction)  # type: ignore[attr-defined]
            commands.extend(_sequential(doc, [snippet], env, instruction=instruction))
    return commands


def _markdown(doc: Document) -> list[Command]:
    commands: list[Command] = []
    for block in doc.code_blocks:  # type: ignore[attr-defined]
        if block.info not in SHELL_BLOCKS:
            continue
        lines, origins = [], []
        block_lines = block.text.split("\n")
        # A block with `$ ` prompts is a terminal session: only prompt lines are commands, the
        # rest is output (which may quote commands in backticks without running them).
        session = block.info in OUTPUT_BLOCKS or any(line.lstrip().startswith("$ ") for line in block_lines)
        for offset, line in enumerate(block_lines):
            stripped = line.lstrip()
            column = block.indent + len(line) - len(stripped)
            if stripped.startswith("$ "):
                lines.append(stripped[2:])
                origins.append((block.line + offset, column + 2))
            elif session:
                lines.append("")  # program output, not commands
                origins.append((block.line + offset, 0))
            else:
                lines.append(line)
                origins.append((block.line + offset, block.indent))
        snippet = Snippet(doc.path, "\n".join(lines), tuple(origins))
        wrong_block = bool(COUNTEREXAMPLE.search(block.intro))
        for command in _sequential(doc, [snippet], {}, code_block=block):
            comment = command.shell.comment_above or ""
            if ENDORSED.search(comment):
                command.counterexample = False
            else:
                command.counterexample = bool(COUNTEREXAMPLE.search(comment)) or wrong_block
            commands.append(command)
    return commands
