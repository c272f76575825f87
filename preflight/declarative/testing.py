"""``preflight test-rules``: every rule of a directory against the examples in its ``tests:``.

A bad case passes when the rule's findings are exactly the expected (path, line) pairs; a good
case when the rule finds nothing. Each case is written to a fresh temporary directory and checked
by the real engine with only that rule selected, so a case sees what ``preflight check`` sees.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

from preflight.declarative.spec import RuleSpec, TestCase


@dataclass
class RuleTestReport:
    passed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def lines(self, quiet: bool = False) -> list[str]:
        out = [] if quiet else list(self.passed)
        out += self.failures
        total = len(self.passed) + len(self.failures)
        if not quiet or self.failures:
            out.append(f"{len(self.passed)} of {total} rule{'s' if total != 1 else ''} passed"
                       + (f", {len(self.failures)} failed" if self.failures else ""))
        return out


def run_rule_tests(directory: str) -> RuleTestReport:
    from preflight.declarative import load_directory

    report = RuleTestReport()
    loaded, errors = load_directory(directory, os.getcwd())
    report.errors = [e.message for e in errors]
    for spec, _rule in loaded:
        problems = _test_rule(spec, directory)
        cases = f"{len(spec.bad)} bad, {len(spec.good)} good"
        if not spec.bad and not spec.good:
            report.failures.append(f"FAIL {spec.id} {spec.name} ({spec.path}): no tests; add `tests: bad:` and "
                                   "`good:` examples")
        elif problems:
            report.failures.append(f"FAIL {spec.id} {spec.name} ({cases})")
            report.failures.extend(f"  {p}" for p in problems)
        else:
            report.passed.append(f"ok   {spec.id} {spec.name} ({cases})")
    return report


def _test_rule(spec: RuleSpec, directory: str) -> list[str]:
    from preflight.declarative import rule_from_spec

    problems = []
    for which, cases in (("bad", spec.bad), ("good", spec.good)):
        for number, case in enumerate(cases, start=1):
            found = _run_case(spec, rule_from_spec(spec), case)
            where = f"{spec.path}:{case.line}: {which} case {number} ({', '.join(case.files)})"
            if isinstance(found, str):
                problems.append(f"{where}: {found}")
                continue
            got = sorted((f.path, f.span.line) for f in found if f.rule_id == spec.id)
            others = [f for f in found if f.rule_id != spec.id]
            for other in others:  # the example itself is broken (PF001) or the rule failed (PF002)
                problems.append(f"{where}: {other.rule_id} {other.path}:{other.span.line}: {other.message}")
            if which == "bad" and got != case.expect:
                problems.append(f"{where}: expected findings at {_where(case.expect)}, got {_where(got) or 'none'}")
            if which == "good" and got:
                problems.append(f"{where}: expected no findings, got {_where(got)}")
    return problems


def _where(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{path}:{line}" for path, line in pairs)


def _run_case(spec: RuleSpec, rule, case: TestCase):
    from preflight.config import ConfigError, Settings
    from preflight.engine import run_check
    from preflight.registry import load_registry

    with tempfile.TemporaryDirectory(prefix="preflight-rule-test-") as root:
        for name, content in case.files.items():
            path = os.path.join(root, *name.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(content)
        registry = load_registry(plugins=False)
        registry.add_rule(rule)
        settings = Settings(select=[spec.id], extend_select=[] if spec.id.startswith("PF") else [])
        try:
            result = run_check(root, settings, registry)
        except ConfigError as exc:
            return str(exc)
    return result.findings
