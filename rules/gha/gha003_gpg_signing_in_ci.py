"""## What it catches
A workflow job (or composite action) that signs commits or tags with no signing key set up earlier
in the same job:

- `git tag -s`, `git tag --sign`, `git tag -u KEY` / `--local-user=KEY`;
- `git commit -S`, `git commit --gpg-sign[=KEY]` (also `merge`, `rebase`, `cherry-pick`, `revert`,
  `am` and `commit-tree` with `-S`);
- turning signing on: `git config [--global] commit.gpgsign true`, `tag.gpgsign true`,
  `git -c commit.gpgsign=true ...`.

A key is set up by a step using a key-import action (`crazy-max/ghaction-import-gpg`, and the others
in `rules/data/signing_key_actions.toml`), a `gpg --import` command, or SSH signing configured with
a key (`git config gpg.format ssh` together with `git config user.signingkey ...`), before the
signing command in the same job. The way out the lesson recommends is never flagged:
`git commit --no-gpg-sign`, `git tag --no-sign`, `git -c commit.gpgsign=false ...`,
`git config commit.gpgsign false`.

preflight sees the workflow, not the runner: signing turned on by a `.gitconfig` baked into a
self-hosted runner or a container image, or a key imported by a script the step calls, is not seen.

## Why it matters
From seed 000, "GPG Signing Causes Git Commands to Hang": `git tag` and `git commit` hung
indefinitely with no output. Signing was on, and gpg-agent was waiting for a passphrase at a
prompt that a non-interactive environment (CI, a script, an AI assistant) never shows. In GitHub
Actions the job sits silent until its timeout (six hours by default) and then fails with no hint
of why. The fix is to turn signing off for automated operations, or, where signed tags are
required, to import the key and preset its passphrase before signing.

## Example
```yaml
# .github/workflows/release.yml
on:
  push:
    branches: [main]
jobs:
  tag:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          git config --global user.name "release-bot"
          git tag -s "v${GITHUB_RUN_NUMBER}" -m "Release"
          git push origin --tags
```

## Use instead
```yaml
# .github/workflows/release.yml
on:
  push:
    branches: [main]
jobs:
  tag:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          git config --global user.name "release-bot"
          git config --global tag.gpgsign false
          git tag -a "v${GITHUB_RUN_NUMBER}" --no-sign -m "Release"
          git push origin --tags
```

or, where tags must be signed, import the key first:

```yaml
# .github/workflows/signed-release.yml
on: workflow_dispatch
jobs:
  tag:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: crazy-max/ghaction-import-gpg@v6
        with:
          gpg_private_key: ${{ secrets.GPG_PRIVATE_KEY }}
          passphrase: ${{ secrets.GPG_PASSPHRASE }}
          git_tag_gpgsign: true
      - run: git tag -s "v${GITHUB_RUN_NUMBER}" -m "Release" && git push origin --tags
```

## Fix
Disable signing for automated operations (`git tag --no-sign`, `git commit --no-gpg-sign`,
`git config tag.gpgsign false`), or import the key and preset its passphrase in an earlier step of
the same job. Keep personal signing preferences in your own repository-local configuration.

Other key-import actions can be added in `pyproject.toml`:

```toml
[tool.preflight.rules.GHA003]
extend-signing-key-actions = ["acme/import-signing-key"]
```
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from preflight.commands import Command
from preflight.data import data_options, load_data, merged
from preflight.documents.base import Document
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.shell import Word

RULE = RuleMeta(
    id="GHA003",
    name="gpg-signing-in-ci",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.WORKFLOW, FileKind.ACTION}),
    summary="A CI job signs commits or tags without importing a signing key first",
    source='seed 000 "GPG Signing Causes Git Commands to Hang"',
    lesson="With signing on and no key set up, gpg-agent waits for a passphrase prompt that a CI job "
           "never shows, and `git tag`/`git commit` hang with no output.",
    symptoms=("git tag or git commit hangs indefinitely with no output",
              "error: gpg failed to sign the data",
              "gpg: signing failed: Inappropriate ioctl for device"),
    options=data_options("signing-key-actions", "list of actions that set up a signing key"),
    tags=("github-actions", "git", "gpg", "signing"),
)

TRUE = frozenset({"true", "yes", "on", "1"})
SIGNING_KEYS = frozenset({"commit.gpgsign", "tag.gpgsign"})
SIGNING_SUBCOMMANDS = frozenset({"commit", "merge", "rebase", "cherry-pick", "revert", "am", "commit-tree", "pull"})
# Options of `git tag` / `git commit` that take the rest of a short-option cluster as their value.
TAG_VALUE_FLAGS = frozenset("mFu")
COMMIT_VALUE_FLAGS = frozenset("mFCctS")
CONFIG_VALUE_OPTIONS = frozenset({"--type", "--file", "-f", "--blob", "--default", "--comment", "--value"})


@dataclass
class _JobState:
    key_imported: bool = False
    ssh_format: bool = False
    signing_key: bool = False

    @property
    def ready(self) -> bool:
        return self.key_imported or (self.ssh_format and self.signing_key)


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    actions = {a.lower() for a in merged(list(load_data("signing_key_actions")["actions"]), ctx.options,
                                         "signing-key-actions")}
    by_step: dict[int, list[Command]] = {}
    for command in ctx.repo.commands(doc):
        if command.step is not None:
            by_step.setdefault(id(command.step), []).append(command)
    states: dict[str, _JobState] = {}
    for step in getattr(doc, "steps", ()):
        state = states.setdefault(step.job.id if step.job is not None else "", _JobState())
        uses = step.uses
        if uses and uses.split("@", 1)[0].strip().lower() in actions:
            state.key_imported = True
        for command in by_step.get(id(step), ()):
            signing = _observe(command, state)
            if signing is not None and not state.ready:
                span, what = signing
                yield ctx.finding(span, f"{what} in CI, but this job sets up no signing key before it; git will "
                                        "hang waiting for a GPG passphrase. Turn signing off (--no-sign, "
                                        "--no-gpg-sign, gpgsign false) or import the key in an earlier step "
                                        "(crazy-max/ghaction-import-gpg)")


def _observe(cmd: Command, state: _JobState) -> tuple[Span, str] | None:
    """Update ``state`` with what ``cmd`` sets up; return where and how it turns signing on, if it does."""
    program = cmd.program_name
    if program in ("gpg", "gpg2") and any(a == "--import" for a in cmd.args):
        state.key_imported = True
        return None
    if program != "git":
        return None
    argv = list(cmd.argv[1:])
    configs: list[Word] = []
    while argv and argv[0].text.startswith("-"):  # git's own options come before the subcommand
        option = argv.pop(0)
        if option.text in ("-c", "-C", "--git-dir", "--work-tree", "--namespace") and argv:
            value = argv.pop(0)
            if option.text == "-c":
                configs.append(value)
    for word in configs:  # `git -c commit.gpgsign=true ...`
        key, _, value = word.text.partition("=")
        found = _config(key, value, word, state)
        if found is not None:
            return found
    if not argv:
        return None
    sub, args = argv[0].text, argv[1:]
    if sub == "config":
        return _git_config(args, state)
    if sub == "tag":
        return _signing_flag(args, sub, ("-s", "--sign"), ("--no-sign",), TAG_VALUE_FLAGS, "su",
                             ("-u", "--local-user"))
    if sub in SIGNING_SUBCOMMANDS:
        return _signing_flag(args, sub, ("-S", "--gpg-sign"), ("--no-gpg-sign",), COMMIT_VALUE_FLAGS, "S", ())
    return None


def _git_config(args: list[Word], state: _JobState) -> tuple[Span, str] | None:
    positional: list[Word] = []
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word.text in ("--unset", "--unset-all", "--get", "--get-all", "--get-regexp", "--remove-section",
                         "--list", "-l", "unset", "get", "list", "remove-section"):
            return None
        if word.text in CONFIG_VALUE_OPTIONS and rest:
            rest.pop(0)
        elif not word.text.startswith("-"):
            positional.append(word)
    if positional and positional[0].text == "set":  # `git config set KEY VALUE` (git 2.46+)
        positional = positional[1:]
    if len(positional) < 2:
        return None
    return _config(positional[0].text, positional[1].text, positional[0], state)


def _config(key: str, value: str, word: Word, state: _JobState) -> tuple[Span, str] | None:
    written = f"{key.strip()} {value.strip()}"
    key, value = key.strip().lower(), value.strip().lower()
    if key == "gpg.format" and value in ("ssh", "x509"):
        state.ssh_format = True
    elif key in ("user.signingkey", "gpg.x509.program") and value:
        state.signing_key = True
    elif key in SIGNING_KEYS and value in TRUE:
        return word.span, f"`{written}` turns on signing"
    return None


def _signing_flag(args: list[Word], sub: str, long_on: tuple[str, ...], long_off: tuple[str, ...],
                  value_flags: frozenset[str], sign_chars: str, key_options: tuple[str, ...]) -> tuple[Span, str] | None:
    found: Word | None = None
    for word in args:
        text = word.text
        if text == "--":
            break
        if text in long_off:
            found = None
        elif text in long_on or any(text.startswith(o + "=") for o in long_on + key_options) or text in key_options:
            found = word
        elif text.startswith("-") and not text.startswith("--"):
            for char in text[1:]:  # a cluster of short options: -as, -sm "msg", -S<keyid>
                if char in sign_chars:
                    found = word
                if char in value_flags:
                    break
    if found is None:
        return None
    return found.span, f"`git {sub} {found.text}` signs"
