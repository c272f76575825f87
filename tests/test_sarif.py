"""--format sarif: valid SARIF 2.1.0, full rule metadata, notifications, stable fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import REPO, write
from preflight.cli import main
from preflight.fingerprint import line_hashes
from preflight.links import DOCS_URL, PLUGIN_DOCS_URL, rule_url

DEMO = REPO / "examples" / "demo"
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def sarif(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", *args, "--format", "sarif"])
    return result.exit_code, json.loads(result.stdout)


def test_demo_validates_and_every_result_has_a_documented_rule() -> None:
    code, document = sarif(str(DEMO))
    assert code == 1
    jsonschema.validate(document, SCHEMA)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    assert len(run["results"]) == 18
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["helpUri"] == DOCS_URL.format(id=rule["id"])
        assert rule["help"]["text"].startswith(f"# {rule['id']} {rule['name']}\n")
        assert "## What it catches" in rule["help"]["markdown"]
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert result["level"] in ("error", "warning", "note")
    assert run["automationDetails"] == {"id": "preflight/"}
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == DEMO.resolve().as_uri() + "/"
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_result_location_and_line_hash(tmp_path: Path) -> None:
    text = "#!/bin/sh\nset -e\n  docker-compose up -d\n"
    root = write(tmp_path, {"ops/deploy.sh": text})
    _, document = sarif(str(root), "--select", "DC001")
    (result,) = document["runs"][0]["results"]
    assert result["ruleId"] == "DC001" and result["level"] == "error"
    assert result["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": "ops/deploy.sh", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3, "startColumn": 3, "endLine": 3, "endColumn": 17}}}]
    assert result["partialFingerprints"] == {"primaryLocationLineHash": line_hashes(text)[3]}
    assert ":" in result["partialFingerprints"]["primaryLocationLineHash"]

    # the hash belongs to the line's content: lines inserted above move the finding, not the hash
    (root / "ops" / "deploy.sh").write_text("#!/bin/sh\n# deploy\n\nset -e\n  docker-compose up -d\n")
    _, moved = sarif(str(root), "--select", "DC001")
    (after,) = moved["runs"][0]["results"]
    assert after["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert after["partialFingerprints"] == result["partialFingerprints"]


def test_uris_are_percent_encoded(tmp_path: Path) -> None:
    root = write(tmp_path, {"my scripts/de#ploy.sh": "docker-compose up\n"})
    _, document = sarif(str(root), "--select", "DC001")
    jsonschema.validate(document, SCHEMA)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "my%20scripts/de%23ploy.sh"


def test_pf001_is_a_tool_notification_not_a_result(tmp_path: Path) -> None:
    root = write(tmp_path, {"docker-compose.yml": "services: [\n", "deploy.sh": "docker-compose pull\n"})
    code, document = sarif(str(root))
    jsonschema.validate(document, SCHEMA)
    run = document["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["DC001"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"] == {"id": "PF001", "index": 0}
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "docker-compose.yml"
    assert note["message"]["text"]
    notifications = run["tool"]["driver"]["notifications"]
    assert [n["id"] for n in notifications] == ["PF001", "PF002"]
    assert all(n["helpUri"] == DOCS_URL.format(id=n["id"]) for n in notifications)
    assert "PF001" not in [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert code == 1


def test_security_rules_carry_security_severity(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/config.py": "import yaml\n\ndef load(text):\n    return yaml.load(text)\n",
                            "deploy.sh": "docker-compose up\n"})
    _, document = sarif(str(root), "--select", "PY006,DC001")
    rules = {r["id"]: r for r in document["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["PY006"]["properties"]["security-severity"] in ("8.0", "5.5", "2.0")
    assert "security" in rules["PY006"]["properties"]["tags"]
    assert "security-severity" not in rules["DC001"]["properties"]
    assert "security" not in rules["DC001"]["properties"]["tags"]


def test_no_findings_is_still_a_valid_run(tmp_path: Path) -> None:
    root = write(tmp_path, {"deploy.sh": "docker compose up -d\n"})
    code, document = sarif(str(root), "--select", "DC001")
    jsonschema.validate(document, SCHEMA)
    assert code == 0 and document["runs"][0]["results"] == []


def test_plugin_rules_get_a_help_uri() -> None:
    assert rule_url("DC001", "preflight_rules.compose.dc001_legacy_docker_compose") == DOCS_URL.format(id="DC001")
    # a module of no installed distribution: preflight's page on plugin rules
    assert rule_url("ACME001", "acme_nowhere.acme001") == PLUGIN_DOCS_URL
    # an installed distribution: its documentation URL from its metadata (click declares one)
    assert rule_url("ACME001", "click.acme001").startswith("https://")


@pytest.mark.parametrize("fmt", ["sarif", "gitlab"])
def test_machine_formats_are_deterministic(fmt: str) -> None:
    first = CliRunner().invoke(main, ["check", str(DEMO), "--format", fmt]).stdout
    second = CliRunner().invoke(main, ["check", str(DEMO), "--format", fmt]).stdout
    assert first == second


def test_gitlab_code_quality(tmp_path: Path) -> None:
    root = write(tmp_path, {"deploy.sh": "docker-compose pull\ndocker-compose up\n"})
    result = CliRunner().invoke(main, ["check", str(root), "--select", "DC001", "--format", "gitlab"])
    issues = json.loads(result.stdout)
    assert result.exit_code == 1 and len(issues) == 2
    first = issues[0]
    assert set(first) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert first["check_name"] == "DC001" and first["severity"] == "major"
    assert first["location"] == {"path": "deploy.sh", "lines": {"begin": 1, "end": 1}}
    assert first["description"].startswith("DC001 legacy `docker-compose`")
    assert len({i["fingerprint"] for i in issues}) == 2
