"""--format github: workflow-command annotations GitHub can parse, and the job summary."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from conftest import REPO, write
from preflight.cli import main
from preflight.engine import CheckResult
from preflight.model import Finding, Severity, Span, Stats
from preflight.report import ReportOptions
from preflight.report.github import ANNOTATION_LIMIT, annotation, render, step_summary

DEMO = REPO / "examples" / "demo"


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the Actions runner reads it (ActionCommand.TryParseV2)."""
    assert line.startswith("::")
    end = line.index("::", 2)
    command, _, props = line[2:end].partition(" ")

    def unescape(text: str, prop: bool) -> str:
        pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
        for escaped, plain in [*pairs, ("%25", "%")]:
            text = text.replace(escaped, plain)
        return text

    properties = {}
    for pair in props.split(","):
        key, _, value = pair.partition("=")
        properties[key] = unescape(value, True)
    return command, properties, unescape(line[end + 2:], False)


def result(*findings: Finding) -> CheckResult:
    return CheckResult("/r", list(findings), [], [], Stats(files_discovered=3))


def test_hostile_file_name_and_message_make_one_well_formed_annotation() -> None:
    path = "a%2C,b:c::d\n::error::x.sh"
    message = "100% wrong, see: ::warning file=x::y\r\nnext line %0A"
    finding = Finding("DC001", Span(path, 3, 5, 3, 9), message, Severity.ERROR, name="legacy-docker-compose")
    line = annotation(finding)
    assert "\n" not in line and "\r" not in line
    title = "title=DC001 legacy-docker-compose"
    assert line.index("::", 2) == line.index(title) + len(title)  # the separator the runner finds first
    command, properties, data = parse(line)
    assert command == "error"
    assert properties == {"file": path, "line": "3", "col": "5", "endLine": "3", "endColumn": "9",
                          "title": "DC001 legacy-docker-compose"}
    assert data == message
    assert line == ("::error file=a%252C%2Cb%3Ac%3A%3Ad%0A%3A%3Aerror%3A%3Ax.sh,line=3,col=5,endLine=3,"
                    "endColumn=9,title=DC001 legacy-docker-compose::100%25 wrong, see: ::warning file=x::y"
                    "%0D%0Anext line %250A")


def test_control_characters_are_made_visible() -> None:
    finding = Finding("DC001", Span("a\x1b[31m.sh", 1), "m\x00", Severity.WARNING, name="n")
    assert annotation(finding) == "::warning file=a\\x1b[31m.sh,line=1,col=1,title=DC001 n::m\\x00"


def test_columns_only_on_one_line() -> None:
    finding = Finding("DC003", Span("c.yml", 4, 3, 6, 8), "spans lines", Severity.WARNING, name="x")
    assert annotation(finding) == "::warning file=c.yml,line=4,endLine=6,title=DC003 x::spans lines"
    finding = Finding("DC003", Span("c.yml", 4, 3), "a point", Severity.INFO, name="x")
    assert annotation(finding) == "::notice file=c.yml,line=4,col=3,title=DC003 x::a point"


def test_most_severe_first_limited_per_level_then_one_notice() -> None:
    findings = [Finding(f"R{n:03d}", Span("f.sh", n), f"m{n}", severity, name="n")
                for n, severity in enumerate([Severity.INFO] * 12 + [Severity.WARNING] * 3 + [Severity.ERROR] * 11, 1)]
    lines = render(result(*findings), ReportOptions()).splitlines()
    commands = [parse(line)[0] for line in lines[:-1]]
    assert commands == ["error"] * ANNOTATION_LIMIT + ["warning"] * 3 + ["notice"] * (ANNOTATION_LIMIT - 1) + ["notice"]
    assert lines[-2] == ("::notice title=preflight::4 more findings not shown as annotations (1 error, 3 info): "
                         "GitHub shows 10 per level; the job summary and `preflight check` list them all")
    assert lines[-1] == "preflight: 26 findings (11 errors, 3 warnings, 12 info) in 3 files checked"
    assert len([c for c in commands if c == "notice"]) == ANNOTATION_LIMIT


def test_no_count_notice_when_everything_fits() -> None:
    findings = [Finding("DC001", Span("f.sh", n), "m", Severity.INFO, name="n") for n in range(1, 11)]
    lines = render(result(*findings), ReportOptions(quiet=True)).splitlines()
    assert len(lines) == 10 and all(line.startswith("::notice file=f.sh,") for line in lines)


def test_step_summary_lists_every_finding_escaped() -> None:
    findings = [Finding("DC001", Span("a|b.sh", 2, 1), "use <b>`docker compose`</b> | now", Severity.ERROR,
                        name="legacy-docker-compose"),
                Finding("DC003", Span("c.yml", 1, 1), "x", Severity.WARNING, name="y")]
    assert step_summary(result(*findings)) == (
        "## preflight\n\npreflight: 2 findings (1 error, 1 warning) in 3 files checked\n\n"
        "| severity | rule | location | message |\n|---|---|---|---|\n"
        "| error | DC001 legacy-docker-compose | a\\|b.sh:2:1 | use &lt;b&gt;`docker compose`&lt;/b&gt; \\| now |\n"
        "| warning | DC003 y | c.yml:1:1 | x |\n\n")


def test_default_format_in_github_actions_writes_the_job_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    out = CliRunner().invoke(main, ["check", str(DEMO)], env=env)
    assert out.exit_code == 1
    assert out.stdout.startswith("::error file=.env.production,line=4,col=1,")
    assert all(re.match(r"::(error|warning|notice) ", line) for line in out.stdout.splitlines()[:-1])
    text = summary.read_text()
    assert text.startswith("earlier step\n## preflight\n")
    assert text.count("\n| ") == 1 + 18  # header and one row per finding

    # an explicit --format wins, and writes no summary
    summary.write_text("")
    out = CliRunner().invoke(main, ["check", str(DEMO), "--format", "text", "--no-color"], env=env)
    assert out.stdout.startswith("SEC001") is False and ".env.production:4:1: SEC001" in out.stdout
    assert summary.read_text() == ""


def test_cli_escapes_a_real_file_name(tmp_path: Path) -> None:
    root = write(tmp_path, {"x,y:z%.sh": "docker-compose pull\n"})
    out = CliRunner().invoke(main, ["check", str(root), "--select", "DC001", "--format", "github", "-q"])
    assert out.stdout == ("::error file=x%2Cy%3Az%25.sh,line=1,col=1,endLine=1,endColumn=15,"
                          "title=DC001 legacy-docker-compose::legacy `docker-compose` (Compose v1) is run; it fails "
                          "on current images with KeyError: 'ContainerConfig'; use `docker compose` (v2)\n")


def test_default_format_for_an_output_file_stays_text(tmp_path: Path) -> None:
    root = write(tmp_path / "r", {"a.sh": "docker-compose pull\n"})
    report = tmp_path / "report.txt"
    CliRunner().invoke(main, ["check", str(root), "-o", str(report), "-q"], env={"GITHUB_ACTIONS": "true"})
    assert report.read_text().startswith("a.sh:1:1: DC001 ")
