"""Plugins installed with pip run in `preflight check`: the example in examples/plugin-example and
what `preflight new-rule --python` writes.

Each package is installed with the running interpreter's pip into a temporary `--target`
directory (nothing is added to the test environment) and preflight runs in a subprocess with that
directory on PYTHONPATH, where importlib.metadata finds the entry point. `--no-build-isolation`
uses the setuptools of the test environment; without setuptools the tests are skipped rather than
fetching it from the network. Deselect with `-m "not plugin_install"`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO



def _can_build_offline() -> bool:
    """setuptools, with a bdist_wheel command (built in from setuptools 70.1, else the wheel package)."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    try:
        return importlib.util.find_spec("setuptools.command.bdist_wheel") is not None or \
            importlib.util.find_spec("wheel") is not None
    except ImportError:
        return False


pytestmark = [
    pytest.mark.plugin_install,
    pytest.mark.skipif(not _can_build_offline(), reason="needs setuptools (>= 70.1, or wheel) to build offline"),
]
EXAMPLE = REPO / "examples" / "plugin-example"


def _install(package: Path, target: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--disable-pip-version-check", "--target", str(target), str(package)],
                   check=True, timeout=240, capture_output=True)


def _preflight(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    return subprocess.run([sys.executable, "-m", "preflight", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_example_plugin_installs_and_runs(tmp_path: Path) -> None:
    _install(EXAMPLE, tmp_path / "site")
    listed = _preflight(tmp_path / "site", "rules", "--format", "json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rule = next(r for r in json.loads(listed.stdout) if r["id"] == "ACME001")
    assert (rule["name"], rule["builtin"]) == ("requests-without-timeout", False)
    fixtures = EXAMPLE / "fixtures" / "ACME001"
    bad = _preflight(tmp_path / "site", "check", str(fixtures / "bad"), "--select", "ACME001", "-q", cwd=tmp_path)
    assert bad.returncode == 1, bad.stderr
    assert [line.split(": ")[0] for line in bad.stdout.splitlines()] == ["app/client.py:3:1", "app/client.py:4:1"]
    good = _preflight(tmp_path / "site", "check", str(fixtures / "good"), "--select", "ACME001", "-q", cwd=tmp_path)
    assert (good.returncode, good.stdout) == (0, "")
    explained = _preflight(tmp_path / "site", "explain", "ACME001", cwd=tmp_path)
    assert explained.stdout.startswith("# ACME001 requests-without-timeout\n")


def test_new_rule_python_output_installs_and_runs(tmp_path: Path) -> None:
    made = subprocess.run([sys.executable, "-m", "preflight", "new-rule", "--python", "team-rules", "--id", "TEAM001"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    _install(tmp_path / "team-rules", tmp_path / "site")
    fixtures = tmp_path / "team-rules" / "fixtures" / "TEAM001"
    bad = _preflight(tmp_path / "site", "check", str(fixtures / "bad"), "--select", "TEAM001", "-q", cwd=tmp_path)
    assert bad.returncode == 1, bad.stderr
    assert [line.split(": ")[0] for line in bad.stdout.splitlines()] == ["app/client.py:3:1", "app/client.py:4:1"]
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                           cwd=tmp_path / "team-rules", capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PYTHONPATH=str(tmp_path / "site")))
    assert tests.returncode == 0, tests.stdout + tests.stderr
