"""The data files rules depend on, and how users extend or replace them.

The lists behind the rules (stateful images and their data directories, secret-like names, known
version conflicts, deprecated platform commands, Fly regions, ...) are TOML files in
``rules/data/`` (installed as ``preflight_rules/data/``), each documented by its own comments.
A rule reads one with :func:`load_data` (parsed once per process) and lets users change it
through two per-rule options, named after the table:

- ``<name>`` replaces the built-in table (default ``None``: keep it);
- ``extend-<name>`` adds entries to it (default empty). For a table of tables, an added entry
  with the key of a built-in one replaces that entry.

For example, in ``pyproject.toml``::

    [tool.preflight.rules.DC004]
    extend-images = { "ghcr.io/acme/ledger" = ["/srv/ledger"] }

Use :func:`data_options` to declare the two options and :func:`merged` to read the result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from functools import cache
from typing import Any

from preflight.rule import Option

DATA_PACKAGE = "preflight_rules"


@cache
def load_data(name: str, package: str = DATA_PACKAGE) -> Mapping[str, Any]:
    """The parsed ``data/<name>.toml`` of ``package`` (a plain dict; parsed once per process)."""
    module = sys.modules.get(package) or __import__(package)
    try:  # an installed package is a directory: read the file directly (importlib.resources costs
        # ~6 ms of imports at every start)
        with open(os.path.join(os.path.dirname(module.__file__ or ""), "data", f"{name}.toml"),
                  encoding="utf-8") as handle:
            raw = handle.read()
    except OSError:  # a zipped or otherwise unusual install
        from importlib import resources

        raw = resources.files(package).joinpath("data", f"{name}.toml").read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(raw)
    import tomlkit  # pragma: no cover - Python 3.10

    return tomlkit.parse(raw).unwrap()  # pragma: no cover


def data_options(name: str, what: str) -> tuple[Option, Option]:
    """The ``<name>`` / ``extend-<name>`` pair of options for a data-backed table."""
    return (
        Option(name, None, f"replaces the built-in {what} (see the data file in rules/data/)"),
        Option(f"extend-{name}", None, f"adds to the built-in {what}"),
    )


def merged(builtin: Any, options: Mapping[str, Any], name: str) -> Any:
    """``builtin`` as the ``<name>`` / ``extend-<name>`` options change it.

    Lists are extended (without duplicates), mappings updated; a value of another type than the
    built-in one is a configuration error, said in one line.
    """
    from preflight.config import ConfigError

    base = builtin
    replace = options.get(name)
    if replace is not None:
        if not isinstance(replace, type(builtin) if not isinstance(builtin, Mapping) else Mapping):
            raise ConfigError(f"option '{name}' must be a {_kind(builtin)}, not {_kind(replace)}")
        base = replace
    extra = options.get(f"extend-{name}")
    if extra is None:
        return base
    if isinstance(base, Mapping):
        if not isinstance(extra, Mapping):
            raise ConfigError(f"option 'extend-{name}' must be a table, not {_kind(extra)}")
        return {**base, **extra}
    if not isinstance(extra, list):
        raise ConfigError(f"option 'extend-{name}' must be a list, not {_kind(extra)}")
    return list(base) + [x for x in extra if x not in base]


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "table"
    if isinstance(value, list):
        return "list"
    return type(value).__name__
