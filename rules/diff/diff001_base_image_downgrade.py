"""## What it catches
A change that moves a Dockerfile stage's `FROM` to a weaker base image than the one at the base
revision (`preflight check --base REF`):

- from a hardened image (Docker Hardened Images `dhi.io/...`, Chainguard `cgr.dev/...`,
  distroless, Iron Bank, `-hardened` variants; the list is data) to a generic one such as
  `python:3.11-slim`;
- to a lower language version in the same stage (`python:3.12` -> `python:3.11`,
  `node:22` -> `node:20`), hardened or not.

Stages are matched by name (`AS builder`), then the remaining ones from the last stage backwards,
so collapsing a two-stage hardened build into one generic `FROM` is compared with the runtime
stage. An image chosen by `ARG` is compared through the argument's default. A Dockerfile that was
renamed is compared with its old path. `FROM` of an earlier stage, `scratch`, digest-only changes
and images whose version cannot be read from the tag are not judged.

The rule needs `--base REF`; without it, it reports nothing.

## Why it matters
Seed 002, anti-patterns 1 and 3: a deployment "succeeded" after `FROM dhi.io/python:3.12` became
`FROM python:3.11-slim`. The build had failed because `ortools` needed compilers that the minimal
runtime image lacks; instead of using the hardened image's `-dev` variant in a build stage, the
hardened image and Python 3.12 were dropped, reintroducing some 300 known vulnerabilities and
losing the newer runtime. Security and language versions are not deployment convenience levers;
the downgrade looks like a one-line fix in review, which is why it is checked against the base.

## Example
```dockerfile
# Dockerfile (base)
FROM dhi.io/python:3.12-dev AS builder
RUN pip wheel --wheel-dir /wheels ortools==9.8.3296

FROM dhi.io/python:3.12 AS runtime
COPY --from=builder /wheels /wheels
```

```dockerfile
# Dockerfile
FROM python:3.11-slim
RUN pip install ortools
```

## Use instead
```dockerfile
# Dockerfile (base)
FROM dhi.io/python:3.12-dev AS builder
RUN pip wheel --wheel-dir /wheels ortools==9.8.3296

FROM dhi.io/python:3.12 AS runtime
COPY --from=builder /wheels /wheels
```

```dockerfile
# Dockerfile
FROM dhi.io/python:3.12-dev AS builder
RUN apt-get update && apt-get install -y --no-install-recommends gcc g++ cmake
RUN pip wheel --wheel-dir /wheels ortools==9.8.3296

FROM dhi.io/python:3.12 AS runtime
COPY --from=builder /wheels /wheels
```

## Fix
Find out why the build fails on the hardened image instead of replacing it: build in the
image's `-dev` variant (it has a package manager and compilers), copy the result into the
minimal runtime stage, pin the dependency version that supports your Python. If a downgrade is
truly required by a dependency, say so in the commit and suppress the finding on the `FROM` line
(`# preflight: ignore[DIFF001]`). Add your own golden images with `extend-hardened-images`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator

from preflight.data import data_options, load_data, merged
from preflight.documents.dockerfile import DockerfileDocument, Stage, arg_pairs
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta

RULE = RuleMeta(
    id="DIFF001",
    name="base-image-downgrade",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.DOCKERFILE}),
    summary="A FROM moved from a hardened image to a generic one, or to a lower language version (needs --base)",
    source="seed 002 anti-patterns 1 and 3",
    lesson="Security decisions are not deployment convenience levers: fix the build on the hardened image "
           "(its -dev variant for building) instead of downgrading the image or the language version.",
    symptoms=("E: Unable to locate package gcc",
              "ERROR: No matching distribution found for ortools>=9.8"),
    options=data_options("hardened-images", "list of hardened image patterns"),
    tags=("docker", "security", "needs-base"),
)

VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
FROM_PREFIX = re.compile(r"\s*FROM\s+(?:--\S+\s+)*", re.IGNORECASE)
VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    base = repo.base
    if base is None:
        return
    data = load_data("hardened_images")
    hardened = [p.lower() for p in merged(list(data["images"]), ctx.options, "hardened-images")]
    languages = frozenset(data["languages"])
    for doc in repo.documents(FileKind.DOCKERFILE):
        if not isinstance(doc, DockerfileDocument) or not base.changed(doc.path):
            continue
        old_path = base.old_path(doc.path)
        old = base.document_at(old_path) if old_path else None
        if not isinstance(old, DockerfileDocument):
            continue
        for stage, old_stage in _pairs(doc.stages, old.stages):
            image, old_image = _image(doc, stage), _image(old, old_stage)
            if image is None or old_image is None or image == old_image:
                continue
            reasons = []
            if _matches(old_image, hardened) and not _matches(image, hardened):
                reasons.append(f"the hardened `{old_image}` became the generic `{image}`")
            lowered = _lowered(old_image, image, languages)
            if lowered:
                reasons.append(lowered)
            if reasons:
                where = f"stage `{stage.name}`" if stage.name else f"the {_nth(stage, doc)} stage"
                yield ctx.finding(_image_span(doc, stage),
                                  f"base image of {where} downgraded since {base.ref}: {'; '.join(reasons)}; "
                                  "fix the build on the original image (a -dev variant for building) instead")


def _pairs(stages: list[Stage], old: list[Stage]) -> Iterator[tuple[Stage, Stage]]:
    """Stages matched by name, then the rest from the last stage backwards."""
    named = {s.name.lower(): s for s in old if s.name}
    left, old_left = [], list(old)
    for stage in stages:
        match = named.get(stage.name.lower()) if stage.name else None
        if match is not None:
            old_left.remove(match)
            yield stage, match
        else:
            left.append(stage)
    yield from zip(reversed(left), reversed(old_left), strict=False)


def _image(doc: DockerfileDocument, stage: Stage) -> str | None:
    """The stage's image with ARG defaults substituted, lower-cased, digest removed; None: not an image."""
    args: dict[str, str | None] = {}
    for instruction in doc.instructions:
        if instruction.stage >= 0:
            break
        if instruction.name == "ARG":
            args.update(arg_pairs(instruction.value))
    unknown = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unknown
        value = args.get(match.group(1) or match.group(3))
        if value:
            return value
        if match.group(2) is not None:
            return match.group(2)
        unknown = True
        return ""

    image = VARIABLE.sub(substitute, stage.image).strip().lower()
    if unknown or not image or image == "scratch":
        return None
    earlier = {s.name.lower() for s in doc.stages[:stage.index] if s.name}
    if image in earlier or image.isdigit():
        return None
    image = image.split("@", 1)[0]
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/", "index.docker.io/"):
        if image.startswith(prefix):
            image = image[len(prefix):]
            break
    return image or None


def _matches(image: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(image, pattern) for pattern in patterns)


def _name_and_version(image: str) -> tuple[str, tuple[int, ...] | None, str]:
    repository, _, tag = image.rpartition(":") if ":" in image.rpartition("/")[2] else (image, "", "")
    name = repository.rsplit("/", 1)[-1]
    match = VERSION.match(tag)
    if not match:
        return name, None, ""
    return name, tuple(int(p) for p in match.group(1).split(".")), match.group(1)


def _lowered(old_image: str, image: str, languages: frozenset[str]) -> str | None:
    old_name, old_version, old_text = _name_and_version(old_image)
    name, version, text = _name_and_version(image)
    if name != old_name or name not in languages or version is None or old_version is None:
        return None
    common = min(len(version), len(old_version))
    if version[:common] < old_version[:common]:
        return f"{name} {old_text} lowered to {text}"
    return None


def _nth(stage: Stage, doc: DockerfileDocument) -> str:
    if len(doc.stages) == 1:
        return "only"
    if stage.index == len(doc.stages) - 1:
        return "last"
    return ["first", "second", "third"][stage.index] if stage.index < 3 else f"{stage.index + 1}th"


def _image_span(doc: DockerfileDocument, stage: Stage) -> Span:
    line = stage.instruction.line
    text = doc.line_text(line)
    prefix = FROM_PREFIX.match(text)
    if prefix and text[prefix.end():].startswith(stage.image):
        start = prefix.end()
        return Span(doc.path, line, start + 1, line, start + 1 + len(stage.image))
    return doc.span_of(stage.instruction)
