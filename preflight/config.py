"""Settings from ``.preflight.toml`` or ``[tool.preflight]`` in ``pyproject.toml``, then flags.

A bad configuration is one :class:`ConfigError` line naming the file and key; the CLI exits 2.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, fields
from typing import Any

from preflight.model import Severity

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024


class ConfigError(Exception):
    """A one-line, user-facing configuration problem."""


@dataclass
class Settings:
    """The run's settings: defaults, then the configuration file, then the command line."""

    select: list[str] | None = None  # None: every rule that is on by default
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    fail_on: Severity = Severity.WARNING
    respect_gitignore: bool = True
    inline_ignores: bool = True  # false: suppression comments count for nothing
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-rule options
    rules_dir: str | None = None  # declarative rules, relative to the config file (default .preflight/rules)
    cache: bool = True  # read and write .preflight_cache/ (the CLI; --no-cache)
    source: str | None = None  # the file these settings came from


KEYS = {f.name.replace("_", "-") for f in fields(Settings)} - {"source"}


def _load_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        if sys.version_info >= (3, 11):
            import tomllib

            return tomllib.loads(data.decode("utf-8"))
        import tomlkit

        return tomlkit.parse(data.decode("utf-8")).unwrap()
    except Exception as exc:  # tomllib.TOMLDecodeError, tomlkit errors, UnicodeDecodeError
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def find_config(root: str) -> str | None:
    """The nearest configuration at or above ``root``, stopping at the top of its git work tree:
    ``.preflight.toml``, else a ``pyproject.toml`` with a ``[tool.preflight]`` table."""
    directory = os.path.abspath(root)
    while True:
        dedicated = os.path.join(directory, ".preflight.toml")
        if os.path.isfile(dedicated):
            return dedicated
        pyproject = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(pyproject) and _has_table(pyproject):
            return pyproject
        parent = os.path.dirname(directory)
        if parent == directory or os.path.exists(os.path.join(directory, ".git")):
            return None
        directory = parent


def _has_table(pyproject: str) -> bool:
    try:
        with open(pyproject, encoding="utf-8", errors="replace") as handle:
            return re.search(r"^\[tool\.preflight[\].]", handle.read(), re.MULTILINE) is not None
    except OSError:
        return False


def load_settings(path: str | None) -> Settings:
    if path is None:
        return Settings()
    data = _load_toml(path)
    where = path
    if os.path.basename(path) == "pyproject.toml":
        data = data.get("tool", {}).get("preflight", {})
        where = f"[tool.preflight] of {path}"
    settings = from_mapping(data, where)
    settings.source = path
    return settings


def _strings(value: Any, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}: '{key}' must be a list of strings")


def _size(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*", str(value))
    if not match:
        raise ConfigError(f"{where}: 'max-file-size' must be a byte count or a size like '5MB'")
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


def from_mapping(data: dict[str, Any], where: str) -> Settings:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: must be a table")
    settings = Settings()
    for key, value in data.items():
        if key not in KEYS:
            hint = " (keys use '-', not '_')" if key.replace("_", "-") in KEYS else ""
            raise ConfigError(f"{where}: unknown key '{key}'{hint}; known keys: {', '.join(sorted(KEYS))}")
        if key in ("select", "extend-select", "ignore", "exclude"):
            setattr(settings, key.replace("-", "_"), [s.strip() for s in _strings(value, key, where)])
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: 'per-file-ignores' must be a table of glob = [rule ids]")
            settings.per_file_ignores = {g: _strings(v, f"per-file-ignores.{g}", where) for g, v in value.items()}
        elif key == "fail-on":
            try:
                settings.fail_on = Severity.parse(str(value))
            except ValueError:
                raise ConfigError(f"{where}: 'fail-on' must be error, warning or info, not {value!r}") from None
        elif key == "respect-gitignore":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: 'respect-gitignore' must be true or false")
            settings.respect_gitignore = value
        elif key == "inline-ignores":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: 'inline-ignores' must be true or false")
            settings.inline_ignores = value
        elif key == "cache":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: 'cache' must be true or false")
            settings.cache = value
        elif key == "max-file-size":
            settings.max_file_size = _size(value, where)
        elif key == "rules-dir":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: 'rules-dir' must be a directory path (relative to the config file)")
            settings.rules_dir = value.strip()
        elif key == "rules":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f"{where}: 'rules' must be a table of [rules.<ID>] tables")
            settings.rules = {rule_id: dict(options) for rule_id, options in value.items()}
    return settings
