"""Data files load, and per-rule options extend or replace them."""

from __future__ import annotations

import pytest

from preflight.config import ConfigError
from preflight.data import data_options, merged


def test_lists_extend_without_duplicates_and_replace() -> None:
    assert merged(["a", "b"], {"extend-names": ["b", "c"]}, "names") == ["a", "b", "c"]
    assert merged(["a", "b"], {"names": ["z"]}, "names") == ["z"]
    assert merged(["a"], {}, "names") == ["a"]


def test_tables_update_by_key() -> None:
    base = {"postgres": ["/var/lib/postgresql/data"]}
    got = merged(base, {"extend-images": {"postgres": ["/pg"], "acme/ledger": ["/srv"]}}, "images")
    assert got == {"postgres": ["/pg"], "acme/ledger": ["/srv"]}


def test_wrong_types_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="extend-names' must be a list"):
        merged(["a"], {"extend-names": "b"}, "names")
    with pytest.raises(ConfigError, match="'images' must be a table"):
        merged({}, {"images": ["x"]}, "images")


def test_options_come_in_pairs() -> None:
    replace, extend = data_options("images", "stateful images")
    assert (replace.name, extend.name, replace.default, extend.default) == ("images", "extend-images", None, None)
