"""The engine: selection, configuration, suppression, PF001/PF002/PF003, parse-once, laziness."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import check, located, write
from preflight.config import ConfigError, Settings, find_config, load_settings
from preflight.engine import run_check
from preflight.model import FileKind, Severity
from preflight.registry import load_registry
from preflight.rule import Rule, RuleMeta

DEPLOY = "#!/bin/sh\ndocker-compose pull\npipx install poetry\n"


# -- selection --------------------------------------------------------------------------------
@pytest.mark.parametrize(("settings", "expected"), [
    ({}, ["scripts/deploy.sh:2:1 DC001", "scripts/deploy.sh:3:14 TOOL001"]),
    ({"select": ["DC"]}, ["scripts/deploy.sh:2:1 DC001"]),
    ({"select": ["ALL"], "ignore": ["DC001"]}, ["scripts/deploy.sh:3:14 TOOL001"]),
    ({"ignore": ["DC"], "extend_select": ["DC001"]}, ["scripts/deploy.sh:2:1 DC001", "scripts/deploy.sh:3:14 TOOL001"]),
    ({"select": ["TOOL001"], "ignore": ["TOOL"]}, ["scripts/deploy.sh:3:14 TOOL001"]),
    ({"select": ["TOOL"], "ignore": ["TOOL001"]}, []),
])
def test_selection_most_specific_selector_wins(tmp_path: Path, settings: dict, expected: list[str]) -> None:
    write(tmp_path, {"scripts/deploy.sh": DEPLOY})
    select = settings.pop("select", None)
    assert located(check(tmp_path, select=select, **settings)) == expected


def test_unknown_selector_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown rule or prefix 'DC999' in select"):
        check(tmp_path, select=["DC999"])


# -- configuration ----------------------------------------------------------------------------
def test_pyproject_table_and_dedicated_file(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.preflight]\nignore = ['DC001']\nfail-on = 'error'\n"})
    assert find_config(str(tmp_path)) == str(tmp_path / "pyproject.toml")
    settings = load_settings(find_config(str(tmp_path)))
    assert settings.ignore == ["DC001"] and settings.fail_on is Severity.ERROR
    write(tmp_path, {".preflight.toml": "select = ['TOOL']\n"})
    assert find_config(str(tmp_path)) == str(tmp_path / ".preflight.toml")
    assert load_settings(find_config(str(tmp_path))).select == ["TOOL"]


def test_config_is_found_upward_within_the_work_tree(tmp_path: Path) -> None:
    write(tmp_path, {"outer/pyproject.toml": "[tool.preflight]\nignore = ['DC']\n",
                     "outer/repo/.git/HEAD": "ref: refs/heads/main\n",
                     "outer/repo/pyproject.toml": "[tool.preflight]\nfail-on = 'error'\n",
                     "outer/repo/services/api/deploy.sh": "echo\n",
                     "outer/repo2/.git/HEAD": "", "outer/repo2/src/a.sh": "echo\n"})
    assert find_config(str(tmp_path / "outer/repo/services/api")) == str(tmp_path / "outer/repo/pyproject.toml")
    assert find_config(str(tmp_path / "outer/repo2/src")) is None  # stops at the work tree's top


def test_pyproject_without_table_is_not_config(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n"})
    assert find_config(str(tmp_path)) is None


@pytest.mark.parametrize(("text", "message"), [
    ("selct = ['DC']\n", "unknown key 'selct'"),
    ("extend_select = ['DC']\n", "keys use '-', not '_'"),
    ("fail-on = 'fatal'\n", "'fail-on' must be error, warning or info"),
    ("select = 3\n", "'select' must be a list of strings"),
    ("per-file-ignores = ['x']\n", "'per-file-ignores' must be a table"),
    ("max-file-size = 'big'\n", "'max-file-size' must be a byte count"),
    ("select = [\n", "invalid TOML"),
])
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, {".preflight.toml": text})
    with pytest.raises(ConfigError) as error:
        load_settings(str(tmp_path / ".preflight.toml"))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_rule_options_are_validated(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": DEPLOY})
    with pytest.raises(ConfigError, match="unknown option 'colour' for rule DC001"):
        run_check(str(tmp_path), Settings(rules={"DC001": {"colour": "blue"}}), load_registry(plugins=False))
    with pytest.raises(ConfigError, match="unknown rule 'XX001'"):
        run_check(str(tmp_path), Settings(rules={"XX001": {}}), load_registry(plugins=False))


def test_per_file_ignores_and_exclude(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": DEPLOY, "ops/other.sh": DEPLOY, "legacy/old.sh": DEPLOY})
    result = check(tmp_path, per_file_ignores={"ops/**": ["DC"]}, exclude=["legacy/"])
    assert located(result) == ["deploy.sh:2:1 DC001", "deploy.sh:3:14 TOOL001", "ops/other.sh:3:14 TOOL001"]
    assert result.stats.suppressed == 1


# -- suppression ------------------------------------------------------------------------------
def test_inline_suppressions_in_every_comment_style(tmp_path: Path) -> None:
    write(tmp_path, {
        "same-line.sh": "docker-compose up -d  # preflight: ignore[DC001] v1 on the legacy box\n",
        "line-above.sh": "# preflight: ignore[DC001, TOOL001]\ndocker-compose up -d\n",
        "whole-file.sh": "# preflight: ignore-file[DC001]\necho hi\ndocker-compose up\ndocker-compose down\n",
        "docs.md": "<!-- preflight: ignore[DC001] -->\n```bash\ndocker-compose up\n```\n",
        ".github/workflows/ci.yml": ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: |\n          # preflight: ignore[DC001]\n          docker-compose up\n"
                                    "          docker-compose down\n"),
        "Dockerfile": ("FROM python:3.12\nRUN apt-get update \\\n    # preflight: ignore[DC001]\n"
                       "    && docker-compose version\n"),
    })
    result = check(tmp_path, select=["DC001", "TOOL001", "PF003"])
    assert located(result) == [
        ".github/workflows/ci.yml:9:11 DC001",  # only the line below the comment is silenced
        "line-above.sh:1:1 PF003",  # TOOL001 named but nothing to silence
    ]
    assert result.stats.suppressed == 7  # whole-file.sh holds two


def test_markdown_comment_covers_the_block_right_below_it_only(tmp_path: Path) -> None:
    write(tmp_path, {"docs.md": ("<!-- preflight: ignore[DC001] -->\n```bash\necho one\n\ndocker-compose up\n```\n"
                                 "<!-- preflight: ignore[DC001] -->\n\nProse between.\n```bash\ndocker-compose up\n```\n")})
    assert located(check(tmp_path, select=["DC001", "PF003"])) == ["docs.md:7:1 PF003", "docs.md:11:1 DC001"]


def test_markdown_prose_quoting_the_syntax_is_not_a_suppression(tmp_path: Path) -> None:
    write(tmp_path, {"docs.md": ("Write `# preflight: ignore[DC001]` or `<!-- preflight: ignore[DC001] -->`.\n\n"
                                 "```sh\n# preflight: ignore[DC001]\ndocker-compose up\ndocker-compose down\n"
                                 "docker-compose ps  # preflight: ignore[DC001] trailing comments count in code\n```\n")})
    assert located(check(tmp_path, select=["DC001", "PF003"])) == ["docs.md:6:1 DC001"]


def test_unused_and_unknown_suppressions(tmp_path: Path) -> None:
    write(tmp_path, {"a.sh": "docker compose ps  # preflight: ignore[DC001]\necho  # preflight: ignore[ZZ123]\n"})
    result = check(tmp_path)
    assert located(result) == ["a.sh:1:20 PF003", "a.sh:2:7 PF003"]
    assert "matches no finding" in result.findings[0].message
    assert "unknown rule ZZ123" in result.findings[1].message
    assert all(f.severity is Severity.INFO for f in result.findings)


def test_suppression_of_a_rule_that_did_not_run_is_not_called_unused(tmp_path: Path) -> None:
    write(tmp_path, {"a.sh": "docker compose up  # preflight: ignore[DC001]\n"})
    assert located(check(tmp_path, select=["TOOL", "PF003"])) == []


# -- never crash ------------------------------------------------------------------------------
def test_unparseable_files_become_pf001_and_the_run_goes_on(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text("a: 1\n")
    root = write(tmp_path / "repo", {
        ".github/workflows/ci.yml": "jobs:\n  a: [unclosed\n",
        "infra/main.tf": 'resource "aws_instance" "x" {\n  ami = \n',
        "Dockerfile": b"\x00\x01\x02binary\x00",
        "deploy.sh": b"echo caf\xe9\ndocker-compose up\n",
        "scripts/ok.sh": "docker-compose pull\n",
        "pyproject.toml": "x = \n",
        "deploy/docker-compose.yml": "services:\n{% for s in services %}\n  {{ s }}:\n{% endfor %}\n",
    })
    (root / "compose.yml").symlink_to(outside)
    result = check(root)
    assert located(result) == [
        ".github/workflows/ci.yml:3:1 PF001",
        "Dockerfile:1:1 PF001",
        "compose.yml:1:1 PF001",
        "deploy.sh:1:1 PF001",
        "deploy/docker-compose.yml:2:2 PF001",
        "infra/main.tf:2:9 PF001",
        "pyproject.toml:1:4 PF001",
        "scripts/ok.sh:1:1 DC001",
    ]
    by_path = {f.path: f for f in result.findings}
    assert "invalid YAML" in by_path[".github/workflows/ci.yml"].message
    assert "invalid HCL" in by_path["infra/main.tf"].message
    assert "not UTF-8 text: invalid byte 0xe9 at line 1" in by_path["deploy.sh"].message
    assert by_path["Dockerfile"].severity is Severity.INFO  # skipped on purpose: binary
    assert by_path["compose.yml"].severity is Severity.INFO
    assert by_path["deploy/docker-compose.yml"].severity is Severity.INFO  # a Jinja template
    assert by_path["infra/main.tf"].severity is Severity.ERROR


def test_files_no_rule_reads_are_validated_only_if_they_are_deployment_files(tmp_path: Path) -> None:
    write(tmp_path, {"openapi.yaml": "a: [\n", "app.py": "def f(:\n", "notes.toml": "x = \n",
                     "fly.toml": "app = \n", ".github/workflows/ci.yml": "on: [\n"})
    # With rules that read only shell commands selected, Python, YAML and TOML files are not parsed
    # for them; workflows and fly.toml are deployment files and always validated.
    assert located(check(tmp_path, select=["DC001", "TOOL001", "PF001"])) == [
        ".github/workflows/ci.yml:2:1 PF001", "fly.toml:1:6 PF001"]


def test_python_syntax_errors_are_info_since_the_syntax_may_be_newer_than_ours() -> None:
    from preflight.documents import parse_text

    problem = parse_text("app.py", FileKind.PYTHON, "def f(:\n    pass\n")
    assert problem.severity is Severity.INFO and "cannot parse it" in problem.message


def test_yaml_alias_bomb_in_a_workflow_is_not_expanded(tmp_path: Path) -> None:
    lines = ["on: push", "env:"]
    for i in range(12):  # 9**12 elements if anything expanded the aliases
        items = ", ".join([f"*a{i - 1}"] * 9) if i else ", ".join(["lol"] * 9)
        lines.append(f"  x{i}: &a{i} [{items}]")
    lines += ["jobs:", "  a:", "    env: *a11", "    steps:", "      - name: *a11",
              "        uses: snok/install-poetry@v1", "        with:", "          version: *a11",
              "      - run: docker-compose up"]
    write(tmp_path, {".github/workflows/bomb.yml": "\n".join(lines) + "\n"})
    assert located(check(tmp_path)) == [".github/workflows/bomb.yml:20:15 TOOL001",
                                        ".github/workflows/bomb.yml:23:14 DC001"]


def test_files_a_selected_rule_needed_are_reported_even_when_pf001_is_not_selected(tmp_path: Path) -> None:
    write(tmp_path, {".github/workflows/ci.yml": "on: [\n", "fly.toml": "app = \n", "deploy.sh": "docker-compose up\n"})
    assert located(check(tmp_path, select=["DC001"])) == [".github/workflows/ci.yml:2:1 PF001", "deploy.sh:1:1 DC001"]
    assert located(check(tmp_path, select=["DC001"], ignore=["PF"])) == ["deploy.sh:1:1 DC001"]


def test_crlf_utf16_and_bom_files_are_read(tmp_path: Path) -> None:
    write(tmp_path, {
        "crlf.sh": b"echo hi\r\ndocker-compose pull\r\n",
        "utf16.sh": "echo hi\ndocker-compose pull\n".encode("utf-16"),
        "bom.sh": b"\xef\xbb\xbfdocker-compose pull\n",
    })
    assert located(check(tmp_path)) == ["bom.sh:1:1 DC001", "crlf.sh:2:1 DC001", "utf16.sh:2:1 DC001"]


def test_a_crashing_rule_is_pf002_and_other_rules_still_run(tmp_path: Path) -> None:
    def check_command(cmd, ctx):  # noqa: ANN001, ANN202
        raise KeyError("boom")
        yield  # pragma: no cover

    write(tmp_path, {"deploy.sh": DEPLOY})
    registry = load_registry(plugins=False)
    meta = RuleMeta("XT001", "always-crashes", Severity.ERROR, frozenset({FileKind.SHELL}), "Crashes",
                    "tests", "none")
    registry.add_rule(Rule(meta, "", "tests.crashing", {"check_command": check_command}))
    result = run_check(str(tmp_path), Settings(), registry)
    assert located(result) == ["deploy.sh:1:1 PF002", "deploy.sh:2:1 DC001", "deploy.sh:3:14 TOOL001"]
    assert "rule XT001 (always-crashes) failed on this file: KeyError: 'boom'" in result.findings[0].message


def test_each_file_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import preflight.facts

    calls: list[str] = []
    real = preflight.facts.parse_text

    def counting(path, kind, text):  # noqa: ANN001, ANN202
        calls.append(path)
        return real(path, kind, text)

    monkeypatch.setattr(preflight.facts, "parse_text", counting)
    write(tmp_path, {"poetry.lock": "# This file is automatically @generated by Poetry 2.3.0\n",
                     "Dockerfile": "FROM python:3.12\nRUN pip install poetry\n",
                     ".github/workflows/ci.yml": "on: push\njobs:\n  a:\n    steps:\n      - run: pipx install poetry\n"})
    result = check(tmp_path)
    assert len(result.findings) == 2
    assert sorted(calls) == [".github/workflows/ci.yml", "Dockerfile", "poetry.lock"]


def test_output_is_sorted_and_deterministic(tmp_path: Path) -> None:
    write(tmp_path, {f"s{i}.sh": DEPLOY for i in range(5)})
    first, second = located(check(tmp_path)), located(check(tmp_path))
    assert first == second == sorted(first, key=lambda s: (s.split(":")[0], int(s.split(":")[1])))


# -- laziness ---------------------------------------------------------------------------------
def _modules_after_check(root: Path) -> set[str]:
    code = ("import sys; from preflight.cli import main\n"
            "try:\n    main([\"check\", sys.argv[1], \"-q\"])\nexcept SystemExit:\n    pass\n"
            "print('\\n'.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_rules_and_parsers_are_imported_only_for_present_kinds(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": DEPLOY})
    modules = _modules_after_check(tmp_path)
    assert "preflight_rules.compose.dc001_legacy_docker_compose" in modules
    parsers = {"hcl2", "dockerfile_parse", "ruamel.yaml"}
    if sys.version_info >= (3, 11):  # 3.10 has no tomllib: rule data files are read with tomlkit
        parsers.add("tomlkit")
    assert not parsers & modules
    write(tmp_path, {"main.tf": 'resource "x" "y" {}\n', "Dockerfile": "FROM python:3.12\n"})
    modules = _modules_after_check(tmp_path)
    assert {"hcl2", "dockerfile_parse"} <= modules


def test_no_rule_module_is_imported_when_no_file_of_its_kind_exists(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "print('hi')\n"})
    modules = _modules_after_check(tmp_path)
    # family packages hold only code tables; only rules that read Python are imported
    imported = {m for m in modules if m.startswith("preflight_rules.") and m.count(".") >= 2}
    families = {m.split(".")[1] for m in imported}
    assert "py" in families
    assert not families & {"compose", "tf", "gha", "dkr", "sec", "ngx", "fly"}


def test_plain_yaml_is_parsed_only_when_it_is_a_manifest_a_rule_reads(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import preflight.facts

    calls: list[str] = []
    real = preflight.facts.parse_text

    def counting(path, kind, text):  # noqa: ANN001, ANN202
        calls.append(path)
        return real(path, kind, text)

    monkeypatch.setattr(preflight.facts, "parse_text", counting)
    write(tmp_path, {"docs/openapi.yaml": "openapi: 3.0.0\npaths: {}\n",
                     "k8s/api.yaml": ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
                                      "  template:\n    spec:\n      containers:\n        - name: api\n"
                                      "          env:\n            - name: DATABASE_URL\n"
                                      "              value: postgresql://localhost:5432/app\n")})
    result = check(tmp_path, select=["DC007"])
    assert located(result) == ["k8s/api.yaml:12:35 DC007"]
    assert calls == ["k8s/api.yaml"]


def test_a_released_document_is_parsed_again_when_asked_for(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from preflight.discover import discover
    from preflight.facts import Repository

    (tmp_path / "app.py").write_text("import os\nprint(os.environ['X'])\n")
    repo = Repository(str(tmp_path), discover(str(tmp_path), None).files)
    ref = repo.files[0]
    first = repo.document(ref)
    repo.release(ref.path)
    assert repo.kept(ref.path) is None and repo.reparsed == 0
    again = repo.loaded(ref.path)  # a rule asking late gets the same document, parsed again
    assert again is not None and again is not first and again.text == first.text
    assert repo.reparsed == 1 and repo.kept(ref.path) is again
    assert repo.loaded("missing.py") is None


def test_a_files_results_are_a_mapping_of_its_rules_in_order() -> None:
    import pickle

    from preflight.depends import Deps, RuleResult
    from preflight.engine import _FileResults

    found = RuleResult([], Deps({"a.py"}), {})
    results = _FileResults(["PY001", "PY002", "SEC001"], (found, None, found))
    assert dict(results) == {"PY001": found, "PY002": None, "SEC001": found}
    assert list(results) == ["PY001", "PY002", "SEC001"] and len(results) == 3
    assert results.get("MIG001") is None and "MIG001" not in results
    with pytest.raises(KeyError):
        results["MIG001"]  # noqa: B018
    again = pickle.loads(pickle.dumps(results))
    assert list(again.items())[0][1].deps.files == {"a.py"} and again["PY002"] is None
