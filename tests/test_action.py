"""action.yml: the composite action's structure, and its shell steps run as the runner runs them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from conftest import REPO, write

ACTION = YAML(typ="safe").load((REPO / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BASH = shutil.which("bash")


def step(name: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s["name"] == name)


def test_structure() -> None:
    assert set(ACTION) >= {"name", "description", "inputs", "runs"}
    assert ACTION["runs"]["using"] == "composite"
    for item in ACTION["runs"]["steps"]:
        assert item["shell"] == "bash" and item["run"].strip() and item["name"]
    assert set(ACTION["inputs"]) == {"paths", "format", "config", "fail-on", "select", "ignore", "sarif-file",
                                     "version", "args", "python"}
    for name, spec in ACTION["inputs"].items():
        assert spec["description"].strip() and isinstance(spec["default"], str), name


def test_inputs_referenced_exist_and_all_are_used() -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    referenced = set(re.findall(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}", text))
    assert referenced == set(ACTION["inputs"])


def test_scripts_take_inputs_from_env_only() -> None:
    # `${{ }}` inside `run:` is pasted into the script before bash sees it: a template injection
    for item in ACTION["runs"]["steps"]:
        assert "${{" not in item["run"], item["name"]


def evaluate(value: str, context: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        return context[match.group(1)]  # KeyError: an expression this test does not know
    return EXPRESSION.sub(one, value)


def run_step(name: str, inputs: dict[str, str], cwd: Path, temp: Path, action_ref: str = "v0.1.0",
             extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a step's script with bash, its env evaluated as the runner evaluates it."""
    values = {name: spec["default"] for name, spec in ACTION["inputs"].items()} | inputs
    context = {f"inputs.{k}": v for k, v in values.items()}
    context |= {"github.action_ref": action_ref, "runner.temp": str(temp)}
    item = step(name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PREFLIGHT_"))}
    env |= {key: evaluate(str(value), context) for key, value in item.get("env", {}).items()}
    env |= extra_env or {}
    return subprocess.run([BASH, "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", item["run"]],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def runner_temp(tmp_path: Path) -> Path:
    """``runner.temp`` with the install step's result: a venv whose preflight is the one under test."""
    temp = tmp_path / "runner-temp"
    bin_dir = temp / "preflight-venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "preflight").symlink_to(Path(sys.executable).with_name("preflight"))
    return temp


pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")


def test_check_step_annotates_and_writes_sarif(tmp_path: Path, runner_temp: Path) -> None:
    repo = write(tmp_path / "repo", {"scripts/deploy.sh": "docker-compose pull\n",
                                     "docker-compose.yml": "services:\n  web:\n    image: nginx:1.27\n"})
    sarif = tmp_path / "out" / "preflight.sarif"
    sarif.parent.mkdir()
    done = run_step("Run preflight", {"sarif-file": str(sarif), "select": "DC001"}, repo, runner_temp)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("::error file=scripts/deploy.sh,line=1,col=1,endLine=1,endColumn=15,title=DC001 ")
    assert lines[-1] == "preflight: 1 finding (1 error) in 2 files checked"
    document = json.loads(sarif.read_text())
    jsonschema.validate(document, SCHEMA)
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["DC001"]


def test_check_step_passes_inputs_through(tmp_path: Path, runner_temp: Path) -> None:
    repo = write(tmp_path / "repo", {"a.sh": "docker-compose pull\n", "b b/c.sh": "docker-compose pull\n",
                                     "ci/preflight.toml": "fail-on = 'error'\n"})
    done = run_step("Run preflight", {"paths": "a.sh", "format": "text", "ignore": "DC002",
                                      "args": "--no-color --quiet"}, repo, runner_temp)
    assert (done.returncode, done.stdout) == (1, "a.sh:1:1: DC001 [*] legacy `docker-compose` (Compose v1) is run; "
                                                 "it fails on current images with KeyError: 'ContainerConfig'; use "
                                                 "`docker compose` (v2)\n")
    done = run_step("Run preflight", {"format": "json", "select": "DC001", "fail-on": "info",
                                      "config": "ci/preflight.toml"}, repo, runner_temp)
    document = json.loads(done.stdout)
    assert done.returncode == 1 and document["summary"]["fail_on"] == "info"
    assert [f["path"] for f in document["findings"]] == ["a.sh", "b b/c.sh"]
    done = run_step("Run preflight", {"select": "DC001", "args": "--exit-zero"}, repo, runner_temp)
    assert done.returncode == 0 and done.stdout.count("::error ") == 2


def test_check_step_fails_on_a_usage_error_even_with_sarif(tmp_path: Path, runner_temp: Path) -> None:
    repo = write(tmp_path / "repo", {"a.sh": "docker-compose pull\n"})
    done = run_step("Run preflight", {"select": "NOPE999", "sarif-file": str(tmp_path / "x.sarif")}, repo,
                    runner_temp)
    assert done.returncode == 2 and "preflight: error:" in done.stderr


FAKE_PYTHON = """#!/usr/bin/env bash
# `python -m venv DIR` makes DIR/bin/python (this script) and DIR/bin/preflight; pip records its arguments
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"; cp "$0" "$3/bin/python"
  printf '#!/usr/bin/env bash\\necho "preflight 9.9.9"\\n' > "$3/bin/preflight"; chmod +x "$3/bin/preflight"
elif [ "$1 $2" = "-m pip" ]; then
  echo "pip $*" >> "$PIP_LOG"
fi
"""


@pytest.mark.parametrize(("ref", "version", "requirement"), [
    ("v1.4.2", "", "preflight-deploy==1.4.2"),
    ("0.2.0", "", "preflight-deploy==0.2.0"),
    ("v2.0.0rc1", "", "preflight-deploy==2.0.0rc1"),
    ("main", "1.0.0", "preflight-deploy==1.0.0"),
    ("v1.4.2", "v1.5.0", "preflight-deploy==1.5.0"),
    ("main", "latest", "preflight-deploy"),
])
def test_install_step_pins_the_version_of_the_ref(tmp_path: Path, ref: str, version: str, requirement: str) -> None:
    fake = write(tmp_path, {"fake-python": FAKE_PYTHON}) / "fake-python"
    fake.chmod(0o755)
    log = tmp_path / "pip.log"
    done = run_step("Install preflight", {"version": version, "python": str(fake)}, tmp_path, tmp_path / "temp",
                    action_ref=ref, extra_env={"PIP_LOG": str(log)})
    assert done.returncode == 0, done.stderr
    assert log.read_text().split()[-1] == requirement
    assert done.stdout == "preflight 9.9.9\n"


def test_install_step_refuses_to_guess_from_a_branch(tmp_path: Path) -> None:
    done = run_step("Install preflight", {"python": "false"}, tmp_path, tmp_path / "temp", action_ref="main%0A::x")
    assert done.returncode == 2
    assert done.stdout == ("::error title=preflight::cannot tell which preflight version to install from the action "
                           "ref 'main?0A??x'; use the action at a version tag or set the 'version' input\n")
