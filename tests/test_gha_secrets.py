"""GHA001-GHA003: the secret-use fact, the typo judgement and what the rules say."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import check, write
from preflight.documents.workflow import parse
from preflight.model import FileKind
from preflight_rules.gha.facts import document_secret_uses
from preflight_rules.gha.gha001_secret_name_typo import distance, is_typo

WORKFLOW = """\
# ${{ secrets.IN_A_COMMENT }}
on:
  workflow_call:
    secrets:
      deploy_key:
        required: true
x-env: &common
  A: ${{ secrets.ANCHORED }}
jobs:
  build:
    runs-on: ubuntu-latest
    env:
      <<: *common
      B: "${{ secrets.GITHUB_TOKEN }} ${{ secrets['Quoted_Name'] }}"
    steps:
      - run: |
          echo start
          curl -H "X: ${{ secrets.IN_BLOCK }}" ${{ steps.secrets.outputs.NOT_A_SECRET }}
      - with: {token: "${{ secrets.FLOW || secrets.FALLBACK }}"}
  call:
    uses: ./.github/workflows/other.yml
    secrets:
      PASSED: ${{ secrets.ANCHORED }}
"""


def test_secret_uses_are_located_at_the_name() -> None:
    doc = parse(".github/workflows/ci.yml", FileKind.WORKFLOW, WORKFLOW)
    found = [(u.written, u.name, u.how, u.span.line, u.span.column, u.span.end_column)
             for u in document_secret_uses(doc)]
    # Not found: the comment, GITHUB_TOKEN, `steps.secrets.outputs...`, the anchor merged into `env:` again.
    assert sorted(found, key=lambda f: (f[3], f[4])) == [
        ("deploy_key", "DEPLOY_KEY", "declaration", 5, 7, 17),
        ("ANCHORED", "ANCHORED", "reference", 8, 18, 26),
        ("Quoted_Name", "QUOTED_NAME", "reference", 14, 52, 63),
        ("IN_BLOCK", "IN_BLOCK", "reference", 18, 35, 43),
        ("FLOW", "FLOW", "reference", 19, 36, 40),
        ("FALLBACK", "FALLBACK", "reference", 19, 52, 60),
        ("PASSED", "PASSED", "passed", 23, 7, 13),
        ("ANCHORED", "ANCHORED", "reference", 23, 27, 35),
    ]


def test_damerau_levenshtein_counts_a_swap_as_one_edit() -> None:
    assert distance("VAULT_ADDR", "VAULT_ADRR") == 1
    assert distance("VAULT_ADDR", "VAULT_ADDR") == 0
    assert distance("SENTRY_DSN", "SENTRY_DNS") == 1
    assert distance("ABC", "") == 3
    assert distance("NPM_TOKEN", "NPMTOKEN") == 1
    assert distance("KITTEN", "SITTING") == 3


@pytest.mark.parametrize(("a", "b"), [("VAULT_ADDR", "VAULT_ADRR"), ("NPM_TOKEN", "NPM_TOKNE"),
                                      ("SENTRY_DSN", "SENTRY_DNS"), ("NPM_TOKEN", "NPMTOKEN"),
                                      ("PRODUCTION_KEY", "PRODUCITON_KEY")])
def test_typos(a: str, b: str) -> None:
    assert is_typo(a, b) and is_typo(b, a)


@pytest.mark.parametrize(("a", "b"), [("DEPLOY_KEY_EU", "DEPLOY_KEY_US"), ("TOKEN_1", "TOKEN_2"),
                                      ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
                                      ("DB_PASSWORD", "DB_PASSWORD_2"), ("PROD_DB_URL", "TEST_DB_URL"),
                                      ("REDIS_URL", "REDIS_URI"), ("SSH_KEY", "SSH_KEYS"),
                                      ("DB_PROD", "DB_PREP"), ("VAULT_ADDR", "VAULT_ADDR")])
def test_families_are_not_typos(a: str, b: str) -> None:
    assert not is_typo(a, b) and not is_typo(b, a)


def _workflow(*names: str) -> str:
    env = "\n".join(f"      V{i}: ${{{{ secrets.{n} }}}}" for i, n in enumerate(names))
    return f"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    env:\n{env}\n    steps:\n      - run: make\n"


def test_gha001_reports_the_rarer_name_and_where_the_other_is_used(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/a.yml": _workflow("VAULT_ADDR", "VAULT_ADDR", "VAULT_ADRR")})
    [finding] = check(tmp_path, select=["GHA001"]).findings
    assert (finding.span.line, finding.span.column) == (8, 23)
    assert finding.message == ("secret name VAULT_ADRR looks like a typo of VAULT_ADDR, used 2 times (first at "
                               ".github/workflows/a.yml:6); an unknown secret expands to an empty string, so use "
                               "VAULT_ADDR")


def test_gha001_on_a_tie_reports_both(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/a.yml": _workflow("SENTRY_DSN", "SENTRY_DNS")})
    findings = check(tmp_path, select=["GHA001"]).findings
    assert [f.span.line for f in findings] == [6, 7]
    assert "SENTRY_DSN and SENTRY_DNS (.github/workflows/a.yml:7)" in findings[0].message


def test_gha001_doubled_name_names_its_half(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/a.yml": _workflow("VAULT_ADDRVAULT_ADDR")})
    [finding] = check(tmp_path, select=["GHA001"]).findings
    assert finding.message.startswith("secret name VAULT_ADDRVAULT_ADDR repeats VAULT_ADDR; ")


def test_gha002_counts_example_env_files_but_not_real_ones(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/a.yml": _workflow("API_KEY", "DB_PASSWORD"),
                     ".env.example": "API_KEY=\n", ".env": "DB_PASSWORD=hunter2\n"})
    [finding] = check(tmp_path, select=["GHA002"]).findings
    assert (finding.span.line, str(finding.severity)) == (7, "info")
    assert finding.message.startswith("secret DB_PASSWORD is not named in any documentation (the repository has "
                                      "no Markdown)")


def test_gha003_import_must_come_before_signing_in_the_same_job(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/r.yml": (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: git tag -s v1 -m v1\n"
        "      - run: gpg --batch --import key.asc && git tag -s v2 -m v2\n"
        "  b:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: git commit -S -m x\n")})
    findings = check(tmp_path, select=["GHA003"]).findings
    assert [(f.span.line, f.span.column) for f in findings] == [(6, 22), (11, 25)]
    assert findings[0].message.startswith("`git tag -s` signs in CI, but this job sets up no signing key before it;")
