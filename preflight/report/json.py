"""JSON: ``{"version": 1, "findings": [...], "errors": [...], "summary": {...}}``."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from preflight.engine import CheckResult
from preflight.model import Finding, Severity
from preflight.report import ReportOptions


def finding_dict(f: Finding) -> dict[str, Any]:
    span = f.span
    data: dict[str, Any] = {
        "rule": f.rule_id,
        "name": f.name,
        "severity": str(f.severity),
        "path": f.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.last_line,
        "end_column": span.end_column if span.end_column is not None else span.column,
        "message": f.message,
    }
    if f.new is not None:  # `--base` mode: whether the change brought it
        data["new"] = f.new
    if f.fix is not None:
        data["fix"] = {
            "description": f.fix.description,
            "edits": [{"line": e.span.line, "column": e.span.column, "end_line": e.span.last_line,
                       "end_column": e.span.end_column, "replacement": e.replacement} for e in f.fix.edits],
        }
    return data


def render(result: CheckResult, options: ReportOptions) -> str:
    by_severity = Counter(str(f.severity) for f in result.findings)
    document = {
        "version": 1,
        "findings": [finding_dict(f) for f in result.findings],
        "errors": [{"message": e.message, "source": e.source} for e in result.errors],
        "summary": {
            "files": result.stats.files_discovered,
            "findings": len(result.findings),
            "by_severity": {str(s): by_severity.get(str(s), 0) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)},
            "by_rule": dict(sorted(Counter(f.rule_id for f in result.findings).items())),
            "suppressed": result.stats.suppressed,
            **({} if result.stats.baselined is None else {"baselined": result.stats.baselined}),
            "failing": len(result.failing(options.fail_on)),
            "fail_on": str(options.fail_on),
        },
    }
    if result.base is not None:
        base = result.base
        document["summary"]["base"] = {"ref": base.ref, "commit": base.commit,  # type: ignore[attr-defined]
                                       "files_changed": base.files_changed, "all": base.show_all,
                                       "not_shown": base.hidden, "old": base.old}
    return json.dumps(document, indent=2) + "\n"
