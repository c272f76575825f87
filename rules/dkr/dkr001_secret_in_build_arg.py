"""## What it catches
Secrets handed to a Docker build in a way that stays in the image:

- a `RUN` that uses a build argument with a secret-like name (`ARG GH_PAT` ... `RUN ... ${GH_PAT}`):
  the finding points at the reference in the `RUN` that consumes it;
- an `ENV` that gives a secret-like variable a value (`ENV NPM_TOKEN=${NPM_TOKEN}` or a literal): the
  value is stored in the image's configuration, so the finding points at the `ENV`, whether or not
  a `RUN` reads it (`npm install` reads `NPM_TOKEN` without naming it);
- `git config ... url."https://${GH_PAT}@github.com/".insteadOf ...`, which writes the token into
  `~/.gitconfig`, when the same `RUN` does not remove it again (`git config --unset ...` or
  `--remove-section`).

Secret-like means a whole `_`-separated token of the name (`GH_TOKEN`, `NPM_TOKEN`, `DB_PASSWORD`,
`GH_PAT`, `API_KEY`), not a substring: `TOKENIZERS_PARALLELISM`, `GPG_KEY_ID` and
`VAULT_TOKEN_PATH` are fine, and so is the fingerprint of a public signing key
(`ENV GPG_KEY 7169605F62C751356D054A26A821E680E5FA6305`). Not flagged: a secret-like `ARG` that no `RUN` uses, or that is used only
in `FROM`; a `RUN --mount=type=secret,id=...` reading `/run/secrets/...` (the fix), including a
mount that exposes the secret as a variable (`env=GH_PAT`); a variable the `RUN` itself assigns
before using it.

preflight judges names, not values: a build argument with an innocent name that carries a token is
not seen, and a secret-like `ARG` used in a builder stage is reported although that stage's history
does not ship in the final image (its value still lands in the build cache and in provenance
attestations).

## Why it matters
From the 42Bros post-mortem (seed 000, "Private Git Dependency Requires PAT in Docker Build"): the
build failed with

    ERROR: Could not find a version that satisfies the requirement package @ git+https://github.com/org/private-repo.git

because pip could not authenticate to a private GitHub repository. The quick fix was to pass a
personal access token as a build argument and point git at it with `insteadOf`. But the value of a
build argument used by a `RUN` is recorded in the image history (`docker history --no-trunc` shows
it), an `ENV` value is in the image configuration (`docker inspect`), and a token written into
`~/.gitconfig` stays in the layer unless the same `RUN` removes it. Anyone who can pull the image
can read the token, which has `repo` scope.

## Example
```dockerfile
# Dockerfile
FROM python:3.12-slim
ARG GH_PAT
RUN git config --global url."https://${GH_PAT}@github.com/".insteadOf "https://github.com/" \
    && pip install --no-cache-dir "mylib @ git+https://github.com/acme/mylib.git"
```

## Use instead
```dockerfile
# Dockerfile
FROM python:3.12-slim
RUN --mount=type=secret,id=gh_pat \
    git config --global url."https://$(cat /run/secrets/gh_pat)@github.com/".insteadOf "https://github.com/" \
    && pip install --no-cache-dir "mylib @ git+https://github.com/acme/mylib.git" \
    && git config --global --remove-section url."https://$(cat /run/secrets/gh_pat)@github.com/"
```

Build it with `docker build --secret id=gh_pat,env=GH_PAT .` (Compose: `secrets:` under `build:`).

## Fix
Pass secrets with BuildKit secret mounts: `RUN --mount=type=secret,id=gh_pat ...` reads the value
from `/run/secrets/gh_pat` (or `--mount=type=secret,id=gh_pat,env=GH_PAT` exposes it as a variable
for that one `RUN`), and nothing of it is stored in the image. If git must see the token, remove
the `insteadOf` entry in the same `RUN`. Better still, publish private packages to a private
registry. Rotate any token that has already been built into an image.

The secret-like words can be changed in `pyproject.toml`:

```toml
[tool.preflight.rules.DKR001]
extend-secret-names = ["cookie"]
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from preflight.commands import Command
from preflight.documents.base import Document
from preflight.documents.dockerfile import DockerfileDocument, Instruction
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight.secretnames import SECRET_NAME_OPTIONS, is_secret_name, secret_words, tokens
from preflight.shell import Word
from preflight_rules.dkr.facts import Declaration, declarations, secret_mount_names

RULE = RuleMeta(
    id="DKR001",
    name="secret-in-build-arg",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.DOCKERFILE}),
    summary="A secret is passed to the build as ARG/ENV or embedded in git config, and stays in the image",
    source='seed 000 "Private Git Dependency Requires PAT in Docker Build"',
    lesson="A token passed as a build argument is recorded in the image history, an ENV value in the "
           "image config, and an insteadOf URL in ~/.gitconfig; use BuildKit secret mounts instead.",
    symptoms=("ERROR: Could not find a version that satisfies the requirement package @ "
              "git+https://github.com/org/private-repo.git",),
    options=SECRET_NAME_OPTIONS,
    tags=("docker", "secrets", "build"),
)

INSTEADOF = re.compile(r"^url\.(.*)\.(insteadof|pushinsteadof)$", re.IGNORECASE | re.DOTALL)
LITERAL_TOKEN = re.compile(r"ghp_|gho_|ghs_|github_pat_|glpat-|x-access-token|oauth2", re.IGNORECASE)
FINGERPRINTS = re.compile(r"(0x)?[0-9A-Fa-f]{16,40}(\s+(0x)?[0-9A-Fa-f]{16,40})*")
USERINFO = re.compile(r"://(.+)@[^@/]+(/|$)", re.DOTALL)  # the credentials part of a URL
UNSETTERS = frozenset({"--unset", "--unset-all", "--remove-section", "unset", "remove-section"})


class _Embedded(NamedTuple):
    word: Word
    url: str


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, DockerfileDocument):
        return
    words = secret_words(ctx.options)
    runs: dict[int, list[Command]] = {}
    for command in ctx.repo.commands(doc):
        if command.instruction is not None:
            runs.setdefault(id(command.instruction), []).append(command)
    decls = declarations(doc)
    for decl in decls:
        if decl.kind == "ENV" and decl.value and is_secret_name(decl.name, words) and not _fingerprint(decl):
            what = "copies a build argument into" if "$" in decl.value else "stores a value in"
            yield ctx.finding(decl.span, f"ENV {decl.name} {what} the image configuration, where anyone who pulls "
                                         "the image can read it (docker inspect); use RUN --mount=type=secret,"
                                         f"id={decl.name.lower()},env={decl.name} for the RUN that needs it")
    for instruction in doc.instructions:
        if instruction.name == "RUN":
            yield from _check_run(doc, instruction, runs.get(id(instruction), []), decls, words, ctx)


def _check_run(doc: DockerfileDocument, instruction: Instruction, commands: list[Command],
               decls: list[Declaration], words: tuple[str, ...], ctx: Context) -> Iterator[Finding]:
    reported: set[str] = set()
    embedded = [e for c in commands if (e := _insteadof_with_token(c)) is not None]
    if embedded and not any(_unsets_url(c) for c in commands):
        first = embedded[0]
        reported.update(first.word.variables)
        yield ctx.finding(first.word.span, "git config url...insteadOf writes the token in this URL into "
                                           "~/.gitconfig, and this RUN does not remove it, so it stays in the "
                                           "image layer; add `git config --global --remove-section url."
                                           f"\"{first.url}\"` to the same RUN or use a secret mount")
    scope = doc.variables_at(instruction)
    declared = {d.name: d for d in decls if d.stage == instruction.stage
                and d.instruction.line < instruction.line}
    mounted = secret_mount_names(instruction)
    for command in commands:
        assigned = dict(command.shell.assignments)
        for word in (*(w for _, w in command.shell.assignments), *command.argv):
            for name in word.variables:
                decl = declared.get(name)
                if (name in reported or name in mounted or decl is None or decl.kind != "ARG"
                        or name not in scope or not is_secret_name(name, words)):
                    continue
                if name in assigned or command.env.get(name, "\0") != scope.get(name):
                    continue  # the RUN sets the variable itself before using it
                reported.add(name)
                yield ctx.finding(word.span, f"build argument {name} (ARG at line {decl.instruction.line}) is used "
                                             "by this RUN, so its value is recorded in the image history "
                                             f"(docker history); use RUN --mount=type=secret,id={name.lower()},"
                                             f"env={name} and build with --secret id={name.lower()},env={name}")


def _fingerprint(decl: Declaration) -> bool:
    """``ENV GPG_KEY 7169605F...``: the fingerprint of a public signing key, which is not a secret."""
    return (bool({"gpg", "pgp", "gnupg"} & set(tokens(decl.name))) and decl.value is not None
            and bool(FINGERPRINTS.fullmatch(decl.value.strip())))


def _insteadof_with_token(cmd: Command) -> _Embedded | None:
    """The `url.<URL>.insteadOf` word of a `git config` whose URL carries credentials."""
    if cmd.program_name != "git" or "config" not in cmd.args:
        return None
    if any(a in UNSETTERS for a in cmd.args):
        return None
    for word in cmd.argv[2:]:
        match = INSTEADOF.match(word.text)
        if match is None:
            continue
        url = match.group(1)
        credentials = USERINFO.search(url)
        if credentials is None:
            continue
        userinfo = credentials.group(1)
        if "$" in userinfo or "$" in word.raw.split("@", 1)[0] or ":" in userinfo or LITERAL_TOKEN.search(userinfo):
            return _Embedded(word, url)
    return None


def _unsets_url(cmd: Command) -> bool:
    return (cmd.program_name == "git" and "config" in cmd.args and any(a in UNSETTERS for a in cmd.args)
            and any(a.lower().startswith("url.") for a in cmd.args))
