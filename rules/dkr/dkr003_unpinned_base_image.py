"""## What it catches
A `FROM` whose image has no tag (`FROM python`) or the tag `latest` (`FROM node:latest`), in any
stage of any Dockerfile. An image chosen by a build argument is judged by the argument's default:
`ARG PY=3.12` / `FROM python:${PY}-slim` passes, while an `ARG` with no default, or one defaulting
to `latest` or to an image without a tag, is reported with a message saying so. Two exceptions: an
image that is one argument with no default (`ARG BASE_IMAGE` / `FROM ${BASE_IMAGE}`), since a build
without it stops and the image is named by whoever builds (a compose `build.args`, a script), and
BuildKit's automatic platform arguments (`FROM binary-$TARGETOS`), which are always set.

Not flagged: digest pins (`python@sha256:...`, also with a tag), `scratch`, an earlier stage of the
same file (`FROM builder`), the `--platform=$BUILDPLATFORM` flag (it is not the image), and
Dockerfiles under a test-data directory (`testdata/`, `fixtures/`), which a test suite builds.
The finding points at the image on the `FROM` line.

A tag is not an immutable pin: `python:3.12-slim` still moves with patch releases and rebuilds. This
rule asks for a version you chose; pin digests where you need byte-for-byte reproducible builds.

## Why it matters
One of the key themes of the 42Bros post-mortems (seed 000, "Version pinning is critical"): Poetry,
Docker Compose and Python versions must be explicit. A base image without a tag is `:latest`,
which is whatever was pushed last on the day the image is built: the same Dockerfile builds a
different Python (or Debian, or Node) on your laptop, in CI and on the next rebuild in production,
and the team found out from failures such as the Python downgrade and Poetry mismatch in the same
post-mortems rather than from a diff.

## Example
```dockerfile
# Dockerfile
FROM python AS builder
RUN pip wheel --wheel-dir /wheels -r requirements.txt

FROM node:latest
COPY --from=builder /wheels /wheels
```

## Use instead
```dockerfile
# Dockerfile
ARG PY=3.12
FROM python:${PY}-slim AS builder
RUN pip wheel --wheel-dir /wheels -r requirements.txt

FROM node:22-bookworm-slim
COPY --from=builder /wheels /wheels
```

## Fix
Name the version: `FROM python:3.12-slim`, or a digest (`FROM python:3.12-slim@sha256:...`) updated
by Renovate or Dependabot. Give every `ARG` used in a `FROM` a default that is a version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from preflight.documents.base import Document
from preflight.documents.dockerfile import DockerfileDocument, Stage
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight.testdata import is_test_data_path
from preflight_rules.dkr.facts import global_args

RULE = RuleMeta(
    id="DKR003",
    name="unpinned-base-image",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.DOCKERFILE}),
    summary="A FROM image has no tag or uses :latest",
    source='seed 000 key theme "Version pinning is critical"',
    lesson="A base image without a tag is whatever :latest was on the day of the build; versions must "
           "be explicit so every build gets the same base.",
    symptoms=("works locally but the image built in CI behaves differently",
              "base image changed between builds"),
    tags=("docker", "pinning"),
)

VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
# Build arguments BuildKit sets on every build (the platform being built for and on).
AUTOMATIC_ARGS = frozenset({"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
                            "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"})
FROM_PREFIX = re.compile(r"\s*FROM\s+(?:--\S+\s+)*", re.IGNORECASE)


def check_document(doc: Document, ctx: Context) -> Iterator[Finding]:
    if not isinstance(doc, DockerfileDocument) or is_test_data_path(doc.path):
        return
    args = global_args(doc)
    earlier: set[str] = set()
    for stage in doc.stages:
        problem = _problem(stage.image, args, earlier)
        if stage.name:
            earlier.add(stage.name.lower())
        if problem:
            yield ctx.finding(_image_span(doc, stage), problem)


def _problem(image: str, args: dict[str, str | None], earlier: set[str]) -> str | None:
    if not image:
        return None
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3) or ""
        value = args.get(name)
        if operator in (":-", "-"):
            return value if value else word
        if operator in (":+", "+"):
            return word if value else ""
        if value is None:
            missing.append(name)
            return ""
        return value

    resolved = VARIABLE.sub(substitute, image)
    if missing and all(name in AUTOMATIC_ARGS for name in missing):
        return None  # BuildKit always sets these (`FROM binary-$TARGETOS` picks one of the file's stages)
    if missing and VARIABLE.fullmatch(image.strip()):
        return None  # `FROM ${BASE_IMAGE}`: without the argument the build stops; its caller names the image
    if missing:
        name = missing[0]
        declared = "has no default" if name in args else "is not declared before the first FROM"
        return (f"base image {image} takes its value from ARG {name}, which {declared}; give the ARG a default "
                "that names a version, so a build without --build-arg does not pull :latest")
    low = resolved.lower()
    if "@" in low or low == "scratch" or low in earlier:
        return None
    last = resolved.rsplit("/", 1)[-1]  # tags are case-sensitive: only `latest` is latest
    tag = last.split(":", 1)[1] if ":" in last else None
    via = f" ({image} resolves to {resolved} through its ARG default)" if resolved != image else ""
    if tag is None:
        return (f"base image {resolved} has no tag, so it is whatever :latest is on the day of the build{via}; "
                "pin a version tag or a digest")
    if tag in ("latest", ""):
        return (f"base image {resolved} uses :latest, which changes under you between builds{via}; pin a "
                "version tag or a digest")
    return None


def _image_span(doc: DockerfileDocument, stage: Stage) -> Span:
    line = stage.instruction.line
    text = doc.line_text(line)
    prefix = FROM_PREFIX.match(text)
    if prefix and text[prefix.end():].startswith(stage.image):
        start = prefix.end()
        return Span(doc.path, line, start + 1, line, start + 1 + len(stage.image))
    found = text.find(stage.image)
    if found >= 0:
        return Span(doc.path, line, found + 1, line, found + 1 + len(stage.image))
    return doc.span_of(stage.instruction)
