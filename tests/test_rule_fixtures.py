"""Every rule against its fixtures: exact findings in bad/, none in good/ (the traps)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, check, located
from gitrepo import scenario, tree

FIXTURES = REPO / "fixtures"
RULE_DIRS = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def expected(rule_id: str) -> list[str]:
    lines = (FIXTURES / rule_id / "expected.txt").read_text(encoding="utf-8").splitlines()
    return [f"{line.strip()} {rule_id}" for line in lines if line.strip() and not line.startswith("#")]


def run(rule_id: str, case: str, tmp_path: Path):  # noqa: ANN201
    """Check a fixture; one with ``base/`` and ``head/`` trees is a change (see docs/diff.md)."""
    root = FIXTURES / rule_id / case
    if (root / "base").is_dir():
        repo = scenario(tmp_path / case, tree(root / "base"), tree(root / "head"))
        return check(repo, select=[rule_id, "PF001", "PF002"], base="HEAD~1")
    return check(root, select=[rule_id, "PF001", "PF002"])


@pytest.mark.parametrize("rule_id", RULE_DIRS)
def test_bad_cases_give_exactly_the_expected_findings(rule_id: str, tmp_path: Path) -> None:
    result = run(rule_id, "bad", tmp_path)
    assert located(result) == expected(rule_id)
    for finding in result.findings:  # one line, printable on any console
        assert finding.message.isascii() and "\n" not in finding.message, finding.message


@pytest.mark.parametrize("rule_id", RULE_DIRS)
def test_good_cases_that_look_alike_stay_clean(rule_id: str, tmp_path: Path) -> None:
    result = run(rule_id, "good", tmp_path)
    assert located(result) == []


@pytest.mark.parametrize("rule_id", RULE_DIRS)
def test_fixture_tree_is_complete(rule_id: str) -> None:
    root = FIXTURES / rule_id
    assert expected(rule_id), "a fixture without expected findings is unfinished"
    assert any((root / "good").rglob("*")), "a rule without a look-alike good case is unfinished"


def test_every_registered_rule_has_fixtures() -> None:
    from preflight.registry import builtin_registry

    rules = [i for i in builtin_registry().ids() if not i.startswith("PF")]
    assert sorted(rules) == sorted(r for r in RULE_DIRS if not r.startswith("PF"))


def test_findings_carry_rule_metadata() -> None:
    result = check(FIXTURES / "DC001" / "bad", select=["DC001"])
    assert {f.name for f in result.findings} == {"legacy-docker-compose"}
    markdown = [f for f in result.findings if f.path.endswith(".md")]
    assert markdown and all(str(f.severity) == "info" for f in markdown)
    others = [f for f in result.findings if not f.path.endswith(".md")]
    assert all(str(f.severity) == "error" for f in others)
