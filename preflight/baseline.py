"""Baselines: adopt preflight on a repository with findings, and fail only on new ones.

``preflight check --write-baseline FILE`` records the current findings by fingerprint;
``preflight check --baseline FILE`` hides the findings recorded there and reports the rest, and
the summary counts what the baseline hid. A fingerprint holds the rule, the path (relative to
the scanned root) and the flagged line's text, not its number (see
:func:`preflight.fingerprint.finding_fingerprints`), so the baseline survives edits elsewhere in
the file; editing the flagged line itself makes the finding new.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

from preflight.config import ConfigError
from preflight.engine import CheckResult
from preflight.fingerprint import finding_fingerprints

BASELINE_VERSION = 1


def baseline_text(result: CheckResult) -> str:
    """The baseline file for ``result``: JSON, sorted, no line numbers (they would churn)."""
    prints = finding_fingerprints(result.findings, result.sources)
    entries = sorted(({"fingerprint": fp, "rule": f.rule_id, "path": f.path, "message": f.message}
                      for f, fp in zip(result.findings, prints, strict=True)),
                     key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    return json.dumps({"version": BASELINE_VERSION, "tool": "preflight", "findings": entries}, indent=2) + "\n"


def write_baseline(path: str, result: CheckResult) -> int:
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(baseline_text(result))
    except OSError as exc:
        raise ConfigError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(result.findings)


def load_baseline(path: str) -> Counter[str]:
    """The fingerprints recorded in the baseline at ``path`` (a multiset); ConfigError if unusable."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION or \
            not isinstance(data.get("findings"), list) or \
            not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in data["findings"]):
        raise ConfigError(f"baseline {path} is not a preflight baseline (version {BASELINE_VERSION}); "
                          "write one with --write-baseline")
    return Counter(e["fingerprint"] for e in data["findings"])


def apply_baseline(result: CheckResult, known: Counter[str]) -> CheckResult:
    """``result`` without the findings recorded in ``known``; ``stats.baselined`` counts them."""
    remaining = Counter(known)
    kept = []
    for finding, fingerprint in zip(result.findings, finding_fingerprints(result.findings, result.sources), strict=True):
        if remaining[fingerprint] > 0:
            remaining[fingerprint] -= 1
            continue
        kept.append(finding)
    stats = replace(result.stats, baselined=len(result.findings) - len(kept))
    return replace(result, findings=kept, stats=stats)
