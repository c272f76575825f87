"""DKR001-DKR003: Dockerfile facts and what the rules say."""

from __future__ import annotations

from pathlib import Path

from conftest import check, write
from preflight.documents.dockerfile import parse
from preflight.model import FileKind
from preflight_rules.dkr.facts import declarations, final_stages, global_args, secret_mount_names


def _doc(text: str):  # noqa: ANN202
    return parse("Dockerfile", FileKind.DOCKERFILE, text)


def test_final_stages_follow_the_from_chain() -> None:
    doc = _doc("FROM python:3.12 AS base\nFROM base AS builder\nFROM python:3.12 AS other\n"
               "FROM Builder AS runtime\n")
    assert final_stages(doc) == frozenset({0, 1, 3})
    assert final_stages(_doc("FROM a:1 AS x\nFROM b:1\n")) == frozenset({1})


def test_declarations_and_global_args() -> None:
    doc = _doc("ARG PY=3.12\nARG BASE\nFROM python:$PY\nARG GH_PAT\nENV A=1 \\\n    NPM_TOKEN=x\n")
    found = [(d.name, d.kind, d.value, d.stage, d.span.line, d.span.column) for d in declarations(doc)]
    assert found == [("PY", "ARG", "3.12", -1, 1, 5), ("BASE", "ARG", None, -1, 2, 5),
                     ("GH_PAT", "ARG", None, 0, 4, 5), ("A", "ENV", "1", 0, 5, 5),
                     ("NPM_TOKEN", "ENV", "x", 0, 6, 5)]
    assert global_args(doc) == {"PY": "3.12", "BASE": None}


def test_secret_mount_names_are_the_env_option() -> None:
    doc = _doc("FROM a:1\nRUN --mount=type=secret,id=pat,env=GH_PAT --mount=type=cache,target=/c make\n")
    run = doc.instructions[-1]
    assert secret_mount_names(run) == frozenset({"GH_PAT"})


def test_dkr001_points_at_the_consuming_run_once(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python:3.12\nARG GH_PAT\nRUN echo $GH_PAT && curl -u \"$GH_PAT\" x\n"})
    [finding] = check(tmp_path, select=["DKR001"]).findings
    assert (finding.span.line, finding.span.column, finding.span.end_column) == (3, 10, 17)
    assert finding.message == ("build argument GH_PAT (ARG at line 2) is used by this RUN, so its value is recorded "
                               "in the image history (docker history); use RUN --mount=type=secret,id=gh_pat,"
                               "env=GH_PAT and build with --secret id=gh_pat,env=GH_PAT")


def test_dkr001_insteadof_without_unset(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python:3.12\nARG GH_PAT\n"
                                   "RUN git config --global url.\"https://${GH_PAT}@github.com/\".insteadOf x\n"})
    [finding] = check(tmp_path, select=["DKR001"]).findings
    assert finding.span.column == 25
    assert finding.message.startswith("git config url...insteadOf writes the token in this URL into ~/.gitconfig")


def test_dkr002_expands_package_variables_and_names_the_stage(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM alpine:3.20 AS runtime\nARG DEPS=gcc\n"
                                   "RUN apk add --no-cache tini $DEPS python3-dev\n"})
    [finding] = check(tmp_path, select=["DKR002"]).findings
    assert (finding.span.line, finding.span.column) == (3, 29)
    assert finding.message.startswith("the final stage `runtime` installs build tools (gcc, python3-dev) that ship")


def test_dkr002_extend_option(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM alpine:3.20\nRUN apk add nasm gcc\n"})
    options = {"DKR002": {"extend-build-packages": ["nasm"]}}
    assert [f.span.column for f in check(tmp_path, select=["DKR002"], rules=options).findings] == [13]
    assert [f.span.column for f in check(tmp_path, select=["DKR002"]).findings] == [18]


def test_dkr003_messages(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "ARG PY\nARG TAG=latest\nFROM python:${PY}\nFROM node:$TAG\nFROM redis\n"})
    messages = [f.message for f in check(tmp_path, select=["DKR003"]).findings]
    assert messages == [
        "base image python:${PY} takes its value from ARG PY, which has no default; give the ARG a default that "
        "names a version, so a build without --build-arg does not pull :latest",
        "base image node:latest uses :latest, which changes under you between builds (node:$TAG resolves to "
        "node:latest through its ARG default); pin a version tag or a digest",
        "base image redis has no tag, so it is whatever :latest is on the day of the build; pin a version tag or "
        "a digest",
    ]
