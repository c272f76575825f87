"""The shared command layer: every kind's commands, at their true positions, with their context."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write
from preflight.discover import discover
from preflight.facts import Repository
from preflight.installs import package_installs


def commands(tmp_path: Path, name: str, text: str) -> list:
    write(tmp_path, {name: text})
    repo = Repository(str(tmp_path), discover(tmp_path).files)
    return list(repo.all_commands())


def where(cmds: list) -> list[tuple[str, int, int]]:
    return [(" ".join(w.text for w in c.argv), c.span.line, c.span.column) for c in cmds]


def test_workflow_run_blocks_keep_true_lines_and_merge_env_layers(tmp_path: Path) -> None:
    cmds = commands(tmp_path, ".github/workflows/ci.yml", """\
on: push
env:
  A: workflow
jobs:
  build:
    env:
      B: job
    steps:
      - run: echo one && echo two
      - env:
          C: step
        run: |
          set -e

          docker compose \\
            up -d
      - run: >
          pip install
          poetry
      - shell: python
        run: print("not shell")
      - run: 'echo "quoted"'
""")
    assert where(cmds) == [
        ("echo one", 9, 14), ("echo two", 9, 26), ("set -e", 13, 11),
        ("docker compose up -d", 15, 11), ("pip install poetry", 18, 11), ("echo quoted", 22, 15),
    ]
    assert cmds[0].env == {"A": "workflow", "B": "job"}
    assert cmds[3].env == {"A": "workflow", "B": "job", "C": "step"}
    assert cmds[3].step.job.id == "build" and cmds[3].step.index == 1


def test_composite_action_steps(tmp_path: Path) -> None:
    cmds = commands(tmp_path, "action.yml",
                    "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: make deploy\n")
    assert where(cmds) == [("make deploy", 5, 12)]
    assert cmds[0].step.job is None


DOCKERFILE = """\
ARG BASE_VERSION=3.12
ARG POETRY_VERSION=2.3.0
FROM python:${BASE_VERSION}
ARG POETRY_VERSION
ENV APP_HOME=/app PATH="/root/.local/bin:$PATH"
RUN --mount=type=cache,target=/root/.cache pip install -U pip \\
    # comments inside a continued RUN are dropped by Docker
    && pip install poetry==${POETRY_VERSION}
RUN ["/bin/sh", "-c", "echo exec form && docker compose version"]
RUN ["pip", "install", "requests"]
FROM alpine AS final
RUN apk add curl
"""


def test_dockerfile_run_forms_with_scope(tmp_path: Path) -> None:
    cmds = commands(tmp_path, "Dockerfile", DOCKERFILE)
    assert where(cmds) == [
        ("pip install -U pip", 6, 44), ("pip install poetry==${POETRY_VERSION}", 8, 8),
        ("echo exec form", 9, 24), ("docker compose version", 9, 42),
        ("pip install requests", 10, 5), ("apk add curl", 12, 5),
    ]
    assert cmds[1].env["POETRY_VERSION"] == "2.3.0"  # a bare ARG in a stage takes the global default
    assert cmds[1].env["APP_HOME"] == "/app"
    assert "POETRY_VERSION" not in cmds[-1].env  # a new stage starts a new scope
    assert cmds[1].instruction.stage == 0 and cmds[-1].instruction.stage == 1


def test_dockerfile_heredoc_lines_are_exact(tmp_path: Path) -> None:
    text = "FROM python:3.12\nRUN <<EOT\nset -eux\ndocker-compose up\nEOT\nRUN echo after\n"
    assert where(commands(tmp_path, "Dockerfile", text)) == [
        ("set -eux", 3, 1), ("docker-compose up", 4, 1), ("echo after", 6, 5)]


def test_makefile_recipes_expand_variables(tmp_path: Path) -> None:
    cmds = commands(tmp_path, "Makefile", (
        "DC ?= docker-compose\nFILES := -f a.yml\nPIP = python3 -m pip\n\n"
        "up: build\n\t@$(DC) $(FILES) up -d\n\t-$(PIP) install \\\n\t\tpoetry\n"
        "build: ; docker build .\n\nifdef CI\nX = 1\nendif\n"))
    assert where(cmds) == [
        ("docker-compose -f a.yml up -d", 6, 3), ("python3 -m pip install poetry", 7, 3), ("docker build .", 9, 10),
    ]
    assert [p.name for p in package_installs(cmds[1])] == ["poetry"]
    assert cmds[1].argv[-1].span.line == 8


def test_shell_scripts_track_assignments_and_exports(tmp_path: Path) -> None:
    cmds = commands(tmp_path, "deploy.sh", (
        "#!/bin/bash\nexport POETRY_VERSION=2.3.0\nAPP=/srv\ncd \"$APP\"\n"
        "curl -sSL https://install.python-poetry.org | python3 -\n"))
    assert where(cmds) == [("export POETRY_VERSION=2.3.0", 2, 1), ("cd $APP", 4, 1),
                           ("curl -sSL https://install.python-poetry.org", 5, 1), ("python3 -", 5, 47)]
    assert cmds[1].env == {"POETRY_VERSION": "2.3.0", "APP": "/srv"}
    assert cmds[3].pipe_from is cmds[2]


MARKDOWN = """\
# Title

```bash
docker compose up -d
```

```console
$ docker-compose ps
NAME   COMMAND   `docker-compose build`
```

```
$ docker compose up
WARNING: you must use `docker-compose build`
```

❌ Don't do this:

```sh
docker-compose up
```

```python
subprocess.run(["docker-compose", "up"])
```
"""


def test_markdown_shell_blocks_prompts_and_counterexamples(tmp_path: Path) -> None:
    cmds = commands(tmp_path, "README.md", MARKDOWN)
    assert where(cmds) == [("docker compose up -d", 4, 1), ("docker-compose ps", 8, 3),
                           ("docker compose up", 13, 3), ("docker-compose up", 20, 1)]
    assert [c.counterexample for c in cmds] == [False, False, False, True]


@pytest.mark.parametrize("text", ["", "\n\n", "if then fi", "$(((((", "'unterminated", "echo `", "<<EOT", "\\"])
def test_odd_scripts_never_raise(tmp_path: Path, text: str) -> None:
    commands(tmp_path, "odd.sh", text)


def test_ssh_action_scripts_are_commands_run_remotely(tmp_path) -> None:
    from preflight.commands import extract
    from preflight.documents import parse_text
    from preflight.model import FileKind

    text = ("on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: appleboy/ssh-action@v1.0.3\n        with:\n          host: example.com\n"
            "          script: |\n            cd /srv/app\n            docker compose up -d\n"
            "      - run: ssh deploy@host 'docker compose pull'\n      - run: echo local\n")
    doc = parse_text(".github/workflows/deploy.yml", FileKind.WORKFLOW, text)
    found = [(c.span.line, c.span.column, " ".join(c.args[:2]) if c.args else c.program, c.remote)
             for c in extract(doc)]
    assert (11, 13, "compose up", True) in found
    assert (12, 31, "compose pull", True) in found
    assert (13, 14, "local", False) in found
    assert all(c.via == "appleboy/ssh-action" for c in extract(doc) if c.span.line == 11)


@pytest.mark.parametrize("spec", [
    "==1.8.3", "== 1.8.3", "==1.8.*", "===1.8.3", ">=1.8", "<2", "~=1.8", "~=1", "!=1.8.3", "==01.8", "==1.8.3rc1",
    "==1.8.3+local", "==1!1.8", "==v1.8", ">=1.8,<2", "==1.8.3,==1.8.3", "==", "==banana", "@1.8.3", "",
    "==1.8.3 ; python_version >= '3.8'",
])
def test_an_exact_pin_is_judged_as_packaging_reads_it(spec: str) -> None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from preflight.installs import PackageArg

    arg = PackageArg(None, "poetry", spec, "pip")  # type: ignore[arg-type]
    clause = spec.split(";")[0].strip()
    if clause.startswith("@"):
        expected = True
    else:
        try:
            specifiers = list(SpecifierSet(clause))
        except InvalidSpecifier:
            specifiers = []
        expected = (len(specifiers) == 1 and specifiers[0].operator in ("==", "===")
                    and not specifiers[0].version.endswith("*"))
    assert arg.is_exact is expected
