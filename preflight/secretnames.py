"""Is a variable, key or setting name secret-like? Judged by whole name tokens, from data.

``GH_TOKEN``, ``DB_PASSWORD``, ``GH_PAT``, ``stripe-secret-key`` and ``apiKey`` are secret-like;
``TOKENIZERS_PARALLELISM``, ``PASSWORDLESS`` and ``GPG_KEY_ID`` are not. The word lists are
``rules/data/secret_names.toml``; rules pass their ``secret-names`` options through
:func:`secret_words`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from preflight.data import data_options, load_data, merged

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

SECRET_NAME_OPTIONS = data_options("secret-names", "list of secret-like name tokens")


def tokens(name: str) -> tuple[str, ...]:
    """``DB_PASSWORD`` -> ("db", "password"); ``apiKey`` -> ("api", "key")."""
    return tuple(t.lower() for t in _SPLIT.split(_CAMEL.sub("_", name)) if t)


def secret_words(options: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The secret-like tokens, as the rule's ``secret-names`` / ``extend-secret-names`` options change them."""
    builtin = list(load_data("secret_names")["tokens"])
    if not options:
        return tuple(builtin)
    return tuple(w.lower() for w in merged(builtin, options, "secret-names"))


@lru_cache(maxsize=4096)
def _secret_like(name: str, words: tuple[str, ...]) -> bool:
    parts = tokens(name)
    if not parts:
        return False
    data = load_data("secret_names")
    if any(_ends(parts, s) for s in data["not_suffixes"]):
        return False
    if any(p in words for p in parts):
        return True
    return any(_ends(parts, s) for s in data["suffixes"])


def _ends(parts: tuple[str, ...], suffix: Sequence[str]) -> bool:
    return len(parts) >= len(suffix) and list(parts[-len(suffix):]) == list(suffix)


def is_secret_name(name: str, words: tuple[str, ...] | None = None) -> bool:
    """Whether ``name`` names a secret (see the module docstring)."""
    return _secret_like(name, words if words is not None else secret_words())
