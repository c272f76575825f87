"""## What it catches
A deploy that starts containers without first clearing what an earlier, failed deploy left behind:

- `docker compose up` (any flags, `-f`/`-p` options, the legacy `docker-compose up` too) with no
  earlier `docker compose down --remove-orphans` and without `up --remove-orphans`;
- `docker run --name X` with no earlier `docker rm -f X` (or `docker container rm -f X`,
  `docker stop X && docker rm X`).

It looks at deploy scripts (shell scripts and Makefiles; files named for local development, tests
or demos, such as `dev.sh`, `start-local.sh`, `scripts/test-*.sh`, `demo_setup.sh`, `examples/`,
are skipped), commands run on a server
through `ssh host '...'` or an SSH action's `script:` (`appleboy/ssh-action`), and jobs on
self-hosted runners. A job on a fresh GitHub-hosted runner has no old containers and is not
flagged. "Earlier" means earlier in the same script, the same Makefile, or the same job.

## Why it matters
From the 42Bros platform (seed 000, "Stale Container Blocking Deployment"): a deployment was
interrupted (an OOM kill, a failed pull) and left a container behind under a mangled name. Every
deploy after it failed with

    Conflict. The container name "/3813f7a3c5a8_servicename" is already in use

until someone logged in and removed the container by hand. The fix was a cleanup step that runs
before every start, so a deploy repairs what the previous one broke instead of tripping over it.

## Example
```bash
# scripts/deploy.sh
#!/usr/bin/env bash
set -euo pipefail
cd /srv/app
docker compose pull
docker compose up -d
```

## Use instead
```bash
# scripts/deploy.sh
#!/usr/bin/env bash
set -euo pipefail
cd /srv/app
docker compose pull
docker compose down --remove-orphans 2>/dev/null || true
docker compose up -d --remove-orphans
```

## Fix
Before starting containers, remove leftovers: `docker compose down --remove-orphans` (or start with
`docker compose up -d --remove-orphans`), and `docker rm -f <name> 2>/dev/null || true` before a
`docker run --name <name>`. Add container health checks so a stuck container is noticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from preflight.commands import Command
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="DC002",
    name="deploy-without-orphan-cleanup",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.WORKFLOW, FileKind.ACTION, FileKind.SHELL, FileKind.MAKEFILE}),
    summary="A deploy starts containers without removing leftovers of an earlier deploy",
    source='seed 000 "Stale Container Blocking Deployment"',
    lesson="An interrupted deploy leaves a container behind and every later deploy fails on its name; "
           "clean up (down --remove-orphans, docker rm -f) before starting containers.",
    symptoms=('Conflict. The container name "/3813f7a3c5a8_servicename" is already in use',),
    tags=("docker", "compose", "deploy"),
)

# Scripts for a developer's machine, for tests or for a demo, not for deploying.
LOCAL_SCRIPT = re.compile(r"(^|[/_.-])(dev|develop|development|local|test|tests|testing|e2e|ci-test|"
                          r"demo|demos|example|examples|tutorial|tutorials|sample|samples)([/_.-]|$)",
                          re.IGNORECASE)
# Compose options that take a value (they come before the subcommand).
COMPOSE_VALUE_OPTIONS = frozenset({"-f", "--file", "-p", "--project-name", "--profile", "--env-file",
                                   "--project-directory", "--ansi", "--parallel", "--progress"})
DOCKER_VALUE_OPTIONS = frozenset({"-H", "--host", "-c", "--context", "--config", "-l", "--log-level"})


def _docker_args(cmd: Command) -> list[str] | None:
    """The arguments after `docker` (global options dropped); None if not docker."""
    if cmd.program_name == "docker-compose":
        return ["compose", *cmd.args]
    if cmd.program_name not in ("docker", "podman"):
        return None
    args = cmd.args
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 1 if "=" in args[i] or args[i] not in DOCKER_VALUE_OPTIONS else 2
    return args[i:]


def _compose_subcommand(args: list[str]) -> tuple[str | None, list[str]]:
    """For `compose [options] sub [args]`: the subcommand and its arguments."""
    i = 1
    while i < len(args) and args[i].startswith("-"):
        i += 1 if "=" in args[i] or args[i] not in COMPOSE_VALUE_OPTIONS else 2
    if i >= len(args):
        return None, []
    return args[i], args[i + 1:]


def _container_name(args: list[str]) -> str | None:
    """The `--name` of a `docker run` / `docker container run`."""
    for i, arg in enumerate(args):
        if arg == "--name" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--name="):
            return arg.split("=", 1)[1]
    return None


def _removed_containers(args: list[str]) -> set[str]:
    """Names removed by `docker rm [-f] a b` / `docker container rm`."""
    if args[:1] == ["rm"]:
        rest = args[1:]
    elif args[:2] == ["container", "rm"]:
        rest = args[2:]
    else:
        return set()
    return {a for a in rest if not a.startswith("-")} | ({"*"} if any("$(" in a for a in rest) else set())


def _in_scope(cmd: Command) -> bool:
    if cmd.remote:
        return True
    if cmd.kind in (FileKind.SHELL, FileKind.MAKEFILE):
        return not LOCAL_SCRIPT.search(cmd.path)
    step = cmd.step
    if step is None or step.job is None:
        return False  # a composite action: where it runs is up to its caller
    runs_on = step.job.node.get("runs-on")
    labels = runs_on if isinstance(runs_on, list) else [runs_on]
    return any(isinstance(label, str) and "self-hosted" in label for label in labels)


def _scope_key(cmd: Command) -> tuple[str, str]:
    """Cleanup counts within one script or Makefile, or one job (remote scripts: one step)."""
    step = cmd.step
    if step is None:
        return (cmd.path, "")
    if cmd.via is not None:
        return (cmd.path, f"step:{step.job.id if step.job else ''}:{step.index}")
    return (cmd.path, f"job:{step.job.id if step.job else ''}")


def check_document(doc, ctx: Context) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
    cleaned: dict[tuple[str, str], set[str]] = {}  # scope -> removed container names; "compose" for down
    for cmd in ctx.repo.commands(doc):
        args = _docker_args(cmd)
        if not args:
            continue
        scope = cleaned.setdefault(_scope_key(cmd), set())
        if args[0] == "compose":
            sub, rest = _compose_subcommand(args)
            if sub == "down" and "--remove-orphans" in rest:
                scope.add("compose")
            elif sub == "up":
                if "--remove-orphans" in rest:
                    scope.add("compose")
                elif "compose" not in scope and _in_scope(cmd):
                    said = "docker-compose up" if cmd.program_name == "docker-compose" else "docker compose up"
                    yield ctx.finding(cmd.span, f"`{said}` runs with no earlier `docker compose down "
                                                "--remove-orphans` in this deploy; add it (or `up --remove-orphans`) "
                                                "so a leftover container cannot block the start")
            continue
        scope.update(_removed_containers(args))
        run_args = args[1:] if args[:1] == ["run"] else args[2:] if args[:2] == ["container", "run"] else None
        if run_args is None:
            continue
        name = _container_name(run_args)
        if name and name not in scope and "*" not in scope and _in_scope(cmd):
            yield ctx.finding(cmd.span, f"`docker run --name {name}` with no earlier `docker rm -f {name}` in this "
                                        f"deploy; add `docker rm -f {name} 2>/dev/null || true` before it")
