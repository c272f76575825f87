"""--write-baseline / --baseline: adopt preflight on a repository with findings."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import write
from preflight.cli import main

SCRIPT = "#!/bin/sh\nset -e\ndocker-compose pull\ndocker-compose up -d\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def project(tmp_path: Path) -> Path:
    return write(tmp_path / "repo", {"deploy.sh": SCRIPT})


def test_write_baseline_records_findings_without_line_numbers(tmp_path: Path) -> None:
    root = project(tmp_path)
    baseline = tmp_path / "baseline.json"
    code, out, err = run("check", str(root), "--select", "DC001", "--write-baseline", str(baseline))
    assert (code, out) == (0, "")
    assert err == f"preflight: wrote 2 findings to baseline {baseline}\n"
    data = json.loads(baseline.read_text())
    assert data["version"] == 1 and data["tool"] == "preflight"
    assert [(e["rule"], e["path"]) for e in data["findings"]] == [("DC001", "deploy.sh")] * 2
    assert all(set(e) == {"fingerprint", "rule", "path", "message"} for e in data["findings"])


def test_baseline_hides_recorded_findings_and_survives_edits_elsewhere(tmp_path: Path) -> None:
    root = project(tmp_path)
    baseline = tmp_path / "baseline.json"
    run("check", str(root), "--select", "DC001", "--write-baseline", str(baseline))

    code, out, _ = run("check", str(root), "--select", "DC001", "--baseline", str(baseline), "--no-color")
    assert code == 0
    assert out == "All checks passed! (1 file checked, 2 in the baseline)\n"

    # lines added above the findings move them; the baseline still holds
    (root / "deploy.sh").write_text("#!/bin/sh\n# deploy the stack\n\nset -e\n" + SCRIPT.split("set -e\n", 1)[1])
    code, out, _ = run("check", str(root), "--select", "DC001", "--baseline", str(baseline), "--no-color")
    assert code == 0 and "2 in the baseline" in out

    # a new problem is reported, and the count says what the baseline hid
    with (root / "deploy.sh").open("a") as handle:
        handle.write("docker-compose logs\n")
    code, out, _ = run("check", str(root), "--select", "DC001", "--baseline", str(baseline), "--no-color")
    assert code == 1
    assert out.splitlines()[0].startswith("deploy.sh:7:1: DC001 ")
    assert out.splitlines()[-1] == ("Found 1 finding (1 error) in 1 file; 1 file checked, 2 in the baseline. "
                                    "1 marked [*] have a safe fix.")

    code, out, _ = run("check", str(root), "--select", "DC001", "--baseline", str(baseline), "--format", "json")
    summary = json.loads(out)["summary"]
    assert (summary["findings"], summary["baselined"]) == (1, 2)


def test_editing_the_flagged_line_makes_the_finding_new(tmp_path: Path) -> None:
    root = project(tmp_path)
    baseline = tmp_path / "baseline.json"
    run("check", str(root), "--select", "DC001", "--write-baseline", str(baseline))
    (root / "deploy.sh").write_text(SCRIPT.replace("up -d", "up -d --build"))
    code, out, _ = run("check", str(root), "--select", "DC001", "--baseline", str(baseline), "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 1 and [f["line"] for f in findings] == [4]


def test_json_has_no_baselined_count_without_a_baseline(tmp_path: Path) -> None:
    _, out, _ = run("check", str(project(tmp_path)), "--select", "DC001", "--format", "json")
    assert "baselined" not in json.loads(out)["summary"]


def test_unusable_baseline_is_a_usage_error(tmp_path: Path) -> None:
    root = project(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    code, _, err = run("check", str(root), "--baseline", str(bad))
    assert code == 2
    assert err == (f"preflight: error: baseline {bad} is not a preflight baseline (version 1); "
                   "write one with --write-baseline\n")
    code, _, err = run("check", str(root), "--baseline", str(tmp_path / "missing.json"))
    assert code == 2 and err.startswith(f"preflight: error: cannot read baseline {tmp_path / 'missing.json'}: ")
    bad.write_text("{")
    code, _, err = run("check", str(root), "--baseline", str(bad))
    assert code == 2 and err.startswith(f"preflight: error: baseline {bad} is not valid JSON: ")


def test_fingerprints_do_not_depend_on_the_cache(tmp_path: Path) -> None:
    """A finding served from the cache has the same fingerprint: its file was not parsed in this
    run, and the fingerprint still comes from the flagged line, not from the message."""
    root = project(tmp_path)
    first, second = tmp_path / "cold.json", tmp_path / "warm.json"
    run("check", str(root), "--select", "DC001", "--write-baseline", str(first))  # fills the cache
    assert (root / ".preflight_cache").is_dir()
    run("check", str(root), "--select", "DC001", "--write-baseline", str(second))  # served from it
    cold, warm = (json.loads(p.read_text())["findings"] for p in (first, second))
    assert [e["fingerprint"] for e in warm] == [e["fingerprint"] for e in cold]
    no_cache = tmp_path / "none.json"
    run("check", str(root), "--select", "DC001", "--no-cache", "--write-baseline", str(no_cache))
    assert json.loads(no_cache.read_text())["findings"] == cold
