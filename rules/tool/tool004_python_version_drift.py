"""## What it catches
Places in one repository that disagree about which Python the project runs on, compared at
`major.minor`:

- `FROM python:X.Y...` in every Dockerfile stage (also `docker.io/library/python`, `dhi.io/python`,
  `cgr.dev/chainguard/python` and other images named `python`, and images tagged `pythonX.Y...` such
  as `astral-sh/uv:python3.12-bookworm` or `tiangolo/uvicorn-gunicorn-fastapi:python3.11`;
  `ARG`-driven tags are resolved with the `ARG` default);
- `actions/setup-python` with one literal `python-version` (a list or `${{ matrix.x }}` tests
  several Pythons on purpose and is skipped; `python-version-file` reads `.python-version`, which
  is counted itself);
- `requires-python` in `[project]` and `python` in `[tool.poetry.dependencies]` (Poetry's `^3.11`
  and `~3.11` are read as PEP 440 ranges);
- `.python-version` (its first version: the default `python`; further lines are extra
  interpreters) and `runtime.txt` (`python-3.11.4`);
- `tox.ini` `basepython = python3.X` in `[testenv]` (a named env's, such as `[testenv:oldest]`,
  picks that env's Python) or an `envlist` with a single `pyXY`, and a `noxfile.py` session with a
  single `python=`.

Places are compared within one project: a directory with its own metadata (`pyproject.toml`,
`setup.py`, `requirements.txt`, `.python-version`, `tox.ini`, ...) is judged apart from the rest,
so a repository of independent examples is not one project. Workflows belong to the repository's
top, and count only when the top is a Python project. When a workflow tests several Pythons (a
matrix or a list), its single-version jobs run tools (lint, docs, coverage) and do not vote.

The places that name one Python vote; the version most of them use is the majority, and every
place that uses another one is reported, naming the places it disagrees with. On a tie, all of
them are reported. A range (`requires-python = ">=3.10"`) agrees with any version it admits and
never forms a majority on its own: it is reported only when it excludes the majority. A range
that admits one minor only (`~3.11`, `>=3.11,<3.12`) names that Python and votes.

It cannot see a Python chosen at run time (a build argument passed on the command line, a matrix,
a base image that is not named `python`), nor Pythons in other repositories.

## Why it matters
The lesson from seed 002 ("Python Version Downgrade"): to get past an `ortools` install failure
in the hardened `dhi.io/python:3.12` image, the Dockerfile was changed to `FROM python:3.11-slim`.
The project, its CI and its lock file still said 3.12; the real cause was missing build tools
(`ortools>=9.8 failed to install in dhi.io/python:3.12`), and the silent downgrade lost the
newer language features and performance the code relied on. When the image, CI and
`pyproject.toml` name different Pythons, tests pass on one interpreter while production runs
another, and the drift is found only when something breaks in one place.

## Example
```dockerfile
# Dockerfile
FROM python:3.12-slim AS builder
RUN pip wheel --wheel-dir /wheels ortools==9.8.3296

FROM python:3.11-slim
COPY --from=builder /wheels /wheels
```

```yaml
# .github/workflows/ci.yml
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pytest
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: ruff check .
```

## Use instead
```dockerfile
# Dockerfile
ARG PYTHON_VERSION=3.12
FROM python:${PYTHON_VERSION}-slim AS builder
RUN pip wheel --wheel-dir /wheels ortools==9.8.3296

FROM python:${PYTHON_VERSION}-slim
COPY --from=builder /wheels /wheels
```

```yaml
# .github/workflows/ci.yml
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12"]
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python }}
      - run: pytest
```

## Fix
Choose one Python and write it in every place that selects one (or read it from one place:
`python-version-file: .python-version`, a Dockerfile `ARG PYTHON_VERSION`). If a dependency does
not install on it, fix the build (add the build tools, pick a release with wheels) rather than
moving one place to an older Python.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight_rules.dep.specifiers import admits_any, parse_pep440
from preflight_rules.tool.facts import PythonPlace, python_versions

RULE = RuleMeta(
    id="TOOL004",
    name="python-version-drift",
    severity=Severity.WARNING,
    kinds=frozenset({FileKind.DOCKERFILE, FileKind.WORKFLOW, FileKind.ACTION, FileKind.PYPROJECT,
                     FileKind.PYTHON_VERSION, FileKind.INI}),  # noxfile.py is parsed on demand
    summary="Dockerfiles, CI and project metadata name different Python versions",
    source='seed 002 "Python Version Downgrade"',
    lesson="The Dockerfile was moved to Python 3.11 while everything else said 3.12; keep one Python "
           "version in every place that selects one.",
    symptoms=("ortools>=9.8 failed to install in dhi.io/python:3.12",),
    tags=("python", "docker", "ci", "cross-file"),
)

MAX_NAMED = 3


PROJECT_MARKERS = frozenset({"pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "pipfile",
                             ".python-version", "runtime.txt", "tox.ini", "noxfile.py", "poetry.lock"})


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    places = repo.fact(python_versions)
    if _tests_a_matrix(repo):  # single-version jobs are then tooling (lint, docs, coverage), not the runtime
        places = [p for p in places if p.what != "setup-python python-version"]
    projects = _project_dirs(repo)
    by_project: dict[str, list[PythonPlace]] = {}
    for place in places:
        project = _project_of(place.path, projects)
        if project == "" and "" not in projects and place.path.startswith(".github/"):
            continue  # the top is no Python project (pulumi/examples, a TypeScript action): its CI runs tools
        by_project.setdefault(project, []).append(place)
    for _, members in sorted(by_project.items()):
        yield from _judge(members, ctx)


def _project_dirs(repo: Repository) -> set[str]:
    """Directories holding a Python project's own metadata: each is judged on its own (a repository
    of independent examples, a sub-package with its own pins)."""
    return {posixpath.dirname(f.path) for f in repo.files if posixpath.basename(f.path).lower() in PROJECT_MARKERS}


def _project_of(path: str, projects: set[str]) -> str:
    if path.startswith(".github/"):
        return ""  # workflows and actions belong to the repository's top
    directory = posixpath.dirname(path)
    while directory:
        if directory in projects:
            return directory
        directory = posixpath.dirname(directory)
    return ""


def _tests_a_matrix(repo: Repository) -> bool:
    """A workflow runs setup-python with several versions (a list or a `${{ matrix.* }}` value)."""
    for doc in repo.documents(FileKind.WORKFLOW, FileKind.ACTION):
        for step in getattr(doc, "steps", ()):
            if (step.uses or "").split("@", 1)[0].lower() != "actions/setup-python":
                continue
            value = step.with_.get("python-version")
            if isinstance(value, list) or (isinstance(value, str) and "matrix." in value):
                return True
    return False


def _judge(places: list[PythonPlace], ctx: Context) -> Iterator[Finding]:
    exact = [p for p in places if p.version]
    if not exact:
        return
    votes: dict[str, int] = {}
    for place in exact:
        votes[place.version] = votes.get(place.version, 0) + 1  # type: ignore[index]
    top = max(votes.values())
    leaders = sorted((v for v, n in votes.items() if n == top), key=_key, reverse=True)
    tie = len(leaders) > 1
    for place in exact:
        if place.version in leaders and not tie:
            continue
        if len(votes) == 1:
            continue
        others = [p for p in exact if p.version != place.version]
        others.sort(key=lambda p: (p.version not in leaders, p.path, p.line))
        advice = (f"no version is used in most places: pick one of {', '.join(leaders)}" if tie
                  else f"{leaders[0]} is used in most places")
        yield ctx.finding(place.span, f"Python {place.version} here ({place.what}), but {_named(others)}; "
                                      f"use one Python version everywhere ({advice})")
    for place in places:
        if place.version or any(admits_any(place.constraint, parse_pep440(f"=={v}.*")) for v in leaders):
            continue
        using = [p for p in exact if p.version in leaders]
        yield ctx.finding(place.span, f"{place.what} `{place.text}` does not admit Python "
                                      f"{' or '.join(leaders)} used at {_where(using)}; widen the range or "
                                      f"move those places to a Python it admits")


def _named(places: list[PythonPlace]) -> str:
    named = ", ".join(f"{p.where} uses {p.version}" for p in places[:MAX_NAMED])
    return named + (f" (and {len(places) - MAX_NAMED} more)" if len(places) > MAX_NAMED else "")


def _where(places: list[PythonPlace]) -> str:
    named = ", ".join(p.where for p in places[:MAX_NAMED])
    return named + (f" (and {len(places) - MAX_NAMED} more)" if len(places) > MAX_NAMED else "")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
