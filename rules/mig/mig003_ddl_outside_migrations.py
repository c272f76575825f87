"""## What it catches
Schema changes (`CREATE TABLE`, `ALTER TABLE`, `DROP TABLE|INDEX|TYPE|COLUMN|VIEW|SEQUENCE`,
`CREATE [UNIQUE] INDEX`, `CREATE TYPE`, `ALTER TYPE`, `CREATE VIEW`) sent to a database client
by a shell script, a Makefile recipe, a workflow `run:` step or a Dockerfile `RUN`:

- `psql -c "ALTER TABLE ..."`, `psql --command=...`, `mysql -e "..."`, `mariadb --execute ...`,
  `sqlite3 app.db "CREATE TABLE ..."`, `heroku pg:psql -c ...`;
- SQL piped in: `echo "ALTER TABLE ..." | fly postgres connect -a app-db`, `printf ... | psql`;
- heredocs and here-strings: `psql <<SQL ... SQL`, `cat <<SQL | psql`, `psql <<< "..."`;
- the client run inside a container or over SSH: `docker exec db psql -c ...`,
  `docker compose exec db psql -c ...`, `kubectl exec pod -- psql -c ...`,
  `ssh host "psql -c ..."`, `fly ssh console -C "psql ... -c '...'"`.

Not flagged: provisioning that is not a schema change (`CREATE DATABASE`, `CREATE ROLE/USER`,
`GRANT`, `CREATE EXTENSION`, `DROP DATABASE`, `ALTER ... OWNER TO`, `CREATE TEMP TABLE`),
queries, `psql -f migrations/001_add_prefs.sql` and `psql < schema.sql` (a versioned file, not DDL
written into the script), `alembic upgrade head`, and SQL in Markdown documentation.

What it cannot see: SQL held in a variable (`psql -c "$SQL"`), or built by a program.

## Why it matters
Seed 004 §24 ("Database Schema Changes Require Migration Strategy") and seed 001 rule 1
("Migrations Are Not Optional"): a schema change made directly in production,

    echo "ALTER TABLE users ADD COLUMN preferences JSONB;" | fly postgres connect -a gaia-db-prod

leaves no record of what changed, cannot be rolled back, is not applied to staging or a fresh
database, and makes the next `alembic revision --autogenerate` disagree with the database. Every
schema change must be versioned, tracked and reversible.

## Example
```sh
# scripts/add_prefs.sh
echo "ALTER TABLE users ADD COLUMN preferences JSONB;" | fly postgres connect -a gaia-db-prod
```

## Use instead
```sh
# scripts/add_prefs.sh
alembic upgrade head
```

## Fix
Write the change as a migration (`alembic revision -m "add user preferences"`, or a numbered
`.sql` file applied by your migration tool), commit it, and run it with the tool
(`alembic upgrade head`) in the deploy, so every environment gets the same change in order and it
can be rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from preflight.commands import Command
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.shell import snippet_span

RULE = RuleMeta(
    id="MIG003",
    name="ddl-outside-migrations",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.WORKFLOW, FileKind.ACTION, FileKind.DOCKERFILE, FileKind.SHELL, FileKind.MAKEFILE}),
    summary="A schema change is run by a script instead of a migration",
    source="seed 004 §24; seed 001 rule 1",
    lesson="Schema changes piped into psql or fly postgres connect are untracked and irreversible; every "
           "schema change must be a versioned migration.",
    symptoms=("Target database is not up to date.",
              "psycopg2.errors.DuplicateTable: relation already exists"),
    tags=("database", "migrations", "alembic"),
)

DDL = re.compile(r"\b(?:CREATE\s+(?:UNIQUE\s+)?INDEX|CREATE\s+(?:UNLOGGED\s+)?TABLE|ALTER\s+TABLE|ALTER\s+TYPE"
                 r"|CREATE\s+TYPE|DROP\s+(?:TABLE|INDEX|TYPE|COLUMN|VIEW|MATERIALIZED\s+VIEW|SEQUENCE)"
                 r"|CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?VIEW)\b", re.IGNORECASE)
OWNER_CHANGE = re.compile(r"\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?[\w.\"]+\s+OWNER\s+TO\b", re.IGNORECASE)
CLIENTS = {"psql": ("-c", "--command"), "mysql": ("-e", "--execute"), "mariadb": ("-e", "--execute"),
           "sqlite3": (), "pg:psql": ("-c", "--command")}
CLIENT_IN_TEXT = re.compile(r"\b(?:psql|mysql|mariadb|sqlite3)\b")
FEEDERS = frozenset({"echo", "printf"})


def ddl_in(text: str) -> re.Match[str] | None:
    """The first schema-changing statement in SQL text (an ownership change is not one)."""
    for match in DDL.finditer(text):
        if match.group(0).upper().startswith("ALTER") and OWNER_CHANGE.match(text, match.end()):
            continue
        return match
    return None


def check_command(cmd: Command, ctx: Context) -> Iterator[Finding]:
    words = [w.text for w in cmd.argv]
    client = _client(words)
    if client is None:
        yield from _embedded(cmd, ctx)
        return
    index, name = client
    for span, statement in _sql_sources(cmd, index, name):
        where = "fly postgres connect" if name == "fly" else name
        yield ctx.finding(span, f"schema change `{_clean(statement)}` is sent to {where} by hand: it is not "
                                "versioned, repeatable or reversible; write it as a migration (alembic revision) "
                                "and apply it with `alembic upgrade head`")


def _client(words: list[str]) -> tuple[int, str] | None:
    for i, word in enumerate(words):
        base = word.rsplit("/", 1)[-1]
        if base in CLIENTS:
            return i, base
    if words and words[0].rsplit("/", 1)[-1] in ("fly", "flyctl") and len(words) > 2 and \
            words[1] in ("postgres", "pg") and words[2] == "connect":
        return 0, "fly"
    return None


def _sql_sources(cmd: Command, index: int, name: str) -> Iterator[tuple[Span, str]]:
    argv = cmd.argv
    options = CLIENTS.get(name, ())
    positional = 0
    i = index + 1
    while i < len(argv):
        word = argv[i]
        text = word.text
        value = None
        if text in options and i + 1 < len(argv):
            value = argv[i + 1]
            i += 1
        elif any(text.startswith(o + "=") for o in options if o.startswith("--")) or \
                any(text.startswith(o) and len(text) > len(o) for o in options if not o.startswith("--")):
            value = word
        elif name == "sqlite3" and not text.startswith("-"):
            positional += 1
            value = word if positional >= 2 else None  # sqlite3 DB "SQL"
        if value is not None:
            match = ddl_in(value.text)
            if match:
                yield value.span, match.group(0)
        i += 1
    feeder = cmd.pipe_from
    if feeder is not None and feeder.program_name in FEEDERS:
        for word in feeder.argv[1:]:
            match = ddl_in(word.text)
            if match:
                yield word.span, match.group(0)
    yield from _heredoc_statements(cmd)


def _heredoc_statements(cmd: Command) -> Iterator[tuple[Span, str]]:
    """DDL in a heredoc or here-string fed to the client (or to the `cat` piped into it)."""
    feeder = cmd.pipe_from
    sources = list(cmd.shell.stdin)
    if feeder is not None and feeder.program_name == "cat":
        sources.extend(feeder.shell.stdin)
    for body in sources:
        match = ddl_in(body.text)
        if match:
            yield snippet_span(body, match.start(), match.end()), match.group(0)
            return


def _embedded(cmd: Command, ctx: Context) -> Iterator[Finding]:
    """`fly ssh console -C "psql ... -c '...'"`: a client command line held in one argument (ssh and
    `sh -c` strings are re-parsed into commands by the shell layer and checked as such)."""
    if cmd.program_name not in ("fly", "flyctl", "heroku"):
        return
    for word in cmd.argv[1:]:
        if CLIENT_IN_TEXT.search(word.text):
            match = ddl_in(word.text)
            if match:
                yield ctx.finding(word.span, f"schema change `{_clean(match.group(0))}` is run by hand through a "
                                             "remote database client: it is not versioned, repeatable or reversible; "
                                             "write it as a migration and apply it with `alembic upgrade head`")
                return


def _clean(statement: str) -> str:
    return " ".join(statement.upper().split())
