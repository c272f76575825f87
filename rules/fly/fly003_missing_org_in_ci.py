"""## What it catches
A command that creates a Fly.io app or database without `--org`, run where nobody can answer a
prompt: `fly apps create`, `fly launch`, `fly postgres create` / `fly pg create`,
`fly mpg create`, `fly redis create` (the list is data) in

- workflow `run:` steps and composite actions,
- shell scripts and Makefiles that a workflow runs (`run: ./scripts/deploy.sh`, `bash scripts/x.sh`,
  `make deploy`).

`--org x`, `--org=x` and `-o x` pass, as does a command in a script no workflow runs (someone runs
it at a terminal and can pick the organisation).

## Why it matters
From the Gaia platform's deployment log (seed 004, section 8): the deploy pipeline stopped with

    Error: org slug must be specified when not running interactively

because `flyctl` asks which organisation to use when the token can see more than one, and a CI
runner has no terminal to ask. The organisation was implicit knowledge in one person's head; the
fix was to write it down, in the command.

## Example
```yaml
# .github/workflows/preview.yml
on: pull_request
jobs:
  preview:
    runs-on: ubuntu-latest
    steps:
      - uses: superfly/flyctl-actions/setup-flyctl@master
      - run: flyctl apps create "gaia-pr-${{ github.event.number }}"
```

## Use instead
```yaml
# .github/workflows/preview.yml
on: pull_request
jobs:
  preview:
    runs-on: ubuntu-latest
    steps:
      - uses: superfly/flyctl-actions/setup-flyctl@master
      - run: flyctl apps create "gaia-pr-${{ github.event.number }}" --org aeonia-dev
```

## Fix
Add `--org <slug>` to every command that creates an app or a database in CI, and document the
organisation in the README. The command list is data (`org-commands` in `rules/data/fly.toml`);
change it with the `org-commands` / `extend-org-commands` options, e.g.

```toml
[tool.preflight.rules.FLY003]
extend-org-commands = [["volumes", "create"]]
```
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from preflight.commands import Command
from preflight.data import data_options, load_data, merged
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.fly.flycli import fly_command, starts_with

RULE = RuleMeta(
    id="FLY003",
    name="missing-org-in-ci",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.WORKFLOW, FileKind.ACTION, FileKind.SHELL, FileKind.MAKEFILE}),
    summary="CI creates a Fly.io app or database without --org",
    source='seed 004 section 8 ("Document Organizational Context")',
    lesson="flyctl cannot ask for the organisation when not interactive; name it with --org in every "
           "command that creates an app or database in CI.",
    symptoms=("Error: org slug must be specified when not running interactively",),
    options=data_options("org-commands", "list of commands that need --org"),
    tags=("fly", "ci"),
)

SHELLS = frozenset({"bash", "sh", "zsh", "dash"})


def ci_scripts(repo: Repository) -> frozenset[str]:
    """Repository paths of scripts and Makefiles that workflows run."""
    run: set[str] = set()
    for cmd in repo.all_commands(FileKind.WORKFLOW, FileKind.ACTION):
        argv = [w.text for w in cmd.argv]
        if not argv:
            continue
        if cmd.program_name == "make":
            directory = next((argv[i + 1] for i, a in enumerate(argv) if a == "-C" and i + 1 < len(argv)), ".")
            makefile = next((argv[i + 1] for i, a in enumerate(argv) if a == "-f" and i + 1 < len(argv)), "Makefile")
            run.add(posixpath.normpath(posixpath.join(directory, makefile)))
            continue
        script = argv[1] if cmd.program_name in SHELLS and len(argv) > 1 else argv[0]
        if "/" in script or script.endswith(".sh"):
            run.add(posixpath.normpath(script))  # normpath drops a leading "./"
    return frozenset(run)


def _in_ci(cmd: Command, ctx: Context) -> bool:
    if cmd.kind in (FileKind.WORKFLOW, FileKind.ACTION):
        return cmd.via is None  # an SSH action's script runs on a server, not the runner
    return cmd.path in ctx.repo.fact(ci_scripts)


def check_command(cmd: Command, ctx: Context) -> Iterator[Finding]:
    fly = fly_command(cmd)
    if fly is None or not fly.words or fly.has("--org", "-o"):
        return
    needing = merged(list(load_data("fly")["org-commands"]), ctx.options, "org-commands")
    for words in needing:
        words = ["postgres" if w == "pg" else w for w in words]
        if starts_with(fly.words, words) and _in_ci(cmd, ctx):
            first, last = cmd.argv[0].span, fly.word_spans[len(words) - 1].span
            said = " ".join([cmd.program_name or "fly", *(w.text for w in fly.word_spans[:len(words)])])
            yield ctx.finding(Span(cmd.path, first.line, first.column, last.end_line, last.end_column),
                              f"`{said}` runs in CI without --org and fails with 'org slug must be specified "
                              "when not running interactively'; add `--org <slug>`")
            return


# Facts the per-file hook asks for, computed before files are checked (see preflight.rule).
FACTS = (ci_scripts,)
