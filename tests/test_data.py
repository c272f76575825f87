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


def test_users_extend_a_rule_table_from_their_configuration(tmp_path) -> None:
    from conftest import check, located, write

    write(tmp_path, {
        "docker-compose.yml": "services:\n  ledger:\n    image: ghcr.io/acme/ledger:2.1\n",
        "requirements.txt": "acme-sdk==2.4.0\nurllib3>=1.26\n",
    })
    assert located(check(tmp_path, select=["DC004", "DEP001"])) == []
    rules = {"DC004": {"extend-images": {"acme/ledger": ["/srv/ledger/data"]}},
             "DEP001": {"extend-conflicts": {"acme-sdk-urllib3": {
                 "package": "acme-sdk", "affected": "<3", "other": "urllib3", "bad": ">=2",
                 "symptom": "ImportError: cannot import name 'DEFAULT_CIPHERS'", "fix": "urllib3<2"}}}}
    assert located(check(tmp_path, select=["DC004", "DEP001"], rules=rules)) == [
        "docker-compose.yml:3:12 DC004", "requirements.txt:2:1 DEP001"]


def test_a_data_option_of_the_wrong_type_is_a_usage_error(tmp_path) -> None:
    from conftest import check, write

    write(tmp_path, {"docker-compose.yml": "services:\n  db:\n    image: postgres:16\n"})
    with pytest.raises(ConfigError, match="extend-images' must be a table"):
        check(tmp_path, select=["DC004"], rules={"DC004": {"extend-images": ["acme/ledger"]}})
