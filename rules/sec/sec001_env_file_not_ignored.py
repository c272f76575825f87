"""## What it catches
A `.env` file (`.env`, `.env.production`, `.env.bots`, `prod.env`, ...) holding a secret-like key
(`DB_PASSWORD`, `STRIPE_SECRET_KEY`, `BOT_TOKEN`, ...) with a real value, when that file

- is **tracked** by git (it is in `.git/index`, whatever `.gitignore` says now), or
- is **not ignored**: no `.gitignore` (nested ones, `.git/info/exclude` and those above the scanned
  directory count) keeps it out of the next `git add .`.

Templates are not checked: a file named `.env.example`, `.env.sample`, `.env.template`,
`.env.dist`, `.env.defaults`, `.env.tpl` or `example.env`. Nor are values that are empty,
references (`${DB_PASSWORD}`) or placeholders (`changeme`, `<token>`, `your-key-here`; the list is
data), nor files under a test-data directory (`testdata/`, `fixtures/`), whose values a test suite
invented. The finding points at the first secret-like key.

## Why it matters
Seed 001, rule 8: agent credentials belong in a local `.env.bots` file "which is listed in
`.gitignore`", never in version control. A `.env` that git tracks is in every clone, fork and CI
cache, and in the history for good: adding it to `.gitignore` later changes nothing, because git
ignores untracked files only. A `.env` that is merely not ignored is one `git add .` away from the
same fate.

## Example
```bash
# .env
DATABASE_URL=postgresql://app@db:5432/app
DB_PASSWORD=kL9#vQ2mX7pR
BOT_TOKEN=7312:AAF3kq9x
```

## Use instead
```bash
# .gitignore
.env
.env.*
!.env.example
```

```bash
# .env.example
DATABASE_URL=postgresql://app@db:5432/app
DB_PASSWORD=changeme
BOT_TOKEN=<your-bot-token>
```

## Fix
Add the file to `.gitignore`; if git already tracks it, also run `git rm --cached <file>` (the file
stays on disk) and commit. Then rotate every secret the file held: it is in the history of every
clone. Commit a template (`.env.example`) with placeholders instead.

Tracked files are read from `.git/index`; when there is no work tree or the index cannot be read
(a split index), only `.gitignore` is judged. Files of a nested repository (a submodule) count as
untracked. Global git excludes (`core.excludesFile`) are not read, so a file ignored only there is
reported.

Options change the placeholder values (`rules/data/secret_placeholders.toml`) and the secret-like
name tokens (`rules/data/secret_names.toml`):

```toml
[tool.preflight.rules.SEC001]
extend-placeholders = ["our-dev-password"]
extend-secret-names = ["webhook"]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from preflight.documents.dotenv import EnvDocument
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.testdata import is_test_data_path
from preflight.secretnames import SECRET_NAME_OPTIONS, is_secret_name, secret_words
from preflight_rules.sec.secretvalues import PLACEHOLDER_OPTIONS, exposure, is_plain_secret, placeholder_check

RULE = RuleMeta(
    id="SEC001",
    name="env-file-not-ignored",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.DOTENV}),
    summary="A .env file with secrets is tracked by git or not git-ignored",
    source="seed 001 rule 8",
    lesson="Local credentials live in a .env file listed in .gitignore; a tracked .env is in every "
           "clone and its history, and .gitignore does not apply to files git already tracks.",
    symptoms=("GH013: Repository rule violations found",
              "Push cannot contain secrets"),
    options=(*PLACEHOLDER_OPTIONS, *SECRET_NAME_OPTIONS),
    tags=("secrets", "git", "dotenv"),
)

TEMPLATE_WORDS = frozenset({"example", "examples", "sample", "template", "dist", "defaults", "default",
                            "tpl", "tmpl", "skel", "schema"})


def is_template(path: str) -> bool:
    """`.env.example`, `.env.prod.sample`, `example.env`, `.env.template`: a file meant to be copied."""
    name = path.rpartition("/")[2].lower()
    return any(part in TEMPLATE_WORDS for part in name.replace("-", ".").replace("_", ".").split("."))


def check_document(doc: EnvDocument, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, EnvDocument) or is_template(doc.path) or is_test_data_path(doc.path):
        return
    words = secret_words(ctx.options)
    is_placeholder = placeholder_check(ctx.options)
    entry = next((e for e in doc.entries if is_secret_name(e.key, words)
                  and is_plain_secret(e.value, is_placeholder)), None)
    if entry is None:
        return
    state = exposure(ctx.repo, doc.path)
    if state is None:
        return
    span = Span(doc.path, entry.line, entry.key_column, entry.line, entry.key_column + len(entry.key))
    if state == "tracked":
        message = (f"{doc.path} holds secrets ({entry.key}) and is tracked by git, so .gitignore does not "
                   f"apply: run `git rm --cached {doc.path}`, add it to .gitignore and rotate the secrets")
    else:
        message = (f"{doc.path} holds secrets ({entry.key}) and is not git-ignored: add it to .gitignore "
                   "before it is committed (rotate the secrets if it ever was)")
    yield ctx.finding(span, message)
