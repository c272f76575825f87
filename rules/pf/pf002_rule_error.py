"""## What it catches
A rule raised an exception on a file. The message names the rule, the exception and where in
the rule it happened. The other rules still ran on that file and on every other file.

## Why it matters
A crash in one check must not hide every other finding, and must not pass silently either: the
file was not fully checked, and the bug is ours to fix.

## Example
```text
deploy.yml:1:1: PF002 rule DC001 (legacy-docker-compose) failed on this file: KeyError: 'x' [dc001.py:42]; the other rules ran; please report this
```

## Use instead
Nothing to change in your repository. Report the message (it has no file contents in it) to the
preflight maintainers or to the plugin's authors; meanwhile `--ignore` the rule named in it if it
blocks your pipeline.

## Fix
Upgrade preflight or the plugin once the bug is fixed.
"""

from preflight.model import Severity
from preflight.rule import RuleMeta

RULE = RuleMeta(
    id="PF002",
    name="rule-error",
    severity=Severity.ERROR,
    kinds=frozenset(),
    summary="A rule failed with an internal error on a file",
    source="preflight itself",
    lesson="One rule's bug must neither stop the other rules nor pass unnoticed.",
)
