"""## What it catches
A deployment setting that gives the address of another service (`*_URL`, `*_ADDR`, `*_HOST`,
`*_URI`, `*_DSN`, `*_ENDPOINT`: `DATABASE_URL`, `VAULT_ADDR`, `NATS_URL`, `REDIS_HOST`, ...) as
`localhost`, `127.0.0.1` or `[::1]` — the whole value or the host of a URL (`0.0.0.0` only as a
URL host) — in:

- Compose `environment:` (mapping and `- KEY=value` forms), including interpolation defaults
  (`${DATABASE_URL:-postgresql://localhost/app}`);
- `fly.toml` `[env]`;
- GitHub workflow `env:` at workflow, job and step level (also `${{ secrets.X || 'http://localhost:8200' }}`);
- Kubernetes container `env:` (`- name: ... value: ...`);
- shell defaults that fall back to such an address, `${VAULT_ADDR:-http://localhost:8200}`, in
  scripts, Makefile recipes, workflow `run:` blocks and Dockerfile `RUN`.

Not flagged: Compose services with `network_mode: host` (or sharing another container's network
with `service:`/`container:`), a service's own address inside its own container
(`VAULT_ADDR=http://127.0.0.1:8200` in the `vault` service: the port is one the service exposes,
or the variable is named after the service or its image), a localhost URL on a port the
configuration publishes (`http://localhost:5001` with `ports: ["5001:5000"]`: the address a
browser on the host uses, such as a public base URL for links), workflow jobs that declare `services:`
(CI service containers are reached on localhost), Kubernetes pods with several containers
(sidecars share the pod's network) or `hostNetwork: true`, healthcheck commands, listen/bind
settings (`LISTEN_ADDR`, `HOST=0.0.0.0`) and browser-facing URLs (`PUBLIC_URL`, `FRONTEND_URL`,
`CALLBACK_URL`), and local-only files: `docker-compose.override.yml`, names with `.dev.`/`.local.`
or `-dev`/`-local` before the extension (`docker-compose.dev.yml`, `run-local.sh`), `.env.local`.

What it cannot see: values that arrive through `env_file:` or secrets at deploy time, and
addresses built in application code.

## Why it matters
From the Fly.io microservices platform (seed 004, §2 "NATS Works Locally, Fails in Cloud", and
§13) and the 42Bros platform (seed 000, "GitHub Secrets Typo Causes Silent Deployment
Failure"): a NATS address that worked in local Docker failed in the cloud with

    ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 4222)

and a misspelt `VAULT_ADDR` secret left the workflow on its default, failing with
`connection refused: localhost:8200`. Inside a container or a cloud machine, `localhost` is that
container itself: the database, broker or Vault server lives somewhere else.

## Example
```yaml
# docker-compose.yml
services:
  api:
    image: ghcr.io/acme/api:1.4
    environment:
      NATS_URL: nats://127.0.0.1:4222
      DATABASE_URL: ${DATABASE_URL:-postgresql://app@localhost:5432/app}
```

```sh
# scripts/deploy.sh
VAULT_ADDR="${VAULT_ADDR:-http://localhost:8200}"
vault kv get secret/app
```

## Use instead
```yaml
# docker-compose.yml
services:
  api:
    image: ghcr.io/acme/api:1.4
    environment:
      NATS_URL: nats://nats:4222
      DATABASE_URL: ${DATABASE_URL:?set DATABASE_URL}
  vault:
    image: hashicorp/vault:1.15
    environment:
      VAULT_ADDR: http://127.0.0.1:8200
```

```sh
# scripts/deploy.sh
: "${VAULT_ADDR:?VAULT_ADDR is not set}"
vault kv get secret/app
```

## Fix
Address other services by their Compose service name, their platform's private DNS name
(`app-db.internal`, `nats.flycast`) or a value injected at deploy time; make required addresses
fail fast when missing (`${VAULT_ADDR:?}` in shell, no default in code) instead of falling back
to localhost. Keep localhost defaults in local-only files (`docker-compose.override.yml`,
`.env.local`).

The name suffixes and ignored name tokens are data (`rules/data/service_addresses.toml`):

```toml
[tool.preflight.rules.DC007]
extend-address-suffixes = ["broker"]
extend-ignored-tokens = ["docs"]
```
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from preflight.data import data_options, load_data, merged
from preflight.documents.base import Document
from preflight.documents.yamldoc import YamlDocument, scalar_text, walk_mappings
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.commands import Command
from preflight.shell import Word
from preflight_rules.compose.facts import (INTERPOLATION, Service, compose_model, is_local_only_path, settled,
                                           text_span)

RULE = RuleMeta(
    id="DC007",
    name="localhost-service-address",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.COMPOSE, FileKind.FLY_TOML, FileKind.WORKFLOW, FileKind.KUBERNETES,
                     FileKind.SHELL, FileKind.MAKEFILE, FileKind.DOCKERFILE}),
    summary="A deployed service's address setting points at localhost",
    source='seed 004 §2, §13; seed 000 "GitHub Secrets Typo"',
    lesson="Inside a container or cloud machine localhost is the machine itself; NATS and Vault addresses "
           "that defaulted to localhost failed with connection refused once deployed.",
    symptoms=("ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 4222)",
              "connection refused: localhost:8200"),
    options=data_options("address-suffixes", "name suffixes of service-address settings")
    + data_options("ignored-tokens", "name tokens of settings that are not service addresses"),
    tags=("compose", "fly", "kubernetes", "ci", "networking"),
)

# `${NAME:-default}` with a local host somewhere in the default: a cheap filter before lexing shell.
SHELL_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?[-=][^}]*(?:localhost|127\.0\.0\.1|::1|0\.0\.0\.0)")
URL_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^/@\s,]*@)?(\[[^\]]*\]|[^:/?#\s,'\"]*)")


class _Names:
    def __init__(self, ctx: Context) -> None:
        data = load_data("service_addresses")
        self.suffixes = {s.lower() for s in merged(list(data["suffixes"]), ctx.options, "address-suffixes")}
        self.ignored = {s.lower() for s in merged(list(data["ignored-tokens"]), ctx.options, "ignored-tokens")}
        self.hosts = {h.lower() for h in data["hosts"]}
        self.bind_hosts = {h.lower() for h in data["bind-hosts"]}

    def is_address(self, name: str) -> bool:
        tokens = [t for t in re.split(r"[_.\-]", name.lower()) if t]
        return bool(tokens) and tokens[-1] in self.suffixes and not self.ignored & set(tokens)

    def local_host(self, value: str) -> str | None:
        """The local host written in ``value`` (a URL's host or the whole value), else None."""
        for match in URL_HOST.finditer(value):
            host = match.group(1).lower()
            if host in self.hosts or host.startswith("127."):
                return match.group(1)
        if "://" in value:
            return None
        bare = value.strip().strip("'\"")
        host = bare if bare.startswith("[") else bare.rsplit(":", 1)[0] if bare.count(":") == 1 else bare
        if host.lower() in self.hosts and host.lower() not in self.bind_hosts:
            return host
        return None


def _port_of(value: str, host: str) -> str | None:
    at = value.find(host)
    if at < 0:
        return None
    match = re.match(r":(\d+)", value[at + len(host):])
    return match.group(1) if match else None


def _effective(text: str) -> str:
    """A compose value with interpolation defaults filled in (references without one are blanked)."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", text)


def _message(name: str, host: str, where: str) -> str:
    return (f"{name} points at {host}{where}, which is the container itself once deployed; use the service's "
            "name or injected address (and fail fast when it is missing)")


# -- compose --------------------------------------------------------------------------------------
def _own_address(service: Service, name: str, value: str, host: str) -> bool:
    port = _port_of(value, host)
    if port and any(p.text == port for p in service.ports):
        return True
    prefix = re.split(r"[_.\-]", name.lower())[0]
    image = (service.image_name or "").rsplit("/", 1)[-1]
    return bool(prefix) and (prefix in service.name.lower() or (bool(image) and prefix in image))


def _published_ports(services: Iterable[Service], repo: Repository) -> set[str]:
    """Host ports the configuration publishes (`"5001:5000"` -> 5001): `http://localhost:5001` is then
    the address a browser on the host uses (a public base URL), not one a container connects to."""
    found: set[str] = set()
    for service in services:
        for port in service.ports:
            doc = repo.loaded(port.span.path)
            if doc is None:
                continue
            raw = doc.line_text(port.span.line)[port.span.column - 1:].strip().lstrip("-").strip().strip("\"'")
            parts = raw.split("/", 1)[0].split(":")
            if len(parts) >= 2 and parts[-2].isdigit():
                found.add(parts[-2])
    return found


def _compose(repo: Repository, names: _Names) -> list[tuple[Span, str | None]]:
    candidates: list[tuple[Span, str | None]] = []
    for configuration in repo.fact(compose_model):
        for service in configuration.services.values():
            mode = (service.network_mode.text or "") if service.network_mode else ""
            for name, value in service.environment.items():
                if value.text is None or not names.is_address(name) or is_local_only_path(value.span.path):
                    continue
                effective = _effective(value.text)
                host = names.local_host(effective)
                if host is None:
                    continue
                span = _host_span(value.span, host, repo)
                published = _published_ports(configuration.services.values(), repo)
                if mode == "host" or mode.startswith(("service:", "container:")) or \
                        _own_address(service, name, effective, host) or _port_of(effective, host) in published:
                    candidates.append((span, None))
                    continue
                default = " (the default when it is unset)" if "${" in value.text else ""
                candidates.append((span, _message(f"`{name}` of service `{service.name}`", host, default)))
    return candidates


def _host_span(span: Span, host: str, repo: Repository) -> Span:
    doc = repo.loaded(span.path)
    if doc is None:
        return span
    return text_span(doc, span, host)  # type: ignore[arg-type]


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    for span, message in settled(_compose(repo, _Names(ctx))):
        yield ctx.finding(span, message)


# -- one document at a time ---------------------------------------------------------------------
def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if is_local_only_path(doc.path):
        return
    names = _Names(ctx)
    if doc.kind is FileKind.FLY_TOML:
        yield from _fly(doc, ctx, names)
    elif doc.kind is FileKind.KUBERNETES and isinstance(doc, YamlDocument):
        yield from _kubernetes(doc, ctx, names)
    elif doc.kind is FileKind.WORKFLOW and isinstance(doc, YamlDocument):
        yield from _workflow(doc, ctx, names)
    if doc.kind in (FileKind.SHELL, FileKind.MAKEFILE, FileKind.DOCKERFILE, FileKind.WORKFLOW):
        yield from _shell_defaults(doc, ctx, names)


def _fly(doc: Any, ctx: Context, names: _Names) -> Iterator[Finding]:
    env = doc.get("env")
    if not isinstance(env, Mapping):
        return
    for key, value in env.items():
        if not isinstance(value, str) or not names.is_address(str(key)):
            continue
        host = names.local_host(value)
        if host:
            span = text_span(doc, doc.key_span("env", str(key)), host)
            yield ctx.finding(span, _message(f"`{key}` in [env]", host, ""))


def _env_mapping(doc: YamlDocument, env: Any, names: _Names, where: str) -> Iterator[tuple[Span, str]]:
    if not isinstance(env, Mapping):
        return
    for key, value in env.items():
        name, text = scalar_text(key), scalar_text(value)
        if not name or not text or isinstance(value, (dict, list)) or not names.is_address(name):
            continue
        host = names.local_host(text)
        if host:
            yield text_span(doc, doc.value_span(env, key), host), _message(f"`{name}` in {where}", host, "")


def _workflow(doc: YamlDocument, ctx: Context, names: _Names) -> Iterator[Finding]:
    root = doc.root
    if not isinstance(root, Mapping):
        return
    jobs = root.get("jobs") if isinstance(root.get("jobs"), Mapping) else {}
    plain_jobs = [job for job in jobs.values() if isinstance(job, Mapping) and not job.get("services")]
    if plain_jobs or not jobs:
        for span, message in _env_mapping(doc, root.get("env"), names, "the workflow env"):
            yield ctx.finding(span, message)
    for job in plain_jobs:
        for span, message in _env_mapping(doc, job.get("env"), names, "the job env"):
            yield ctx.finding(span, message)
        steps = job.get("steps")
        for step in steps if isinstance(steps, list) else ():
            if isinstance(step, Mapping):
                for span, message in _env_mapping(doc, step.get("env"), names, "the step env"):
                    yield ctx.finding(span, message)


def _kubernetes(doc: YamlDocument, ctx: Context, names: _Names) -> Iterator[Finding]:
    for root in doc.documents:
        for spec in walk_mappings(root):
            containers = spec.get("containers")
            if not isinstance(containers, list) or spec.get("hostNetwork") is True:
                continue
            init = spec.get("initContainers")
            sidecars = [c for c in init if isinstance(c, Mapping) and c.get("restartPolicy") == "Always"] \
                if isinstance(init, list) else []
            if len(containers) + len(sidecars) > 1:
                continue  # containers of one pod share its network: localhost reaches the sidecar
            for container in containers:
                env = container.get("env") if isinstance(container, Mapping) else None
                for item in env if isinstance(env, list) else ():
                    if not isinstance(item, Mapping):
                        continue
                    name, value = scalar_text(item.get("name")), item.get("value")
                    text = scalar_text(value)
                    if not name or not text or isinstance(value, (dict, list)) or not names.is_address(name):
                        continue
                    host = names.local_host(text)
                    if host:
                        span = text_span(doc, doc.value_span(item, "value"), host)
                        yield ctx.finding(span, _message(f"`{name}` in container env", host, ""))


# -- shell defaults: ${NAME:-http://localhost:8200} ---------------------------------------------
def _in_ci_job_with_services(cmd: Command) -> bool:
    """A CI job's `services:` containers are reached on localhost legitimately."""
    job = cmd.step.job.node if cmd.step is not None and cmd.step.job is not None else None
    return isinstance(job, Mapping) and bool(job.get("services"))


def _shell_defaults(doc: Document, ctx: Context, names: _Names) -> Iterator[Finding]:
    if not SHELL_DEFAULT.search(doc.text):
        return
    seen: set[Span] = set()
    # Statements, not just commands: `VAULT_ADDR="${VAULT_ADDR:-http://localhost:8200}"` assigns only.
    for statement in ctx.repo.statements(doc):
        if _in_ci_job_with_services(statement):
            continue
        shell = statement.shell
        words: list[Word] = list(shell.argv) + [w for _, w in shell.assignments]
        for word in words:
            for name, default in word.defaults:
                if not names.is_address(name):
                    continue
                host = names.local_host(default)
                if not host:
                    continue
                span = _default_span(word, default, host)
                if span not in seen:
                    seen.add(span)
                    yield ctx.finding(span, _message(f"the default of ${{{name}}}", host,
                                                     " when the variable is unset"))


def _default_span(word: Word, default: str, host: str) -> Span:
    span = word.span
    at = word.raw.find(default)
    if at < 0 or (span.end_line or span.line) != span.line:
        return span
    at += default.find(host)
    return Span(span.path, span.line, span.column + at, span.line, span.column + at + len(host))
