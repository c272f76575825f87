"""Declarative team rules: loading, validation, the four matchers, CLI integration, test-rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, write
from preflight.cli import main
from preflight.config import Settings
from preflight.declarative import load_directory
from preflight.engine import run_check
from preflight.registry import load_registry

DATA = REPO / "tests" / "data" / "declarative"

COMPOSE_RULE = """\
id: X-001
name: no-compose-v1
severity: error
summary: docker-compose v1 is run
symptoms: ["KeyError: 'ContainerConfig'"]
message: "`{match}` is Compose v1; use `docker compose`"
match:
  - command: {program: docker-compose}
    kinds: [makefile]
"""


def _check(root: Path, select: list[str]) -> list[str]:
    settings = Settings(select=select)
    result = run_check(str(root), settings, load_registry(plugins=False, root=str(root), settings=settings))
    assert not result.errors, [e.message for e in result.errors]
    return [f"{f.path}:{f.span.line}:{f.span.column} {f.rule_id}" for f in result.findings]


def _rule(tmp_path: Path, text: str, files: dict[str, str]) -> Path:
    return write(tmp_path, {".preflight/rules/rule.yml": text, **files})


# -- item 5: built-in rules re-expressed -------------------------------------------------------------
REEXPRESSED = sorted(p.stem.upper() for p in DATA.glob("*.yml"))


def test_at_least_five_builtin_rules_are_reexpressed() -> None:
    assert REEXPRESSED == ["DC001", "FLY002", "PY006", "PY010", "SEC005", "TOOL001"]


@pytest.mark.parametrize("builtin", REEXPRESSED)
@pytest.mark.parametrize("which", ["bad", "good"])
def test_reexpressed_rule_finds_what_the_builtin_finds(builtin: str, which: str) -> None:
    loaded, errors = load_directory(str(DATA), str(REPO))
    assert errors == []
    rule = next(rule for spec, rule in loaded if spec.id == f"X-{builtin}")
    root = REPO / "fixtures" / builtin / which
    registry = load_registry(plugins=False)
    registry.add_rule(rule)
    mine = run_check(str(root), Settings(select=[rule.id]), registry)
    theirs = run_check(str(root), Settings(select=[builtin]), load_registry(plugins=False))
    got = sorted({(f.path, f.span.line) for f in mine.findings if f.rule_id == rule.id})
    want = sorted({(f.path, f.span.line) for f in theirs.findings if f.rule_id == builtin})
    assert got == want
    assert bool(got) == (which == "bad")


# -- done when: a 10-line rule, listed, found, suppressed, in JSON ---------------------------------------
def test_team_rule_is_listed_found_suppressed_and_explained(tmp_path: Path, monkeypatch) -> None:
    _rule(tmp_path, COMPOSE_RULE, {"Makefile": "deploy:\n\tdocker-compose up -d\n"
                                               "\t# preflight: ignore[X-001] legacy host\n\tdocker-compose ps\n"})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(main, ["rules", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    entry = next(r for r in json.loads(listed.output) if r["id"] == "X-001")
    assert (entry["name"], entry["builtin"], entry["kinds"]) == ("no-compose-v1", False, ["makefile"])
    checked = runner.invoke(main, ["check", ".", "--select", "X-", "--format", "json"])
    assert checked.exit_code == 1, checked.output
    report = json.loads(checked.output)
    findings = [(f["path"], f["line"], f["column"], f["rule"], f["message"]) for f in report["findings"]]
    assert findings == [("Makefile", 2, 2, "X-001", "`docker-compose` is Compose v1; use `docker compose`")]
    explained = runner.invoke(main, ["explain", "x-001"])
    assert explained.exit_code == 0
    assert "# X-001 no-compose-v1" in explained.output and "`KeyError: 'ContainerConfig'`" in explained.output


def test_unused_suppression_of_a_team_rule_is_reported(tmp_path: Path) -> None:
    _rule(tmp_path, COMPOSE_RULE, {"Makefile": "deploy:\n\t# preflight: ignore[X-001]\n\tdocker compose up\n"})
    assert _check(tmp_path, ["X-", "PF003"]) == ["Makefile:2:2 PF003"]


def test_team_rules_follow_select_and_ignore(tmp_path: Path) -> None:
    _rule(tmp_path, COMPOSE_RULE, {"Makefile": "deploy:\n\tdocker-compose up -d\n"})
    assert _check(tmp_path, ["DC001", "X-001"]) == ["Makefile:2:2 DC001", "Makefile:2:2 X-001"]
    settings = Settings(ignore=["X-"])
    result = run_check(str(tmp_path), settings, load_registry(plugins=False, root=str(tmp_path), settings=settings))
    assert "X-001" not in {f.rule_id for f in result.findings}


def test_rules_dir_from_the_config_is_relative_to_it(tmp_path: Path) -> None:
    write(tmp_path, {"config/lessons/compose.yml": COMPOSE_RULE, "Makefile": "a:\n\tdocker-compose up\n",
                     ".preflight.toml": 'rules-dir = "config/lessons"\n'})
    from preflight.config import load_settings
    from preflight.declarative import rules_dir

    settings = load_settings(str(tmp_path / ".preflight.toml"))
    assert rules_dir(str(tmp_path), settings) == str(tmp_path / "config" / "lessons")
    registry = load_registry(plugins=False, root=str(tmp_path), settings=settings)
    assert "X-001" in registry.entries and registry.errors == []


# -- a broken rule file ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "message"), [
    ("id: X-002\nname: Bad Name\nseverity: error\nsummary: s\nmatch: {regex: x, kinds: [shell]}\n",
     "rule.yml:2: name 'Bad Name' must be kebab-case"),
    ("id: X-002\nname: ok\nseverity: fatal\nsummary: s\nmatch: []\n",
     "rule.yml:3: 'severity' must be error, warning or info, not 'fatal'"),
    ("id: DC999\nname: ok\nseverity: error\nsummary: s\nmatch: []\n",
     "rule.yml:1: rule id 'DC999' uses the prefix DC, reserved for built-in rules"),
    ("id: X-002\nname: ok\nseverity: error\nsummary: s\nmatch:\n  - command: {program: x}\n    kind: [shell]\n",
     "rule.yml:7: unknown key 'kind' in the command matcher"),
    ("id: X-002\nname: ok\nseverity: error\nsummary: s\nmatch:\n  - command:\n      program: python\n"
     "      piped-from: {args: x}\n",
     "rule.yml:8: 'piped-from' needs 'program' (a program name or a list of them)"),
    ("id: X-002\nname: ok\nseverity: error\nsummary: s\nmatch:\n  - command:\n      program: python\n"
     "      piped-from: {program: curl, unless-env: [X]}\n",
     "rule.yml:8: unknown key 'unless-env' in 'piped-from'"),
    ("id: X-002\nname: ok\nseverity: error\nsummary: s\nmatch:\n  - regex: {pattern: '(unclosed'}\n    kinds: [shell]\n",
     "rule.yml:6: 'pattern' is not a valid regular expression"),
    ("id: X-002\nname: ok\nseverity: error\nsummary: s\nmatch:\n  - call: {callee: x}\n    kinds: [shell]\n",
     "rule.yml:6: a call matcher cannot read shell files"),
    ("id: X-002\nname: ok\nseverity: error\nsummary: s\nmatch:\n  - regex: {pattern: x}\n",
     "rule.yml:6: a regex matcher needs 'kinds' or 'paths'"),
    ("id: X-002\nname: ok\n  severity: error\n", "rule.yml:3: invalid YAML"),
])
def test_a_broken_rule_file_is_a_run_error_naming_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, {".preflight/rules/rule.yml": text, "Makefile": "a:\n\tdocker-compose up\n"})
    settings = Settings(select=["DC001"])
    registry = load_registry(plugins=False, root=str(tmp_path), settings=settings)
    assert len(registry.errors) == 1
    assert registry.errors[0].message.startswith(f"rule file .preflight/rules/{message}"), registry.errors[0].message
    result = run_check(str(tmp_path), settings, registry)  # the built-in rules still run
    assert [f.rule_id for f in result.findings] == ["DC001"] and len(result.errors) == 1


def test_cli_reports_a_broken_rule_file_with_exit_code_2_and_still_checks(tmp_path: Path) -> None:
    write(tmp_path, {".preflight/rules/broken.yml": "id: X-1\n", "Makefile": "a:\n\tdocker-compose up\n"})
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--select", "DC001"])
    assert result.exit_code == 2
    assert "Makefile:2:2: DC001" in result.output
    assert "preflight: error: rule file .preflight/rules/broken.yml:1: rule id 'X-1' must be" in result.output


def test_duplicate_and_builtin_ids_are_refused(tmp_path: Path) -> None:
    write(tmp_path, {".preflight/rules/a.yml": COMPOSE_RULE, ".preflight/rules/b.yml": COMPOSE_RULE})
    registry = load_registry(plugins=False, root=str(tmp_path))
    assert [e.message for e in registry.errors] == [
        "rule file .preflight/rules/b.yml:1: rule id X-001 is already defined by .preflight/rules/a.yml; ignored"]


# -- matchers ---------------------------------------------------------------------------------------------
def test_command_matcher_subcommand_flags_and_env(tmp_path: Path) -> None:
    rule = """\
id: X-010
name: pip-without-hashes
severity: warning
summary: pip install without --require-hashes
match:
  - command:
      program: [pip, pip3]
      subcommand: install
      without-flags: [--require-hashes]
      unless-env: [PIP_REQUIRE_HASHES]
    kinds: [dockerfile]
"""
    dockerfile = ("FROM python:3.12\nRUN pip install -r requirements.txt\nRUN pip3 install --require-hashes -r r.txt\n"
                  "ENV PIP_REQUIRE_HASHES=1\nRUN pip install -r requirements.txt\n")
    _rule(tmp_path, rule, {"Dockerfile": dockerfile, "install.sh": "pip install flask\n"})
    assert _check(tmp_path, ["X-"]) == ["Dockerfile:2:5 X-010"]


def test_command_matcher_piped_from(tmp_path: Path) -> None:
    rule = """\
id: X-012
name: unpinned-installer
severity: warning
summary: an installer script is piped into python without --version
match:
  - command:
      program: [python, python3]
      without-flags: [--version]
      piped-from:
        program: [curl, wget]
        args: 'install\\.example\\.org'
    kinds: [shell]
"""
    script = ("curl -sSL https://install.example.org | python3 -\n"
              "curl -sSL https://install.example.org | python3 - --version 1.2\n"
              "curl -sSL https://other.example.org | python3 -\n"
              "cat local.py | python -\n"
              "python3 -\n"
              "wget -qO- https://install.example.org |\n  python -\n")
    _rule(tmp_path, rule, {"install.sh": script})
    assert _check(tmp_path, ["X-"]) == ["install.sh:1:41 X-012", "install.sh:7:3 X-012"]


def test_key_matcher_yaml_value_tests_and_where(tmp_path: Path) -> None:
    rule = """\
id: X-011
name: postgres-image-too-old
severity: error
summary: postgres older than 14
match:
  - key:
      path: services.*.image
      regex: '^postgres:'
    kinds: [compose]
  - key:
      path: services.*
      where: {path: image, regex: '^redis'}
      missing: volumes
    kinds: [compose]
  - key:
      path: [tool, poetry, dependencies, python]
      version: "<3.10"
    kinds: [pyproject]
"""
    compose = ("services:\n  db:\n    image: postgres:13\n  cache:\n    image: redis:7\n"
               "  queue:\n    image: redis:7\n    volumes: [q:/data]\n")
    pyproject = '[tool.poetry.dependencies]\npython = "3.9"\n'
    _rule(tmp_path, rule, {"docker-compose.yml": compose, "pyproject.toml": pyproject})
    assert _check(tmp_path, ["X-"]) == ["docker-compose.yml:3:12 X-011", "docker-compose.yml:4:3 X-011",
                                        "pyproject.toml:2:10 X-011"]


def test_key_matcher_hcl_require(tmp_path: Path) -> None:
    rule = """\
id: X-012
name: rds-without-deletion-protection
severity: error
summary: aws_db_instance without deletion_protection = true
match:
  - key:
      path: resource.aws_db_instance.*
      require: {path: deletion_protection, equals: true}
"""
    tf = ('resource "aws_db_instance" "a" {\n  engine = "postgres"\n}\n\n'
          'resource "aws_db_instance" "b" {\n  lifecycle {\n    deletion_protection = true\n  }\n'
          '  deletion_protection = false\n}\n\n'
          'resource "aws_db_instance" "c" {\n  deletion_protection = true\n}\n')
    _rule(tmp_path, rule, {"main.tf": tf})
    assert _check(tmp_path, ["X-"]) == ["main.tf:1:1 X-012", "main.tf:9:25 X-012"]


def test_call_matcher_resolves_aliases_and_checks_arguments(tmp_path: Path) -> None:
    rule = """\
id: X-013
name: requests-without-timeout
severity: warning
summary: requests call without timeout
message: "{match}() has no timeout="
match:
  - call:
      callee: ["requests.*"]
      args: [{name: timeout, present: false}]
"""
    code = ("import requests as r\nfrom requests import get\n\nr.get('u')\nget('u', timeout=3)\n"
            "r.post('u', **options)\n\ndef get2():\n    return r.request('GET', 'u')\n")
    _rule(tmp_path, rule, {"app.py": code})
    settings = Settings(select=["X-"])
    result = run_check(str(tmp_path), settings, load_registry(plugins=False, root=str(tmp_path), settings=settings))
    assert [(f.span.line, f.span.column, f.message) for f in result.findings] == [
        (4, 1, "requests.get() has no timeout="), (9, 12, "requests.request() has no timeout=")]


def test_regex_matcher_points_at_the_at_group(tmp_path: Path) -> None:
    rule = """\
id: X-014
name: latest-tag
severity: info
summary: an image tagged latest
match:
  - regex: {pattern: '(image|sidecar):\\s*\\S+:(?P<at>latest)\\b', exclude-pattern: 'preflight-allow'}
    paths: ["*.yml"]
    exclude-paths: ["test/"]
"""
    files = {"a.yml": "x:\n  image: nginx:latest\n  other: y\n  sidecar: redis:latest # preflight-allow\n",
             "test/b.yml": "image: nginx:latest\n"}
    _rule(tmp_path, rule, files)
    assert _check(tmp_path, ["X-"]) == ["a.yml:2:16 X-014"]


# -- test-rules and new-rule ------------------------------------------------------------------------------
def test_new_rule_scaffold_passes_test_rules(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    created = runner.invoke(main, ["new-rule", "no-compose-v1"])
    assert created.exit_code == 0, created.output
    assert (tmp_path / ".preflight" / "rules" / "no-compose-v1.yml").is_file()
    again = runner.invoke(main, ["new-rule", "other-rule"])
    assert "X-002" in (tmp_path / ".preflight" / "rules" / "other-rule.yml").read_text() and again.exit_code == 0
    tested = runner.invoke(main, ["test-rules"])
    assert tested.exit_code == 0, tested.output
    assert tested.output.splitlines() == ["ok   X-001 no-compose-v1 (1 bad, 1 good)",
                                          "ok   X-002 other-rule (1 bad, 1 good)", "2 of 2 rules passed"]


def test_test_rules_fails_on_wrong_expectations(tmp_path: Path) -> None:
    rule = COMPOSE_RULE + """\
tests:
  bad:
    - path: Makefile
      content: "a:\\n\\tdocker-compose up\\n\\tdocker-compose ps\\n"
      expect: [2]
  good:
    - files: {Makefile: "a:\\n\\tdocker-compose up\\n"}
"""
    write(tmp_path, {"rules/r.yml": rule})
    result = CliRunner().invoke(main, ["test-rules", str(tmp_path / "rules")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "FAIL X-001 no-compose-v1 (1 bad, 1 good)"
    assert lines[1].endswith("bad case 1 (Makefile): expected findings at Makefile:2, got Makefile:2, Makefile:3")
    assert lines[2].endswith("good case 1 (Makefile): expected no findings, got Makefile:2")


def test_test_rules_exit_2_on_an_invalid_file(tmp_path: Path) -> None:
    write(tmp_path, {"rules/r.yml": "id: X-001\n"})
    result = CliRunner().invoke(main, ["test-rules", str(tmp_path / "rules")])
    assert result.exit_code == 2
    assert "r.yml:1: missing required key 'name'" in result.output


def test_new_rule_python_scaffold_is_complete(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["new-rule", "--python", "acme-rules", "--id", "ACME001"])
    assert result.exit_code == 0, result.output
    root = tmp_path / "acme-rules"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        "README.md", "acme_rules/__init__.py", "acme_rules/acme001_requests_without_timeout.py",
        "fixtures/ACME001/bad/app/client.py", "fixtures/ACME001/good/app/client.py", "pyproject.toml",
        "tests/test_acme001_requests_without_timeout.py"]
    assert 'ACME001 = "acme_rules.acme001_requests_without_timeout"' in (root / "pyproject.toml").read_text()
    refused = CliRunner().invoke(main, ["new-rule", "--python", "acme-rules"])
    assert refused.exit_code == 2 and "already exists" in refused.output


def test_team_rule_takes_part_in_sarif_why_and_baseline(tmp_path: Path, monkeypatch) -> None:
    _rule(tmp_path, COMPOSE_RULE, {"Makefile": "deploy:\n\tdocker-compose up -d\n"})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    sarif = json.loads(runner.invoke(main, ["check", ".", "--select", "X-", "--format", "sarif"]).output)
    run = sarif["runs"][0]
    descriptors = [d["id"] for d in run["tool"]["driver"]["rules"]]
    assert [(r["ruleId"], descriptors[r["ruleIndex"]], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in run["results"]] == [("X-001", "X-001", 2)]
    assert run["tool"]["driver"]["rules"][0]["helpUri"]

    why = runner.invoke(main, ["why", "KeyError: 'ContainerConfig'", "--format", "json"])
    assert why.exit_code == 0, why.output
    assert "X-001" in [m["rule"] for m in json.loads(why.output)["matches"]]

    written = runner.invoke(main, ["check", ".", "--select", "X-", "--write-baseline", "b.json"])
    assert written.exit_code == 0, written.output
    write(tmp_path, {"Makefile": "# a comment pushes the finding down\ndeploy:\n\tdocker-compose up -d\n"
                                 "\tdocker-compose ps\n"})
    again = runner.invoke(main, ["check", ".", "--select", "X-", "--baseline", "b.json", "--format", "json"])
    assert [(f["path"], f["line"]) for f in json.loads(again.output)["findings"]] == [("Makefile", 4)]
