"""`preflight why "<error message>"`: matching pasted errors to lessons by their symptoms."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, write
from preflight.cli import main
from preflight.model import FileKind, Severity
from preflight.registry import load_registry
from preflight.rule import RuleMeta, rule_from_module
from preflight.why import Index, normalise, tokens

DEMO = REPO / "examples" / "demo"


@pytest.fixture(scope="module")
def index() -> Index:
    return Index(load_registry(plugins=False).load_all())


def ranked(index: Index, message: str) -> list[str]:
    return [m.rule.id for m in index.search(message)]


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_normalising_quotes_case_and_words() -> None:
    assert normalise("KeyError:   \u2018ContainerConfig\u2019") == normalise('keyerror: "containerconfig"') == \
        "keyerror: 'containerconfig'"
    assert tokens("KeyError: 'ContainerConfig'") == {"keyerror", "key", "error", "containerconfig", "container",
                                                     "config"}
    assert tokens("Can't load the plugin") == {"cant", "load", "plugin"}


@pytest.mark.parametrize("message", [
    "KeyError: 'ContainerConfig'",
    'KeyError: "ContainerConfig"',
    "keyerror \u201ccontainerconfig\u201d",
    "ContainerConfig",
    "  KeyError:\n 'ContainerConfig'  ",
    'Traceback (most recent call last):\n  File "/usr/lib/python3/dist-packages/compose/service.py", line 1108\n'
    "    container_options['environment'] = merge_environment(\nKeyError: 'ContainerConfig'\n",
])
def test_container_config_names_dc001_first(index: Index, message: str) -> None:
    assert ranked(index, message)[0] == "DC001"


@pytest.mark.parametrize(("message", "first"), [
    ("ValueError: password: max_secret_size of 72 bytes exceeded", "DEP001"),
    ("max_secret_size of 72 bytes exceeded", "DEP001"),
    ("MAX_SECRET_SIZE  of 72   bytes exceeded", "DEP001"),
    ("password cannot be longer than 72 bytes", "DEP001"),
    ("sqlalchemy.exc.NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:postgres", "PY012"),
    ("Can\u2019t load plugin: sqlalchemy.dialects:postgres", "PY012"),
    ("NoSuchModuleError", "PY012"),
    ("Not an executable object", "PY002"),
    ("Error: org slug must be specified when not running interactively", "FLY003"),
    ("gpg failed to sign the data", "GHA003"),
    ("function sum(boolean) does not exist", "PY010"),
])
def test_partial_and_reformatted_messages_rank_their_lesson_first(index: Index, message: str, first: str) -> None:
    assert ranked(index, message)[0] == first


def test_a_symptom_shared_by_rules_ranks_them_together(index: Index) -> None:
    matches = index.search("connection refused: localhost:8200")
    assert [(m.rule.id, m.score) for m in matches[:3]] == [("DC007", 1.0), ("GHA001", 1.0), ("GHA002", 1.0)]
    assert matches[0].symptom == "connection refused: localhost:8200"
    assert all(m.score < 1.0 for m in matches[3:])


def test_unrelated_or_uninformative_messages_match_nothing(index: Index) -> None:
    assert index.search("the quick brown fox") == []
    assert index.search("error") == []
    assert index.search("") == []


def test_lesson_text_counts_with_less_weight() -> None:
    module = types.ModuleType("fake_why_rule")
    module.RULE = RuleMeta(id="ZZZ001", name="widget-frobnication", severity=Severity.WARNING,
                           kinds=frozenset({FileKind.SHELL}), summary="Widgets are frobnicated",
                           source="test", lesson="A frobnicated widget stalls the deploy.",
                           symptoms=("WidgetError: frobnication failed",))
    module.check_document = lambda doc, ctx: iter(())
    other = types.ModuleType("fake_why_rule2")
    other.RULE = RuleMeta(id="ZZZ002", name="other", severity=Severity.WARNING, kinds=frozenset({FileKind.SHELL}),
                          summary="Something else", source="test", lesson="Unrelated.", symptoms=("Boom",))
    other.check_document = module.check_document
    index = Index([rule_from_module(module), rule_from_module(other)])
    by_symptom = index.search("WidgetError: frobnication failed")
    assert [(m.rule.id, m.score, m.symptom) for m in by_symptom] == [("ZZZ001", 1.0,
                                                                      "WidgetError: frobnication failed")]
    [by_lesson] = index.search("the deploy stalls on a frobnicated widget")
    assert by_lesson.symptom is None and by_lesson.score < 0.5


def test_every_lesson_rule_has_symptoms() -> None:
    registry = load_registry(plugins=False)
    missing = [r.id for r in registry.load_all() if not r.id.startswith("PF") and not r.meta.symptoms]
    assert missing == []


# -- command line ----------------------------------------------------------------------------------
def test_cli_names_dc001_first_and_exit_codes() -> None:
    code, out, _ = run("why", "KeyError: 'ContainerConfig'")
    assert code == 0
    assert out.startswith("DC001 legacy-docker-compose (error, score 1.00)\n  lesson:  docker-compose 1.x")
    assert "  symptom: KeyError: 'ContainerConfig'\n  details: preflight explain DC001\n" in out
    code, out, _ = run("why", "the quick brown fox")
    assert (code, out) == (1, "No lesson matches 'the quick brown fox'; 'preflight rules' lists them all.\n")
    assert run("why", "  ")[0] == 2


def test_cli_reads_stdin_and_limits() -> None:
    code, out, _ = run("why", "-", "--limit", "1", stdin="docker-compose up\nKeyError: 'ContainerConfig'\n")
    assert code == 0 and out.count("details:") == 1 and out.startswith("DC001 ")


def test_cli_check_reports_the_repositorys_findings() -> None:
    code, out, _ = run("why", "KeyError: 'ContainerConfig'", "--check", str(DEMO), "--limit", "1")
    assert code == 0
    assert "  here:    5 findings\n    .github/workflows/deploy.yml:35:67: legacy `docker-compose`" in out
    code, out, _ = run("why", "max_secret_size of 72 bytes exceeded", "--check", str(DEMO), "--format", "json",
                       "--limit", "1")
    data = json.loads(out)
    [match] = data["matches"]
    assert (match["rule"], match["checked"], [f["path"] for f in match["findings"]]) == \
        ("DEP001", True, ["pyproject.toml"])
    assert data["message"] == "max_secret_size of 72 bytes exceeded"


def test_cli_check_says_when_a_rule_had_nothing_to_read(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": "docker compose up -d\n"})
    code, out, _ = run("why", "Can't load plugin: sqlalchemy.dialects:postgres", "--check", str(tmp_path),
                       "--limit", "1")
    assert code == 0 and "  here:    not checked (no file of the kinds it reads)\n" in out
    code, out, _ = run("why", "KeyError: 'ContainerConfig'", "--check", str(tmp_path), "--limit", "1")
    assert "  here:    no findings\n" in out
