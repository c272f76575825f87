"""The command line: reports (snapshots), exit codes, flags, rules, explain, plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, write
from preflight.cli import main

DEMO = REPO / "examples" / "demo"
SNAPSHOTS = Path(__file__).parent / "snapshots"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def test_demo_text_report(snapshot) -> None:  # noqa: ANN001
    snapshot.snapshot_dir = SNAPSHOTS
    code, out, _ = run("check", str(DEMO), "--no-color")
    assert code == 1
    snapshot.assert_match(out, "demo.txt")


def test_demo_json_report(snapshot) -> None:  # noqa: ANN001
    snapshot.snapshot_dir = SNAPSHOTS
    code, out, _ = run("check", str(DEMO), "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["version"] == 1 and document["errors"] == []
    snapshot.assert_match(out, "demo.json")


def test_demo_findings_are_exactly_the_planted_ones() -> None:
    code, out, _ = run("check", str(DEMO), "--format", "json")
    found = [(f["path"], f["line"], f["rule"]) for f in json.loads(out)["findings"]]
    assert found == [
        (".env.production", 4, "SEC001"),  # secrets in a tracked env file
        (".env.production", 4, "SEC004"),  # unquoted `!`
        (".github/workflows/deploy.yml", 19, "TOOL001"),  # pipx install poetry
        (".github/workflows/deploy.yml", 32, "GHA002"),  # DEPLOY_HOST is documented nowhere (info)
        (".github/workflows/deploy.yml", 35, "DC001"),  # docker-compose over ssh
        (".github/workflows/deploy.yml", 35, "DC002"),  # ... with no cleanup before `up`
        ("Dockerfile", 8, "TOOL001"),  # installer without --version
        ("Dockerfile", 13, "DKR001"),  # a PAT written into the image's git config
        ("Makefile", 6, "TOOL001"),  # pip install -U poetry
        ("Makefile", 10, "DC001"),  # $(DC) = docker-compose
        ("Makefile", 10, "DC002"),
        ("README.md", 10, "DC001"),  # docs teach the v1 command (info)
        ("deploy/nginx/ledger.conf", 12, "NGX001"),  # Let's Encrypt certificate, no challenge on :80
        ("docker-compose.yml", 10, "DC003"),  # depends_on without readiness
        ("fly.toml", 3, "FLY001"),  # app in sjc, database in lax
        ("pyproject.toml", 15, "DEP001"),  # passlib 1.7 with bcrypt >= 4.1 allowed
        ("scripts/deploy.sh", 9, "DC001"),
        ("scripts/deploy.sh", 10, "DC001"),
    ]
    assert {rule.rstrip("0123456789") for _, _, rule in found} >= {
        "TOOL", "DC", "GHA", "DKR", "DEP", "SEC", "NGX", "FLY"}  # every family of the CI pack


def test_statistics_and_quiet() -> None:
    code, out, _ = run("check", str(DEMO), "--statistics", "--quiet", "--no-color")
    assert code == 1
    assert "    5  DC001    legacy-docker-compose  (5 fixable)" in out
    assert "    3  TOOL001  unpinned-poetry  (3 fixable)" in out
    assert "Found" not in out


def test_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    write(tmp_path, {"docs/run.md": "```bash\ndocker-compose pull\n```\n"})  # an info finding only
    assert run("check", str(tmp_path))[0] == 0
    assert run("check", str(tmp_path), "--fail-on", "info")[0] == 1
    write(tmp_path, {"deploy.sh": "docker-compose pull\n"})
    assert run("check", str(tmp_path))[0] == 1
    assert run("check", str(tmp_path), "--ignore", "DC001")[0] == 0
    assert run("check", str(tmp_path), "--select", "TOOL")[0] == 0


def test_clean_repository_says_so(tmp_path: Path) -> None:
    write(tmp_path, {"deploy.sh": "docker compose pull\n"})
    code, out, _ = run("check", str(tmp_path))
    assert (code, out) == (0, "All checks passed! (1 file checked)\n")


@pytest.mark.parametrize("args", [
    ("check", "--select", "NOPE1"),
    ("check", "/definitely/not/here"),
    ("check", "--fail-on", "fatal"),
    ("check", "--config", "missing.toml"),
    ("explain", "XX999"),
])
def test_usage_and_config_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        args: tuple[str, ...]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(*args)
    assert code == 2
    assert err.startswith("preflight: error:") or "Error:" in err


def test_bad_config_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[tool.preflight]\nselct = ['DC']\n", "a.sh": "echo\n"})
    code, _, err = run("check", str(tmp_path))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "[tool.preflight] of" in err and "unknown key 'selct'" in err


def test_flags_override_config(tmp_path: Path) -> None:
    write(tmp_path, {".preflight.toml": "select = ['TOOL']\n", "a.sh": "docker-compose pull\n"})
    assert run("check", str(tmp_path))[0] == 0
    assert run("check", str(tmp_path), "--select", "DC")[0] == 1
    config = write(tmp_path / "elsewhere", {"strict.toml": "select = ['DC']\n"}) / "strict.toml"
    assert run("check", str(tmp_path), "--config", str(config))[0] == 1


def test_output_file_and_exclude(tmp_path: Path) -> None:
    write(tmp_path, {"a.sh": "docker-compose pull\n", "vendor2/b.sh": "docker-compose pull\n"})
    target = tmp_path / "report.json"
    code, out, _ = run("check", str(tmp_path), "--format", "json", "--output", str(target), "--exclude", "vendor2/")
    assert code == 1 and out == ""
    assert [f["path"] for f in json.loads(target.read_text())["findings"]] == ["a.sh"]


def test_explicit_files_are_relative_to_the_working_directory(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"scripts/a.sh": "docker-compose pull\n", "scripts/b.sh": "docker-compose pull\n"})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("check", "scripts/a.sh", "--format", "json")
    assert [f["path"] for f in json.loads(out)["findings"]] == ["scripts/a.sh"]


def test_color_only_when_asked_or_on_a_terminal(tmp_path: Path) -> None:
    write(tmp_path, {"a.sh": "docker-compose pull\n"})
    assert "\x1b[" not in run("check", str(tmp_path))[1]
    assert "\x1b[" in run("check", str(tmp_path), "--color")[1]


def test_file_names_cannot_forge_report_lines(tmp_path: Path) -> None:
    write(tmp_path, {"evil\nx.sh:1:1: DC001 forged.sh": "docker-compose pull\n"})
    code, out, _ = run("check", str(tmp_path), "--quiet")
    assert out.count("\n") == 1 and "evil\\nx.sh" in out


def test_rules_lists_every_rule_with_metadata() -> None:
    code, out, _ = run("rules", "--format", "json")
    rules = {r["id"]: r for r in json.loads(out)}
    assert code == 0
    assert rules["TOOL001"]["name"] == "unpinned-poetry" and rules["TOOL001"]["severity"] == "error"
    assert rules["DC001"]["name"] == "legacy-docker-compose"
    assert "markdown" in rules["DC001"]["kinds"]
    code, out, _ = run("rules")
    assert "DC001    legacy-docker-compose" in out


def test_explain_prints_the_docs_page() -> None:
    code, out, _ = run("explain", "DC001")
    assert code == 0
    assert out.startswith("# DC001 legacy-docker-compose")
    assert "KeyError: 'ContainerConfig'" in out and "## Use instead" in out
    assert run("explain", "unpinned-poetry")[1].startswith("# TOOL001")


def test_version_and_module_entry_point() -> None:
    out = subprocess.run([sys.executable, "-m", "preflight", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("preflight ")


PLUGIN_RULE = '''"""## What it catches
`curl | sh` in scripts.
"""
from preflight.model import FileKind, Severity
from preflight.rule import RuleMeta

RULE = RuleMeta(id="ACME001", name="curl-pipe-sh", severity=Severity.WARNING,
                kinds=frozenset({FileKind.SHELL}), summary="Piping curl into a shell",
                source="acme lessons", lesson="Download, verify, then run.")


def check_command(cmd, ctx):
    if cmd.program_name in ("sh", "bash") and cmd.pipe_from is not None and cmd.pipe_from.program_name == "curl":
        yield ctx.finding(cmd.span, "curl output is piped into a shell; download, verify, then run")
'''


def test_an_outside_plugin_rule_runs_through_the_entry_point_group(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(site, {
        "acme_rules/__init__.py": "",
        "acme_rules/acme001.py": PLUGIN_RULE,
        "acme_rules-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: acme-rules\nVersion: 1.0\n",
        "acme_rules-1.0.dist-info/entry_points.txt": "[preflight.rules]\nACME001 = acme_rules.acme001\n",
    })
    project = write(tmp_path / "project", {"install.sh": "curl -fsSL https://get.example.com | sh\n"})
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run([sys.executable, "-m", "preflight", "rules"], capture_output=True, text=True, env=env)
    assert "ACME001  curl-pipe-sh" in listed.stdout
    out = subprocess.run([sys.executable, "-m", "preflight", "check", str(project), "--format", "json"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 1, out.stderr
    assert [(f["rule"], f["path"], f["line"]) for f in json.loads(out.stdout)["findings"]] == [
        ("ACME001", "install.sh", 1)]


def test_a_broken_plugin_is_reported_and_builtin_rules_still_run(tmp_path: Path) -> None:
    site = write(tmp_path / "site", {
        "broken_rules/__init__.py": "raise ImportError('missing dependency')\n",
        "broken_rules-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: broken-rules\nVersion: 1.0\n",
        "broken_rules-1.0.dist-info/entry_points.txt": "[preflight.rules]\nBRK001 = broken_rules\n",
    })
    project = write(tmp_path / "project", {"deploy.sh": "docker-compose pull\n"})
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-m", "preflight", "check", str(project), "--format", "json"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2
    assert "plugin rule 'BRK001' (broken_rules) could not be loaded: ImportError: missing dependency" in out.stderr
    assert [f["rule"] for f in json.loads(out.stdout)["findings"]] == ["DC001"]


def test_terminal_report_groups_by_file(tmp_path: Path) -> None:
    from conftest import check
    from preflight.report import ReportOptions, render

    write(tmp_path, {"a.sh": "docker-compose pull\npipx install poetry\n", "b.sh": "docker-compose pull\n"})
    text = render("text", check(tmp_path), ReportOptions(grouped=True))
    assert text.splitlines()[:6] == [
        "a.sh",
        "  1:1      DC001 [*] " + text.splitlines()[1].split("[*] ", 1)[1],
        "  2:14     TOOL001 " + text.splitlines()[2].split("TOOL001 ", 1)[1],
        "",
        "b.sh",
        "  1:1      DC001 [*] " + text.splitlines()[5].split("[*] ", 1)[1],
    ]


def test_hostile_directory_exits_0_or_1_without_a_traceback(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    root = write(tmp_path / "repo", {
        ".github/workflows/ci.yml": "jobs:\n  a: [unclosed\n",
        "docker-compose.yml": "services:\n  api:\n   image: [\n",
        "infra/main.tf": 'resource "aws_instance" "x" {\n  ami = \n',
        "bin/tool": bytes(range(256)) * 4,
        "Dockerfile": b"\x00\x00binary",
        "deploy.sh": b"echo caf\xe9\n",
    })
    (root / "compose.yml").symlink_to(outside)
    out = subprocess.run([sys.executable, "-m", "preflight", "check", str(root), "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode in (0, 1) and "Traceback" not in out.stderr
    rules = [(f["path"], f["rule"]) for f in json.loads(out.stdout)["findings"]]
    assert rules == [(".github/workflows/ci.yml", "PF001"), ("Dockerfile", "PF001"), ("compose.yml", "PF001"),
                     ("deploy.sh", "PF001"), ("docker-compose.yml", "PF001"), ("infra/main.tf", "PF001")]


def test_the_command_ends_with_its_exit_code_and_all_of_its_output(tmp_path: Path) -> None:
    """`preflight` ends with os._exit once its output is flushed (no interpreter teardown)."""
    import subprocess
    import sys

    for n in range(300):
        (tmp_path / f"deploy_{n}.sh").write_text("docker-compose up\n" * 5)
    argv = [sys.executable, "-m", "preflight", "check", str(tmp_path), "--no-cache", "--format", "json"]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 1
    assert len(json.loads(done.stdout)["findings"]) >= 1500
    output = tmp_path.parent / "out.json"
    done = subprocess.run([*argv, "--output", str(output)], capture_output=True, text=True)
    assert done.returncode == 1 and len(json.loads(output.read_text())["findings"]) >= 1500
    done = subprocess.run([sys.executable, "-m", "preflight", "check", "--bogus"], capture_output=True, text=True)
    assert done.returncode == 2 and "No such option" in done.stderr
    clean = tmp_path / "clean"
    clean.mkdir()
    assert subprocess.run([*argv[:4], str(clean)], capture_output=True).returncode == 0
