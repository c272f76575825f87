"""## What it catches
A script, Makefile, Dockerfile or workflow that runs a deprecated or harmful Fly.io command, from a
data table (`rules/data/fly.toml`):

- `fly postgres create` / `fly pg create` (unmanaged Fly Postgres, deprecated: use `fly mpg create`);
- `fly postgres attach` / `fly pg attach` without `--database-name` (attaching per service creates
  one database per service; the rule is one database per environment);
- `fly postgres import` (unmanaged Postgres).

`fly` and `flyctl` are the same program, and `pg` is an alias of `postgres`. `fly mpg …`,
`fly postgres connect` and `fly postgres list` are fine. Shell code blocks in Markdown are not
checked (docs often show the deprecated command on purpose).

## Why it matters
From the Gaia platform's deployment log (seed 004, sections 7 and 16). Fly.io moved Postgres to a
managed service, and scripts written the year before started printing

    DEPRECATED: Unmanaged Fly Postgres is deprecated in favor of 'fly mpg' (Managed Postgres).

Worse, the per-service pattern `fly postgres attach gaia-db-dev -a gaia-chat-dev`, repeated for
every service, quietly created `gaia_chat_dev`, `gaia_auth_dev`, … — one database per service, with
duplicate user tables and no single answer to "which database has the real admin user?". The fix
was one database per environment that every service points at.

## Example
```bash
# scripts/provision.sh
#!/bin/sh
fly pg create --name gaia-db-dev --region lax --org aeonia-dev
fly postgres attach gaia-db-dev -a gaia-chat-dev
fly postgres attach gaia-db-dev -a gaia-auth-dev
```

## Use instead
```bash
# scripts/provision.sh
#!/bin/sh
fly mpg create --name gaia-db-dev --region lax --org aeonia-dev
fly secrets set -a gaia-chat-dev DATABASE_URL="$DATABASE_URL"
fly secrets set -a gaia-auth-dev DATABASE_URL="$DATABASE_URL"
```

## Fix
Create databases with `fly mpg create`, and give every service of an environment the same
`DATABASE_URL` secret (or attach with `--database-name <shared>`). The table of commands is data:
extend or replace it with the `extend-deprecated-commands` / `deprecated-commands` options, e.g.

```toml
[tool.preflight.rules.FLY002]
extend-deprecated-commands = [
  { words = ["redis", "create"], why = "we use Upstash directly", instead = "the Upstash console" },
]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.commands import Command
from preflight.data import data_options, load_data, merged
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.fly.flycli import fly_command, starts_with

RULE = RuleMeta(
    id="FLY002",
    name="deprecated-platform-command",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.WORKFLOW, FileKind.ACTION, FileKind.DOCKERFILE, FileKind.SHELL, FileKind.MAKEFILE}),
    summary="A script runs a deprecated or harmful platform command",
    source='seed 004 sections 7 and 16 ("Fly.io Postgres Command Evolution", "One Per Environment, Not Per Service")',
    lesson="Unmanaged Fly Postgres is deprecated and attaching a cluster per service creates a database per "
           "service; use `fly mpg` and one database per environment.",
    symptoms=("DEPRECATED: Unmanaged Fly Postgres is deprecated in favor of 'fly mpg' (Managed Postgres).",),
    options=data_options("deprecated-commands", "table of deprecated platform commands"),
    tags=("fly", "postgres", "platform"),
)


def check_command(cmd: Command, ctx: Context) -> Iterator[Finding]:
    fly = fly_command(cmd)
    if fly is None or not fly.words:
        return
    table = merged(list(load_data("fly")["deprecated-commands"]), ctx.options, "deprecated-commands")
    for entry in table:
        words = [("postgres" if w == "pg" else w) for w in entry.get("words", [])]
        if not words or not starts_with(fly.words, words):
            continue
        if fly.has(*entry.get("unless", [])):
            continue
        first, last = cmd.argv[0].span, fly.word_spans[len(words) - 1].span
        span = Span(cmd.path, first.line, first.column, last.end_line, last.end_column)
        said = " ".join([cmd.program_name or "fly", *(w.text for w in fly.word_spans[:len(words)])])
        yield ctx.finding(span, f"`{said}`: {entry.get('why', 'deprecated')}; use {entry.get('instead', 'its replacement')}")
        return
