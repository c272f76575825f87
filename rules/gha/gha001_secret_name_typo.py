"""## What it catches
A secret name in a workflow or composite action that looks like a typo of another secret name
used in the repository's workflows:

- a doubled name (`VAULT_ADDRVAULT_ADDR`, `TOKENTOKEN`, `NPM_TOKEN_NPM_TOKEN`) or the run-together
  concatenation of two other names the workflows use (`VAULT_ADDRVAULT_TOKEN`);
- a name within a typo-sized edit of another one (`VAULT_ADRR` next to `VAULT_ADDR`): at most two
  insertions, deletions, substitutions or swaps of adjacent letters for names of six characters or
  more, one for shorter names.

Every place that names a secret counts: `secrets.NAME`, `secrets['NAME']` in any `${{ }}`
expression, the names a reusable workflow declares under `on.workflow_call.secrets`, and the names a
calling job passes under `secrets:`. Names are compared case-insensitively, as GitHub does.
The name reported is the one used fewer times, at each of its uses; when both are used equally
often, preflight cannot tell which is right and reports both, each naming the other.

Names that differ in a whole `_`-separated token are a family, not a typo: `DEPLOY_KEY_EU` /
`DEPLOY_KEY_US`, `TOKEN_1` / `TOKEN_2`, `DB_PASSWORD` / `DB_PASSWORD_2`, `PROD_DB_URL` /
`TEST_DB_URL`. A differing token counts as a typo only when it is at least four characters long
and one edit away from the other (two edits for tokens of eight characters or more).
GitHub's built-in `GITHUB_TOKEN` is never compared.

preflight sees only the names the workflows use, not the secrets stored in the repository's
settings: a name misspelt the same way everywhere, or used only once with no look-alike, is not
caught.

## Why it matters
From the 42Bros post-mortem (seed 000, "GitHub Secrets Typo Causes Silent Deployment Failure"):
a deploy workflow failed with

    connection refused: localhost:8200

A secret had been saved as `VAULT_ADDRVAULT_ADDR` instead of `VAULT_ADDR`. GitHub expands an
unknown secret to an empty string without any error, so the variable was empty, the Vault client
fell back to its default address, localhost, and the deploy went wrong silently for weeks. The same
happens when a workflow misspells the name of a secret that does exist.

## Example
```yaml
# .github/workflows/deploy.yml
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      VAULT_ADDR: ${{ secrets.VAULT_ADDR }}
      VAULT_TOKEN: ${{ secrets.VAULT_TOKEN }}
    steps:
      - run: ./deploy.sh
  migrate:
    runs-on: ubuntu-latest
    steps:
      - run: ./migrate.sh --vault "${{ secrets.VAULT_ADRR }}"
        env:
          VAULT_TOKEN: ${{ secrets.VAULT_TOKEN }}
```

## Use instead
```yaml
# .github/workflows/deploy.yml
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      VAULT_ADDR: ${{ secrets.VAULT_ADDR }}
      VAULT_TOKEN: ${{ secrets.VAULT_TOKEN }}
    steps:
      - name: Validate secrets
        run: test -n "$VAULT_ADDR" || { echo "VAULT_ADDR secret is missing"; exit 1; }
      - run: ./deploy.sh
  migrate:
    runs-on: ubuntu-latest
    steps:
      - run: ./migrate.sh --vault "${{ secrets.VAULT_ADDR }}"
        env:
          VAULT_TOKEN: ${{ secrets.VAULT_TOKEN }}
```

## Fix
Correct the misspelt reference; if the secret itself was stored under the wrong name, delete it in
the repository's settings and add it again under the right one. Add a first step that fails when a
required secret is empty (`test -n "$VAULT_ADDR" || exit 1`), so a missing secret stops the run
instead of falling back to a default.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight_rules.gha.facts import SecretUse, secret_uses

RULE = RuleMeta(
    id="GHA001",
    name="secret-name-typo",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.WORKFLOW, FileKind.ACTION}),
    summary="A secret name looks like a typo of another secret name the workflows use",
    source='seed 000 "GitHub Secrets Typo Causes Silent Deployment Failure"',
    lesson="GitHub expands an unknown secret to an empty string without an error; a misspelt or "
           "doubled secret name left VAULT_ADDR empty and the deploy talked to localhost for weeks.",
    symptoms=("connection refused: localhost:8200",),
    tags=("github-actions", "secrets", "typo"),
)


def check_repository(repo, ctx: Context) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
    uses = repo.fact(secret_uses)
    if not uses:
        return
    counts = Counter(u.name for u in uses)
    first: dict[str, SecretUse] = {}
    for use in uses:
        first.setdefault(use.name, use)
    names = sorted(counts)
    # name -> (the likely intended name, why); the first explanation found wins.
    suspects: dict[str, tuple[str, str]] = {}
    for name in names:
        doubled = _doubled(name, counts)
        if doubled:
            suspects[name] = doubled
    for index, a in enumerate(names):  # quadratic in distinct names only
        for b in names[index + 1:]:
            if a in suspects and b in suspects or not is_typo(a, b):
                continue
            if counts[a] != counts[b]:
                typo, right = (a, b) if counts[a] < counts[b] else (b, a)
                suspects.setdefault(typo, (right, "likely"))
            else:
                suspects.setdefault(a, (b, "tie"))
                suspects.setdefault(b, (a, "tie"))
    for use in uses:
        if use.name not in suspects:
            continue
        right, why = suspects[use.name]
        yield ctx.finding(use.span, _message(use, right, why, counts, first))


def _message(use: SecretUse, right: str, why: str, counts: Counter, first: dict[str, SecretUse]) -> str:
    written = use.written
    if why == "doubled":
        if written.upper().startswith(right):
            right = written[:len(right)]
        elsewhere = f" (used at {first[right.upper()].where})" if right.upper() in counts else ""
        return (f"secret name {written} repeats {right}{elsewhere}; GitHub expands an unknown secret to an empty "
                f"string, so fix the name to {right}")
    if why == "joined":
        return (f"secret name {written} runs two other secret names together ({right}); GitHub expands an "
                "unknown secret to an empty string, so fix the name")
    other = first[right]
    times = "once" if counts[right] == 1 else f"{counts[right]} times"
    if why == "tie":
        return (f"secret names {written} and {other.written} ({other.where}) differ by a typo; one of them is "
                "probably misspelt and would expand to an empty string; use one spelling")
    return (f"secret name {written} looks like a typo of {other.written}, used {times} (first at {other.where}); "
            f"an unknown secret expands to an empty string, so use {other.written}")


def _doubled(name: str, counts: Counter) -> tuple[str, str] | None:
    """``XX``/``X_X`` (a name typed or pasted twice), or two other used names run together."""
    for middle in ("", "_"):
        half, rest = divmod(len(name) - len(middle), 2)
        if rest == 0 and half >= 3 and name[:half] == name[half + len(middle):] and \
                name[half:half + len(middle)] == middle:
            return name[:half], "doubled"
    for cut in range(4, len(name) - 3):
        head, tail = name[:cut], name[cut:]
        if head[-1] == "_" or tail[0] == "_":
            continue  # DB_ + HOST is how names are made, not two names run together
        if head in counts and tail in counts:
            return f"{head} + {tail}", "joined"
    return None


def is_typo(a: str, b: str) -> bool:
    """Whether two (upper-cased) secret names look like one name misspelt, not two of a family."""
    if a == b:
        return False
    limit = 2 if min(len(a), len(b)) >= 6 else 1
    if distance(a, b) > limit:
        return False
    ta, tb = a.split("_"), b.split("_")
    if len(ta) == len(tb):
        differing = [(x, y) for x, y in zip(ta, tb, strict=True) if x != y]
        if len(differing) == 1:
            x, y = differing[0]
            return _token_typo(x, y)
        return True
    longer, shorter = (ta, tb) if len(ta) > len(tb) else (tb, ta)
    if len(longer) == len(shorter) + 1 and any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer))):
        return False  # one name has an extra whole token: DB_PASSWORD / DB_PASSWORD_2
    return True  # e.g. a lost or doubled underscore: NPM_TOKEN / NPMTOKEN


def _token_typo(x: str, y: str) -> bool:
    if x.isdigit() and y.isdigit():
        return False  # TOKEN_1 / TOKEN_2
    if min(len(x), len(y)) < 4:  # EU/US, V1/V2, KEY/KEYS are a family; DSN/DNS is two letters swapped
        return len(x) == len(y) and sorted(x) == sorted(y) and distance(x, y) == 1
    return distance(x, y) <= (2 if min(len(x), len(y)) >= 8 else 1)


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: adjacent swaps cost one)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
