"""## What it catches
A Fly.io app whose `primary_region` in `fly.toml` is not where its database is:

- the database host the app is configured with names another region
  (`DATABASE_URL = "postgresql://…@direct.xxxx.lax.flympg.net:5432/…"` in `[env]`,
  `fly secrets set DATABASE_URL=…` in a script, or a cluster created with `--region lax` and
  attached to the app with `fly postgres attach` / `fly mpg attach … -a <app>`);
- or the app has a database but its region offers no Managed Postgres (the region list is data).

Only apps that have a database configured are checked. A database host that names no region
(`db.internal`, an external provider) is compared with nothing. A `--region "$REGION"` is read
from the variable's value where it is set (workflow `env:`, a shell or Makefile assignment); a
region chosen at run time (`${{ inputs.region }}`) is unknown and compared with nothing.

## Why it matters
From the Gaia platform's deployment log (seed 004, section 1, "Database Region Co-location is
Essential"): the app was deployed to `sjc`, but Managed Postgres was only available elsewhere:

    Error: Managed Postgres is only available in the following regions: [fra iad ord syd lax]

The database went to `lax` while the app stayed in `sjc`, and every query paid a cross-region round
trip: 50-100 ms or more per query instead of under a millisecond. App and database belong in the
same region.

## Example
```toml
# fly.toml
app = "gaia-gateway-staging"
primary_region = "sjc"

[env]
  DATABASE_URL = "postgresql://gateway@direct.k3x9.lax.flympg.net:5432/postgres"
```

## Use instead
```toml
# fly.toml
app = "gaia-gateway-staging"
primary_region = "lax"

[env]
  DATABASE_URL = "postgresql://gateway@direct.k3x9.lax.flympg.net:5432/postgres"
```

## Fix
Move the app to the database's region (`primary_region` in `fly.toml`, then `fly deploy`), or
create the database where the app runs if that region offers Managed Postgres. The region tables
are data (`rules/data/fly.toml`); when Fly adds Managed Postgres to a region, extend the list:

```toml
[tool.preflight.rules.FLY001]
extend-managed-postgres-regions = ["sjc"]
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from preflight.commands import Command
from preflight.data import data_options, load_data, merged
from preflight.documents.tomldoc import TomlDocument
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.fly.flycli import fly_command, starts_with

RULE = RuleMeta(
    id="FLY001",
    name="app-database-region-mismatch",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.FLY_TOML}),
    summary="A Fly.io app runs in another region than its database",
    source='seed 004 section 1 ("Database Region Co-location is Essential")',
    lesson="Every query from an app in another region than its database pays a cross-region round trip; "
           "put the app's primary_region where the database is.",
    symptoms=("Error: Managed Postgres is only available in the following regions: [fra iad ord syd lax]",),
    options=data_options("managed-postgres-regions", "list of regions with Managed Postgres"),
    tags=("fly", "postgres", "latency"),
)

DATABASE_NAME = re.compile(r"(^|_)(DATABASE|DB|POSTGRES|PG)(_[A-Z0-9]+)*_(URL|URI|DSN)$|^DATABASE_URL$", re.IGNORECASE)
DATABASE_SCHEME = re.compile(r"^(postgres|postgresql|mysql|mariadb)(\+\w+)?://", re.IGNORECASE)


@dataclass(frozen=True)
class Database:
    region: str | None  # None: configured, region unknown
    where: str  # "path:line" for messages
    what: str  # the host, or the cluster name


def _region_of_host(host: str) -> str | None:
    data = load_data("fly")
    if not any(host.endswith(suffix) for suffix in data["database-host-suffixes"]):
        return None
    return next((label for label in host.split(".") if label in data["regions"]), None)


def _host(url: str) -> str | None:
    if not DATABASE_SCHEME.match(url):
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _app_of(cmd_options: dict[str, str | None]) -> str | None:
    return cmd_options.get("-a") or cmd_options.get("--app")


_VARIABLE = re.compile(r"^\$(?:\{(\w+)\}|(\w+))$")


def _literal(cmd: Command, text: str | None) -> str | None:
    """``text`` with a plain ``$NAME`` / ``${NAME}`` resolved from the command's scope; None if unknown."""
    if not text or "$" not in text:
        return text
    match = _VARIABLE.match(text)
    value = cmd.value_of(match.group(1) or match.group(2)) if match else None
    return value if value and "$" not in value else None


def databases_by_app(repo: Repository) -> dict[str, list[Database]]:
    """Databases that scripts and workflows give each Fly app (by app name)."""
    clusters: dict[str, tuple[str | None, str]] = {}  # cluster name -> (region, where)
    attached: list[tuple[str, str, str]] = []  # (app, cluster, where)
    found: dict[str, list[Database]] = {}
    for cmd in repo.all_commands(FileKind.WORKFLOW, FileKind.ACTION, FileKind.SHELL, FileKind.MAKEFILE,
                                 FileKind.DOCKERFILE):  # not Markdown: docs show commands as examples
        fly = fly_command(cmd)
        if fly is None or len(fly.words) < 2:
            continue
        where = f"{cmd.path}:{cmd.span.line}"
        if fly.words[1] == "create" and fly.words[0] in ("postgres", "mpg"):
            name = fly.option("--name", "-n")
            if name:
                clusters[name] = (_literal(cmd, fly.option("--region", "-r")), where)
        elif fly.words[1] == "attach" and fly.words[0] in ("postgres", "mpg") and _app_of(fly.options):
            cluster = fly.words[2] if len(fly.words) > 2 else fly.option("--cluster") or "?"
            attached.append((_app_of(fly.options) or "", cluster, where))
        elif starts_with(fly.words, ("secrets", "set")) and _app_of(fly.options):
            for word in cmd.argv[1:]:
                name, eq, value = word.text.partition("=")
                host = _host(value) if eq and DATABASE_NAME.search(name) else None
                if host:
                    found.setdefault(_app_of(fly.options) or "", []).append(
                        Database(_region_of_host(host), where, host))
    for app, cluster, where in attached:
        region, created = clusters.get(cluster, (None, where))
        found.setdefault(app, []).append(Database(region, created if region else where, cluster))
    return found


def _value_span(doc: TomlDocument, *path: str) -> Span:
    span = doc.key_span(*path)
    text = doc.line_text(span.line) if span.line <= len(doc.lines) else ""
    match = re.search(r"=\s*", text)
    if match is None:
        return span
    return Span(doc.path, span.line, match.end() + 1, span.line, len(text.rstrip()) + 1)


def check_document(doc: TomlDocument, ctx: Context) -> Iterator[Finding]:
    region = doc.get("primary_region")
    if not isinstance(region, str) or not region:
        return
    region = region.strip().lower()
    databases: list[Database] = []
    env = doc.get("env")
    if isinstance(env, dict):
        for key, value in env.items():
            host = _host(value) if isinstance(value, str) and DATABASE_NAME.search(str(key)) else None
            if host:
                line = doc.key_span("env", str(key)).line
                databases.append(Database(_region_of_host(host), f"{doc.path}:{line}", host))
    app = doc.get("app")
    if isinstance(app, str):
        databases.extend(ctx.repo.fact(databases_by_app).get(app, []))
    if not databases:
        return  # no database configured: nothing to co-locate
    span = _value_span(doc, "primary_region")
    elsewhere = [d for d in databases if d.region and d.region != region]
    if elsewhere:
        db = elsewhere[0]
        yield ctx.finding(span, f"primary_region is '{region}' but the database ({db.what}, {db.where}) is in "
                                f"'{db.region}'; set primary_region = \"{db.region}\" so queries stay in one region")
        return
    managed = merged(list(load_data("fly")["managed-postgres-regions"]), ctx.options, "managed-postgres-regions")
    if not any(d.region for d in databases) and region not in managed:
        db = databases[0]
        yield ctx.finding(span, f"primary_region '{region}' has no Managed Postgres, so the database "
                                f"({db.what}, {db.where}) runs in another region; move the app to one of "
                                f"{', '.join(sorted(managed))}")


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (databases_by_app,)
