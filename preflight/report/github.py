"""GitHub Actions: workflow-command annotations, and a job summary.

``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message``, one line per finding.
Properties and data are escaped as GitHub's toolkit escapes them (``@actions/core``
``command.ts``: ``%``, ``\\r``, ``\\n`` in data, also ``:`` and ``,`` in properties), so neither
a file name nor a message can end the annotation early or start another workflow command.
``col``/``endColumn`` are given only when the finding is on one line: the runner drops an
annotation that has columns and spans lines.

GitHub shows at most ten annotations of each level per step, so findings are emitted most severe
first, :data:`ANNOTATION_LIMIT` per level, then one notice counts the rest. The job summary
(:func:`step_summary`, appended to ``$GITHUB_STEP_SUMMARY``) lists every finding.
"""

from __future__ import annotations

import html
from collections import Counter

from preflight.engine import CheckResult
from preflight.model import Finding, Severity
from preflight.report import ReportOptions

ANNOTATION_LIMIT = 10  # what GitHub renders per level and step
COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def _clean(text: str) -> str:
    """Other control characters (ESC, NUL, ...) as visible escapes; CR and LF are escaped below."""
    return "".join(c if c.isprintable() or c in "\r\n" else repr(c)[1:-1] for c in text)


def escape_data(text: str) -> str:
    return _clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    span = finding.span
    properties = [("file", finding.path), ("line", str(span.line))]
    one_line = span.last_line == span.line
    if one_line:
        properties.append(("col", str(span.column)))
    if span.end_line is not None:
        properties.append(("endLine", str(span.end_line)))
    if one_line and span.end_column is not None:
        properties.append(("endColumn", str(span.end_column)))
    properties.append(("title", f"{finding.rule_id} {finding.name}".strip()))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {rendered}::{escape_data(finding.message)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(result: CheckResult, options: ReportOptions) -> str:
    by_level = {level: [f for f in result.findings if f.severity is level] for level in ORDER}
    shown = {level: found[:ANNOTATION_LIMIT] for level, found in by_level.items()}
    hidden = sum(len(found) - len(shown[level]) for level, found in by_level.items())
    if hidden and len(shown[Severity.INFO]) == ANNOTATION_LIMIT:
        shown[Severity.INFO] = shown[Severity.INFO][:-1]  # keep a notice slot for the count
        hidden += 1
    lines = [annotation(f) for level in ORDER for f in shown[level]]
    if hidden:
        counts = Counter(f.severity for level in ORDER for f in by_level[level][len(shown[level]):])
        parts = ", ".join(_plural(counts[s], str(s)).replace("infos", "info") for s in ORDER if counts[s])
        lines.append("::notice title=preflight::" + escape_data(
            f"{_plural(hidden, 'more finding')} not shown as annotations ({parts}): GitHub shows "
            f"{ANNOTATION_LIMIT} per level; the job summary and `preflight check` list them all"))
    if not options.quiet:
        lines.append(escape_data(summary_line(result)))
    return "\n".join(lines) + "\n"


def summary_line(result: CheckResult) -> str:
    """One plain line (it cannot start with ``::``, so the runner never reads it as a command)."""
    findings = result.findings
    counts = Counter(f.severity for f in findings)
    parts = ", ".join(_plural(counts[s], str(s)).replace("infos", "info") for s in ORDER if counts[s])
    text = f"preflight: {_plural(len(findings), 'finding')}" + (f" ({parts})" if parts else "")
    text += f" in {_plural(result.stats.files_discovered, 'file')} checked"
    if result.stats.suppressed:
        text += f", {result.stats.suppressed} suppressed"
    if result.stats.baselined:
        text += f", {result.stats.baselined} in the baseline"
    return text


def _cell(text: str) -> str:
    return html.escape(" ".join(_clean(text).split()), quote=False).replace("|", "\\|")


def step_summary(result: CheckResult) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: a heading, the counts and a table of every finding."""
    lines = ["## preflight", "", _cell(summary_line(result)), ""]
    if result.findings:
        lines += ["| severity | rule | location | message |", "|---|---|---|---|"]
        for level in ORDER:
            for f in (f for f in result.findings if f.severity is level):
                where = f"{f.path}:{f.span.line}:{f.span.column}"
                rule = f"{f.rule_id} {f.name}".strip()
                lines.append(f"| {level} | {_cell(rule)} | {_cell(where)} | {_cell(f.message)} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def append_step_summary(path: str, result: CheckResult) -> str | None:
    """Append the job summary to ``path`` (``$GITHUB_STEP_SUMMARY``); the reason if it could not."""
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as handle:
            handle.write(step_summary(result))
    except OSError as exc:
        return f"cannot write the job summary to {path}: {exc.strerror or exc}"
    return None
