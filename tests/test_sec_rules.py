"""SEC rules on small repositories: tracked vs ignored files (with git), placeholders, quoting."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import check, write
from preflight.documents.dotenv import parse as parse_env
from preflight.model import FileKind
from preflight_rules.sec.sec004_unquoted_special_chars_in_env import hazards
from preflight_rules.sec.secretvalues import is_reference, placeholder_check

GIT = shutil.which("git")


def git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
    subprocess.run([GIT, *args], cwd=cwd, env=env, check=True, capture_output=True)  # type: ignore[list-item]


def found(root: Path, rule: str) -> list[str]:
    return [f"{f.path}:{f.span.line}:{f.span.column} {f.message.split(':')[0]}" for f in check(root, select=[rule]).findings]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_sec001_tracked_env_is_reported_even_when_ignored(tmp_path: Path) -> None:
    write(tmp_path, {".env": "DB_PASSWORD=kL9vQ2mX7pR\n", "app/.env.local": "API_TOKEN=q8mW3zX1vN\n"})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".env")
    write(tmp_path, {".gitignore": ".env\n.env.*\n"})
    assert found(tmp_path, "SEC001") == [".env:1:1 .env holds secrets (DB_PASSWORD) and is tracked by git, so .gitignore does not apply"]
    git(tmp_path, "rm", "-q", "--cached", ".env")
    assert found(tmp_path, "SEC001") == []


def test_sec001_without_git_judges_gitignore(tmp_path: Path) -> None:
    write(tmp_path, {".env.bots": "BOT_TOKEN=7312:AAF3kq9x\n", "deploy/.env": "DB_PASSWORD=kL9vQ2mX7pR\n",
                     "deploy/.gitignore": ".env\n"})
    assert found(tmp_path, "SEC001") == [".env.bots:1:1 .env.bots holds secrets (BOT_TOKEN) and is not git-ignored"]


def test_sec002_variable_and_directory_resolution(tmp_path: Path) -> None:
    write(tmp_path, {
        "ops/init.sh": "OUT=secrets/keys.txt\nvault operator init > \"$OUT\"\nvault operator init > local.txt\n",
        "ops/.gitignore": "local.txt\n",
        ".gitignore": "/secrets/\n",
    })
    # `secrets/keys.txt` is ignored from the root; `local.txt` from the script's directory.
    assert found(tmp_path, "SEC002") == []
    write(tmp_path, {".gitignore": "\n"})
    assert found(tmp_path, "SEC002") == ["ops/init.sh:2:23 `vault operator init` output (unseal keys, root token) goes to secrets/keys.txt, and it is not git-ignored"]


def test_placeholders_and_references() -> None:
    is_placeholder = placeholder_check()
    assert [v for v in ["changeme", "<token>", "your-api-key-here", "xxxxxx", "[secure]", "Postgres", " "]
            if not is_placeholder(v)] == []
    assert [v for v in ["kL9vQ2mX7pR", "sk_live_51HqLxD2", "hunter2"] if is_placeholder(v)] == []
    assert is_placeholder("hunter2") is False
    assert placeholder_check({"extend-placeholders": ["hunter2"]})("hunter2") is True
    assert [is_reference(v) for v in ["${DB}", "$DB", "{{ .Values.x }}", "secure: AAA", "op://v/i/f", "pa$$"]] == \
        [True, True, True, True, True, False]


def test_sec004_hazards_by_quoting() -> None:
    doc = parse_env(".env", FileKind.DOTENV,
                    "A='p!$`x'\nB=\"p\\$x\"\nC=\"p!\"\nD=a b # c\nE=${X:-y}$Z\nF=x$\nG=\"`id`\"\n")
    assert [(e.key, hazards(e)) for e in doc.entries] == [
        ("A", []), ("B", []), ("C", ["`!`"]), ("D", ["a space"]), ("E", []),
        ("F", ["a `$` that starts no ${NAME} reference"]), ("G", ["a backtick"]),
    ]
