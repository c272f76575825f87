"""## What it catches
A Compose service running a stateful image — PostgreSQL, MySQL/MariaDB, MongoDB, Redis with
persistence turned on, Vault, MinIO, Elasticsearch/OpenSearch, RabbitMQ, ClickHouse, InfluxDB,
Neo4j, Cassandra, CouchDB, etcd, NATS JetStream, Kafka, and the Bitnami images of these — with no
named volume or bind mount at the image's data directory (`/var/lib/postgresql/data`,
`/vault/file`, `/data/db`, `/bitnami/postgresql`, ...) or at a parent of it.

Images are recognised with their registry, tag and digest stripped (`docker.io/library/postgres:16`,
`postgres@sha256:...`, `hashicorp/vault:1.15`, `quay.io/minio/minio`). A moved data directory is
followed: `PGDATA=/pgdata/data` in `environment:`, `--dbpath`/`--datadir`/`--dir` in `command:`,
MinIO's `server /export`, NATS's `--store_dir`. A `tmpfs` or an anonymous volume (`- /data`) is
not storage that survives a re-created container. Redis and NATS count only when their command
turns persistence on (`--appendonly yes`, `--save 60 1`, `-js`); Vault's in-memory dev server
(`-dev`, `VAULT_DEV_ROOT_TOKEN_ID`) has nothing to keep, nor have `vault agent` and `vault proxy`
(in `command:` or `entrypoint:`), and a Vault server whose bind-mounted configuration in the
repository names another `storage` (`consul`, `postgresql`, ...) keeps its data there. Services
that only `build:` an image are skipped, and the project's files are merged first: a volume added
by an overlay counts. CI and test stacks (`compose.ci.yaml`, `docker-compose.test.yml`, files
under `.ci/` or `tests/`) hold throwaway data and are not checked.

What it cannot see: a persistence setting in a mounted `redis.conf` (Redis is then not judged),
a data directory moved by a mounted config file, and what a custom image's Dockerfile declares.

## Why it matters
From the 42Bros platform (seed 000, "Vault Data on Ephemeral Storage") and the infrastructure
build-out (seed 003, challenge 2): Vault stored its data on the droplet's local disk, and a
`terraform apply` that resized the droplet deleted every secret for good. In Compose the same
loss is one command away: without a volume the data lives in the container's writable layer (or
an anonymous volume), and `docker compose down`, a re-created container after an image update,
or a new host loses the database.

## Example
```yaml
# docker-compose.yml
services:
  vault:
    image: hashicorp/vault:1.15
    command: server
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/pg
```

## Use instead
```yaml
# docker-compose.yml
services:
  vault:
    image: hashicorp/vault:1.15
    command: server
    volumes:
      - vault-data:/vault/file
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/pg
      PGDATA: /var/lib/postgresql/data/pgdata
    volumes:
      - type: volume
        source: pgdata
        target: /var/lib/postgresql/data
volumes:
  vault-data:
  pgdata:
```

## Fix
Mount a named volume (or a bind mount on persistent host storage) at the data directory, back
it up, and for data that must outlive the host, put the host's disk on a persistent block volume
(with `prevent_destroy` in Terraform) or use a managed database.

The image table is data (`rules/data/stateful_images.toml`); add your own images or replace it:

```toml
[tool.preflight.rules.DC004]
extend-images = { "ghcr.io/acme/ledger" = ["/srv/ledger"] }
```
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.data import data_options, load_data, merged
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.compose.facts import Service, compose_model, is_throwaway_stack_path, settled, under

RULE = RuleMeta(
    id="DC004",
    name="stateful-service-without-volume",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.COMPOSE}),
    summary="A stateful image runs without a volume at its data directory",
    source='seed 000 "Vault Data on Ephemeral Storage"; seed 003 ch. 2',
    lesson="Vault kept its data on ephemeral storage and lost every secret when the host was replaced; "
           "mount persistent storage at every stateful service's data directory.",
    symptoms=("Vault data lost when the container or host is replaced",
              "Vault is not initialized"),
    options=data_options("images", "table of stateful images and their data directories"),
    tags=("compose", "data-loss", "volumes"),
)


def _table(name: str) -> Mapping[str, Any]:
    table = load_data("stateful_images").get(name)
    return table if isinstance(table, Mapping) else {}


def _has_phrase(words: list[str], phrase: str) -> bool:
    parts = phrase.split()
    n = len(parts)
    return any(words[i:i + n] == parts for i in range(len(words) - n + 1))


def _persistence_on(words: list[str], patterns: list[str]) -> bool:
    for index, word in enumerate(words):
        if word == "--save":  # `--save ""` turns snapshots off; `--save 60 1` is a schedule
            following = words[index + 1] if index + 1 < len(words) else ""
            if following.strip(" '\"") and "--save" in patterns:
                return True
    return any(_has_phrase(words, p) for p in patterns if p != "--save")


def _flag_dir(words: list[str], flags: list[str]) -> str | None:
    for index, word in enumerate(words):
        for flag in flags:
            if word.startswith(flag + "="):
                return word[len(flag) + 1:]
            if word == flag:
                rest = [w for w in words[index + 1:] if not w.startswith("-")]
                if rest:
                    return rest[0]
    return None


def _data_dirs(service: Service, image: str, dirs: list[str]) -> tuple[list[str], str]:
    """The directories that must be mounted, and what said so."""
    for variable in _table("data-dir-env").get(image, ()):
        value = service.environment.get(variable)
        if value is not None and value.text and value.text.startswith("/"):
            return [value.text.rstrip("/") or "/"], f"{variable}={value.text}"
    flag_dir = _flag_dir(service.command_texts(), list(_table("data-dir-flags").get(image, ())))
    if flag_dir and flag_dir.startswith("/"):
        return [flag_dir.rstrip("/") or "/"], "its command"
    return list(dirs), "its data directory"


VAULT_IMAGES = frozenset({"vault", "hashicorp/vault"})
VAULT_LOCAL_STORAGE = frozenset({"file", "raft"})


def _vault_storage_elsewhere(repo: Repository, service: Service) -> bool:
    """A Vault server whose bind-mounted configuration (in this repository) keeps its data in another
    service: `storage "consul"`, `"postgresql"`, `"s3"`... Only `file` and `raft` write to the container."""
    types: set[str] = set()
    for mount in service.mounts.values():
        if mount.kind != "bind" or not mount.source or mount.source.startswith(("/", "~", "$")):
            continue
        source = posixpath.normpath(posixpath.join(posixpath.dirname(mount.span.path), mount.source))
        for ref in repo.files_of(FileKind.TERRAFORM):
            if ref.path == source or ref.path.startswith(source.rstrip("/") + "/"):
                from preflight.documents.hcl import HclDocument  # imported only when Terraform sits there

                doc = repo.document(ref)
                if isinstance(doc, HclDocument):
                    types.update(b.labels[0] for b in doc.blocks() if b.type in ("storage", "backend") and b.labels)
    return bool(types) and not types & VAULT_LOCAL_STORAGE


def _judge(service: Service, images: Mapping[str, Any], repo: Repository) -> str | None:
    """None when fine (or not judged), else the problem."""
    image = service.image_name
    if image is None or image not in images or "$" in image:
        return None
    if image in VAULT_IMAGES and _vault_storage_elsewhere(repo, service):
        return None
    words = service.command_texts()
    started = [w.text or "" for w in service.entrypoint] + words  # `entrypoint: vault agent ...` counts
    if any(w in started or w in service.environment for w in _table("ephemeral-when").get(image, ())):
        return None
    patterns = list(_table("persistent-when").get(image, ()))
    if patterns:
        config_mounted = any(m.target.endswith(".conf") for m in service.mounts.values())
        if not _persistence_on(words, patterns):
            return None
        if config_mounted:
            return None
    raw = images[image]
    dirs = [raw] if isinstance(raw, str) else [d for d in raw if isinstance(d, str)]
    wanted, why = _data_dirs(service, image, dirs)
    if any(m.persistent and m.target.startswith("/") and under(d, m.target)
           for d in wanted for m in service.mounts.values()):
        return ""
    shown = " or ".join(wanted)
    lost = [m for m in service.mounts.values() if not m.persistent and any(under(d, m.target) for d in wanted)]
    if lost:
        kind = "a tmpfs" if lost[0].kind == "tmpfs" else "an anonymous volume"
        return (f"`{service.name}` runs {service.image.text} with {kind} at {shown} ({why}); data is lost when the "  # type: ignore[union-attr]
                f"container is re-created; mount a named volume there")
    return (f"`{service.name}` runs {service.image.text} with no volume at {shown} ({why}); data is lost when "  # type: ignore[union-attr]
            f"the container is re-created; mount a named volume or bind mount there")


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    images = merged(_table("images"), ctx.options, "images")
    candidates: list[tuple[Span, str | None]] = []
    for configuration in repo.fact(compose_model):
        if all(is_throwaway_stack_path(path) for path in configuration.files):
            continue  # a CI or test stack's database is meant to be thrown away
        for service in configuration.services.values():
            if service.image is None or not service.image.text:
                continue
            problem = _judge(service, images, repo)
            if problem is None:
                continue
            candidates.append((service.image.span, problem or None))
    for span, message in settled(candidates):
        yield ctx.finding(span, message)
