"""Tests for preflight.discover: classification, ignore rules, hostile trees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.discover import (
    DEFAULT_EXCLUDES,
    Discovery,
    FileRef,
    Skipped,
    classify,
    discover,
    sniff_yaml_kind,
)
from preflight.model import FileKind as K

POSIX = os.name == "posix"
needs_symlinks = pytest.mark.skipif(
    not hasattr(os, "symlink") or not POSIX, reason="POSIX symlinks"
)


def write(root: Path, rel: str, text: str = "x\n") -> Path:
    path = root.joinpath(*rel.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def paths(result: Discovery) -> list[str]:
    return [f.path for f in result.files]


def skipped(result: Discovery) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


# ---------------------------------------------------------------------------------------------
# classify
# ---------------------------------------------------------------------------------------------

CLASSIFY_CASES = [
    # workflows and actions
    (".github/workflows/ci.yml", K.WORKFLOW),
    (".github/workflows/release.yaml", K.WORKFLOW),
    (".github/workflows/action.yml", K.WORKFLOW),
    (".github/workflows/sub/ci.yml", K.YAML),  # not directly in the workflows dir
    ("app/.github/workflows/ci.yml", K.YAML),  # not at the root
    (".github/workflows/README.md", K.MARKDOWN),
    ("action.yml", K.ACTION),
    (".github/actions/setup/action.yaml", K.ACTION),
    # Dockerfiles
    ("Dockerfile", K.DOCKERFILE),
    ("dockerfile", K.DOCKERFILE),
    ("Containerfile", K.DOCKERFILE),
    ("docker/Dockerfile.prod", K.DOCKERFILE),
    ("Dockerfile.dev", K.DOCKERFILE),
    ("Dockerfile-worker", K.DOCKERFILE),
    ("Dockerfile_ci", K.DOCKERFILE),
    ("api.Dockerfile", K.DOCKERFILE),
    ("svc/web.dockerfile", K.DOCKERFILE),
    ("web.containerfile", K.DOCKERFILE),
    ("Containerfile.arm64", K.DOCKERFILE),
    ("Dockerfile.md", K.MARKDOWN),
    ("Dockerfile.txt", None),
    ("Dockerfile.bak", None),
    ("Dockerfile.prod.orig", None),
    ("my.Dockerfile.bak", None),
    ("Dockerfile.dockerignore", None),
    (".dockerignore", None),
    ("Dockerfile.sh", K.SHELL),
    ("Dockerfiles", None),
    # compose
    ("docker-compose.yml", K.COMPOSE),
    ("docker-compose.yaml", K.COMPOSE),
    ("docker-compose.override.yml", K.COMPOSE),
    ("deploy/docker-compose.prod.yaml", K.COMPOSE),
    ("docker-compose-dev.yml", K.COMPOSE),
    ("compose.yaml", K.COMPOSE),
    ("compose.yml", K.COMPOSE),
    ("compose.staging.yml", K.COMPOSE),
    ("docs/docker-compose.md", K.MARKDOWN),
    ("src/compose.py", K.PYTHON),
    ("my-compose.yml", K.YAML),
    ("app.compose.yml", K.YAML),
    ("docker-compose.yml.j2", None),
    # shell
    ("deploy.sh", K.SHELL),
    ("scripts/build.bash", K.SHELL),
    ("x.ksh", K.SHELL),
    ("x.zsh", K.SHELL),
    ("test.bats", None),
    (".bashrc", None),
    # make
    ("Makefile", K.MAKEFILE),
    ("makefile", K.MAKEFILE),
    ("GNUmakefile", K.MAKEFILE),
    ("build/rules.mk", K.MAKEFILE),
    ("legacy.mak", K.MAKEFILE),
    ("Makefile.am", None),
    # terraform
    ("infra/main.tf", K.TERRAFORM),
    ("prod.tfvars", K.TERRAFORM),
    ("terragrunt.hcl", K.TERRAFORM),
    ("main.tf.json", None),
    # toml
    ("pyproject.toml", K.PYPROJECT),
    ("fly.toml", K.FLY_TOML),
    ("fly.staging.toml", K.FLY_TOML),
    ("netlify.toml", K.TOML),
    ("Makefile.toml", K.TOML),
    ("poetry.lock", K.POETRY_LOCK),
    # requirements
    ("requirements.txt", K.REQUIREMENTS),
    ("requirements-dev.txt", K.REQUIREMENTS),
    ("requirements_test.txt", K.REQUIREMENTS),
    ("dev-requirements.txt", K.REQUIREMENTS),
    ("test.requirements.txt", K.REQUIREMENTS),
    ("requirements/base.txt", K.REQUIREMENTS),
    ("requirements.in", K.REQUIREMENTS),
    ("requirements-dev.in", K.REQUIREMENTS),
    ("constraints.txt", K.REQUIREMENTS),
    ("constraints-py311.txt", K.REQUIREMENTS),
    ("requirements/README.md", K.MARKDOWN),
    ("notes.txt", None),
    ("requirements.txt.bak", None),
    # python
    ("setup.py", K.PYTHON),
    ("src/app/main.py", K.PYTHON),
    ("stubs.pyi", None),
    # dotenv
    (".env", K.DOTENV),
    (".env.prod", K.DOTENV),
    (".env.example", K.DOTENV),
    ("config/app.env", K.DOTENV),
    (".envrc", None),
    (".env.sh", K.SHELL),
    # nginx
    ("nginx.conf", K.NGINX),
    ("deploy/nginx-ssl.conf", K.NGINX),
    ("site.nginx.conf", K.NGINX),
    ("site.nginx", K.NGINX),
    ("nginx/default.conf", K.NGINX),
    ("docker/nginx/conf.d/app.conf", K.NGINX),
    ("nginx/templates/default.conf.template", K.NGINX),
    ("deploy/nginx/site.conf.j2", K.NGINX),
    ("etc/sites-available/app.conf", K.NGINX),
    ("redis.conf", None),
    ("supervisord.conf", None),
    ("conf.d/app.conf", None),
    ("nginx/README.md", K.MARKDOWN),
    ("nginx/Dockerfile", K.DOCKERFILE),
    # markdown
    ("README.md", K.MARKDOWN),
    ("docs/guide.markdown", K.MARKDOWN),
    ("CHANGELOG.MD", K.MARKDOWN),
    # pulumi
    ("Pulumi.yaml", K.PULUMI),
    ("Pulumi.yml", K.PULUMI),
    ("infra/Pulumi.dev.yaml", K.PULUMI),
    # small config files
    (".python-version", K.PYTHON_VERSION),
    ("runtime.txt", K.PYTHON_VERSION),
    ("Procfile", K.PROCFILE),
    ("Procfile.dev", K.PROCFILE),
    ("tox.ini", K.INI),
    ("setup.cfg", K.INI),
    ("alembic.ini", K.INI),
    ("pytest.ini", None),
    # generic yaml
    ("k8s/deployment.yaml", K.YAML),
    ("charts/app/templates/svc.yml", K.YAML),
    (".gitlab-ci.yml", K.YAML),
    ("config.YAML", K.YAML),
    # nothing
    ("LICENSE", None),
    ("Jenkinsfile", None),
    ("image.png", None),
    ("", None),
]


@pytest.mark.parametrize(("relpath", "expected"), CLASSIFY_CASES)
def test_classify(relpath: str, expected: K | None) -> None:
    assert classify(relpath) == expected


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        (b"#!/bin/sh\n", K.SHELL),
        (b"#!/bin/bash -euo pipefail\n", K.SHELL),
        (b"#! /bin/dash\n", K.SHELL),
        (b"#!/usr/bin/env bash\n", K.SHELL),
        (b"#!/usr/bin/env -S bash -e\n", K.SHELL),
        (b"#!/usr/bin/env -Szsh\n", K.SHELL),
        (b"#!/usr/bin/env LC_ALL=C ksh\n", K.SHELL),
        (b"#!/bin/ash\r\n", K.SHELL),
        (b"#!/usr/bin/env python3\n", K.PYTHON),
        (b"#!/usr/bin/python3.11 -u\n", K.PYTHON),
        (b"#!/usr/bin/env python\nimport os\n", K.PYTHON),
        (b"#!/usr/bin/env node\n", None),
        (b"#!/usr/bin/perl\n", None),
        (b"#!\n", None),
        (b"# bash\n", None),
        (b"\x7fELF\x02\x01\x01", None),
        (b"#!/usr/bin/env\n", None),
    ],
)
def test_classify_shebang(first_line: bytes, expected: K | None) -> None:
    assert classify("scripts/deploy", first_line) == expected


def test_shebang_only_for_extensionless_names() -> None:
    assert classify("notes.txt", b"#!/bin/sh\n") is None
    # a name that classifies by itself ignores the first line
    assert classify("Makefile", b"#!/bin/sh\n") == K.MAKEFILE


# ---------------------------------------------------------------------------------------------
# sniff_yaml_kind
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n", K.KUBERNETES),
        ("kind: Deployment\napiVersion: apps/v1\n", K.KUBERNETES),
        ("# comment\n---\nfoo: 1\n---\napiVersion: v1\nkind: ConfigMap\n", K.KUBERNETES),
        (
            '{{- if .Values.enabled }}\napiVersion: {{ include "api" . }}\n'
            "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- end }}\n",
            K.KUBERNETES,
        ),
        ("apiVersion: v1\r\nkind: Pod\r\n", K.KUBERNETES),
        ('"apiVersion": v1\n"kind": Pod\n', K.KUBERNETES),
        # apiVersion and kind in *different* documents do not make a manifest
        ("apiVersion: v2\nname: chart\n---\nkind: x\n", None),
        # Chart.yaml: apiVersion without kind
        ("apiVersion: v2\nname: mychart\nversion: 0.1.0\n", None),
        # nested keys are not top-level
        ("spec:\n  apiVersion: v1\n  kind: Pod\n", None),
        ("apiVersion:\nkind:\n", None),
        ("# apiVersion: v1\n# kind: Pod\n", None),
        ("services:\n  web:\n    image: nginx\n", None),
        ("", None),
    ],
)
def test_sniff_yaml_kind(text: str, expected: K | None) -> None:
    assert sniff_yaml_kind(text) == expected


# ---------------------------------------------------------------------------------------------
# Walking and ignore rules
# ---------------------------------------------------------------------------------------------


def test_basic_walk_sorted_and_typed(tmp_path: Path) -> None:
    for rel in [
        "z.py",
        "a/Dockerfile",
        "B.sh",
        "a/b/c.tf",
        "README.md",
        "image.png",
        "a/notes.txt",
    ]:
        write(tmp_path, rel)
    result = discover(tmp_path)
    assert paths(result) == ["B.sh", "README.md", "a/Dockerfile", "a/b/c.tf", "z.py"]
    ref = result.files[2]
    assert ref == FileRef("a/Dockerfile", str(tmp_path / "a" / "Dockerfile"), K.DOCKERFILE, 2)
    assert os.path.isabs(ref.abspath)
    assert result.skipped == []
    assert discover(tmp_path) == result  # deterministic


def test_nested_gitignore_with_negation(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.sh\n/top.py\n")
    write(tmp_path, "sub/.gitignore", "!keep.sh\nlocal.py\n")
    for rel in [
        "a.sh",
        "top.py",
        "sub/top.py",
        "sub/keep.sh",
        "sub/drop.sh",
        "sub/local.py",
        "local.py",
    ]:
        write(tmp_path, rel)
    assert paths(discover(tmp_path)) == ["local.py", "sub/keep.sh", "sub/top.py"]


def test_ignored_directory_cannot_be_reincluded(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "gen/\n!gen/keep.py\n")
    write(tmp_path, "gen/.gitignore", "!keep.py\n")
    write(tmp_path, "gen/keep.py")
    write(tmp_path, "other/gen/x.py")  # `gen/` is not anchored: ignored at any depth
    write(tmp_path, "main.py")
    assert paths(discover(tmp_path)) == ["main.py"]


def test_whitelist_idiom(tmp_path: Path) -> None:
    # `*` ignores everything, `!*/` re-includes directories only, `!*.py` re-includes Python files.
    write(tmp_path, ".gitignore", "*\n!*/\n!*.py\n")
    for rel in ["a.py", "a.sh", "d/b.py", "d/Dockerfile", "d/e/c.py"]:
        write(tmp_path, rel)
    assert paths(discover(tmp_path)) == ["a.py", "d/b.py", "d/e/c.py"]


def test_gitignore_patterns(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "# comment\n\nlogs/**\n**/tmp/*.sh\ndocs/*.md\n!docs/keep.md\n")
    for rel in [
        "logs/a.py",
        "logs/deep/b.py",
        "x/tmp/a.sh",
        "tmp/b.sh",
        "tmp/sub/c.sh",
        "docs/a.md",
        "docs/keep.md",
        "docs/sub/b.md",
        "README.md",
    ]:
        write(tmp_path, rel)
    assert paths(discover(tmp_path)) == [
        "README.md",
        "docs/keep.md",
        "docs/sub/b.md",
        "tmp/sub/c.sh",
    ]


def test_double_star_keeps_files_below_reincluded_directory(tmp_path: Path) -> None:
    # `!keep/` re-includes the directory only; `**` still matches the files in it.
    write(tmp_path, ".gitignore", "**\n!keep/\n!*.sh\n")
    for rel in ["a.py", "keep/x.py", "keep/run.sh"]:
        write(tmp_path, rel)
    assert paths(discover(tmp_path)) == ["keep/run.sh"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_agrees_with_git(tmp_path: Path) -> None:
    rules = {
        ".gitignore": "*.sh\n!keep*.sh\nout/\n/top.py\n"
        "docs/**\n!docs/*/\n!docs/**/*.md\na/**/z.py\n",
        "src/.gitignore": "!*.sh\n*.md\n!README.md\n[ab].py\n/gen/\n",
        "src/lib/.gitignore": "*\n!*/\n!*.py\n",
    }
    for rel, text in rules.items():
        write(tmp_path, rel, text)
    files = [
        "a.sh", "keep1.sh", "top.py", "x/top.py", "out/a.py", "x/out/b.py", "docs/a.md",
        "docs/a.py", "docs/sub/b.md", "docs/sub/b.py", "a/z.py", "a/b/c/z.py", "a/y.py",
        "src/run.sh", "src/notes.md", "src/README.md", "src/a.py", "src/c.py", "src/gen/g.py",
        "src/x/gen/g.py", "src/lib/m.py", "src/lib/m.sh", "src/lib/deep/n.py",
        "src/lib/deep/Dockerfile",
    ]  # fmt: skip
    for rel in files:
        write(tmp_path, rel)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    listed = subprocess.run(
        ["git", "-c", "core.excludesFile=", "ls-files", "-z", "--others", "--exclude-standard"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    ).stdout.decode()
    expected = sorted(p for p in listed.split("\0") if p and classify(p) is not None)
    assert paths(discover(tmp_path)) == expected
    assert len(expected) > 8  # the rules leave something to compare


def test_gitignore_crlf_and_bom(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_bytes(b"\xef\xbb\xbfa.py\r\nb.py\r\n")
    for rel in ["a.py", "b.py", "c.py"]:
        write(tmp_path, rel)
    assert paths(discover(tmp_path)) == ["c.py"]


def test_invalid_gitignore_lines_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "\\\n!\na.py\n")
    write(tmp_path, "a.py")
    write(tmp_path, "b.py")
    assert paths(discover(tmp_path)) == ["b.py"]


def test_git_info_exclude(tmp_path: Path) -> None:
    write(tmp_path, ".git/info/exclude", "secret.py\nlocal/\n")
    write(tmp_path, ".gitignore", "!local/\n")  # .gitignore outranks info/exclude
    for rel in ["secret.py", "main.py", "local/x.py"]:
        write(tmp_path, rel)
    assert paths(discover(tmp_path)) == ["local/x.py", "main.py"]


def test_git_file_worktree_info_exclude(tmp_path: Path) -> None:
    gitdir = tmp_path / "store" / "worktrees" / "wt"
    write(tmp_path, "store/info/exclude", "ignored.py\n")
    write(tmp_path, "store/worktrees/wt/commondir", "../..\n")
    wt = tmp_path / "wt"
    write(wt, ".git", f"gitdir: {gitdir}\n")
    write(wt, "ignored.py")
    write(wt, "kept.py")
    assert paths(discover(wt)) == ["kept.py"]


def test_parent_repo_gitignore_applies_to_subdirectory(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, ".gitignore", "*.generated.py\n/examples/demo/local.sh\nexamples/**/out/\n")
    write(repo, "examples/.gitignore", "secret.env\n")
    write(repo, ".git/info/exclude", "mine.py\n")
    demo = repo / "examples" / "demo"
    for rel in [
        "a.generated.py",
        "local.sh",
        "out/x.py",
        "secret.env",
        "mine.py",
        "main.py",
        "run.sh",
    ]:
        write(demo, rel)
    result = discover(demo)
    assert paths(result) == ["main.py", "run.sh"]
    # the same tree with ignore rules off
    assert len(discover(demo, respect_gitignore=False).files) == 7


def test_gitignore_above_root_ignored_outside_a_work_tree(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.py\n")  # no .git anywhere: not a work tree
    write(tmp_path, "proj/main.py")
    assert paths(discover(tmp_path / "proj")) == ["main.py"]


def test_nested_repository_has_its_own_rules(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".gitignore", "*.sh\n")
    (tmp_path / "sub" / ".git").mkdir(parents=True)
    write(tmp_path, "sub/.gitignore", "*.py\n")
    for rel in ["a.sh", "a.py", "sub/b.sh", "sub/b.py"]:
        write(tmp_path, rel)
    assert paths(discover(tmp_path)) == ["a.py", "sub/b.sh"]


def test_respect_gitignore_false(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "*.py\n")
    write(tmp_path, "a.py")
    write(tmp_path, "node_modules/b.py")
    assert paths(discover(tmp_path, respect_gitignore=False)) == ["a.py"]


def test_default_excludes(tmp_path: Path) -> None:
    excluded = [
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".terraform",
        "dist",
        "build",
        "vendor",
        "third_party",
        "pkg.egg-info",
        ".git",
        ".vscode",
        ".tox",
        "site-packages",
    ]
    for name in excluded:
        write(tmp_path, f"{name}/Dockerfile")
        write(tmp_path, f"src/{name}/x.py")
    write(tmp_path, "src/app.py")
    # a *file* named like an excluded directory is still seen
    write(tmp_path, "scripts/build", "#!/bin/sh\necho hi\n")
    assert paths(discover(tmp_path)) == ["scripts/build", "src/app.py"]
    assert "node_modules/" in DEFAULT_EXCLUDES and "*.egg-info/" in DEFAULT_EXCLUDES


def test_virtualenv_with_another_name(tmp_path: Path) -> None:
    write(tmp_path, "env311/pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path, "env311/lib/python3.11/site.py")
    write(tmp_path, "env311/bin/activate.sh")
    write(tmp_path, "app.py")
    assert paths(discover(tmp_path)) == ["app.py"]


def test_exclude_patterns(tmp_path: Path) -> None:
    for rel in [
        "tests/fixtures/Dockerfile",
        "tests/test_a.py",
        "deploy/x.sh",
        "deploy/keep.sh",
        "a.py",
    ]:
        write(tmp_path, rel)
    result = discover(tmp_path, exclude=["tests/fixtures/", "deploy/*.sh", "!deploy/keep.sh"])
    assert paths(result) == ["a.py", "deploy/keep.sh", "tests/test_a.py"]
    # excludes apply without gitignore support, and a .gitignore negation cannot undo them
    write(tmp_path, ".gitignore", "!tests/fixtures/\n")
    for respect in (True, False):
        result = discover(tmp_path, exclude=["tests/fixtures/"], respect_gitignore=respect)
        assert "tests/fixtures/Dockerfile" not in paths(result)


def test_invalid_exclude_pattern_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid ignore pattern"):
        discover(tmp_path, exclude=["foo\\"])


def test_explicit_paths(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "ignored.py\ngen/\n")
    for rel in [
        "a.py",
        "ignored.py",
        "gen/x.py",
        "node_modules/pkg/y.sh",
        "src/b.py",
        "src/ignored.py",
        "src/notes.txt",
        "other/c.py",
        "excluded/d.py",
    ]:
        write(tmp_path, rel)
    result = discover(
        tmp_path,
        [
            "ignored.py",
            "gen",
            "node_modules/pkg/y.sh",
            str(tmp_path / "src"),
            "src/notes.txt",
            "missing.py",
            "excluded/d.py",
            "../outside.py",
            "a.py",
            "./a.py",
        ],
        exclude=["excluded/"],
    )
    # named files/dirs are taken even if gitignored or default-excluded; below a named directory
    # the rules apply as usual; --exclude always wins; unclassified files are dropped
    assert paths(result) == ["a.py", "gen/x.py", "ignored.py", "node_modules/pkg/y.sh", "src/b.py"]
    assert skipped(result) == {
        "missing.py": "no such file or directory",
        "../outside.py": "path is outside the scanned root",
    }


def test_empty_paths_means_nothing(tmp_path: Path) -> None:
    write(tmp_path, "a.py")
    assert discover(tmp_path, []) == Discovery(files=[], skipped=[])
    assert paths(discover(tmp_path, ["."])) == ["a.py"]


def test_missing_root_does_not_raise(tmp_path: Path) -> None:
    result = discover(tmp_path / "nope")
    assert result.files == []
    assert result.skipped == [Skipped(".", "no such file or directory")]


# ---------------------------------------------------------------------------------------------
# Symlinks
# ---------------------------------------------------------------------------------------------


@needs_symlinks
def test_symlink_to_file_outside_root(tmp_path: Path) -> None:
    outside = write(tmp_path, "outside/Dockerfile")
    write(tmp_path, "outside/data.bin")
    root = tmp_path / "root"
    root.mkdir()
    (root / "Dockerfile").symlink_to(outside)
    (root / "blob").symlink_to(tmp_path / "outside" / "data.bin")  # unrelated: not reported
    result = discover(root)
    assert result.files == []
    assert result.skipped == [
        Skipped("Dockerfile", "symbolic link points outside the scanned root")
    ]


@needs_symlinks
def test_symlink_inside_root_not_duplicated(tmp_path: Path) -> None:
    write(tmp_path, "docker/Dockerfile")
    (tmp_path / "Dockerfile").symlink_to(Path("docker") / "Dockerfile")
    result = discover(tmp_path)
    assert paths(result) == ["docker/Dockerfile"]
    assert result.skipped == []
    # named explicitly, the link stands for its target
    assert paths(discover(tmp_path, ["Dockerfile"])) == ["docker/Dockerfile"]


@needs_symlinks
def test_directory_symlinks_not_followed_and_loops_terminate(tmp_path: Path) -> None:
    write(tmp_path, "a/x.py")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "self").symlink_to(".", target_is_directory=True)
    (tmp_path / "l1.py").symlink_to("l2.py")
    (tmp_path / "l2.py").symlink_to("l1.py")
    (tmp_path / "broken.sh").symlink_to("missing.sh")
    result = discover(tmp_path)
    assert paths(result) == ["a/x.py"]
    assert skipped(result) == {
        "broken.sh": "broken symbolic link",
        "l1.py": "symbolic link loop",
        "l2.py": "symbolic link loop",
    }


@needs_symlinks
def test_explicit_paths_through_symlinks(tmp_path: Path) -> None:
    write(tmp_path, "elsewhere/Dockerfile")
    real = tmp_path / "real"
    write(real, "app/Dockerfile")
    (real / "out").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (real / "ext.sh").symlink_to(tmp_path / "elsewhere" / "Dockerfile")
    link_root = tmp_path / "root-link"
    link_root.symlink_to(real, target_is_directory=True)
    result = discover(
        link_root,
        ["out/Dockerfile", "out", "ext.sh", str(real / "app" / "Dockerfile"), "app/Dockerfile"],
    )
    assert result.files == [
        FileRef("app/Dockerfile", str(link_root / "app" / "Dockerfile"), K.DOCKERFILE, 2)
    ]
    assert skipped(result) == {
        "out/Dockerfile": "path is outside the scanned root",
        "out": "symbolic link points outside the scanned root",
        "ext.sh": "symbolic link points outside the scanned root",
    }
    # walking the symlinked root finds the same files
    assert paths(discover(link_root)) == ["app/Dockerfile"]


# ---------------------------------------------------------------------------------------------
# Limits and hostile trees
# ---------------------------------------------------------------------------------------------


def test_oversize_file_skipped(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    with open(big, "wb") as fh:
        fh.truncate(int(12.3 * 1024 * 1024))  # sparse: costs no disk
    write(tmp_path, "small.py")
    (tmp_path / "huge.bin").write_bytes(b"")
    os.truncate(tmp_path / "huge.bin", 50 * 1024 * 1024)  # unclassified: silently ignored
    result = discover(tmp_path)
    assert paths(result) == ["small.py"]
    assert result.skipped == [Skipped("big.py", "file is larger than the 5 MB limit (12.3 MB)")]
    result = discover(tmp_path, max_file_size=1)
    assert skipped(result)["small.py"] == "file is larger than the 1 bytes limit (2 bytes)"


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
def test_unreadable_directory(tmp_path: Path) -> None:
    write(tmp_path, "locked/Dockerfile")
    write(tmp_path, "ok.py")
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        # root (with CAP_DAC_OVERRIDE) reads anything; then only "no crash" is meaningful
        privileged = os.geteuid() == 0 and _can_list(locked)
        result = discover(tmp_path)
    finally:
        locked.chmod(0o755)
    assert "ok.py" in paths(result)
    if not privileged:
        assert result.skipped == [Skipped("locked", "cannot read directory: permission denied")]


def _can_list(path: Path) -> bool:
    try:
        os.listdir(path)
    except OSError:
        return False
    return True


def test_scandir_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "locked/Dockerfile")
    write(tmp_path, "ok.py")
    real_scandir = os.scandir

    def fake_scandir(path: str):  # type: ignore[no-untyped-def]
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    result = discover(tmp_path)
    assert paths(result) == ["ok.py"]
    assert result.skipped == [Skipped("locked", "cannot read directory: permission denied")]


def test_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "secret.py")
    write(tmp_path, "ok.py")
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, m: not str(p).endswith("secret.py") and real_access(p, m),
    )
    result = discover(tmp_path)
    assert paths(result) == ["ok.py"]
    assert result.skipped == [Skipped("secret.py", "permission denied")]


def test_extensionless_files_sniffed(tmp_path: Path) -> None:
    write(tmp_path, "bin/deploy", "#!/usr/bin/env bash\nset -e\n")
    write(tmp_path, "bin/manage", "#!/usr/bin/env python3\n")
    write(tmp_path, "LICENSE", "MIT License\n")
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "binary").write_bytes(b"\x00\xff" * 1000)
    result = discover(tmp_path)
    assert [(f.path, f.kind) for f in result.files] == [
        ("bin/deploy", K.SHELL),
        ("bin/manage", K.PYTHON),
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_do_not_block(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "Dockerfile")
    os.mkfifo(tmp_path / "runme")  # extension-less: would be sniffed if it were a file
    os.mkfifo(tmp_path / ".gitignore")
    write(tmp_path, "a.py")
    result = discover(tmp_path)
    assert paths(result) == ["a.py"]
    assert result.skipped == [Skipped("Dockerfile", "not a regular file")]


@pytest.mark.skipif(sys.platform == "win32", reason="names not allowed on Windows")
def test_hostile_names(tmp_path: Path) -> None:
    names = [
        "new\nline.py",
        "100%.sh",
        "a::b.py",
        "::error file=x::.py",
        "sp ace/Dockerfile",
        "ünï.py",
    ]
    for name in names:
        write(tmp_path, name)
    result = discover(tmp_path)
    assert paths(result) == sorted(names)
    assert result.skipped == []


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs byte file names")
def test_undecodable_names_skipped_with_diagnostic(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    try:
        with open(os.path.join(root, b"bad\xff.py"), "wb") as fh:
            fh.write(b"x")
        os.mkdir(os.path.join(root, b"dir\xfe"))
        with open(os.path.join(root, b"dir\xfe", b"inner.py"), "wb") as fh:
            fh.write(b"x")
        with open(os.path.join(root, b"data\xff.bin"), "wb") as fh:
            fh.write(b"x")
    except OSError:
        pytest.skip("file system refuses non-UTF-8 names")
    write(tmp_path, "ok.py")
    result = discover(tmp_path)
    assert paths(result) == ["ok.py"]
    assert skipped(result) == {
        "bad\\xff.py": "file name is not valid UTF-8",
        "dir\\xfe": "directory name is not valid UTF-8; its contents were not checked",
    }
    for s in result.skipped:
        s.path.encode("utf-8")  # printable / JSON-safe


def test_deep_tree_does_not_recurse(tmp_path: Path) -> None:
    parts = ["d"] * 60
    write(tmp_path, "/".join(parts) + "/x.py")
    assert paths(discover(tmp_path)) == ["/".join(parts) + "/x.py"]


def test_a_python_package_named_build_is_source_not_build_output(tmp_path) -> None:
    from preflight.discover import discover

    for name, text in {"build/lib/app/main.py": "x = 1\n", "src/tool/build/__init__.py": "",
                       "src/tool/build/tracker.py": "y = 2\n", "dist/app-1.0/setup.py": ""}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    found = sorted(f.path for f in discover(str(tmp_path)).files)
    assert found == ["src/tool/build/__init__.py", "src/tool/build/tracker.py"]


def test_the_all_patterns_prefilter_decides_as_the_patterns_one_by_one() -> None:
    from preflight.discover import _Rules

    lines = ["*.log", "!keep.log", "build/", "/dist", "docs/**/*.md", "a/**/b", "**/tmp", "*.py[cod]",
             "!important/*.pyc", "node_modules", "[Ss]ecret*", "x?y", "foo/**/", "a\\#b", "sub/*.txt"]
    paths = ["a.log", "keep.log", "sub/keep.log", "build", "src/build", "dist", "src/dist", "docs/x/y.md",
             "docs/y.md", "a/b", "a/c/d/b", "tmp", "x/tmp", "m.pyc", "important/m.pyc", "node_modules",
             "Secret.env", "secrets/x", "xzy", "xzzy", "foo/bar", "foo", "plain.txt", "deep/er/file.py",
             "a#b", "sub/n.txt", "sub/deeper/n.txt"]
    for patterns in (lines, [*lines, "**", "!*/"]):  # without and with patterns matching everything
        fast, slow = _Rules.from_lines(patterns), _Rules.from_lines(patterns)
        slow._any = None
        assert fast._any is not None  # the prefilter is in use for these patterns
        decided = 0
        for path in paths:
            for is_dir in (False, True):
                assert fast.decide(path, is_dir) == slow.decide(path, is_dir), (path, is_dir)
                decided += slow.decide(path, is_dir) is not None
        assert 0 < decided < 2 * len(paths) or patterns is not lines
