"""## What it catches
A Traefik Let's Encrypt (ACME) certificate store that is not on persistent storage:

- `--certificatesresolvers.<r>.acme.storage=/letsencrypt/acme.json` in the Traefik service's
  `command:` (or `TRAEFIK_CERTIFICATESRESOLVERS_<R>_ACME_STORAGE` in its `environment:`) while no
  named volume or bind mount of that service holds the file or its directory;
- `certificatesResolvers.<r>.acme.storage` in a `traefik.yml` / `traefik.toml` static
  configuration, checked against the service that mounts that file (else against the Traefik
  services of the repository);
- a resolver configured without `storage`: Traefik then writes `acme.json` relative to its
  working directory, inside the container, which is reported unless that is mounted.

A `tmpfs` or an anonymous volume does not count. Traefik services are recognised by their image
(`traefik`, `traefik:v3.1`, `docker.io/library/traefik`).

What it cannot see: a Traefik service built from a Dockerfile under another service name, a
`traefik.yml` baked into an image without being in the repository, and Traefik deployed outside
Compose (Kubernetes, Swarm stacks written elsewhere): with no Traefik service in sight, a static
configuration file alone is not judged.

## Why it matters
From the infrastructure build-out (seed 003, challenge 7, "Certificate Management"): testing
against Let's Encrypt hit its rate limits — "Too many cert requests during testing" — and the
team's lesson was "Persistent storage crucial (don't lose acme.json)". Traefik keeps the account
key and every certificate in `acme.json`; when that file lives in the container's writable layer,
every re-created container asks Let's Encrypt again, and after a few deploys the production
domain is locked out by the duplicate-certificate limit (`too many certificates already issued`)
for up to a week.

## Example
```yaml
# docker-compose.yml
services:
  traefik:
    image: traefik:v3.1
    command:
      - --providers.docker=true
      - --certificatesresolvers.le.acme.email=ops@example.com
      - --certificatesresolvers.le.acme.storage=/letsencrypt/acme.json
      - --certificatesresolvers.le.acme.httpchallenge.entrypoint=web
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
```

## Use instead
```yaml
# docker-compose.yml
services:
  traefik:
    image: traefik:v3.1
    command:
      - --providers.docker=true
      - --certificatesresolvers.le.acme.email=ops@example.com
      - --certificatesresolvers.le.acme.storage=/letsencrypt/acme.json
      - --certificatesresolvers.le.acme.httpchallenge.entrypoint=web
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - letsencrypt:/letsencrypt
volumes:
  letsencrypt:
```

## Fix
Mount a named volume (or a host directory) at the directory of `acme.storage`, and point the
storage at a file inside it (`/letsencrypt/acme.json`). Test new resolvers against the Let's
Encrypt staging server (`acme.caserver=https://acme-staging-v02.api.letsencrypt.org/directory`)
before switching to production.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator

from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.compose.facts import Service, all_services, settled, under
from preflight_rules.compose.traefik import Setting, is_traefik, service_settings, static_files

RULE = RuleMeta(
    id="DC006",
    name="acme-storage-not-persistent",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.COMPOSE}),  # Traefik static config files are parsed on demand
    summary="Traefik's ACME certificate store is not on a volume",
    source="seed 003 ch. 7",
    lesson="acme.json inside the container is lost on every re-create, so Traefik re-requests "
           "certificates and hits Let's Encrypt rate limits; keep it on a volume.",
    symptoms=("too many certificates already issued", "Too many cert requests during testing"),
    tags=("compose", "traefik", "tls", "letsencrypt"),
)

RESOLVER = re.compile(r"certificatesresolvers\.([^.]+)\.acme(?:\.(.+))?$")


def _stores(settings: Iterable[Setting]) -> list[tuple[str, Span, bool]]:
    """(storage path, where, whether it was given) for each ACME resolver; `acme.json` by default."""
    first: dict[str, Span] = {}
    storage: dict[str, tuple[str, Span]] = {}
    for setting in settings:
        match = RESOLVER.match(setting.key)
        if not match:
            continue
        resolver, rest = match.group(1), match.group(2)
        first.setdefault(resolver, setting.span)
        if rest == "storage" and setting.value.strip():
            storage[resolver] = (setting.value.strip().strip("'\""), setting.span)
    return [(*storage[r], True) if r in storage else ("acme.json", span, False) for r, span in first.items()]


def _judge(service: Service, path: str) -> tuple[str, bool]:
    """The absolute path in the container and whether a persistent mount holds it."""
    full = path if path.startswith("/") else posixpath.normpath(posixpath.join(service.working_dir or "/", path))
    persistent = any(m.persistent and m.target.startswith("/") and under(full, m.target)
                     for m in service.mounts.values())
    return full, persistent


def _message(service: Service, path: str, full: str, given: bool) -> str:
    what = f"ACME storage {path}" if given else "this ACME resolver has no `storage`, so Traefik writes acme.json in " \
                                                 "its working directory, and it"
    directory = posixpath.dirname(full) or "/"
    mount = f"mount a volume at {directory}" if directory != "/" else \
        "set storage to a file in a mounted directory, e.g. /letsencrypt/acme.json on a volume at /letsencrypt"
    return (f"{what} is not on a volume of service `{service.name}`; every re-created container requests "
            f"new certificates and hits Let's Encrypt rate limits; {mount}")


def _mounting(services: list[Service], config_path: str) -> list[Service]:
    """Services that bind-mount ``config_path`` (or its directory) from the repository."""
    found = []
    for service in services:
        for mount in service.mounts.values():
            if mount.kind != "bind" or not mount.source or not mount.source.startswith("."):
                continue
            source = posixpath.normpath(posixpath.join(service.directory, mount.source))
            if config_path == source or config_path.startswith(source.rstrip("/") + "/") or source == ".":
                found.append(service)
                break
    return found


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    services = list(all_services(repo))
    traefiks = [s for s in services if is_traefik(s)]
    candidates: list[tuple[Span, str | None]] = []
    for service in traefiks:
        for path, span, given in _stores(service_settings(service)):
            full, ok = _judge(service, path)
            candidates.append((span, None if ok else _message(service, path, full, given)))
    for config_path, settings in static_files(repo).items():
        users = _mounting(services, config_path) or traefiks
        for path, span, given in _stores(settings):
            for service in users:
                full, ok = _judge(service, path)
                candidates.append((span, None if ok else _message(service, path, full, given)))
    for span, message in settled(candidates):
        yield ctx.finding(span, message)

