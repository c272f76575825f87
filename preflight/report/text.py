"""Text like ruff's: ``path:line:col: ID message``; grouped by file and coloured on a terminal."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

import click

from preflight.engine import CheckResult
from preflight.model import Finding, Severity
from preflight.report import ReportOptions, printable

COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _id(finding: Finding, options: ReportOptions, mark_new: bool = False) -> str:
    text = finding.rule_id + (" [*]" if finding.fix else "") + (" [new]" if mark_new and finding.new else "")
    return click.style(text, fg=COLOURS[finding.severity], bold=True) if options.color else text


def render(result: CheckResult, options: ReportOptions) -> str:
    style = (lambda text, **kw: click.style(text, **kw)) if options.color else (lambda text, **kw: text)
    lines: list[str] = []
    findings = result.findings
    mark_new = result.base is not None and result.base.show_all  # type: ignore[attr-defined]
    if options.grouped:
        for path, group in groupby(findings, key=lambda f: f.path):
            lines.append(style(printable(path), bold=True, underline=True))
            for f in group:
                position = f"{f.span.line}:{f.span.column}"
                lines.append(f"  {style(position, dim=True):<8} {_id(f, options, mark_new)} {printable(f.message)}")
            lines.append("")
    else:
        for f in findings:
            location = f"{printable(f.path)}:{f.span.line}:{f.span.column}:"
            lines.append(f"{style(location, bold=True)} {_id(f, options, mark_new)} {printable(f.message)}")

    if options.statistics and findings:
        if lines and lines[-1] != "":
            lines.append("")
        counts = Counter((f.rule_id, f.name) for f in findings)
        fixable = Counter(f.rule_id for f in findings if f.fix)
        for (rule_id, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            mark = f"  ({fixable[rule_id]} fixable)" if fixable[rule_id] else ""
            lines.append(f"{count:>5}  {rule_id:<8} {name}{mark}")

    if not options.quiet:
        if lines and lines[-1] != "":
            lines.append("")
        lines.append(_summary(result, options, style))
        if result.base is not None:
            from preflight.report.textbase import base_line

            lines.append(base_line(result.base))
    return "\n".join(lines) + ("\n" if lines else "")


def _summary(result: CheckResult, options: ReportOptions, style) -> str:  # type: ignore[no-untyped-def]
    findings = result.findings
    files = result.stats.files_discovered
    hidden = f", {result.stats.suppressed} suppressed" if result.stats.suppressed else ""
    if result.stats.baselined:
        hidden += f", {result.stats.baselined} in the baseline"
    if not findings:
        return style("All checks passed!", fg="green", bold=True) + f" ({_plural(files, 'file')} checked{hidden})"
    by_severity = Counter(f.severity for f in findings)
    parts = [_plural(by_severity[s], str(s)).replace("infos", "info") for s in
             (Severity.ERROR, Severity.WARNING, Severity.INFO) if by_severity[s]]
    touched = len({f.path for f in findings})
    fixable = sum(1 for f in findings if f.fix)
    text = (f"Found {_plural(len(findings), 'finding')} ({', '.join(parts)}) in {_plural(touched, 'file')}; "
            f"{_plural(files, 'file')} checked{hidden}.")
    if fixable:
        text += f" {fixable} marked [*] have a safe fix."
    return text
