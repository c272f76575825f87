"""Scratch git repositories for `--base` tests: a base commit, then the change."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import write

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, env=GIT_ENV, capture_output=True, text=True, check=True)
    return done.stdout


def init(root: Path, files: dict[str, str | bytes]) -> Path:
    """A repository at ``root`` whose first commit holds ``files``."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "base")
    return root


def replace_tree(root: Path, files: dict[str, str | bytes]) -> None:
    """Make the working tree hold exactly ``files`` (untracked until added)."""
    for entry in root.iterdir():
        if entry.name != ".git":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    write(root, files)


def commit(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)


def tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def scenario(root: Path, base: dict[str, str | bytes], head: dict[str, str | bytes]) -> Path:
    """A repository at ``root``: ``base`` committed, then ``head`` committed on top (compare with HEAD~1)."""
    init(root, base)
    replace_tree(root, head)
    commit(root)
    return root
