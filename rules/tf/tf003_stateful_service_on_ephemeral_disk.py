"""## What it catches
A compute resource (`digitalocean_droplet`, `aws_instance`, `google_compute_instance`,
`azurerm_linux_virtual_machine`, `hcloud_server`, `linode_instance`, ...) whose boot script
installs or starts a stateful service (Vault, PostgreSQL, MySQL/MariaDB, MongoDB, `redis-server`,
Elasticsearch, MinIO, etcd, ...) while nothing in its Terraform module attaches a persistent volume
to it. The boot script is read from:

- `user_data` / `custom_data` / `metadata_startup_script` / `metadata` (inline strings and heredocs);
- files loaded with `file("${path.module}/cloud-init.yaml")` or `templatefile(...)`, also through
  `data "template_file"` / `data "cloudinit_config"`, `local.x` and `var.x` defaults;
- `provisioner "remote-exec"` `inline` commands and `script`/`scripts` files.

"Installs or starts" means a package install (`apt-get install -y vault`, `dnf install
postgresql-server`, cloud-init `packages:`), `systemctl enable|start`, `service X start`,
`docker run` of such an image (`hashicorp/vault`, `postgres:16`), or running the server
(`vault server`, `mongod`, `redis-server`). Client packages (`postgresql-client`, `redis-tools`)
and a `VAULT_ADDR` pointing at a Vault elsewhere are not services.

Persistent storage is `volume_ids` on a droplet, `digitalocean_volume_attachment`,
`aws_volume_attachment`, an `ebs_block_device` with `delete_on_termination = false` (AWS deletes
it with the instance by default), `attached_disk` / `google_compute_attached_disk`,
`hcloud_volume_attachment` or `hcloud_volume` with `server_id`, `linode_volume` with `linode_id`,
`azurerm_virtual_machine_data_disk_attachment`. An attachment that names no compute resource of
the module (a variable, a module output) counts for every one of them.

What it cannot see: a compose file or image started by the script (`docker compose up`); where the
service actually keeps its data (a volume may be attached but unused); templates whose extension
preflight does not discover (`.tpl`, `.tftpl` files are not read; `.sh`, `.yaml`, `.yml` are), and
cloud-init YAML that does not parse.

## Why it matters
From the 42Bros post-mortem (seed 000, "Vault Data on Ephemeral Storage"): Vault was installed by
the droplet's cloud-init and kept its data on the droplet's local disk. A `terraform apply` that
resized the droplet replaced it, and every secret was gone for good. The droplet's disk lives and
dies with the droplet; a data directory must live on a block storage volume that survives the
machine (and carries `prevent_destroy`, see TF001), mounted before the service starts.

## Example
```hcl
# infra/main.tf
resource "digitalocean_droplet" "vault" {
  name      = "vault-prod"
  image     = "ubuntu-24-04-x64"
  size      = "s-1vcpu-2gb"
  region    = "ams3"
  user_data = <<-EOT
    #!/bin/bash
    apt-get install -y vault
    systemctl enable --now vault
  EOT
}
```

## Use instead
```hcl
# infra/main.tf
resource "digitalocean_droplet" "vault" {
  name      = "vault-prod"
  image     = "ubuntu-24-04-x64"
  size      = "s-1vcpu-2gb"
  region    = "ams3"
  user_data = <<-EOT
    #!/bin/bash
    mount /dev/disk/by-id/scsi-0DO_Volume_vault-data /opt/vault/data
    apt-get install -y vault
    systemctl enable --now vault
  EOT
}

resource "digitalocean_volume" "vault_data" {
  name   = "vault-data"
  region = "ams3"
  size   = 10

  lifecycle {
    prevent_destroy = true
  }
}

resource "digitalocean_volume_attachment" "vault_data" {
  droplet_id = digitalocean_droplet.vault.id
  volume_id  = digitalocean_volume.vault_data.id
}
```

## Fix
Create a block storage volume for the service's data directory, attach it to the machine in the
same module, mount it (by id, in `/etc/fstab` or cloud-init `mounts:`) before the service starts,
point the service's storage path at it, and protect the volume with `prevent_destroy` (TF001).
Then test a restore from backup before resizing or replacing the machine.

The tables are data (`rules/data/stateful_services.toml`); replace or extend them:

```toml
[tool.preflight.rules.TF003]
extend-stateful-services = ["ledgerd"]
extend-compute-types = { "proxmox_vm_qemu" = ["cicustom"] }
```
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from preflight.data import data_options, load_data, merged
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight_rules.tf.facts import (META_KEYS, Module, Resource, is_false, nested_blocks, strings,
                                      terraform_modules)

RULE = RuleMeta(
    id="TF003",
    name="stateful-service-on-ephemeral-disk",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.TERRAFORM}),  # files named by file()/templatefile() are parsed on demand
    summary="A machine runs a stateful service with no persistent volume attached",
    source='seed 000 "Vault Data on Ephemeral Storage"',
    lesson="Vault kept its data on the droplet's own disk and a terraform apply that replaced the "
           "droplet deleted every secret; stateful services need an attached persistent volume.",
    symptoms=("Vault data lost when droplet is destroyed or resized via Terraform",
              "forces replacement"),
    options=(*data_options("stateful-services", "list of stateful service words"),
             *data_options("compute-types", "table of compute resource types and their boot-script attributes")),
    tags=("terraform", "data-loss", "cloud-init"),
)

_REFERENCE = re.compile(r"\b(data\.[A-Za-z0-9_]+\.[A-Za-z0-9_-]+|local\.[A-Za-z0-9_-]+|var\.[A-Za-z0-9_-]+)")
_INSTALL = re.compile(r"\b(?:apt-get|apt|yum|dnf|apk|zypper|snap|brew)\b[^;&|\n]*?\b(?:install|add)\b"
                      r"([^;&|\n]*)")
_SYSTEMCTL = re.compile(r"\bsystemctl\s+(?:--\S+\s+)*(?:enable|start|restart)\b([^;&|\n]*)")
_SERVICE = re.compile(r"\bservice\s+(\S+)\s+(?:start|restart)\b")
_DOCKER_RUN = re.compile(r"\b(?:docker|podman)\s+(?:container\s+)?run\b([^;&|\n]*)")
_DOCKER_ARG_OPTIONS = frozenset({
    "-e", "-p", "-v", "-w", "-u", "-h", "-l", "-m", "--name", "--env", "--publish", "--volume", "--network",
    "--net", "--restart", "--user", "--workdir", "--entrypoint", "--label", "--mount", "--env-file", "--hostname",
    "--memory", "--cpus", "--log-driver", "--log-opt", "--add-host", "--platform", "--pull", "--expose",
    "--health-cmd", "--ulimit", "--cap-add", "--cap-drop", "--device", "--dns", "--tmpfs", "--shm-size"})
_PUNCTUATION = re.compile(r"[\[\],\"'`]")
_VERSION = re.compile(r"(?:[=:@].*|-(?:\d|\$\{?[A-Za-z_])[\w.~+${}-]*|\.service)$")
# Server programs run directly: name -> (service word, subcommand that starts the server or None).
_SERVERS = {"vault": ("vault", "server"), "consul": ("consul", "agent"), "minio": ("minio", "server"),
            "mongod": ("mongod", None), "redis-server": ("redis-server", None), "postgres": ("postgres", None),
            "mysqld": ("mysql", None), "mariadbd": ("mariadb", None), "etcd": ("etcd", None),
            "clickhouse-server": ("clickhouse-server", None), "nats-server": ("nats-server", None),
            "influxd": ("influxdb", None)}


@dataclass(frozen=True)
class Started:
    service: str
    where: str  # "user_data", "cloud-init.yaml:4", "remote-exec"


def _files_by_path(repo: Any) -> dict[str, Any]:
    return {ref.path: ref for ref in repo.files}


def check_repository(repo: Any, ctx: Context) -> Iterator[Finding]:
    data = load_data("stateful_services")
    services = {s.lower() for s in merged(list(data["services"]), ctx.options, "stateful-services")}
    computes = merged(dict(data["compute_types"]), ctx.options, "compute-types")
    for module in terraform_modules(repo):
        resources = module.resources()
        compute = [r for r in resources if r.type in computes]
        if not compute:
            continue
        attached = _attached(module, resources, compute, data)
        for resource in compute:
            if resource.address in attached:
                continue
            started = starts_service(resource, module, computes[resource.type], services, repo)
            if started is None:
                continue
            yield ctx.finding(resource.span, f"{resource.address} runs {started.service} ({started.where}) but no "
                                             "persistent volume is attached to it in this module; its data dies "
                                             "with the machine: attach a volume and keep the data there")


# -- persistent storage -----------------------------------------------------------------------------
def _attached(module: Module, resources: list[Resource], compute: list[Resource], data: Any) -> set[str]:
    """Addresses of the compute resources that have persistent storage attached."""
    attached: set[str] = set()
    for resource in compute:
        if _inline_storage(resource.block.body, data):
            attached.add(resource.address)
    attachments = data["attachments"]
    for resource in resources:
        attribute = attachments.get(resource.type)
        if not isinstance(attribute, str) or attribute not in resource.block.body:
            continue
        text = " ".join(strings(resource.block.body[attribute]))
        named = {c.address for c in compute if re.search(rf"\b{re.escape(c.address)}\b", text)}
        attached |= named or {c.address for c in compute}
    return attached


def _inline_storage(body: Any, data: Any) -> bool:
    for name in data["inline"]:
        value = body.get(name)
        if name == "ebs_block_device":
            if any(is_false(b.get("delete_on_termination")) for b in nested_blocks(body, name)):
                return True
        elif any(True for _ in nested_blocks(body, name)):
            return True  # a nested block (attached_disk { ... }), also from a dynamic block
        elif (isinstance(value, str) and value.strip()) or (isinstance(value, list) and value):
            return True  # volume_ids = [...] or an expression we cannot see into
    return False


# -- what the machine runs --------------------------------------------------------------------------
def starts_service(resource: Resource, module: Module, attributes: Any, services: set[str],
                    repo: Any) -> Started | None:
    body = resource.block.body
    sources: list[tuple[str, Any]] = []
    for attribute in attributes if isinstance(attributes, list) else []:
        if attribute in body:
            sources.append((attribute, body[attribute]))
    for provisioner in body.get("provisioner", []) if isinstance(body.get("provisioner"), list) else []:
        remote = provisioner.get("remote-exec") if isinstance(provisioner, dict) else None
        if isinstance(remote, dict):
            sources.append(("remote-exec", remote.get("inline")))
            for key in ("script", "scripts"):
                for path in strings(remote.get(key)):
                    sources.append(("remote-exec", f'${{file("{path}")}}'))
    for label, value in sources:
        found = _scan(value, label, module, services, repo, depth=0)
        if found is not None:
            return found
    return None


def _scan(value: Any, label: str, module: Module, services: set[str], repo: Any, depth: int) -> Started | None:
    if depth > 4:
        return None
    for text in strings(value):
        service = _service_in(text, services)
        if service is not None:
            return Started(service, label)
        for path in _file_paths(text):
            found = _scan_file(module.path(path), module, services, repo)
            if found is not None:
                return found
        for reference in _REFERENCE.findall(text):
            found = _scan(_resolve(reference, module), label, module, services, repo, depth + 1)
            if found is not None:
                return found
    return None


def _file_paths(text: str) -> list[str]:
    from preflight_rules.tf.facts import file_references

    return file_references(text)


def _resolve(reference: str, module: Module) -> Any:
    kind, _, rest = reference.partition(".")
    if kind == "local":
        return module.locals().get(rest)
    if kind == "var":
        found = module.variables().get(rest)
        return found[1].body.get("default") if found else None
    source_type, _, name = rest.partition(".")
    for source in module.data_sources():
        if source.type == source_type and source.name == name:
            return {k: v for k, v in source.block.body.items() if k not in META_KEYS}
    return None


def _scan_file(path: str, module: Module, services: set[str], repo: Any) -> Started | None:
    ref = repo.fact(_files_by_path).get(path) if path else None
    if ref is None:
        return None
    doc = repo.document(ref)
    if doc is None:
        return None
    for number, line in enumerate(doc.lines, start=1):
        service = _service_in(line, services)
        if service is not None:
            return Started(service, f"{posixpath.relpath(path, module.directory or '.')}:{number}")
    return None


def _image(words: list[str]) -> str | None:
    """The image of ``docker run [OPTIONS] IMAGE [COMMAND]``: the first word not an option or its value."""
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = "=" not in word and word in _DOCKER_ARG_OPTIONS
        else:
            return word
    return None


def _service_in(text: str, services: set[str]) -> str | None:
    """The stateful service a script installs or starts, judged line by line."""
    for raw in text.split("\n"):
        line = _PUNCTUATION.sub(" ", raw.split("#", 1)[0] if not raw.lstrip().startswith("#!") else "")
        words = line.split()
        if not words:
            continue
        candidates: list[str] = []
        for pattern in (_INSTALL, _SYSTEMCTL):
            for match in pattern.finditer(line):
                candidates.extend(match.group(1).split())
        for match in _DOCKER_RUN.finditer(line):
            image = _image(match.group(1).split())
            if image:
                candidates.append(image)
        candidates.extend(m.group(1) for m in _SERVICE.finditer(line))
        if words[0] == "-" and len(words) == 2:  # a cloud-init `packages:` entry
            candidates.append(words[1])
        first = words[1] if words[0] == "sudo" and len(words) > 1 else words[0]
        server = _SERVERS.get(first.rsplit("/", 1)[-1])
        following = words[words.index(first) + 1:]
        if server is not None and (server[1] is None or following[:1] == [server[1]]) and server[0] in services:
            return server[0]
        for word in candidates:
            if word.startswith("-"):
                continue
            name = _VERSION.sub("", word.rsplit("/", 1)[-1].lower())
            if name in services:
                return name
    return None
