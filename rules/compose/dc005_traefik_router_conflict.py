"""## What it catches
Traefik routing labels that cannot work as written, across all Compose files of the repository:

- two different services define the same router or Traefik service name
  (`traefik.http.routers.<name>.*`, `traefik.tcp.routers.<name>.*`, `traefik.udp.routers.<name>.*`,
  `traefik.http.services.<name>.*`): each definition is reported, pointing at the other one;
- a service carries router labels but not `traefik.enable=true` while Traefik is configured with
  `exposedByDefault=false` (`--providers.docker.exposedbydefault=false` in the Traefik service's
  `command:`, `TRAEFIK_PROVIDERS_DOCKER_EXPOSEDBYDEFAULT=false`, or `exposedByDefault: false` in a
  `traefik.yml` / `traefik.toml` static configuration): Traefik ignores the service.

Labels in list (`- traefik.http.routers.web.rule=...`) and mapping form and under
`deploy.labels` (Swarm) count. The project's files are merged first: the same service in
`docker-compose.yml` and `docker-compose.override.yml` (or an environment overlay) is one service,
and so is the same service name in two alternative files of one directory. Projects in two
directories that each run their own Traefik service (alternative examples, separate hosts) do not
share router names and are not compared with each other. Router names built
from variables (`traefik.http.routers.${STACK}-web.rule`) are not compared. Nothing is said
about `traefik.enable` unless some configuration in the repository sets `exposedByDefault=false`.
When the clashing labels come from one YAML anchor (`labels: *web`, `<<: *web`), each finding
points at the service's name rather than at the shared anchor.

## Why it matters
From the infrastructure build-out (seed 003, challenge 6, "Service Discovery and Traefik
Integration"): services were running and visible in `docker service ls`, yet the team got
404 errors, "Traefik dashboard shows no routers" and "duplicate router errors". Root causes were
orphaned services still carrying old labels and label mistakes. Traefik merges labels from every
container it watches: two services that claim `traefik.http.routers.api` make the router's
configuration conflict and Traefik drops it, and a service without `traefik.enable=true` is
invisible when `exposedByDefault` is off.

## Example
```yaml
# docker-compose.yml
services:
  api:
    image: ghcr.io/acme/api:1.4
    labels:
      - traefik.enable=true
      - traefik.http.routers.app.rule=Host(`api.example.com`)
  web:
    image: ghcr.io/acme/web:1.4
    labels:
      traefik.enable: "true"
      traefik.http.routers.app.rule: Host(`www.example.com`)
```

## Use instead
```yaml
# docker-compose.yml
services:
  api:
    image: ghcr.io/acme/api:1.4
    labels:
      - traefik.enable=true
      - traefik.http.routers.api.rule=Host(`api.example.com`)
  web:
    image: ghcr.io/acme/web:1.4
    labels:
      traefik.enable: "true"
      traefik.http.routers.web.rule: Host(`www.example.com`)
```

## Fix
Name routers and Traefik services after the Compose service (or the stack and service), so every
name is defined once; add `traefik.enable=true` to every service that Traefik should route when
`exposedByDefault` is false; remove stale services (`docker compose up --remove-orphans`).
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.compose.facts import Service, all_services, settled
from preflight_rules.compose.traefik import (Setting, router_labels, service_settings, static_files,
                                             traefik_services)

RULE = RuleMeta(
    id="DC005",
    name="traefik-router-conflict",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.COMPOSE}),  # Traefik static config files are parsed on demand
    summary="Two services define the same Traefik router, or a router's service is never enabled",
    source="seed 003 ch. 6",
    lesson="Duplicate router names and labels Traefik never turned on left running services "
           "unreachable (404, no routers in the dashboard); define each router once and enable it.",
    symptoms=("404 page not found", "Duplicate router errors", "Traefik dashboard shows no routers"),
    tags=("compose", "traefik", "routing"),
)

EXPOSED = ("providers.docker.exposedbydefault", "providers.swarm.exposedbydefault")


def _exposed_off(repo: Repository) -> Setting | None:
    """Where the repository turns `exposedByDefault` off, if it does."""
    settings: list[Setting] = []
    for service in traefik_services(repo):
        settings.extend(service_settings(service))
    for found in static_files(repo).values():
        settings.extend(found)
    return next((s for s in settings if s.key in EXPOSED and s.value.strip().lower() == "false"), None)


def _separate_instances(one: str, other: str, own_traefik: set[str]) -> bool:
    """Two projects that each run their own Traefik (alternative examples, separate hosts) do not
    share a router namespace."""
    return one != other and one in own_traefik and other in own_traefik


def _where(span: Span) -> str:
    return f"{span.path}:{span.line}"


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    # One definition per (directory, service name): overlays and alternative files of a project
    # describe the same service.
    definers: dict[tuple[str, str, str], dict[tuple[str, str], tuple[str, Span]]] = {}
    services: list[Service] = list(all_services(repo))
    by_key = {(service.directory, service.name): service for service in services}
    own_traefik = {service.directory for service in traefik_services(repo)}
    for service in services:
        for key, label in router_labels(service).items():
            definers.setdefault(key, {}).setdefault((service.directory, service.name), label)
    for (protocol, what, name), by_service in definers.items():
        if len(by_service) < 2:
            continue
        entries = list(by_service.items())
        # Labels shared through a YAML anchor (`labels: *web` / `<<: *web`) all sit at the anchor:
        # point at each service's own name so the findings say which services collide.
        spans = [span for _, (_, span) in entries]
        entries = [(owner, (label, by_key[owner].span if spans.count(span) > 1 else span))
                   for owner, (label, span) in entries]
        for (directory, service_name), (_label, span) in entries:
            others = [(d, n, s) for (d, n), (_, s) in entries if (d, n) != (directory, service_name)
                      and not _separate_instances(directory, d, own_traefik)]
            if not others:
                continue
            _, other_name, other_span = others[0]
            kind = "router" if what == "routers" else "Traefik service"
            yield ctx.finding(span, f"{protocol} {kind} `{name}` is also defined by service `{other_name}` at "
                                    f"{_where(other_span)}; Traefik rejects the duplicate and routes neither "
                                    f"reliably; give each service its own {kind} name")

    off = _exposed_off(repo)
    if off is None:
        return
    candidates: list[tuple[Span, str | None]] = []
    for service in services:
        labels = router_labels(service)
        if not labels:
            continue
        _, span = min(labels.values(), key=lambda item: (item[1].path, item[1].line, item[1].column))
        enable = service.labels.get("traefik.enable")
        if enable is not None and (enable.text or "").strip().lower() in ("true", "false"):
            candidates.append((span, None))  # `false` is a deliberate off switch
            continue
        candidates.append((span, f"service `{service.name}` has Traefik router labels but no `traefik.enable=true`, "
                                 f"and exposedByDefault is false ({_where(off.span)}); Traefik ignores this "
                                 "service; add the label traefik.enable=true"))
    for span, message in settled(candidates):
        yield ctx.finding(span, message)
