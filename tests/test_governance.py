"""--no-inline-ignores (and `inline-ignores = false`), --exit-zero."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from conftest import write
from preflight.cli import main

SCRIPT = ("docker-compose pull  # preflight: ignore[DC001] the old host has no v2 yet\n"
          "# preflight: ignore[DC001]\n"
          "docker-compose up\n")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--select", "DC001,PF003", "--format", "json"])
    return result.exit_code, result.stdout


def rules_and_lines(out: str) -> list[tuple[str, int]]:
    import json

    return [(f["rule"], f["line"]) for f in json.loads(out)["findings"]]


def test_inline_ignores_count_by_default(tmp_path: Path) -> None:
    root = write(tmp_path, {"deploy.sh": SCRIPT})
    code, out = run("check", str(root))
    assert (code, rules_and_lines(out)) == (0, [])


def test_no_inline_ignores_flag(tmp_path: Path) -> None:
    root = write(tmp_path, {"deploy.sh": SCRIPT})
    code, out = run("check", str(root), "--no-inline-ignores")
    # every finding is back, and the comments are not reported as unused either
    assert (code, rules_and_lines(out)) == (1, [("DC001", 1), ("DC001", 3)])


def test_inline_ignores_config_key(tmp_path: Path) -> None:
    root = write(tmp_path, {"deploy.sh": SCRIPT, ".preflight.toml": "inline-ignores = false\n"})
    code, out = run("check", str(root))
    assert (code, rules_and_lines(out)) == (1, [("DC001", 1), ("DC001", 3)])
    # per-file-ignores, being reviewed configuration, still apply
    (root / ".preflight.toml").write_text('inline-ignores = false\nper-file-ignores = { "*.sh" = ["DC001"] }\n')
    assert run("check", str(root))[0] == 0


def test_inline_ignores_must_be_a_boolean(tmp_path: Path) -> None:
    root = write(tmp_path, {"deploy.sh": SCRIPT, ".preflight.toml": 'inline-ignores = "no"\n'})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 2
    assert result.stderr == f"preflight: error: {root / '.preflight.toml'}: 'inline-ignores' must be true or false\n"


def test_exit_zero_reports_but_passes(tmp_path: Path) -> None:
    root = write(tmp_path, {"deploy.sh": "docker-compose up\n"})
    code, out = run("check", str(root), "--exit-zero")
    assert code == 0 and rules_and_lines(out) == [("DC001", 1)]


def test_exit_zero_keeps_exit_2_for_errors(tmp_path: Path) -> None:
    root = write(tmp_path, {"deploy.sh": "docker-compose up\n", ".preflight.toml": "nonsense = 1\n"})
    result = CliRunner().invoke(main, ["check", str(root), "--exit-zero"])
    assert result.exit_code == 2
