"""Docs cannot lie: pages are generated from the rules, and their examples are run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO, check, write
from gitrepo import scenario
from preflight.docs import SECTIONS, render_all
from preflight.registry import builtin_registry

RULES = builtin_registry().load_all()
DOCS = REPO / "docs" / "rules"
BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_committed_rule_pages_are_up_to_date() -> None:
    pages = render_all()
    committed = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    stale = sorted(name for name in pages.keys() | committed.keys() if pages.get(name) != committed.get(name))
    assert not stale, f"docs/rules is stale for {stale}; run `python -m preflight.docs`"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_docstring_has_the_fixed_sections_in_order(rule) -> None:  # noqa: ANN001
    positions = [rule.docs.find(section) for section in SECTIONS]
    assert -1 not in positions, f"{rule.id} lacks {[s for s, p in zip(SECTIONS, positions, strict=True) if p < 0]}"
    assert positions == sorted(positions)


def _examples(rule, section: str) -> list[tuple[str, str]]:  # noqa: ANN001
    """Code blocks of a section whose first line names the file: ``# path``."""
    start = rule.docs.index(section)
    end = min((rule.docs.find(s, start + 1) for s in SECTIONS if rule.docs.find(s, start + 1) > 0), default=None)
    found = []
    for block in BLOCK.findall(rule.docs[start:end]):
        first, _, rest = block.partition("\n")
        name = first[2:].strip()
        if name.endswith(" (base)"):  # a change rule's example: the file at the base revision
            name = "base:" + name[:-len(" (base)")].strip()
        plain = name.removeprefix("base:")
        if first.startswith("# ") and " " not in name and ("." in plain or "/" in plain or plain in ("Dockerfile", "Makefile")):
            found.append((name, block))
    return found


CHECKED = [r for r in RULES if not r.id.startswith("PF")]


@pytest.mark.parametrize("rule", CHECKED, ids=lambda r: r.id)
def test_bad_examples_are_caught_and_good_ones_pass(rule, tmp_path: Path) -> None:  # noqa: ANN001
    bad, good = _examples(rule, "## Example"), _examples(rule, "## Use instead")
    assert bad and good, f"{rule.id}: examples need a first line naming the file, like `# deploy.sh`"
    # Several blocks of one section form one repository (a model and its migration, an app and its
    # alembic.ini): the Example must be caught, the Use instead must pass.
    assert len(dict(bad)) == len(bad) and len(dict(good)) == len(good), f"{rule.id}: two blocks name one file"
    found = _check_example(tmp_path / "bad", dict(bad), rule.id)
    assert [f.rule_id for f in found.findings] and {f.rule_id for f in found.findings} == {rule.id}, bad[0][0]
    assert _check_example(tmp_path / "good", dict(good), rule.id).findings == [], good[0][0]


def _check_example(root: Path, files: dict[str, str], rule_id: str):  # noqa: ANN202
    """Blocks named `# <path> (base)` make a change: those files committed first, the others on top."""
    base = {name[5:]: text for name, text in files.items() if name.startswith("base:")}
    if not base:
        return check(write(root, files), select=[rule_id, "PF001"])
    head = {name: text for name, text in files.items() if not name.startswith("base:")}
    return check(scenario(root, base, head), select=[rule_id, "PF001"], base="HEAD~1")
