"""## What it catches
`export KEY=value` lines in a `.env` file that a non-shell tool reads: docker compose `env_file:`
and `--env-file`, `docker run --env-file`, systemd `EnvironmentFile=`, Fly/Heroku-style
`secrets import`, and python-dotenv across versions. The finding points at `export`.

A file that the repository evidently uses only as a shell script is left alone: it is `source`d
(or `.`-ed) by a shell script, Makefile, workflow or Dockerfile, and no compose file or command
names it as an env file. The match is by file name (`source ./deploy/.env.prod` and
`env_file: .env.prod` both name `.env.prod`), so two different files with the same name count as one.

## Why it matters
Seed 001, "dotenv Path Resolution", Bonus: "Strip `export` prefixes from `.env` files. While
`python-dotenv` may handle them, behavior varies across versions and other tools that read these
files." The same file that works when a developer sources it in bash is then read by a tool with
its own parser: `docker run --env-file` rejects it (`poorly formatted environment: variable
'export DATABASE_URL' contains whitespaces`), systemd's `EnvironmentFile=` skips the line as an
invalid assignment, and env-file parsers differ across versions, so the service starts without a
setting that was present on the developer's machine.

## Example
```bash
# .env
export DATABASE_URL=postgresql://app@db/app
export LOG_LEVEL=info
```

## Use instead
```bash
# .env
DATABASE_URL=postgresql://app@db/app
LOG_LEVEL=info
```

## Fix
Remove `export ` from every line (the safe fix does it). To load the file into a shell, use
`set -a; . ./.env; set +a`, which exports every assignment without the prefix.
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.documents.dotenv import EnvDocument
from preflight.facts import Repository
from preflight.model import Edit, FileKind, Finding, Fix, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.sec.envusage import env_file_usage

RULE = RuleMeta(
    id="SEC005",
    name="export-prefix-in-env",
    severity=Severity.INFO,
    # Compose files and scripts are read only to learn which env files are merely `source`d.
    kinds=frozenset({FileKind.DOTENV, FileKind.COMPOSE, FileKind.SHELL, FileKind.MAKEFILE, FileKind.WORKFLOW,
                     FileKind.ACTION, FileKind.DOCKERFILE, FileKind.MARKDOWN}),
    summary="A .env file read by non-shell tools has `export KEY=value` lines",
    source='seed 001 "dotenv Path Resolution" (Bonus)',
    lesson="Strip `export` prefixes from .env files: python-dotenv may accept them, but behaviour varies "
           "across versions and other tools that read these files do not.",
    symptoms=("poorly formatted environment: variable 'export DATABASE_URL' contains whitespaces",
              "Ignoring invalid environment assignment 'export DATABASE_URL'"),
    tags=("dotenv", "compose", "systemd"),
    fixable=True,
)


def _shell_only(repo: Repository, path: str) -> bool:
    usage = repo.fact(env_file_usage)
    name = path.rpartition("/")[2]
    return name in usage.sourced and name not in usage.env_files


def check_document(doc: EnvDocument, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, EnvDocument):
        return
    exported = [e for e in doc.entries if e.exported]
    if not exported or _shell_only(ctx.repo, doc.path):
        return
    for entry in exported:
        text = doc.line_text(entry.line)
        column = len(text) - len(text.lstrip()) + 1
        span = Span(doc.path, entry.line, column, entry.line, column + len("export"))
        removal = Span(doc.path, entry.line, column, entry.line, entry.key_column)
        yield ctx.finding(span, f"`export {entry.key}=...` in an env file: `docker run --env-file`, systemd and other "
                                f"non-shell readers reject `export`; write `{entry.key}=...`",
                          fix=Fix("remove `export `", (Edit(removal, ""),)))


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (env_file_usage,)
