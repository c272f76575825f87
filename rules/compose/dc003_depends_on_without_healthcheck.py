"""## What it catches
A Compose service that `depends_on` another service without waiting for it to be ready:

- the dependency is listed without `condition: service_healthy` (the short list form
  `depends_on: [db]`, or `condition: service_started`), so Compose only waits for the container
  to *start*;
- or the condition asks for `service_healthy` but the dependency has no `healthcheck:` (or has
  `healthcheck: {disable: true}`), so there is nothing to wait for.

`condition: service_completed_successfully` (a one-shot migration or init job) passes. Services
are judged after merging the project's files: a `healthcheck` added by
`docker-compose.override.yml` or an environment overlay, or inherited through `extends:`, YAML
anchors or `<<` merge keys, counts. Compose files under a test-data directory (`testdata/`,
`fixtures/`) are a test suite's input, not a deployment, and are not checked.

Off by default (`extend-select = ["DC003"]` turns it on): on 37 well-known repositories
(docs/precision.md) most of its findings were services that wait by themselves (an entrypoint
that polls the database, as paperless-ngx, netbox-docker, Zulip and CTFd do), connect only on
request (reverse proxies, admin UIs, frontends) or use `depends_on` for start order only, and
none of that is visible in the compose file. Turn it on where the services do not wait.

What it cannot see: a `HEALTHCHECK` baked into the dependency's image. If the image defines one,
`service_healthy` works without a `healthcheck:` in the compose file; declare it in the compose
file anyway so readers (and this rule) can see it.

## Why it matters
From the bot-economy backend's rules (seed 001, rule 7 and "Fail-Fast Orchestration"): a system
of database, API and workers started in the wrong order, or before the database accepted
connections, fell into race conditions and "cascading timeout loops". The fix was to verify
database connectivity before spawning the dependent processes. `depends_on` without a readiness
condition only orders container *starts*: PostgreSQL is still initialising when the API's first
connection fails with `connection refused`, and a worker that does not retry exits or loops.

## Example
```yaml
# docker-compose.yml
services:
  db:
    image: postgres:16
    volumes:
      - pgdata:/var/lib/postgresql/data
  api:
    image: ghcr.io/acme/api:1.4
    depends_on:
      - db
volumes:
  pgdata:
```

## Use instead
```yaml
# docker-compose.yml
services:
  db:
    image: postgres:16
    volumes:
      - pgdata:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 5s
      retries: 10
  api:
    image: ghcr.io/acme/api:1.4
    depends_on:
      db:
        condition: service_healthy
volumes:
  pgdata:
```

## Fix
Give every service that others wait for a `healthcheck:` that proves readiness (`pg_isready`,
`redis-cli ping`, `curl -f http://localhost:8200/v1/sys/health`), and use the long form of
`depends_on` with `condition: service_healthy` (or `service_completed_successfully` for one-shot
jobs). The application should still retry its first connection: healthchecks cover start-up,
not a database that restarts later.
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.compose.facts import compose_model, settled

RULE = RuleMeta(
    id="DC003",
    name="depends-on-without-healthcheck",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.COMPOSE}),
    summary="depends_on orders container starts but does not wait for the dependency to be ready",
    source='seed 001 rule 7, "Fail-Fast Orchestration"',
    lesson="Services started before their database accepted connections fell into race conditions and "
           "cascading timeout loops; wait for readiness (healthcheck + condition: service_healthy).",
    symptoms=("connection refused",),
    tags=("compose", "startup", "healthcheck"),
    default_enabled=False,
)

PASSING = ("service_healthy", "service_completed_successfully")


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    candidates: list[tuple[Span, str | None]] = []
    for configuration in repo.fact(compose_model):
        services = configuration.services
        for service in services.values():
            for dep in service.depends_on.values():
                target = services.get(dep.name)
                if dep.condition == "service_completed_successfully":
                    candidates.append((dep.span, None))
                    continue
                if dep.condition != "service_healthy":
                    said = f"condition: {dep.condition}" if dep.condition else "no condition"
                    hint = "" if target is None or target.has_healthcheck else \
                        f" and give `{dep.name}` a healthcheck"
                    candidates.append((dep.span, f"`{service.name}` depends on `{dep.name}` with {said}, which only "
                                                 f"waits for the container to start; use `condition: service_healthy`"
                                                 f"{hint}"))
                elif target is not None and not target.has_healthcheck:
                    where = target.span
                    candidates.append((dep.span, f"`{service.name}` waits for `{dep.name}` to be healthy, but "
                                                 f"`{dep.name}` ({where.path}:{where.line}) has no healthcheck; add a "
                                                 "`healthcheck:` that proves it is ready"))
                else:
                    candidates.append((dep.span, None))
    for span, message in settled(candidates):
        yield ctx.finding(span, message)
