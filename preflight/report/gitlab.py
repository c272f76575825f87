"""GitLab Code Quality: the JSON array that ``artifacts: reports: codequality`` reads.

Each finding is ``{description, check_name, fingerprint, severity, location: {path, lines:
{begin, end}}}``; the fingerprint is preflight's line-number-free one (see
:mod:`preflight.fingerprint`), so GitLab's merge request widget does not show a moved finding as
fixed and new. Severities: error -> major, warning -> minor, info -> info.
"""

from __future__ import annotations

import json

from preflight.engine import CheckResult
from preflight.fingerprint import finding_fingerprints
from preflight.model import Severity
from preflight.report import ReportOptions

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render(result: CheckResult, options: ReportOptions) -> str:
    prints = finding_fingerprints(result.findings, result.sources)
    issues = [{
        "description": f"{f.rule_id} {f.message}",
        "check_name": f.rule_id,
        "fingerprint": fingerprint,
        "severity": SEVERITIES[f.severity],
        "location": {"path": f.path, "lines": {"begin": f.span.line, "end": f.span.last_line}},
    } for f, fingerprint in zip(result.findings, prints, strict=True)]
    return json.dumps(issues, indent=2) + "\n"
