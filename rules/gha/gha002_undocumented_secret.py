"""## What it catches
A secret that a workflow or composite action uses (`${{ secrets.NAME }}`, or a name a reusable
workflow declares under `on.workflow_call.secrets`) that no documentation in the repository names:
no Markdown file (README, CONTRIBUTING, `docs/**/*.md`, any `*.md`) and no example environment file
(`.env.example`, `.env.sample`, `.env.template`, `.env.dist`) mentions it.

A name counts as documented when it appears as a whole word anywhere in those files, in prose,
a table, inline code or a code block, in any letter case (GitHub secret names are
case-insensitive): `VAULT_ADDR` is documented by "`vault_addr`: the Vault URL" but not by
`VAULT_ADDR_STAGING`. There is one finding per secret, at its first use (by path and line).
GitHub's built-in `GITHUB_TOKEN` needs no documentation; nor do the names a job passes to a
reusable workflow under `secrets:` (they are the called workflow's names, not repository secrets).

preflight cannot tell whether the text that names a secret explains it well; it only checks that
someone setting up the repository, or auditing its secrets, can find the name.

## Why it matters
The prevention half of the 42Bros lesson (seed 000, "GitHub Secrets Typo Causes Silent Deployment
Failure"): a secret stored as `VAULT_ADDRVAULT_ADDR` instead of `VAULT_ADDR` went unnoticed for
weeks, because GitHub expands a missing secret to an empty string and the deploy then failed with

    connection refused: localhost:8200

Nobody could audit the repository's secrets against a list, because there was no list. The
post-mortem's prevention: document the required secrets in the README, so that whoever creates or
rotates them types the names from one place, and an audit can compare the settings page with it.

## Example
```yaml
# .github/workflows/deploy.yml
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh
        env:
          VAULT_ADDR: ${{ secrets.VAULT_ADDR }}
```

## Use instead
The same workflow, with the secret listed in the README:

```yaml
# .github/workflows/deploy.yml
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh
        env:
          VAULT_ADDR: ${{ secrets.VAULT_ADDR }}
```

```markdown
# README.md
## Deployment secrets
| secret | what it is |
|---|---|
| `VAULT_ADDR` | URL of the production Vault, e.g. `https://vault.example.com:8200` |
```

## Fix
Add a "Secrets" section to the README (or a page under `docs/`) listing every secret the workflows
use: its exact name, what it holds, and where to get it. This rule is `info`: it reports hygiene,
not a broken build.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight_rules.gha.facts import secret_uses

RULE = RuleMeta(
    id="GHA002",
    name="undocumented-secret",
    severity=Severity.INFO,
    kinds=frozenset({FileKind.WORKFLOW, FileKind.ACTION, FileKind.MARKDOWN, FileKind.DOTENV}),
    summary="A secret used by a workflow is not named in any README or docs page",
    source='seed 000 "GitHub Secrets Typo Causes Silent Deployment Failure" (prevention)',
    lesson="A misspelt repository secret went unnoticed for weeks because nothing listed the secrets "
           "the workflows need; document every required secret so it can be set and audited.",
    symptoms=("connection refused: localhost:8200",),
    tags=("github-actions", "secrets", "documentation"),
)

WORD = re.compile(r"[A-Za-z0-9_]+")
# Environment files that document variables rather than hold them.
EXAMPLE_ENV = re.compile(r"(^|[./_-])(example|sample|template|dist|defaults?)([./_-]|$)", re.IGNORECASE)


def documented_words(repo) -> frozenset[str]:  # type: ignore[no-untyped-def]
    """Every word (upper-cased) of the repository's Markdown and example environment files."""
    words: set[str] = set()
    for doc in repo.documents(FileKind.MARKDOWN):
        words.update(w.upper() for w in WORD.findall(doc.text))
    for doc in repo.documents(FileKind.DOTENV):
        name = doc.path.rsplit("/", 1)[-1]
        if EXAMPLE_ENV.search(name):
            words.update(entry.key.upper() for entry in getattr(doc, "entries", ()))
    return frozenset(words)


def check_repository(repo, ctx: Context) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
    uses = [u for u in repo.fact(secret_uses) if u.how != "passed"]
    if not uses:
        return
    documented = repo.fact(documented_words)
    has_docs = bool(repo.files_of(FileKind.MARKDOWN))
    reported: set[str] = set()
    for use in uses:
        if use.name in documented or use.name in reported:
            continue
        reported.add(use.name)
        where = "any README or docs page" if has_docs else "any documentation (the repository has no Markdown)"
        yield ctx.finding(use.span, f"secret {use.written} is not named in {where}; list the secrets the "
                                    "workflows need (name, purpose, where to get it) in README.md")
