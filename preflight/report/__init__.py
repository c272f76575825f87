"""Reporters: one module per format, each with ``render(result, options) -> str``.

Formats are imported only when chosen; SARIF and GitHub annotations slot in as more modules.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, NamedTuple

from preflight.model import Severity

if TYPE_CHECKING:  # pragma: no cover
    from preflight.engine import CheckResult

FORMATS = {"text": "preflight.report.text", "json": "preflight.report.json"}
FORMATS.update({"sarif": "preflight.report.sarif", "github": "preflight.report.github",
                "gitlab": "preflight.report.gitlab"})


class ReportOptions(NamedTuple):
    """How a report is written: colour, grouping, summary lines."""

    color: bool = False
    grouped: bool = False
    quiet: bool = False
    statistics: bool = False
    fail_on: Severity = Severity.WARNING


def render(fmt: str, result: CheckResult, options: ReportOptions) -> str:
    return importlib.import_module(FORMATS[fmt]).render(result, options)


def printable(text: str) -> str:
    """``text`` with control characters escaped, so a file name cannot forge output lines."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
