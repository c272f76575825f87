"""What SEC rules share: is a value a reference or a placeholder rather than a secret, and would git
keep a file out of the repository."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from preflight.data import data_options, load_data, merged
from preflight.facts import Repository
from preflight.gitfacts import is_ignored, tracked_files

PLACEHOLDER_OPTIONS = data_options("placeholders", "list of placeholder values")

# `${VAR}`, `$VAR`, `{{ .Values.x }}`, `secure:`, `!vault`, `vault:path`, 1Password `op://`, SOPS
# `ENC[...]`, Pulumi/ESC `${...}`, Doppler/`ref+` URIs: the value names where the secret is.
REFERENCE = re.compile(r"\$\{|\$[A-Za-z_]|\{\{|\{%|^secure:|^!vault|^vault:|^op://|^ENC\[|^ref\+|^sm://"
                       r"|^arn:aws:secretsmanager:|^awssm:|^doppler:")


# A file path (`/run/secrets/db-password`, `./secrets/token.txt`) names where the secret is.
FILE_PATH = re.compile(r"(?:/|\./|~/)[\w.@/-]+")


def is_reference(value: str) -> bool:
    text = value.strip()
    return bool(REFERENCE.search(text) or FILE_PATH.fullmatch(text))


@lru_cache(maxsize=16)
def _placeholders(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


@lru_cache(maxsize=16)  # compiled when a value is not a known placeholder word (about 1 ms)
def _placeholder_pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def placeholder_check(options: Mapping[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """A function telling whether a value is a placeholder, from the data file and options."""
    data = load_data("secret_placeholders")
    values = merged(list(data["values"]), options or {}, "placeholders")
    words = _placeholders(tuple(str(v) for v in values))
    patterns = tuple(data["patterns"])
    compiled: list[re.Pattern[str]] = []

    def is_placeholder(value: str) -> bool:
        text = value.strip().strip("'\"").strip()
        if not text or text.lower() in words:
            return True
        if not compiled:
            compiled.append(_placeholder_pattern(patterns))
        return bool(compiled[0].fullmatch(text))

    return is_placeholder


def is_plain_secret(value: Any, is_placeholder) -> bool:  # type: ignore[no-untyped-def]
    """A literal string that is neither empty, a reference nor a placeholder."""
    if not isinstance(value, str) or isinstance(value, bool):
        return False
    return bool(value.strip()) and not is_reference(value) and not is_placeholder(value)


def exposure(repo: Repository, path: str) -> str | None:
    """'tracked' if git tracks ``path``, 'not ignored' if .gitignore would not keep it out, else None."""
    tracked = repo.fact(tracked_files)
    if tracked is not None and path in tracked:
        return "tracked"
    if not is_ignored(repo, path):
        return "not ignored"
    return None
