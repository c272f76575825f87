"""## What it catches
Vault's unseal keys and root token ending up where git can see them:

- a shell script, Makefile recipe, workflow or action `run:` step, Dockerfile `RUN` or a shell block
  in Markdown writes the output of `vault operator init` to a file (`> file`, `>> file`,
  `&> file`, `| tee [-a] file`, `-format=json | jq ... > file`) that git tracks or that no
  `.gitignore` ignores. In a Dockerfile any file counts: it is kept in an image layer;
- a file the engine reads (shell scripts, Markdown, `.env` files, ...) that git tracks or does
  not ignore holds init output: `Unseal Key 1: <base64>`, `Initial Root Token: hvs....`, or the
  JSON form `"unseal_keys_b64": ["..."]` / `"root_token": "hvs...."`.

Relative paths are taken both from the repository root (where CI and most people run scripts)
and from the script's own directory (Makefiles and scripts that `cd` first); the write is fine when
either place is git-ignored. A target that names a variable set in the script
(`KEYS=vault/keys.txt ... > "$KEYS"`) is resolved; one set elsewhere is not judged. Absolute paths
(`/root/vault-init.txt`, `/tmp/...`), `~/...` and `/dev/...` are outside the repository and not
reported; so are writes done on another host (`ssh host 'vault operator init > keys'`) and
`vault operator init -status`.

What it cannot see: files preflight does not read. A committed `unseal_tokens.txt` or `init.json`
is not one of the kinds this rule reads (shell, Markdown, `.env`, ...; YAML files are not read: parsing
every YAML file for this costs too much), so only the write
that creates it is reported, not the file itself. Output captured in a variable and written later
(`out=$(vault operator init); echo "$out" > f`) is not followed.

## Why it matters
Seed 003, Challenge 1 "Vault Bootstrapping and Unsealing": the Sprocket deployment automated
unsealing with `vault operator init > unseal_tokens.txt` and a loop that fed the saved keys to
`vault operator unseal`. The keys had been "stored inconsistently"; the fix was to keep them "not in
git": the file was added to `.gitignore`. Whoever holds the unseal keys and the initial root token
owns every secret in Vault; a file holding them that is committed (or one `git add .` away from
it) hands them to everyone with read access to the repository, for as long as the history exists.

## Example
```bash
# scripts/vault-bootstrap.sh
#!/bin/sh
if [ ! -f "unseal_tokens.txt" ]; then
  vault operator init > unseal_tokens.txt
fi
```

## Use instead
```bash
# scripts/vault-bootstrap.sh
#!/bin/sh
if [ ! -f /root/vault/unseal_tokens.txt ]; then
  vault operator init -format=json > /root/vault/unseal_tokens.txt
fi
```

```bash
# .gitignore
unseal_tokens.txt
```

## Fix
Write the init output outside the work tree (or to a secret manager / cloud KMS auto-unseal), or
add the file to `.gitignore` before the first run. If it was ever committed: `git rm --cached` it,
re-key Vault (`vault operator rekey`) and revoke the root token (`vault token revoke`), because the
old keys stay in the history.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from preflight.commands import Command
from preflight.documents.base import Document
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.shell import Word
from preflight_rules.sec.secretvalues import exposure

RULE = RuleMeta(
    id="SEC002",
    name="unseal-keys-not-ignored",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.SHELL, FileKind.MAKEFILE, FileKind.WORKFLOW, FileKind.ACTION, FileKind.DOCKERFILE,
                     FileKind.MARKDOWN, FileKind.DOTENV}),
    summary="Vault unseal keys or root token are written to, or kept in, a file git does not ignore",
    source="seed 003 ch. 1 (Vault Bootstrapping and Unsealing)",
    lesson="`vault operator init` prints the unseal keys and the root token; store them outside git "
           "(the seed's fix: the init output file goes into .gitignore), never in a tracked file.",
    symptoms=("Unseal Key 1:",
              "Initial Root Token:"),
    tags=("vault", "secrets", "git"),
)

STDOUT_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "1>", "1>>", "1>|"})
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
B64 = r"[A-Za-z0-9+/]{40,}={0,2}"
TOKEN = r"(?:hvs\.[A-Za-z0-9_-]{20,}|s\.[A-Za-z0-9]{24})"
INIT_OUTPUT = re.compile(
    rf"Unseal Key \d+:\s*{B64}|Initial Root Token:\s*{TOKEN}"
    rf"|\"unseal_keys_(?:b64|hex)\"\s*:\s*\[\s*\"[A-Za-z0-9+/=]{{40,}}\"|\"root_token\"\s*:\s*\"{TOKEN}\"")


def _is_init(cmd: Command) -> bool:
    words = [w.text for w in cmd.argv]
    for i, word in enumerate(words):
        if word.rsplit("/", 1)[-1] != "vault":
            continue
        rest = words[i + 1:]
        if rest[:2] == ["operator", "init"] or rest[:1] == ["init"]:
            return not any(a in ("-status", "--status") or a.startswith("-status=") for a in rest)
    return False


def _fed_by_init(cmd: Command) -> bool:
    source, hops = cmd.pipe_from, 0
    while source is not None and hops < 20:
        if _is_init(source):
            return True
        source, hops = source.pipe_from, hops + 1
    return False


def _remote(cmd: Command) -> bool:
    outer = cmd.shell.nested_in
    while outer is not None:
        if outer.program and outer.program.rsplit("/", 1)[-1] in ("ssh", "kubectl", "docker", "podman"):
            return True
        outer = outer.nested_in
    return False


def _targets(cmd: Command) -> list[Word]:
    words = [w for op, w in cmd.shell.redirects if op in STDOUT_REDIRECTS]
    if cmd.program_name == "tee":
        words.extend(w for w in cmd.argv[1:] if not w.text.startswith("-"))
    return words


def _resolve(cmd: Command, word: Word) -> str | None:
    """The target path with variables set in the script substituted; None if unknown."""
    if word.has_substitution:
        return None
    text = word.text
    for ref in word.make_refs:  # a Makefile recipe: $(KEYS) set by `KEYS := ...`
        known = cmd.value_of(ref)
        if known is None:
            return None
        text = text.replace(f"$({ref})", known).replace(f"${{{ref}}}", known)
    if word.variables:
        def value(match: re.Match[str]) -> str:
            found = cmd.value_of(match.group(1) or match.group(2))
            if found is None:
                raise LookupError
            return found
        try:
            text = VARIABLE.sub(value, text)
        except LookupError:
            return None
    return text


def check_command(cmd: Command, ctx: Context) -> Iterator[Finding]:
    if cmd.counterexample or _remote(cmd) or not (_is_init(cmd) or _fed_by_init(cmd)):
        return
    for word in _targets(cmd):
        path = _resolve(cmd, word)
        if not path or path.startswith("/dev/") or "$" in path:
            continue  # /dev/null, /dev/stdout, or a path we cannot know
        if cmd.kind is FileKind.DOCKERFILE:
            yield ctx.finding(word.span, f"`vault operator init` output (unseal keys, root token) is written to "
                                         f"{path} inside the image, where every layer keeps it; run init on the "
                                         "server and store the keys in a secret manager")
            continue
        if path.startswith(("/", "~")):
            continue  # outside the repository: a path on the server, a home directory
        state = _exposure(cmd, ctx, path)
        if state is None:
            continue
        why = "git tracks it" if state == "tracked" else "it is not git-ignored"
        yield ctx.finding(word.span, f"`vault operator init` output (unseal keys, root token) goes to {path}, and {why}: "
                                     "add it to .gitignore or write it outside the repository")


def _exposure(cmd: Command, ctx: Context, path: str) -> str | None:
    bases = [""]
    if cmd.kind in (FileKind.SHELL, FileKind.MAKEFILE):
        bases.append(posixpath.dirname(cmd.path))
    state: str | None = None
    for base in dict.fromkeys(bases):
        candidate = posixpath.normpath(posixpath.join(base, path))
        if candidate.startswith("../") or candidate == "..":
            return None
        found = exposure(ctx.repo, candidate)
        if found is None:
            return None  # ignored (and untracked) from one of the places it may be run from
        state = state if state == "tracked" else found
    return state


def _real(match: re.Match[str]) -> bool:
    """Not a placeholder like `hvs.XXXXXXXXXXXXXXXXXXXXXXXX`: a key has many different characters."""
    value = re.split(r"[:\[]\s*\"?", match.group(0))[-1].strip('"')
    return len(set(value.lower())) >= 10


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    match = next((m for m in INIT_OUTPUT.finditer(doc.text) if _real(m)), None)
    if match is None:
        return
    state = exposure(ctx.repo, doc.path)
    if state is None:
        return
    line = doc.text.count("\n", 0, match.start()) + 1
    column = match.start() - (doc.text.rfind("\n", 0, match.start()) + 1) + 1
    end = min(len(doc.line_text(line)) + 1, column + len(match.group(0).split("\n")[0]))
    why = "git tracks this file" if state == "tracked" else "this file is not git-ignored"
    yield ctx.finding(Span(doc.path, line, column, line, end),
                      f"this is Vault init output (unseal keys or root token) and {why}: remove it from the "
                      "repository, re-key Vault (`vault operator rekey`) and revoke the root token")
