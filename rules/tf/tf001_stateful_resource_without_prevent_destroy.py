"""## What it catches
A Terraform resource that holds data with no `lifecycle { prevent_destroy = true }`:

- block volumes and disks (`digitalocean_volume`, `aws_ebs_volume`, `google_compute_disk`,
  `azurerm_managed_disk`, `hcloud_volume`, `linode_volume`, ...);
- managed databases and file systems (`aws_db_instance`, `aws_rds_cluster`, `aws_dynamodb_table`,
  `aws_efs_file_system`, `digitalocean_database_cluster`, `google_sql_database_instance`,
  `azurerm_postgresql_flexible_server`, ...);
- object storage buckets that hold state, secrets or backups: an `aws_s3_bucket`,
  `google_storage_bucket`, `digitalocean_spaces_bucket`, ... whose `bucket`/`name` or resource
  label contains a word such as `tfstate`, `state`, `vault`, `backup` as a whole token.

A resource with `count = 0` or `for_each` is still declared and still checked. `prevent_destroy`
written as the string `"true"` counts. The provider's own deletion protection counts too where it
exists (`deletion_protection = true` on `aws_db_instance`; `google_sql_database_instance` is
protected unless it says `deletion_protection = false`); a deletion protection given by an expression
(`deletion_protection = var.deletion_protection` in a reusable module) is the caller's choice and
passes.

Not flagged: compute resources (droplets, instances: see TF003), `data` sources, buckets for
assets, logs or uploads, caches (`aws_elasticache_*`: losing a cache costs a warm-up, not data).

`prevent_destroy = var.protect` or `local.protect`: Terraform rejects any reference in a
`lifecycle` block ("Variables may not be used here"); OpenTofu evaluates it. The rule resolves a
literal variable default or local value: `true` passes, anything else (no default, `false`, an
expression) is reported.

## Why it matters
From the 42Bros post-mortem (seed 000, "Vault Data on Ephemeral Storage"): Vault stored its data
on the droplet's local disk, and a `terraform apply` that resized and so replaced the droplet
permanently deleted every secret. The fix was a block storage volume for the data, and on that
volume `lifecycle { prevent_destroy = true }`, so that no plan can delete it: Terraform stops with
`Instance cannot be destroyed` instead of destroying the data. Without it, a renamed resource, a
changed attribute that forces replacement, or a `terraform destroy` in the wrong workspace
deletes the volume, database or state bucket together with everything in it.

## Example
```hcl
# infra/main.tf
resource "digitalocean_volume" "vault_data" {
  name   = "vault-data-prod"
  region = var.do_region
  size   = 10
}
```

## Use instead
```hcl
# infra/main.tf
resource "digitalocean_volume" "vault_data" {
  name   = "vault-data-prod"
  region = var.do_region
  size   = 10

  lifecycle {
    prevent_destroy = true
  }
}
```

## Fix
Add `lifecycle { prevent_destroy = true }` to the resource (a literal `true`: Terraform evaluates
lifecycle arguments before variables). To really delete it later, remove the line in a reviewed
change first. Also turn on the provider's deletion protection where there is one
(`deletion_protection = true`) and keep backups: `prevent_destroy` does not stop a deletion made
outside Terraform.

`preflight check --fix` adds `prevent_destroy = true` where it is missing: into the resource's
`lifecycle` block when it has one, else as a new `lifecycle` block before the resource's closing
brace, indented like the block's body. It leaves alone a `prevent_destroy` that is written
(`false`, or a reference): that was someone's choice, to be changed by hand.

The lists are data (`rules/data/stateful_resources.toml`); replace or extend them:

```toml
[tool.preflight.rules.TF001]
extend-resource-types = ["acme_ledger_volume"]
extend-bucket-types = ["wasabi_bucket"]
extend-bucket-words = ["ledger"]
```
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from preflight.data import data_options, load_data, merged
from preflight.documents.base import Document
from preflight.documents.hcl import Block, HclDocument
from preflight.model import Edit, FileKind, Finding, Fix, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.tf.facts import (Module, Resource, is_false, is_true, nested_blocks, terraform_modules,
                                      tokens)

RULE = RuleMeta(
    id="TF001",
    name="stateful-resource-without-prevent-destroy",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.TERRAFORM}),
    summary="A Terraform resource that holds data has no lifecycle prevent_destroy",
    source='seed 000 "Vault Data on Ephemeral Storage"',
    lesson="A terraform apply that replaced the droplet deleted Vault's data; volumes, databases and "
           "state buckets need lifecycle { prevent_destroy = true }.",
    symptoms=("Vault data lost when droplet is destroyed or resized via Terraform",
              "must be replaced",
              "forces replacement"),
    options=(*data_options("resource-types", "list of data-holding resource types"),
             *data_options("bucket-types", "list of object storage resource types"),
             *data_options("bucket-words", "list of words naming a state/secret/backup bucket")),
    tags=("terraform", "data-loss", "lifecycle"),
    fixable=True,
)

BUCKET_NAME_ATTRIBUTES = ("bucket", "name", "bucket_prefix")


def _lists(ctx: Context) -> tuple[set[str], set[str], set[str]]:
    data = load_data("stateful_resources")
    return (set(merged(list(data["resource_types"]), ctx.options, "resource-types")),
            set(merged(list(data["bucket_types"]), ctx.options, "bucket-types")),
            {w.lower() for w in merged(list(data["bucket_words"]), ctx.options, "bucket-words")})


def _modules(repo: Any) -> dict[str, Module]:
    return {m.directory: m for m in terraform_modules(repo)}


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, HclDocument) or not doc.path.endswith(".tf"):
        return
    module = ctx.repo.fact(_modules).get(posixpath.dirname(doc.path))
    if module is None:
        return
    types, bucket_types, words = _lists(ctx)
    for block in doc.blocks("resource"):
        if len(block.labels) < 2:
            continue
        resource = Resource(doc, block)
        if resource.type in types:
            what = "holds data"
        elif resource.type in bucket_types and _names_state_bucket(resource, module, words):
            what = "is a bucket for state, secrets or backups"
        else:
            continue
        problem = _unprotected(resource, module)
        if problem is not None:
            yield ctx.finding(resource.span, f"{resource.address} {what} but {problem}; a replacing or "
                                             "destroying apply deletes the data: add `lifecycle { "
                                             "prevent_destroy = true }`", fix=_fix(doc, resource.block))


def _indent(text: str) -> str:
    return text[:len(text) - len(text.lstrip())]


def _body_indent(doc: HclDocument, first: int, last: int, outer: str) -> str:
    """The indentation of the first non-blank line between ``first`` and ``last`` (exclusive)."""
    for number in range(first + 1, last):
        text = doc.line_text(number)
        if text.strip() and not text.lstrip().startswith(("#", "//")):
            inner = _indent(text)
            if len(inner) > len(outer) and inner.startswith(outer):
                return inner
            break
    return outer + "  "


def _fix(doc: HclDocument, block: Block) -> Fix | None:
    """Add `prevent_destroy = true`: into the resource's one `lifecycle` block, or a new one.

    Only when the braces that close the block stand alone on their lines, and never where
    prevent_destroy is written (false or a reference: a choice someone made, not an omission).
    """
    body = block.body
    if "dynamic" in body or "prevent_destroy" in str(body.get("lifecycle", "")):
        return None
    lifecycles = body.get("lifecycle")
    closing = doc.line_text(block.end_line)
    if block.end_line <= block.line or closing.strip() != "}":
        return None
    outer = _indent(doc.line_text(block.line))
    inner = _body_indent(doc, block.line, block.end_line, outer)
    if lifecycles is None:
        before = doc.line_text(block.end_line - 1)
        gap = "\n" if block.end_line - 1 > block.line and before.strip() else ""
        unit = inner[len(outer):] or "  "
        text = f"{gap}{inner}lifecycle {{\n{inner}{unit}prevent_destroy = true\n{inner}}}\n"
        return Fix("add lifecycle { prevent_destroy = true }",
                   (Edit(Span(doc.path, block.end_line, 1, block.end_line, 1), text),))
    if not (isinstance(lifecycles, list) and len(lifecycles) == 1 and isinstance(lifecycles[0], dict)):
        return None
    start, end = lifecycles[0].get("__start_line__"), lifecycles[0].get("__end_line__")
    if not isinstance(start, int) or not isinstance(end, int) or end <= start or \
            doc.line_text(end).strip() != "}" or not doc.line_text(start).strip().startswith("lifecycle"):
        return None
    own = _indent(doc.line_text(start))
    text = f"{_body_indent(doc, start, end, own)}prevent_destroy = true\n"
    return Fix("add prevent_destroy = true to the lifecycle block",
               (Edit(Span(doc.path, end, 1, end, 1), text),))


def _names_state_bucket(resource: Resource, module: Module, words: set[str]) -> bool:
    names = [resource.name]
    for attribute in BUCKET_NAME_ATTRIBUTES:
        value = module.literal(resource.block.body.get(attribute))
        if isinstance(value, str):
            names.append(value)
    return any(words.intersection(tokens(name)) for name in names)


def _unprotected(resource: Resource, module: Module) -> str | None:
    """Why the resource is not protected, or None if it is."""
    said = None
    for lifecycle in nested_blocks(resource.block.body, "lifecycle"):
        if "prevent_destroy" not in lifecycle:
            continue
        written = lifecycle["prevent_destroy"]
        value = module.literal(written)
        if is_true(value):
            return None
        if isinstance(written, str) and written.startswith("${"):
            shown = written[2:-1] if written.endswith("}") else written
            said = (f"its prevent_destroy is `{shown}`, which is not a literal true (Terraform rejects "
                    "references here: Variables may not be used here)")
        else:
            said = "it sets prevent_destroy = false"
    protection = load_data("stateful_resources")["deletion_protection"].get(resource.type)
    if isinstance(protection, list) and len(protection) == 2:
        attribute, by_default = protection
        written = resource.block.body.get(attribute)
        if isinstance(written, str) and written.startswith("${"):
            return None  # deletion protection set by the caller (a module input): not ours to judge
        value = written if attribute in resource.block.body else None
        if is_true(value) or (by_default and attribute not in resource.block.body):
            return None
        if is_false(value) and said is None:
            said = f"it sets {attribute} = false and has no prevent_destroy"
    return said or "it has no lifecycle prevent_destroy"


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (_modules,)
