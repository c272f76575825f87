"""The code table, the packaging and the rule metadata agree with each other."""

from __future__ import annotations

import importlib
import re

import pytest

from conftest import REPO
from preflight.registry import builtin_registry
from preflight_rules import BUILTIN, NEEDS_BASE

CATALOGUE_ID = re.compile(r"^(TOOL|DC|GHA|DKR|DEP|TF|PY|MIG|SEC|NGX|FLY|DIFF|PF)\d{3}$")


@pytest.mark.parametrize("rule_id", sorted(BUILTIN))
def test_code_table_matches_the_module(rule_id: str) -> None:
    module_name, kinds, default_enabled = BUILTIN[rule_id]
    meta = importlib.import_module(f"preflight_rules.{module_name}").RULE
    assert meta.id == rule_id
    assert meta.kinds == frozenset(kinds)
    assert meta.default_enabled == default_enabled
    assert ("needs-base" in meta.tags) == (rule_id in NEEDS_BASE)
    assert CATALOGUE_ID.match(rule_id)
    assert module_name.split(".")[-1].startswith(rule_id.lower() + "_")
    assert meta.name == module_name.split(".")[-1].split("_", 1)[1].replace("_", "-")


def test_names_are_unique_and_describe_the_bad_pattern() -> None:
    rules = builtin_registry().load_all()
    names = [r.name for r in rules]
    assert len(names) == len(set(names))
    assert not [n for n in names if n.startswith("no-")]


def test_every_package_directory_is_packaged() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    listed = set(re.findall(r'^\s*"((?:preflight|preflight_rules)[\w.]*)",$', text, re.MULTILINE))
    found = set()
    for top, name in ((REPO / "preflight", "preflight"), (REPO / "rules", "preflight_rules")):
        for init in top.rglob("__init__.py"):
            parts = init.parent.relative_to(top).parts
            found.add(".".join((name, *parts)))
    assert found == listed


def test_catalogue_names_are_kept() -> None:
    catalogue = REPO.parent / "shared" / "catalogue.md"
    if not catalogue.exists():
        pytest.skip("the catalogue lives beside the repository")
    rows = {rule_id: (name, severity) for rule_id, name, severity in re.findall(
        r"^\| ([A-Z]+\d{3}) \| ([a-z0-9-]+) \| (error|warning|info) \|", catalogue.read_text(encoding="utf-8"),
        re.MULTILINE)}
    assert len(rows) >= 40
    for rule in builtin_registry().load_all():
        if rule.id in rows:
            assert (rule.name, str(rule.severity)) == rows[rule.id], rule.id
