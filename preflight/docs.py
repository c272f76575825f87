"""Rule docs pages, generated from each rule's metadata and docstring (the single source).

``python -m preflight.docs [DIR]`` writes ``docs/rules/<ID>.md`` and ``docs/rules/README.md``;
``tests/test_docs.py`` fails when a committed page differs from what this renders.
"""

from __future__ import annotations

import os
import sys

from preflight.rule import Rule

SECTIONS = ("## What it catches", "## Why it matters", "## Example", "## Use instead", "## Fix")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def rule_page(rule: Rule) -> str:
    meta = rule.meta
    kinds = ", ".join(sorted(k.value for k in meta.kinds)) or "any (reported by the engine)"
    rows = [
        ("Severity", str(meta.severity)),
        ("File kinds", kinds),
        ("On by default", "yes" if meta.default_enabled else "no (turn it on with `extend-select`)"),
        ("Safe fix", "yes" if meta.fixable else "no"),
        ("Lesson", meta.lesson),
        ("Source", meta.source),
    ]
    if meta.symptoms:
        rows.append(("Symptoms", "; ".join(f"`{s}`" for s in meta.symptoms)))
    for option in meta.options:
        rows.append((f"Option `{option.name}`", f"{option.help} (default: `{option.default!r}`)"))
    table = "\n".join(f"| {key} | {_cell(value)} |" for key, value in rows)
    return (f"# {meta.id} {meta.name}\n\n{meta.summary}.\n\n| | |\n|---|---|\n{table}\n\n"
            f"{rule.docs.strip()}\n")


def index_page(rules: list[Rule]) -> str:
    lines = ["# Rules", "", "Generated from the rules themselves by `python -m preflight.docs`; do not edit.", "",
             "| ID | name | severity | summary |", "|---|---|---|---|"]
    for rule in sorted(rules, key=lambda r: r.id):
        lines.append(f"| [{rule.id}]({rule.id}.md) | {rule.name} | {rule.severity} | {rule.meta.summary} |")
    lines += ["", "## Lessons deliberately not checked", "",
              "Some lessons of the post-mortems behind these rules cannot be judged from the files alone: "
              "geo-blocking of external APIs by region, parity of microservice sets between environments, "
              "\"don't make perfect the enemy of good\", documentation strategy, contract tests against "
              "mocked data, and the ledger invariants of one application. preflight has no rules for them."]
    return "\n".join(lines) + "\n"


def render_all() -> dict[str, str]:
    from preflight.registry import load_registry

    rules = load_registry(plugins=False).load_all()
    pages = {f"{rule.id}.md": rule_page(rule) for rule in rules}
    pages["README.md"] = index_page(rules)
    return pages


def main(argv: list[str]) -> int:
    target = argv[0] if argv else os.path.join("docs", "rules")
    os.makedirs(target, exist_ok=True)
    pages = render_all()
    for name, text in pages.items():
        with open(os.path.join(target, name), "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    for name in os.listdir(target):
        if name.endswith(".md") and name not in pages:
            os.remove(os.path.join(target, name))
    print(f"wrote {len(pages)} pages to {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
