"""`preflight check --base REF`: the change read from git, the reporting filter, --all, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import check, located
from gitrepo import commit, git, init, replace_tree, scenario
from preflight.cli import main

DOCKERFILE = "FROM dhi.io/python:3.12\nRUN pip install poetry\nCOPY . /app\n"
REQUIREMENTS = "fastapi==0.115.0\npasslib[bcrypt]==1.7.4\nbcrypt>=4.0.1,<5.0.0\n"
TEST_AUTH = "def test_login():\n    assert True\n"
TEST_OTHER = "def test_health():\n    assert True\n"
BASE = {"Dockerfile": DOCKERFILE, "requirements.txt": REQUIREMENTS, "tests/test_auth.py": TEST_AUTH,
        "tests/test_other.py": TEST_OTHER}


def seed_change(root: Path) -> Path:
    """The seed's change: hardened image -> python:3.11-slim, passlib removed, a test file deleted."""
    head = dict(BASE)
    head["Dockerfile"] = DOCKERFILE.replace("dhi.io/python:3.12", "python:3.11-slim")
    head["requirements.txt"] = "fastapi==0.115.0\nbcrypt>=4.0.1,<5.0.0\n"
    del head["tests/test_auth.py"]
    return scenario(root, BASE, head)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", *args, str(root)])
    return result.exit_code, result.stdout, result.stderr


def test_done_when_the_seed_change_reports_diff001_diff002_diff003_and_nothing_untouched(tmp_path: Path) -> None:
    root = seed_change(tmp_path / "repo")
    full = located(check(root))
    assert "Dockerfile:2:17 TOOL001" in full  # on a line the change did not touch
    result = check(root, base="HEAD~1")
    assert located(result) == ["Dockerfile:1:6 DIFF001", "requirements.txt:2:1 DIFF002",
                               "tests/test_auth.py:1:1 DIFF003"]
    assert all(f.new is True for f in result.findings)
    assert result.base.hidden == 1 and result.base.files_changed == 3
    code, out, _ = cli(root, "--base", "HEAD~1", "--no-color")
    assert code == 1
    assert [line.split(" ", 2)[:2] for line in out.splitlines()[:3]] == [
        ["Dockerfile:1:6:", "DIFF001"], ["requirements.txt:2:1:", "DIFF002"], ["tests/test_auth.py:1:1:", "DIFF003"]]
    assert "1 finding on lines the change did not touch not shown (--all shows them)" in out


def test_all_reports_everything_marks_new_ones_and_old_ones_do_not_fail(tmp_path: Path) -> None:
    root = init(tmp_path / "repo", {"Dockerfile": DOCKERFILE})
    replace_tree(root, {"Dockerfile": DOCKERFILE + "LABEL x=1\n"})
    result = check(root, base="HEAD", show_all=True)
    assert [(f.rule_id, f.span.line, f.new) for f in result.findings] == [("TOOL001", 2, False)]
    code, out, _ = cli(root, "--base", "HEAD", "--all", "--no-color")
    assert code == 0, out
    assert out.startswith("Dockerfile:2:17: TOOL001 Poetry")
    assert "1 finding was there before (not marked [new]; they do not fail the run)" in out
    code, out, _ = cli(root, "--base", "HEAD", "--all", "--format", "json")
    data = json.loads(out)
    assert [f["new"] for f in data["findings"]] == [False]
    assert data["summary"]["base"]["ref"] == "HEAD" and data["summary"]["base"]["old"] == 1
    assert data["summary"]["failing"] == 0

    replace_tree(root, {"Dockerfile": DOCKERFILE + "RUN pipx install poetry\n"})
    code, out, _ = cli(root, "--base", "HEAD", "--all", "--no-color")
    assert code == 1
    assert [line.split(" ", 3)[:3] for line in out.splitlines()[:2]] == [
        ["Dockerfile:2:17:", "TOOL001", "Poetry"], ["Dockerfile:4:18:", "TOOL001", "[new]"]]


def test_uncommitted_and_untracked_files_are_part_of_the_change(tmp_path: Path) -> None:
    root = init(tmp_path / "repo", {"README.md": "# app\n"})
    replace_tree(root, {"README.md": "# app\n", "deploy.sh": "docker-compose up -d\n",
                        "ignored/deploy.sh": "docker-compose up -d\n", ".gitignore": "ignored/\n"})
    assert located(check(root, select=["DC001"], base="HEAD")) == ["deploy.sh:1:1 DC001"]
    git(root, "add", "deploy.sh")  # staged counts too
    assert located(check(root, select=["DC001"], base="HEAD")) == ["deploy.sh:1:1 DC001"]
    assert located(check(root, select=["DC001"])) == ["deploy.sh:1:1 DC001"]


def test_only_added_or_modified_lines_count_and_a_pure_rename_adds_none(tmp_path: Path) -> None:
    script = "docker-compose pull\n" + "echo step\n" * 8 + "docker-compose up -d\n"
    root = init(tmp_path / "repo", {"scripts/deploy.sh": script, "old/run.sh": script})
    replace_tree(root, {"scripts/deploy.sh": script.replace("echo step\n", "echo changed\n", 1)
                        .replace("up -d", "up -d --wait"), "renamed/run.sh": script})
    commit(root)
    result = check(root, select=["DC001"], base="HEAD~1")
    assert located(result) == ["scripts/deploy.sh:10:1 DC001"]
    assert result.base.hidden == 3  # line 1 of deploy.sh and both lines of the renamed file


def test_cross_file_rules_report_when_a_file_they_read_changed(tmp_path: Path) -> None:
    workflow = ("name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: pipx install poetry==1.8.3\n      - run: poetry install\n")
    lock = "# This file is automatically @generated by Poetry {} and should not be changed by hand.\n" \
           "package = []\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.12\"\ncontent-hash = \"0\"\n"
    root = scenario(tmp_path / "repo", {".github/workflows/ci.yml": workflow, "poetry.lock": lock.format("1.8.3")},
                    {".github/workflows/ci.yml": workflow, "poetry.lock": lock.format("2.1.1")})
    assert located(check(root, select=["TOOL002"], base="HEAD~1")) == [".github/workflows/ci.yml:7:35 TOOL002"]
    # a change that touches no file TOOL002 reads leaves the old finding out
    git(root, "commit", "-q", "--allow-empty", "-m", "empty")
    (root / "notes.md").write_text("# notes\n", encoding="utf-8")
    result = check(root, select=["TOOL002"], base="HEAD")
    assert located(result) == [] and result.base.hidden == 1


def test_a_subdirectory_and_explicit_paths_keep_paths_relative(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    head = dict(BASE, Dockerfile=DOCKERFILE.replace("dhi.io/python:3.12", "python:3.11-slim"))
    del head["tests/test_auth.py"]
    root = scenario(tmp_path / "repo", {f"svc/{k}": v for k, v in BASE.items()} | {"other/Dockerfile": DOCKERFILE},
                    {f"svc/{k}": v for k, v in head.items()} | {"other/Dockerfile": "FROM python:3.11\n"})
    assert located(check(root / "svc", select=["DIFF"], base="HEAD~1")) == [
        "Dockerfile:1:6 DIFF001", "tests/test_auth.py:1:1 DIFF003"]
    monkeypatch.chdir(root)
    code, out, _ = cli(root / "svc" / "Dockerfile", "--base", "HEAD~1", "--select", "DIFF", "-q")
    assert code == 1 and out == ("svc/Dockerfile:1:6: DIFF001 base image of the only stage downgraded since HEAD~1: the "
                                 "hardened `dhi.io/python:3.12` became the generic `python:3.11-slim`; python 3.12 "
                                 "lowered to 3.11; fix the build on the original image (a -dev variant for building) "
                                 "instead\n")


def test_diff_rules_are_silent_without_base(tmp_path: Path) -> None:
    root = seed_change(tmp_path / "repo")
    assert located(check(root, select=["DIFF"])) == []
    assert located(check(root, select=["DIFF"], base="HEAD")) == []  # nothing changed since HEAD


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    code, _, err = cli(plain, "--base", "HEAD")
    assert code == 2 and "--base needs a git work tree" in err
    root = seed_change(tmp_path / "repo")
    code, _, err = cli(root, "--base", "no-such-branch")
    assert code == 2 and "unknown git revision 'no-such-branch'" in err
    code, _, err = cli(root, "--base", "--all")
    assert code == 2
    code, _, err = cli(root, "--all")
    assert code == 2 and "--all needs --base REF" in err


def test_mig002_reports_model_changes_without_a_migration(tmp_path: Path) -> None:
    models = ("from sqlalchemy import Column, Integer, String, Float\nfrom sqlalchemy.orm import declarative_base\n\n"
              "Base = declarative_base()\n\n\nclass User(Base):\n    __tablename__ = \"users\"\n"
              "    id = Column(Integer, primary_key=True)\n    email = Column(String(255))\n")
    migration = ("from alembic import op\n\nrevision = \"0001\"\ndown_revision = None\n\n\ndef upgrade():\n"
                 "    op.execute(\"CREATE TABLE users (id integer primary key, email varchar(255))\")\n")
    base = {"app/models.py": models, "migrations/versions/0001_users.py": migration, "alembic.ini": "[alembic]\n"}
    head = dict(base, **{"app/models.py": models.replace("String(255))\n", "Float)\n")
                         + "    balance = Column(Float)\n"})
    root = scenario(tmp_path / "repo", base, head)
    assert located(check(root, select=["MIG002"])) == []  # raw SQL: the replay cannot judge
    result = check(root, select=["MIG002"], base="HEAD~1")
    assert [(f.span.line, f.message.split(" since ")[0]) for f in result.findings] == [
        (10, "column `users.email` of model User changed type (String(255) -> Float)"),
        (11, "column `users.balance` of model User is new")]
    with_migration = dict(head, **{"migrations/versions/0002_balance.py": migration.replace(
        '"0001"', '"0002"', 1).replace("None", '"0001"').replace("CREATE TABLE users (id integer primary key, "
                                                               "email varchar(255))", "ALTER TABLE users ADD balance float")})
    replace_tree(root, with_migration)
    commit(root)
    assert located(check(root, select=["MIG002"], base="HEAD~2")) == []
