"""Git facts: the index reader (v2, v3, v4), worktrees, gitignore answers, and discovery of tracked
files that a .gitignore pattern matches."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from preflight.discover import GitIgnore, discover
from preflight.gitfacts import git_dir, read_index, tracked_under

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run([GIT, *args], cwd=cwd, env=env, check=True, capture_output=True,  # type: ignore[list-item]
                          text=True).stdout


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


FILES = {
    "app/settings.py": "x = 1\n",
    "deploy/.env": "DB_PASSWORD=s3cret\n",
    "deploy/nginx/conf.d/site.conf": "server {}\n",
    "deploy/nginx/conf.d/site-with-a-longer-name.conf": "server {}\n",
    "README.md": "# r\n",
}
TRACKED = sorted(FILES)


def make_repo(root: Path, version: int | None = None) -> Path:
    git(root, "init", "-q")
    write(root, FILES)
    git(root, "add", ".")
    if version is not None:
        git(root, "update-index", "--index-version", str(version))
    return root


@needs_git
@pytest.mark.parametrize("version", [2, 3, 4])
def test_index_versions_give_the_tracked_paths(tmp_path: Path, version: int) -> None:
    make_repo(tmp_path, version)
    data = (tmp_path / ".git" / "index").read_bytes()
    # git writes v3 only when some entry has extended flags; v2 otherwise.
    assert int.from_bytes(data[4:8], "big") == (2 if version == 3 else version)
    assert read_index(data) == TRACKED


@needs_git
def test_v4_prefix_compression_with_extended_flags(tmp_path: Path) -> None:
    make_repo(tmp_path)
    write(tmp_path, {"deploy/nginx/conf.d/zz.conf": "x\n"})
    git(tmp_path, "add", "--intent-to-add", "deploy/nginx/conf.d/zz.conf")  # extended flag -> v3
    data = (tmp_path / ".git" / "index").read_bytes()
    assert int.from_bytes(data[4:8], "big") == 3
    assert read_index(data) == sorted([*TRACKED, "deploy/nginx/conf.d/zz.conf"])
    git(tmp_path, "update-index", "--index-version", "4")
    data = (tmp_path / ".git" / "index").read_bytes()
    assert int.from_bytes(data[4:8], "big") == 4
    assert read_index(data) == sorted([*TRACKED, "deploy/nginx/conf.d/zz.conf"])


def test_garbage_is_not_an_index() -> None:
    with pytest.raises(ValueError):
        read_index(b"not an index at all")
    with pytest.raises(ValueError):
        read_index(b"DIRC" + (9).to_bytes(4, "big") + (0).to_bytes(4, "big") + b"\0" * 20)


@needs_git
def test_tracked_files_are_relative_to_the_scanned_root(tmp_path: Path) -> None:
    make_repo(tmp_path)
    tracked = tracked_under(str(tmp_path / "deploy"))
    assert tracked is not None
    assert sorted(tracked.files) == [".env", "nginx/conf.d/site-with-a-longer-name.conf",
                                     "nginx/conf.d/site.conf"]
    assert sorted(tracked.dirs) == ["nginx", "nginx/conf.d"]


def test_no_work_tree_means_unknown(tmp_path: Path) -> None:
    # tmp_path may sit inside some work tree on odd machines; a fresh directory with a broken
    # `.git` file is a work tree whose index cannot be read.
    (tmp_path / ".git").write_text("not a gitdir line\n")
    assert tracked_under(str(tmp_path)) is None


@needs_git
def test_linked_worktree_reads_its_own_index(tmp_path: Path) -> None:
    main = make_repo(tmp_path / "main") if (tmp_path / "main").mkdir() is None else None
    assert main is not None
    git(main, "commit", "-qm", "init")
    git(main, "worktree", "add", "-q", str(tmp_path / "wt"))
    assert (tmp_path / "wt" / ".git").is_file()
    assert git_dir(str(tmp_path / "wt")) is not None
    tracked = tracked_under(str(tmp_path / "wt"))
    assert tracked is not None and sorted(tracked.files) == TRACKED


@needs_git
def test_fresh_repository_tracks_nothing(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    tracked = tracked_under(str(tmp_path))
    assert tracked is not None and tracked.files == frozenset()


def test_gitignore_answers_like_discovery(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, {".gitignore": ".env\nsecrets/\n!keep.env\n", "sub/.gitignore": "*.json\n"})
    ignore = GitIgnore(tmp_path)
    assert ignore.ignored(".env")
    assert ignore.ignored("deploy/.env")
    assert ignore.ignored("secrets/init.json")  # inside an ignored directory, need not exist
    assert ignore.ignored("sub/vault/init.json")
    assert not ignore.ignored("init.json")
    assert not ignore.ignored(".env.example")
    assert not ignore.ignored("../outside.env")


@needs_git
def test_tracked_files_are_discovered_even_when_ignored(tmp_path: Path) -> None:
    make_repo(tmp_path)
    git(tmp_path, "commit", "-qm", "init")
    # Ignored after the fact: the .env and the nginx directory stay tracked.
    write(tmp_path, {".gitignore": ".env\ndeploy/nginx/\n", "deploy/nginx/conf.d/local.conf": "x\n",
                     ".env": "LOCAL=1\n"})
    found = [f.path for f in discover(tmp_path).files]
    assert "deploy/.env" in found
    assert "deploy/nginx/conf.d/site.conf" in found
    assert "deploy/nginx/conf.d/local.conf" not in found  # untracked, inside an ignored directory
    assert ".env" not in found  # untracked and ignored
    assert "deploy/.env" not in [f.path for f in discover(tmp_path, respect_gitignore=False,
                                                          exclude=["deploy/.env"]).files]


def test_git_state_changes_with_the_index_and_ignore_files_and_nothing_else(tmp_path: Path) -> None:
    from gitrepo import git, init

    from preflight.gitfacts import git_state

    root = init(tmp_path / "repo", {"app/main.py": "x = 1\n", "README.md": "x\n"})
    paths = ["app/main.py", "README.md"]
    before = git_state(str(root), paths)
    assert git_state(str(root), paths) == before
    (root / "app" / "main.py").write_text("x = 2\n")  # a checked file: the cache hashes it, git's state is the same
    (root / "notes.txt").write_text("x\n")
    assert git_state(str(root), paths).digest == before.digest
    for change in (lambda: (root / "app" / ".gitignore").write_text("*.log\n"),  # a new ignore file on a path
                   lambda: (root / ".gitignore").write_text("*.tmp\n"),
                   lambda: git(root, "add", "notes.txt"),  # the index
                   lambda: (root / ".git" / "info" / "exclude").write_text("secret\n")):
        change()
        after = git_state(str(root), paths)
        assert after.digest != before.digest
        assert after.newest_ns >= before.newest_ns
        before = after
    (root / "docs").mkdir()
    (root / "docs" / ".gitignore").write_text("*\n")  # not on the way to any checked file
    assert git_state(str(root), paths).digest == before.digest
