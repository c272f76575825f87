"""## What it catches
A file preflight should check but could not: it is not readable, not UTF-8 text, not valid
YAML/TOML/HCL/Python/Dockerfile syntax, larger than the size limit, binary, or a symbolic link
that points outside the scanned root. The message carries the parser's reason and, when known,
the line and column.

## Why it matters
A deployment file that does not parse is a deployment that fails: a workflow with a YAML error
never runs, a `main.tf` with a syntax error stops `terraform plan`. And a file preflight cannot
parse is a file none of its rules checked, so silence would be a false all-clear.

Files that are skipped on purpose (binary, over the size limit, links out of the root, YAML that
looks like a Jinja/Helm template) are reported at `info`, so they show without failing the run.

## Example
```yaml
jobs:
  deploy:
    steps:
      - run: echo "unterminated
```

## Use instead
```yaml
jobs:
  deploy:
    steps:
      - run: echo "terminated"
```

## Fix
Correct the syntax at the reported line, save the file as UTF-8, raise `max-file-size`, or exclude
the file (`exclude = ["path/"]`) if it is not yours to check.
"""

from preflight.model import Severity
from preflight.rule import RuleMeta

RULE = RuleMeta(
    id="PF001",
    name="unparseable-file",
    severity=Severity.ERROR,
    kinds=frozenset(),
    summary="A file that should be checked could not be read or parsed",
    source="preflight itself",
    lesson="A file that cannot be parsed is a file no rule checked; say so instead of staying silent.",
)
