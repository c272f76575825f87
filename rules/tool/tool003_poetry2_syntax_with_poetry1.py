"""## What it catches
`pyproject.toml` written for Poetry 2 while the Poetry that CI or a Dockerfile pins is 1.x:

- PEP 621 `[project]` metadata in a Poetry project (build backend `poetry.core.masonry.api`, or a
  `[tool.poetry]` table) where `[tool.poetry]` does not repeat it: Poetry 2.0 reads `[project]`,
  Poetry 1.x ignores it and finds no name, version or dependencies;
- `[tool.poetry.requires-plugins]` and `requires-poetry` under `[tool.poetry]` (both Poetry 2.0);
- `package-mode = false` under `[tool.poetry]` with a pinned Poetry older than 1.8 (non-package mode
  arrived in Poetry 1.8.0; the seed file says 2.0, but 1.8 already reads it).

`[project]` with another build backend (hatchling, setuptools, pdm) and no `[tool.poetry]` is
not Poetry's syntax and is not flagged; nor is a `[project]` table that `[tool.poetry]` mirrors
with its own `name` and dependencies (a file kept readable by both majors).

Pins are those TOOL002 reads (workflow, Dockerfile, scripts, Makefiles, Poetry actions). A pin
applies to the Poetry project in the nearest directory at or above its file, else to the only
Poetry project of the repository (a root workflow and `backend/pyproject.toml`). It cannot see a Poetry that comes from a
base image, a developer's machine or a `${{ matrix.* }}` value.

## Why it matters
The lesson from the 42Bros platform (seed 000, "Poetry Version Mismatch Between Local and
CI/CD"): the project was written and locked with Poetry 2.x locally, while GitHub Actions
installed Poetry 1.8.x. The pipeline failed with

    pyproject.toml changed significantly since poetry.lock was last generated. Run poetry lock to fix the lock file.

Poetry 1.x reads neither a Poetry 2 lock file nor the Poetry 2 ways of writing `pyproject.toml`;
the seed's advice was to keep `[tool.poetry]` metadata for compatibility, or to pin Poetry 2
everywhere.

## Example
```toml
# pyproject.toml
[project]
name = "api"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = ["fastapi>=0.115"]

[build-system]
requires = ["poetry-core>=2.0.0"]
build-backend = "poetry.core.masonry.api"
```

```yaml
# .github/workflows/ci.yml
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pipx install poetry==1.8.3
      - run: poetry install
```

## Use instead
```toml
# pyproject.toml
[project]
name = "api"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = ["fastapi>=0.115"]

[build-system]
requires = ["poetry-core>=2.0.0"]
build-backend = "poetry.core.masonry.api"
```

```yaml
# .github/workflows/ci.yml
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pipx install poetry==2.3.0
      - run: poetry install
```

## Fix
Pin Poetry 2 (the version in `poetry.lock`'s header) in every workflow and Dockerfile, or, if
you must stay on Poetry 1.x for now, write the metadata under `[tool.poetry]` and drop the
Poetry-2-only keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from packaging.version import Version

from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity, Span
from preflight.rule import Context, RuleMeta
from preflight_rules.tool.facts import BUILD_KINDS, PoetryPin, major, poetry_pins, server

RULE = RuleMeta(
    id="TOOL003",
    name="poetry2-syntax-with-poetry1",
    severity=Severity.ERROR,
    kinds=frozenset({*BUILD_KINDS, FileKind.PYPROJECT}),
    summary="pyproject.toml uses Poetry 2 syntax while CI or a Dockerfile pins Poetry 1.x",
    source='seed 000 "Poetry Version Mismatch Between Local and CI/CD"',
    lesson="The project was written for Poetry 2 while CI installed Poetry 1.8; pin Poetry 2 everywhere "
           "or keep the metadata under [tool.poetry].",
    symptoms=("pyproject.toml changed significantly since poetry.lock was last generated",
              "Run poetry lock to fix the lock file"),
    tags=("poetry", "ci", "docker", "pinning", "cross-file"),
)

POETRY_BACKENDS = ("poetry.core.masonry.api", "poetry.masonry.api")


def _is_poetry_project(doc: Any) -> bool:
    backend = doc.get("build-system", "build-backend")
    if isinstance(backend, str) and backend.strip() in POETRY_BACKENDS:
        return True
    return isinstance(doc.get("tool", "poetry"), Mapping)


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    old = [p for p in repo.fact(poetry_pins) if major(p.version) < 2]
    if not old:
        return
    projects = [doc for doc in repo.documents(FileKind.PYPROJECT) if _is_poetry_project(doc)]
    paths = [doc.path for doc in projects]
    by_project: dict[str | None, list] = {}
    find = server(paths)
    for pin in old:  # which project each pin builds, once per pin
        by_project.setdefault(find(pin.path), []).append(pin)
    for doc in projects:
        mine = by_project.get(doc.path, [])
        if not mine:
            continue
        for span, syntax, needs, instead in _poetry2_syntax(doc):
            pins = [p for p in mine if Version(p.version) < Version(needs)]
            if pins:
                pin = pins[0]
                yield ctx.finding(span, f"{syntax} needs Poetry {needs} or newer, but {pin.where} pins Poetry "
                                        f"{pin.version}{_more(pins)}; pin Poetry {needs} or newer there "
                                        f"or {instead}")


def _more(pins: list[PoetryPin]) -> str:
    return f" (and {len(pins) - 1} more place{'s' if len(pins) > 2 else ''})" if len(pins) > 1 else ""


def _poetry2_syntax(doc: Any) -> Iterator[tuple[Span, str, str, str]]:
    tool_poetry = doc.get("tool", "poetry")
    tool_poetry = tool_poetry if isinstance(tool_poetry, Mapping) else {}
    project = doc.get("project")
    if isinstance(project, Mapping) and _project_only_metadata(project, tool_poetry):
        yield (doc.key_span("project"), "PEP 621 [project] metadata that [tool.poetry] does not repeat", "2.0",
               "declare name, version and dependencies under [tool.poetry]")
    if "requires-plugins" in tool_poetry:
        yield (doc.key_span("tool", "poetry", "requires-plugins"), "[tool.poetry.requires-plugins]", "2.0",
               "install the plugins with `poetry self add`")
    if "requires-poetry" in tool_poetry:
        yield (doc.key_span("tool", "poetry", "requires-poetry"), "requires-poetry in [tool.poetry]", "2.0",
               "remove it")
    if tool_poetry.get("package-mode") is False:
        yield (doc.key_span("tool", "poetry", "package-mode"), "package-mode = false", "1.8",
               "remove it and keep a package")


def _project_only_metadata(project: Mapping[str, Any], tool_poetry: Mapping[str, Any]) -> bool:
    """Whether Poetry 1.x, which reads only [tool.poetry], would miss what [project] declares."""
    if "name" in project and "name" not in tool_poetry and tool_poetry.get("package-mode") is not False:
        return True
    dependencies = project.get("dependencies")
    return bool(isinstance(dependencies, list) and dependencies and "dependencies" not in tool_poetry)
