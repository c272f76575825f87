"""How a `fly` / `flyctl` command line reads: its subcommand words and its options."""

from __future__ import annotations

from typing import NamedTuple

from preflight.commands import Command
from preflight.shell import Word

PROGRAMS = frozenset({"fly", "flyctl"})
# Options that take a value as the next word (global and common ones).
VALUE_OPTIONS = frozenset({"-a", "--app", "-c", "--config", "-t", "--access-token", "-o", "--org", "-r",
                           "--region", "--name", "-n", "--image", "-i", "--database-name", "--variable-name",
                           "--cluster", "--password", "--vm-size", "--volume-size", "--initial-cluster-size",
                           "--plan", "--dockerfile", "--build-arg", "--env", "-e", "-C", "--command"})
ALIASES = {"pg": "postgres"}


class FlyCommand(NamedTuple):
    command: Command
    words: tuple[str, ...]  # subcommand words, aliases resolved: ("postgres", "create")
    word_spans: tuple[Word, ...]
    options: dict[str, str | None]  # --org -> value (None for a flag)

    def has(self, *names: str) -> bool:
        return any(n in self.options for n in names)

    def option(self, *names: str) -> str | None:
        for name in names:
            if self.options.get(name):
                return self.options[name]
        return None


def fly_command(cmd: Command) -> FlyCommand | None:
    if cmd.program_name not in PROGRAMS:
        return None
    words: list[str] = []
    spans: list[Word] = []
    options: dict[str, str | None] = {}
    argv = cmd.argv[1:]
    i = 0
    while i < len(argv):
        text = argv[i].text
        if text.startswith("-") and len(text) > 1:
            name, eq, value = text.partition("=")
            if eq:
                options[name] = value
            elif name in VALUE_OPTIONS and i + 1 < len(argv):
                options[name] = argv[i + 1].text
                i += 1
            else:
                options[name] = None
        elif not options or len(words) < 3:
            words.append(ALIASES.get(text, text) if not words else text)
            spans.append(argv[i])
        i += 1
    return FlyCommand(cmd, tuple(words), tuple(spans), options)


def starts_with(words: tuple[str, ...], prefix: list[str] | tuple[str, ...]) -> bool:
    return len(words) >= len(prefix) and tuple(words[:len(prefix)]) == tuple(prefix)
