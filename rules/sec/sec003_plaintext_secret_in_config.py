"""## What it catches
A secret-like setting written in plain text in deployment configuration:

- a Pulumi stack file (`Pulumi.<stack>.yaml`): a `config:` key such as `app:db-password`,
  `vault-s3-secret-key` or `docker-access-token` whose value is a literal instead of
  `secure: <ciphertext>` (nested structured config too);
- a compose `environment:` entry (mapping or `KEY=value` list form) such as
  `POSTGRES_PASSWORD: s3cr3t`;
- `fly.toml` `[env]` keys such as `SECRET_KEY = "..."`;
- a Terraform `variable "db_password"` (or `*_token`, `*_secret_key`, ...) with a literal `default`;
- a Kubernetes container `env:` entry with a secret-like `name:` and a literal `value:` instead of
  `valueFrom: secretKeyRef`.

Names are secret-like by whole tokens (`DB_PASSWORD`, `s3-secret-key`, `BOT_TOKEN`;
not `TOKENIZERS_PARALLELISM` or `PASSWORD_MIN_LENGTH`), from `rules/data/secret_names.toml`; a name
ending in a quantity word (`ACCESS_TOKEN_EXPIRE_MINUTES`, `TOKEN_REFRESH_SECONDS`,
`PASSWORD_MAX_ATTEMPTS`) configures a secret and is not one. Values
that are empty, not strings, file paths (`/run/secrets/db-password`), references (`${DB_PASSWORD}`, `$DB_PASSWORD`, `{{ .Values.x }}`,
`secure:`, `!vault`, `vault:...`, `op://...`, `ENC[...]`) or placeholders (`changeme`, `<token>`,
`your-key-here`, `postgres`; the list is data) are not reported; a placeholder in a real config is
PY004's business. Compose files meant for local use only (`docker-compose.override.yml`, names with
`.dev.`, `.local.`, `-dev`, `-local`, `.test.`, `-test`, `.ci.`, `-ci`, `e2e`, files under `.ci/`,
`tests/` or a test-data directory) are not checked: their passwords guard a throwaway database on
a laptop or a CI runner. A compose password equal to the
user or database name set next to it (`POSTGRES_USER=gitea`, `POSTGRES_PASSWORD=gitea`) is a demo
credential and is not reported either.

## Why it matters
Seed 003, "Storage Backend Evolution (MinIO -> S3)" and "Secret Management Across Vault and
Doppler": the Sprocket team's infrastructure config held `s3-access-key` and `s3-secret-key` for
MinIO and then Digital Ocean Spaces; the fix kept only references in the stack
(`s3-secret-key: [secure]`, `postgres-password: [secure]`) and moved the values to Pulumi's
encrypted config, Doppler as the source of truth and Vault at runtime. A secret written in plain
text in a config file is in every clone and in the history, cannot be rotated without a commit,
and usually outlives the service it was meant for.

## Example
```yaml
# Pulumi.prod.yaml
config:
  aws:region: us-east-1
  sprocket:s3-secret-key: 9f8Kq2LmX0pRtY7vB3nZ
  sprocket:postgres-password: Wq7!zP2kL9
```

```yaml
# docker-compose.yml
services:
  api:
    image: ghcr.io/acme/api:1.4
    environment:
      DATABASE_URL: postgresql://api@db/api
      API_SECRET_KEY: 5b1f0e8c2d7a4b9e
```

## Use instead
```yaml
# Pulumi.prod.yaml
config:
  aws:region: us-east-1
  sprocket:s3-secret-key:
    secure: AAABAHnXmNdCpMqmKk3Vb0uS0PzTuA3pZq==
  sprocket:postgres-password:
    secure: AAABAJ8bC4m9uT0zVxZr0aY1wq6KqQ==
```

```yaml
# docker-compose.yml
services:
  api:
    image: ghcr.io/acme/api:1.4
    environment:
      DATABASE_URL: postgresql://api@db/api
      API_SECRET_KEY: ${API_SECRET_KEY}
```

## Fix
Store the value as a secret of the tool that deploys it (`pulumi config set --secret`, `fly secrets
set`, a Terraform variable without a default fed from a secret store, a Kubernetes `Secret` read with
`valueFrom.secretKeyRef`, compose `${VAR}` interpolation or `secrets:`), then rotate the leaked
value: it stays in the git history.

Options change the secret-like name tokens and the placeholder values:

```toml
[tool.preflight.rules.SEC003]
extend-secret-names = ["webhook"]
extend-placeholders = ["local-only"]
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from preflight_rules.compose.facts import entries, is_local_only_path, is_throwaway_stack_path
from preflight_rules.sec.secretvalues import (
    PLACEHOLDER_OPTIONS,
    is_plain_secret,
    placeholder_check,
)

from preflight.documents.base import Document
from preflight.documents.tomldoc import TomlDocument
from preflight.documents.yamldoc import YamlDocument, scalar_text, walk_mappings
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.secretnames import SECRET_NAME_OPTIONS, is_secret_name, secret_words

if TYPE_CHECKING:
    from preflight.documents.hcl import HclDocument

RULE = RuleMeta(
    id="SEC003",
    name="plaintext-secret-in-config",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.PULUMI, FileKind.COMPOSE, FileKind.FLY_TOML, FileKind.TERRAFORM,
                     FileKind.KUBERNETES}),
    summary="A secret-like setting has a plaintext value in deployment config",
    source="seed 003 ch. 3 (Storage Backend Evolution), ch. 5 (Secret Management Across Vault and Doppler)",
    lesson="Keep only references to secrets in deployment config (Pulumi `secure:`, `${VAR}`, a secret "
           "store); a plaintext value is in every clone and in the history.",
    symptoms=("GH013: Repository rule violations found",
              "Push cannot contain secrets"),
    options=(*SECRET_NAME_OPTIONS, *PLACEHOLDER_OPTIONS),
    tags=("secrets", "pulumi", "compose", "terraform", "kubernetes", "fly"),
)

# Besides the local-only files every rule knows (compose.facts.is_local_only_path): test and CI stacks.
THROWAWAY_COMPOSE = re.compile(r"(^|[._-])(test|ci)([._-]|$)")


class _Judge:
    def __init__(self, ctx: Context) -> None:
        self.words = secret_words(ctx.options)
        self.is_placeholder = placeholder_check(ctx.options)

    def secret(self, name: str, value: Any) -> bool:
        # ACCESS_TOKEN_EXPIRE_MINUTES=30 configures tokens: quantities are not secrets (secret_names.toml)
        return is_secret_name(name, self.words) and is_plain_secret(value, self.is_placeholder)


def _message(name: str, where: str, instead: str) -> str:
    return f"{name} has a plaintext secret value in {where}; {instead}, and rotate the value"


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    judge = _Judge(ctx)
    if isinstance(doc, YamlDocument):
        if doc.kind is FileKind.PULUMI:
            yield from _pulumi(doc, ctx, judge)
        elif doc.kind is FileKind.COMPOSE:
            yield from _compose(doc, ctx, judge)
        elif doc.kind is FileKind.KUBERNETES:
            yield from _kubernetes(doc, ctx, judge)
    elif isinstance(doc, TomlDocument) and doc.kind is FileKind.FLY_TOML:
        yield from _fly(doc, ctx, judge)
    elif doc.kind is FileKind.TERRAFORM:  # an HclDocument (not imported unless Terraform is there)
        yield from _terraform(doc, ctx, judge)  # type: ignore[arg-type]


def _pulumi(doc: YamlDocument, ctx: Context, judge: _Judge) -> Iterator[Finding]:
    for root in doc.documents:
        config = root.get("config") if isinstance(root, dict) else None
        if isinstance(config, dict):
            yield from _pulumi_values(doc, ctx, judge, config, "", 0)


def _pulumi_values(doc: YamlDocument, ctx: Context, judge: _Judge, mapping: dict, prefix: str,
                   depth: int) -> Iterator[Finding]:
    for key, value in mapping.items():
        key_text = scalar_text(key) or ""
        name = key_text.rpartition(":")[2]
        if isinstance(value, dict):
            if "secure" not in value and depth < 8:
                yield from _pulumi_values(doc, ctx, judge, value, f"{prefix}{key_text}.", depth + 1)
        elif judge.secret(name, value):
            full = prefix + key_text
            how = (f"store it with `pulumi config set --secret {full}`" if not prefix else
                   f"store it with `pulumi config set --secret --path '{full}'`")
            yield ctx.finding(doc.value_span(mapping, key), _message(full, doc.path, how))


def _compose(doc: YamlDocument, ctx: Context, judge: _Judge) -> Iterator[Finding]:
    name = doc.path.rpartition("/")[2].lower()
    if is_local_only_path(doc.path) or THROWAWAY_COMPOSE.search(name.rsplit(".", 1)[0]) \
            or is_throwaway_stack_path(doc.path):
        return
    for root in doc.documents:
        services = root.get("services") if isinstance(root, dict) else None
        if not isinstance(services, dict):
            continue
        for service in services.values():
            env = service.get("environment") if isinstance(service, dict) else None
            yield from _environment(doc, ctx, judge, env)


def _environment(doc: YamlDocument, ctx: Context, judge: _Judge, env: Any) -> Iterator[Finding]:
    instead = "use `${VAR}` interpolation from an untracked .env or compose `secrets:`"
    pairs = list(entries(doc, env))  # mapping and `- KEY=value` list forms, merge keys resolved
    # A password equal to the user or database name of the same service is a demo credential.
    public = {value.text for name, value in pairs if not is_secret_name(name, judge.words)}
    for name, value in pairs:
        if judge.secret(name, value.text) and value.text not in public:
            yield ctx.finding(value.span, _message(name, doc.path, instead))


def _kubernetes(doc: YamlDocument, ctx: Context, judge: _Judge) -> Iterator[Finding]:
    for root in doc.documents:
        for mapping in walk_mappings(root):
            env = mapping.get("env")
            if not isinstance(env, list):
                continue
            for item in env:
                if not isinstance(item, dict) or "valueFrom" in item:
                    continue
                name = scalar_text(item.get("name")) or ""
                if judge.secret(name, item.get("value")):
                    yield ctx.finding(doc.value_span(item, "value"), _message(
                        name, doc.path, "read it from a Secret with `valueFrom.secretKeyRef`"))


def _fly(doc: TomlDocument, ctx: Context, judge: _Judge) -> Iterator[Finding]:
    env = doc.get("env")
    if not isinstance(env, dict):
        return
    for key, value in env.items():
        if judge.secret(str(key), str(value) if isinstance(value, str) else None):
            yield ctx.finding(doc.key_span("env", str(key)), _message(
                str(key), doc.path, f"set it with `fly secrets set {key}=...` and remove it from [env]"))


DEFAULT = re.compile(r"^(\s*)default\s*=")


def _terraform(doc: HclDocument, ctx: Context, judge: _Judge) -> Iterator[Finding]:
    for block in doc.blocks("variable"):
        if not block.labels:
            continue
        name = block.labels[0]
        value = block.body.get("default")
        if not judge.secret(name, value):
            continue
        span = doc.block_span(block)
        for line in range(block.line, block.end_line + 1):
            match = DEFAULT.match(doc.line_text(line))
            if match:
                text = doc.line_text(line)
                span = Span(doc.path, line, len(match.group(1)) + 1, line, len(text.rstrip()) + 1)
                break
        yield ctx.finding(span, _message(f'variable "{name}"', doc.path,
                                         "remove the default and pass the value from a secret store (TF_VAR_...)"))
