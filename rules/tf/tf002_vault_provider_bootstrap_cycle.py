"""## What it catches
A Terraform root module (a directory of `.tf` files that no other module uses as a local
`source`) that reads secrets from Vault (`provider "vault"` or `data "vault_*"` blocks) and

- takes a cloud provider's credentials from Vault: `provider "digitalocean" { token =
  data.vault_generic_secret.do.data["token"] }`, AWS `access_key`/`secret_key`, `hcloud` /
  `cloudflare` tokens, also through a `local` that reads `data.vault_*`; or
- builds the infrastructure Vault itself runs on: a compute resource whose label, `name`, tags or
  boot script name Vault (a droplet whose cloud-init installs `vault`), a volume named for Vault,
  or a `module "vault"`.

The finding points at the attribute that takes a value from Vault in the cloud provider block or
in Vault's host; where the host takes nothing from Vault, at the `provider "vault"` block (or the
first `data "vault_*"` block). In a module with such a cycle, each Vault variable with no default
(`variable "vault_role_id" {}`, or a variable the `provider "vault"` block reads) is reported too.

A local child module (`module "secrets" { source = "./modules/secrets" }`) is planned with its
root: when the root builds Vault's host and only a child reads Vault, the finding points at the
child's `provider "vault"` or first `data "vault_*"` block.

Not flagged: a module that reads Vault but builds neither Vault's host nor takes its cloud
credentials from Vault (an app module reading its database password), a module that builds Vault
without reading from it, and `provider "vault"` values from variables.

What it cannot see: a Vault host built by a module from a registry or another repository
(only a `module` named for Vault is recognised), and Vault reached through remote state.

## Why it matters
From the 42Bros post-mortem (seed 000, "Terraform/Vault Circular Dependency (DR
Vulnerability)"): Terraform read its secrets, the DigitalOcean token among them, from Vault, and
Vault ran on a droplet that same Terraform managed. When Vault was gone, Terraform could not even
plan the rebuild:

    context deadline exceeded
    Error reading from Vault: connection refused

The Vault provider and every `data "vault_*"` block are read during planning, so a configuration
that needs Vault cannot create Vault. Recovery meant commenting out the provider and all the
`data.vault_kv_secret_v2` blocks, adding `default = ""` to the Vault variables, finding the cloud
token somewhere outside Vault, applying, restoring Vault from backup, and re-enabling it all.

## Example
```hcl
# infra/main.tf
provider "vault" {
  address = "https://vault.example.com:8200"
}

data "vault_generic_secret" "do" {
  path = "secret/digitalocean"
}

provider "digitalocean" {
  token = data.vault_generic_secret.do.data["token"]
}
```

## Use instead
```hcl
# infra/main.tf
variable "do_token" {
  type      = string
  sensitive = true
}

provider "digitalocean" {
  token = var.do_token
}
```

## Fix
Keep bootstrap credentials (the cloud provider token) outside Vault: an environment variable
(`DIGITALOCEAN_TOKEN`, `TF_VAR_do_token`) from CI secrets or a separate secret manager, with an
offline backup. Put Vault's own infrastructure in a root module that does not read from Vault, and
give Vault variables a default (`default = ""`) so a plan can run while Vault is down. Write the
recovery procedure down in the playbook.

The list of cloud providers is data (`rules/data/vault_bootstrap.toml`); replace or extend it:

```toml
[tool.preflight.rules.TF002]
extend-cloud-providers = ["equinix"]
```
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from preflight.data import data_options, load_data, merged
from preflight.documents.hcl import Block, HclDocument
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.tf.facts import META_KEYS, Module, Resource, attribute_span, strings, terraform_modules, tokens
from preflight_rules.tf.tf003_stateful_service_on_ephemeral_disk import starts_service

RULE = RuleMeta(
    id="TF002",
    name="vault-provider-bootstrap-cycle",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.TERRAFORM}),
    summary="Terraform needs Vault to plan the infrastructure Vault runs on",
    source='seed 000 "Terraform/Vault Circular Dependency (DR Vulnerability)"',
    lesson="Terraform read its cloud token from Vault while managing Vault's droplet; with Vault gone "
           "no plan could run to rebuild it. Keep bootstrap secrets outside Vault.",
    symptoms=("Error reading from Vault: connection refused", "context deadline exceeded"),
    options=data_options("cloud-providers", "list of providers that build Vault's infrastructure"),
    tags=("terraform", "vault", "disaster-recovery", "secrets"),
)

_LOCAL = re.compile(r"\blocal\.([A-Za-z0-9_-]+)")
_VAR = re.compile(r"\bvar\.([A-Za-z0-9_-]+)")
_VAULT_DATA = re.compile(r"\bdata\.vault_[A-Za-z0-9_]+\.[A-Za-z0-9_-]+")
HOST_ATTRIBUTES = ("name", "tags", "labels", "hostname")


def check_repository(repo: Any, ctx: Context) -> Iterator[Finding]:
    modules = terraform_modules(repo)
    children = _child_modules(modules)
    clouds = set(merged(list(load_data("vault_bootstrap")["cloud_providers"]), ctx.options, "cloud-providers"))
    computes = load_data("stateful_services")["compute_types"]
    volumes = set(load_data("stateful_resources")["resource_types"])
    for module in modules:
        if module.directory in children:
            continue
        vault_provider, vault_data = _vault_reads(module)
        via = ""
        if vault_provider is None and not vault_data:
            # A local child module's Vault reads are planned with its root: the root needs Vault too.
            for child in _descendants(module, modules):
                vault_provider, vault_data = _vault_reads(child)
                if vault_provider is not None or vault_data:
                    via = f" in child module {child.directory}, planned with root module {module.directory or '.'}"
                    break
        if vault_provider is None and not vault_data:
            continue
        from_vault = _vault_reader(module)
        cycle = False
        for doc, block in module.blocks("provider"):
            name = block.labels[0] if block.labels else ""
            if name not in clouds:
                continue
            for key, value in _attributes(block):
                source = from_vault(value)
                if source:
                    cycle = True
                    yield ctx.finding(_where(doc, block, key),
                                      f"provider \"{name}\" takes `{key}` from Vault ({source}); when Vault is down "
                                      "terraform plan fails (Error reading from Vault: connection refused) and "
                                      "cannot rebuild it: keep this credential outside Vault (an environment "
                                      "variable)")
        hosts = _vault_hosts(module, computes, volumes, repo)
        pointed = False
        for host_doc, host_block, address in hosts:
            for key, value in _attributes(host_block):
                source = from_vault(value)
                if source:
                    pointed = cycle = True
                    yield ctx.finding(_where(host_doc, host_block, key),
                                      f"{address} is Vault's own infrastructure but takes `{key}` from Vault "
                                      f"({source}); with Vault gone terraform plan cannot run to rebuild it: "
                                      "pass this value from outside Vault")
        if hosts and not pointed:
            cycle = True
            doc, block = vault_provider if vault_provider else (vault_data[0].doc, vault_data[0].block)
            address = hosts[0][2]
            where = f"{posixpath.basename(hosts[0][0].path)}:{hosts[0][1].line}"
            reads = ("provider \"vault\"" if vault_provider else f"data.{vault_data[0].address}") + via
            yield ctx.finding(doc.block_span(block),
                              f"this module reads from Vault ({reads}) and also builds the infrastructure Vault "
                              f"runs on ({address} at {where}); when Vault is gone terraform plan fails (Error "
                              "reading from Vault: connection refused): move Vault's infrastructure to a root "
                              "module that does not read from Vault")
        if cycle:
            yield from _variables_without_default(module, vault_provider, ctx)


def _vault_reads(module: Module) -> tuple[tuple[HclDocument, Block] | None, list[Resource]]:
    provider = next(((d, b) for d, b in module.blocks("provider") if b.labels[:1] == ("vault",)), None)
    return provider, [r for r in module.data_sources() if r.type.startswith("vault_")]


def _descendants(module: Module, modules: list[Module]) -> list[Module]:
    """The modules ``module`` uses through local ``source`` paths, directly or further down."""
    by_directory = {m.directory: m for m in modules}
    found: list[Module] = []
    stack = [module]
    seen = {module.directory}
    while stack:
        current = stack.pop()
        for _doc, block in current.blocks("module"):
            source = block.body.get("source")
            if isinstance(source, str) and source.startswith(("./", "../")):
                child = by_directory.get(current.path(source))
                if child is not None and child.directory not in seen:
                    seen.add(child.directory)
                    found.append(child)
                    stack.append(child)
    return found


def _child_modules(modules: list[Module]) -> set[str]:
    """Directories used as a local ``source`` by a module block: not root modules."""
    children = set()
    for module in modules:
        for _doc, block in module.blocks("module"):
            source = block.body.get("source")
            if isinstance(source, str) and source.startswith(("./", "../")):
                children.add(module.path(source))
    return children


def _vault_reader(module: Module):  # type: ignore[no-untyped-def]
    """A function telling whether an attribute value comes from Vault, and naming the source."""
    tainted: dict[str, str] = {}
    scope = module.locals()
    for _ in range(4):  # locals built from locals
        for name, value in scope.items():
            if name in tainted:
                continue
            source = _direct(value, tainted)
            if source:
                tainted[name] = source

    def from_vault(value: Any) -> str | None:
        return _direct(value, tainted)

    return from_vault


def _direct(value: Any, tainted: dict[str, str]) -> str | None:
    for text in strings(value):
        match = _VAULT_DATA.search(text)
        if match:
            return match.group(0)
        for name in _LOCAL.findall(text):
            if name in tainted:
                return f"local.{name} = {tainted[name]}"
    return None


def _attributes(block: Block) -> Iterator[tuple[str, Any]]:
    for key, value in block.body.items():
        if key not in META_KEYS and key not in ("lifecycle", "provisioner", "connection"):
            yield key, value


def _where(doc: HclDocument, block: Block, key: str) -> Span:
    return attribute_span(doc, block.line + 1, block.end_line, key) or doc.block_span(block)


def _vault_hosts(module: Module, computes: Any, volumes: set[str], repo: Any) -> list[tuple[HclDocument, Block, str]]:
    hosts: list[tuple[HclDocument, Block, str]] = []
    for resource in module.resources():
        if resource.type in computes:
            if _named_vault(resource) or starts_service(resource, module, computes[resource.type], {"vault"}, repo):
                hosts.append((resource.doc, resource.block, resource.address))
        elif resource.type in volumes and _named_vault(resource):
            hosts.append((resource.doc, resource.block, resource.address))
    for doc, block in module.blocks("module"):
        source = block.body.get("source")
        names = [*block.labels, source if isinstance(source, str) else ""]
        if any("vault" in tokens(n) for n in names):
            hosts.append((doc, block, f"module.{block.labels[0] if block.labels else '?'}"))
    return hosts


def _named_vault(resource: Resource) -> bool:
    texts = [resource.name]
    for key in HOST_ATTRIBUTES:
        texts.extend(t for t in strings(resource.block.body.get(key)) if not t.startswith("${"))
    return any("vault" in tokens(t) for t in texts)


def _variables_without_default(module: Module, vault_provider: tuple[HclDocument, Block] | None,
                               ctx: Context) -> Iterator[Finding]:
    fed = set()
    if vault_provider is not None:
        for text in strings(dict(vault_provider[1].body)):
            fed.update(_VAR.findall(text))
    for name, (doc, block) in sorted(module.variables().items(), key=lambda item: (item[1][0].path, item[1][1].line)):
        if "default" in block.body or not (name in fed or "vault" in tokens(name)):
            continue
        yield ctx.finding(doc.block_span(block),
                          f"Vault variable \"{name}\" has no default: a recovery plan run without Vault stops "
                          "here asking for it; add `default = \"\"` so terraform plan can rebuild Vault")
