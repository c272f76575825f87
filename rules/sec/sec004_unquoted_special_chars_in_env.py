"""## What it catches
A `.env` value that a shell or an env-file reader would change, because it is not single-quoted:

- `!` unquoted or in double quotes (`DB_PASSWORD=Secr3t!` / `DB_PASSWORD="Secr3t!"`): history
  expansion in interactive bash, `event not found` or a silently different string;
- a backtick, unquoted or in double quotes: command substitution when the file is sourced;
- a `$` that does not start a `${NAME}` or `$NAME` reference (`pa$$word`, `pa$1word`, `cost$`),
  unquoted or in double quotes: expanded to a process id, a positional parameter or nothing;
- a space in an unquoted value (`GREETING=hello world`): `source .env` runs `world` as a command.

Single-quoted values are literal everywhere and never flagged; so are `${NAME}` / `$NAME`
references, which are meant to expand, and characters escaped with a backslash inside double quotes.
Files under a test-data directory (`testdata/`, `fixtures/`) are a test suite's input and are skipped,
and so are values that are template placeholders (`DOMAIN={{ cookiecutter.domain }}`).
The finding points at the value.

## Why it matters
Seed 001, "Configuration Management": *Shell Expansion Hazard* -- "Never use special characters like
'!' in passwords inside .env files without strict quoting, or avoid them entirely in automated
environments." The same `.env` is read by several programs: a shell (`set -a; . ./.env`), docker
compose `env_file`, python-dotenv, systemd `EnvironmentFile`. Each has its own rules for `!`, `$`,
backticks, quotes and spaces, so an unquoted or double-quoted special character gives each of them
a different value: the password that works on a laptop fails authentication in the automated
environment, or a sourced file runs part of a value as a command. A single-quoted value is literal
to all of them.

## Example
```bash
# .env
DB_PASSWORD=Tr0ub4dor!
API_SECRET="pa$$word"
GREETING=hello world
```

## Use instead
```bash
# .env
DB_PASSWORD='Tr0ub4dor!'
API_SECRET='pa$$word'
GREETING='hello world'
DATABASE_URL=postgresql://app:${DB_PASSWORD}@db/app
```

## Fix
Wrap the value in single quotes (`KEY='value'`), or generate secrets from a character set without
shell metacharacters. A value that itself contains a single quote cannot be single-quoted in most
env-file dialects: choose another secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from preflight.documents.dotenv import EnvDocument, EnvEntry
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.testdata import is_test_data_path

RULE = RuleMeta(
    id="SEC004",
    name="unquoted-special-chars-in-env",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.DOTENV}),
    summary="A .env value contains `!`, `$`, a backtick or spaces without single quotes",
    source='seed 001 "Shell Expansion Hazard"',
    lesson="Never put `!`, `$` or backticks in .env values without strict (single) quoting: shells and "
           "env-file readers expand them differently, so the secret differs between tools.",
    symptoms=("bash: !: event not found",
              "password authentication failed for user"),
    tags=("dotenv", "shell", "secrets"),
)

REFERENCE = re.compile(r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*(?:[:?+=-][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)")


def hazards(entry: EnvEntry) -> list[str]:
    """What in the value a shell or env-file reader would change."""
    if entry.quote == "'":
        return []
    raw = entry.raw_value
    if entry.quote == '"':
        end = raw.rfind('"')
        body = raw[1:end] if end > 0 else raw[1:]
    else:
        body = entry.value
    found: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            i += 2  # an escaped character is taken literally
            continue
        if ch == "!" and "`!`" not in found:
            found.append("`!`")
        elif ch == "`" and "a backtick" not in found:
            found.append("a backtick")
        elif ch == "$":
            match = REFERENCE.match(body, i)
            if match:
                i = match.end()
                continue
            if "a `$` that starts no ${NAME} reference" not in found:
                found.append("a `$` that starts no ${NAME} reference")
        elif ch in " \t" and not entry.quote and "a space" not in found:
            found.append("a space")
        i += 1
    return found


TEMPLATE_VALUE = re.compile(r"\{\{.*\}\}|\{%.*%\}")


def check_document(doc: EnvDocument, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, EnvDocument) or is_test_data_path(doc.path):
        return
    for entry in doc.entries:
        if TEMPLATE_VALUE.search(entry.value or ""):
            continue  # `{{ cookiecutter.domain }}`: a template placeholder, rendered before anything reads it
        found = hazards(entry)
        if not found:
            continue
        how = "in double quotes" if entry.quote == '"' else "unquoted"
        value = entry.raw_value if entry.quote else entry.value
        span = Span(doc.path, entry.line, entry.value_column, entry.line, entry.value_column + max(1, len(value)))
        yield ctx.finding(span, f"{entry.key} has {' and '.join(found)} {how}: shells and env-file readers "
                                f"expand it differently; single-quote the value ({entry.key}='...')")
