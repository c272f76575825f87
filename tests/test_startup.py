"""What a run imports and compiles at start: the fast paths that keep cold start short must give
exactly what the general code gives."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from preflight import discover

PATTERNS = ["name", "name/", "*.pyc", "/name", "/name/", "dir/name", "dir/*.py", "!keep", "*.egg-info/",
            "a.b-c_d", ".env", "docs/_build/", "foo*", "a/b/c/", "!/x/y", "*.tar.gz", "x*y", "build",
            *discover.DEFAULT_EXCLUDES]
PATHS = ["name", "a/name", "a/b/name", "namex", "xname", "x.pyc", "a/x.pyc", "a/.pyc", "pyc", "dir/name",
         "a/dir/name", "dir/a.py", "dir/sub/a.py", "keep", "a/keep", "p.egg-info", "a/p.egg-info", "a.b-c_d",
         "aXb-c_d", ".env", "a/.env", "docs/_build", "a/docs/_build", "foo", "foobar", "a/foobar", "a/b/c",
         "x/a/b/c", "x/y", "a.tar.gz", "q/a.tar.gz", "xy", "xay", "x/y/z", "build", "src/build", ".git",
         "a/node_modules", "vendor/x", "x.egg-info/y"]


def _pathspec_rule(line: str) -> tuple[re.Pattern[str], bool, bool]:
    """The rule as pathspec compiles it (the general path of discover._compile_rule)."""
    regex, include = discover._git_pattern().pattern_to_regex(line)
    body = line[1:] if line.startswith("!") else line
    dir_only = body.endswith("/")
    return re.compile(discover._match_self_only(regex, dir_only)), bool(include), dir_only


@pytest.mark.parametrize("line", PATTERNS)
def test_simple_ignore_lines_compile_as_pathspec_compiles_them(line: str) -> None:
    fast = discover._simple_rule(line)
    assert fast is not None
    regex, include, dir_only = _pathspec_rule(line)
    assert (fast.ignore, fast.dir_only) == (include, dir_only)
    assert [p for p in PATHS if re.search(fast.regex, p)] == [p for p in PATHS if regex.search(p)]


def test_an_ignore_pattern_is_compiled_when_a_path_first_reaches_it() -> None:
    rules = discover._Rules.from_lines(discover.DEFAULT_EXCLUDES, strict=True)
    assert rules.decide("src/app.py", False) is None and rules.decide("src", True) is None
    assert rules._compiled == [None] * len(rules._compiled)  # the union of all said no: none compiled
    assert rules.decide("web/node_modules", True) is True
    assert 0 < sum(r is not None for r in rules._compiled) < len(rules._compiled)
    assert rules.decide("web/node_modules", True) is True  # and the same again, from the compiled one


@pytest.mark.parametrize("line", ["**/x", "a/**", "a[bc]", "\\#x", "x ", "*", "", "# c", "!", "/", "a?b"])
def test_other_ignore_lines_go_to_pathspec(line: str) -> None:
    assert discover._simple_rule(line) is None


def test_a_check_of_a_small_tree_imports_only_what_it_needs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".gitignore").write_text("__pycache__/\n.venv/\n*.pyc\n.env\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    code = ("import sys; from preflight.cli import main\n"
            "try:\n    main(['check', '--no-cache', '--quiet', sys.argv[1]])\n"
            "except SystemExit:\n    pass\n"
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('pathspec', 'importlib', 'preflight', 'preflight_rules'))))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    modules = set(out.stdout.split("\n")[-2].split())
    assert any(m.startswith("preflight_rules.dkr.") for m in modules)  # the run did check the Dockerfile
    for unneeded in ("pathspec", "importlib.metadata", "importlib.resources", "preflight.declarative",
                     "preflight.declarative.cli", "preflight.documents.hcl",
                     "preflight_rules.diff.diff001_base_image_downgrade"):  # silent without --base
        assert unneeded not in modules, unneeded


def test_a_check_of_a_poetry_service_leaves_packaging_specifiers_and_hcl_unimported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "svc"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n'
        'fastapi = "^0.110"\npasslib = {version = ">=1.7,<1.8", extras = ["bcrypt"]}\nbcrypt = "4.0.1"\n')
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "fastapi"\nversion = "0.110.1"\n\n[[package]]\nname = "bcrypt"\nversion = "4.0.1"\n\n'
        '[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\n')
    (tmp_path / "Dockerfile").write_text("FROM python:3.10-slim\nRUN pip install poetry==1.8.3\n")
    (tmp_path / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16\n")
    code = ("import sys; from preflight.cli import main\n"
            "try:\n    main(['check', '--no-cache', '--format', 'json', sys.argv[1]])\n"
            "except SystemExit:\n    pass\n"
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('packaging', 'preflight', 'preflight_rules'))))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    modules = set(out.stdout.split("\n")[-2].split())
    assert '"rule": "TOOL004"' in out.stdout  # the Dockerfile's 3.10 is outside ^3.11: ranges were compared
    assert {"preflight_rules.dep.dep001_known_incompatible_versions", "preflight_rules.compose.dc004_stateful_service_without_volume"} <= modules
    for unneeded in ("packaging.specifiers", "packaging.tags", "preflight.documents.hcl"):
        assert unneeded not in modules, unneeded
