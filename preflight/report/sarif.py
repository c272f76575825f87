"""SARIF 2.1.0, for GitHub code scanning (``github/codeql-action/upload-sarif``) and other viewers.

One ``reportingDescriptor`` per rule that ran or reported, with its docs page as help; results
point at a path relative to the scanned root (``uriBaseId: %SRCROOT%``); columns count Unicode
code points and ``endColumn`` is exclusive, as in preflight's own spans. ``PF001`` (a file that
could not be checked) and ``PF002`` (a rule that failed) are tool execution notifications, not
results: they say what preflight could not check, not what is wrong with the code.

Security rules (tagged ``security`` or ``secrets``) carry
``security-severity`` so GitHub ranks their alerts: error 8.0 (high), warning 5.5 (medium),
info 2.0 (low).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from preflight import __version__
from preflight.engine import CheckResult
from preflight.fingerprint import line_hashes
from preflight.model import Finding, Severity
from preflight.report import ReportOptions
from preflight.rule import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/preflight-dev/preflight"
AUTOMATION_ID = "preflight/"  # GitHub's category is the part before the last '/'
NOTIFICATION_IDS = ("PF001", "PF002")
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.INFO: "2.0"}
SECURITY_TAGS = frozenset({"security", "secrets"})


def is_security_rule(rule: Rule) -> bool:
    return bool(SECURITY_TAGS & set(rule.meta.tags))


def rules_by_id(result: CheckResult) -> tuple[dict[str, Rule], dict[str, str]]:
    """Every rule that ran or reported, by id, and each one's docs URL."""
    from preflight.links import rule_url
    from preflight.registry import load_registry

    rules = {rule.id: rule for rule in result.rules}
    missing = sorted({f.rule_id for f in result.findings} - set(rules) | set(NOTIFICATION_IDS))
    registry = load_registry()
    for rule in registry.load_all([i for i in missing if i in registry.entries]):
        rules[rule.id] = rule
    return rules, {rule_id: rule_url(rule_id, rule.module) for rule_id, rule in rules.items()}


def descriptor(rule: Rule, url: str) -> dict[str, Any]:
    from preflight.docs import rule_page

    meta = rule.meta
    page = rule_page(rule)
    tags = sorted(set(meta.tags) | ({"security"} if is_security_rule(rule) else set()))
    properties: dict[str, Any] = {"tags": tags}
    if is_security_rule(rule):
        properties["security-severity"] = SECURITY_SEVERITY[meta.severity]
    return {
        "id": meta.id,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.lesson or meta.summary},
        "help": {"text": page, "markdown": page},
        "helpUri": url,
        "defaultConfiguration": {"level": LEVELS[meta.severity], "enabled": meta.default_enabled},
        "properties": properties,
    }


def region(finding: Finding) -> dict[str, Any]:
    span = finding.span
    data: dict[str, Any] = {"startLine": span.line, "startColumn": span.column}
    if span.end_line is not None:
        data["endLine"] = span.end_line
    if span.end_column is not None:
        data["endColumn"] = span.end_column
    return data


def _location(finding: Finding) -> dict[str, Any]:
    artifact = {"uri": quote(finding.path, safe="/"), "uriBaseId": "%SRCROOT%"}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region(finding)}}


def render(result: CheckResult, options: ReportOptions) -> str:
    rules, urls = rules_by_id(result)
    reported = sorted(rules)
    descriptors = [descriptor(rules[i], urls[i]) for i in reported if i not in NOTIFICATION_IDS]
    index = {d["id"]: n for n, d in enumerate(descriptors)}
    notification_descriptors = [descriptor(rules[i], urls[i]) for i in NOTIFICATION_IDS if i in rules]
    notification_index = {d["id"]: n for n, d in enumerate(notification_descriptors)}

    hashes: dict[str, dict[int, str]] = {}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for finding in result.findings:
        if finding.rule_id in NOTIFICATION_IDS:
            note: dict[str, Any] = {
                "level": LEVELS[finding.severity],
                "message": {"text": finding.message},
            }
            if finding.path != ".":  # "." is the repository as a whole (a failed cross-file rule)
                note["locations"] = [_location(finding)]
            if finding.rule_id in notification_index:
                note["descriptor"] = {"id": finding.rule_id, "index": notification_index[finding.rule_id]}
            notifications.append(note)
            continue
        item: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "level": LEVELS[finding.severity],
            "message": {"text": finding.message},
            "locations": [_location(finding)],
        }
        if finding.rule_id in index:
            item["ruleIndex"] = index[finding.rule_id]
        text = result.sources.get(finding.path)
        if text is not None:
            if finding.path not in hashes:
                hashes[finding.path] = line_hashes(text)
            line_hash = hashes[finding.path].get(finding.span.line)
            if line_hash is not None:
                item["partialFingerprints"] = {"primaryLocationLineHash": line_hash}
        if finding.fix is not None:
            item["properties"] = {"fix": finding.fix.description}
        results.append(item)

    invocation: dict[str, Any] = {
        "executionSuccessful": not result.errors,
        "toolExecutionNotifications": notifications,
    }
    if result.errors:
        invocation["toolConfigurationNotifications"] = [
            {"level": "error", "message": {"text": error.message}} for error in result.errors]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "preflight",
            "semanticVersion": __version__,
            "version": __version__,
            "informationUri": INFORMATION_URI,
            "rules": descriptors,
            "notifications": notification_descriptors,
        }},
        "automationDetails": {"id": AUTOMATION_ID},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(result.root).resolve().as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "results": results,
    }
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"
