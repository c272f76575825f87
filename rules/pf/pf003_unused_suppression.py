"""## What it catches
A `# preflight: ignore[ID]` comment that silenced nothing: the rule ran on the file and found
nothing at that line or the line below, or the id names no rule at all.

## Why it matters
Stale suppressions hide the next real problem at that line, and a misspelt id silences nothing
while looking as if it did.

## Example
```sh
# preflight: ignore[DC001]
docker compose up -d
```

## Use instead
```sh
docker compose up -d
```

## Fix
Delete the comment, or correct the rule id in it.
"""

from preflight.model import Severity
from preflight.rule import RuleMeta

RULE = RuleMeta(
    id="PF003",
    name="unused-suppression",
    severity=Severity.INFO,
    kinds=frozenset(),
    summary="A suppression comment matches no finding",
    source="preflight itself",
    lesson="An exception that no longer applies should not stay in the code.",
)
