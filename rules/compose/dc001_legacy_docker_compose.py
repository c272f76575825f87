"""## What it catches
The legacy Compose v1 program, `docker-compose`, run anywhere a deployment runs commands: shell
scripts, Makefile recipes (also through a variable such as `DC := docker-compose`), workflow
`run:` steps, Dockerfile `RUN`, commands sent over `ssh` or `sh -c`, and shell code blocks in
Markdown (at `info`: docs that teach the old command get copied into scripts). Installing v1 —
`pip install docker-compose`, or `docker-compose` in a requirements file — is caught too.

File names are not commands: `docker-compose.yml`, `-f docker-compose.prod.yaml`, paths, image
and action names, and prose that mentions `docker-compose.yml` are never flagged; nor is a
Markdown example introduced as the wrong way (`❌`, "wrong", "deprecated", "don't", "legacy").

## Why it matters
From the 42Bros deployment post-mortem (seed 000, "Docker Compose v1 vs v2 ContainerConfig
Error", and seed 004 §6): a deploy ran `docker-compose up -d` on a droplet and died with

    KeyError: 'ContainerConfig'

`docker-compose` 1.29.2 is the Python implementation of Compose; it is unmaintained and cannot
read the metadata of images built by current Docker versions. The Go plugin, `docker compose`
(with a space), reads the same `docker-compose.yml` and works.

## Example
```sh
# deploy.sh
docker-compose pull
docker-compose up -d --remove-orphans
```

## Use instead
```sh
# deploy.sh
docker compose pull
docker compose up -d --remove-orphans
```

## Fix
Replace `docker-compose ` with `docker compose ` in every script, recipe and workflow (the fix
preflight offers does exactly that, also in the definition of a Make variable such as
`DC := docker-compose`; it never touches file names such as `docker-compose.yml`), install the `docker-compose-plugin` package instead of the
v1 binary or PyPI package, and add `docker compose version` to the deploy script so a host
without the plugin fails at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from preflight.commands import Command
from preflight.documents.base import Document
from preflight.installs import package_installs
from preflight.model import Edit, FileKind, Finding, Fix, Severity, Span
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="DC001",
    name="legacy-docker-compose",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.WORKFLOW, FileKind.ACTION, FileKind.DOCKERFILE, FileKind.SHELL,
                     FileKind.MAKEFILE, FileKind.MARKDOWN, FileKind.REQUIREMENTS}),
    summary="The legacy docker-compose v1 binary is invoked or installed",
    source='seed 000 "Docker Compose v1 vs v2 ContainerConfig Error"; seed 004 §6',
    lesson="docker-compose 1.x (Python) cannot read metadata of images built by current Docker and "
           "fails with KeyError: 'ContainerConfig'; use the `docker compose` v2 plugin.",
    symptoms=("KeyError: 'ContainerConfig'", "docker-compose: command not found"),
    tags=("docker", "compose", "deployment"),
    fixable=True,
)

def check_command(cmd: Command, ctx: Context) -> Iterator[Finding]:
    if cmd.counterexample:
        return
    severity = Severity.INFO if cmd.kind is FileKind.MARKDOWN else None
    where = " in documentation that gets copied into scripts" if severity else ""
    if cmd.program_name == "docker-compose":
        program = cmd.argv[0]
        fix = None
        if program.text == "docker-compose" and program.raw == "docker-compose":
            fix = Fix("use `docker compose`", (Edit(program.span, "docker compose"),))
        elif program.text == "docker-compose":
            fix = _make_variable_fix(cmd)
        yield ctx.finding(program.span, f"legacy `docker-compose` (Compose v1) is run{where}; it fails on current "
                                        "images with KeyError: 'ContainerConfig'; use `docker compose` (v2)",
                          fix=fix, severity=severity)
        return
    for package in package_installs(cmd):
        if package.name == "docker-compose":
            yield ctx.finding(package.word.span, f"this installs the legacy docker-compose v1 package{where}; install "
                                                 "the Docker Compose v2 plugin (docker-compose-plugin) and run "
                                                 "`docker compose`", severity=severity)


def _make_variable_fix(cmd: Command) -> Fix | None:
    """`$(DC) up` with `DC := docker-compose`: the fix edits the variable's definition."""
    from preflight.documents.makefile import MakefileDocument

    doc, program = cmd.doc, cmd.argv[0]
    reference = re.fullmatch(r"\$[({]([A-Za-z_][A-Za-z0-9_.-]*)[)}]", program.raw)
    if not isinstance(doc, MakefileDocument) or reference is None:
        return None
    variable = doc.variables.get(reference.group(1))
    if variable is None:
        return None
    line = doc.line_text(variable.line)
    name = re.escape(variable.name)
    value = re.match(rf"^\s*(?:(?:export|override)\s+)*{name}\s*(?:\?=|:::=|::=|:=|=)\s*docker-compose(?![\w.-])", line)
    if value is None:
        return None
    end = value.end() + 1
    span = Span(doc.path, variable.line, end - len("docker-compose"), variable.line, end)
    return Fix(f"use `docker compose` in {variable.name}", (Edit(span, "docker compose"),))


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    for requirement in getattr(doc, "requirements", ()):
        if requirement.name == "docker-compose":
            yield ctx.finding(requirement.span, "requirement on the legacy docker-compose v1 package; drop it and "
                                                "use the Docker Compose v2 plugin (`docker compose`) on the host")
