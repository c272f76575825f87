"""Version ranges as sets (rules/dep/specifiers.py) and the dependency environments DEP001 reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import check, write
from preflight.facts import Repository
from preflight.discover import discover
from preflight_rules.dep.facts import environments
from preflight_rules.dep.specifiers import admits_any, admitted, combine, parse_pep440, poetry_to_pep440

BAD_BCRYPT = parse_pep440(">=4.1")


@pytest.mark.parametrize(("spec", "admits"), [
    ("==4.0.1", False), ("<4.1", False), ("~=4.0.1", False), ("==4.0.*", False), (">3.9,<=4.0.1", False),
    ("<=4.0.99", False), ("!=4.1.0,<4.1", False), ("===4.0.1", False),
    (">=4.0", True), (">=4.0.1,<5.0.0", True), ("~=4.0", True), ("", True), ("==4.1.*", True),
    (">4.0.1", True), ("!=4.0.1", True), ("<4.1.0.1", True),
])
def test_a_range_is_judged_by_whether_it_admits_a_bad_version(spec: str, admits: bool) -> None:
    assert admits_any(parse_pep440(spec), BAD_BCRYPT) is admits


def test_no_constraint_admits_everything_and_nothing_admits_an_empty_union() -> None:
    assert admits_any(None, BAD_BCRYPT) is True
    assert admits_any((), BAD_BCRYPT) is False
    assert admits_any(parse_pep440(">=2,<3"), parse_pep440(">=3")) is False
    assert admits_any(parse_pep440(">=2,<=3"), parse_pep440(">=3")) is True


def test_combined_constraints_must_hold_together() -> None:
    both = combine(parse_pep440(">=4.0"), parse_pep440("<4.1"))
    assert admits_any(both, BAD_BCRYPT) is False
    assert combine(None, BAD_BCRYPT) == BAD_BCRYPT


@pytest.mark.parametrize(("poetry", "pep440"), [
    ("^3.11", ["<4,>=3.11"]), ("^0.2.3", ["<0.3,>=0.2.3"]), ("^0.0.3", ["<0.0.4,>=0.0.3"]), ("^0", ["<1,>=0"]),
    ("~3.11", ["<3.12,>=3.11"]), ("~1.2.3", ["<1.3,>=1.2.3"]), ("~1", ["<2,>=1"]), ("3.11.*", ["==3.11.*"]),
    ("4.0.1", ["==4.0.1"]), (">=3.8 <3.12", ["<3.12,>=3.8"]), (">=1.2, <1.5", ["<1.5,>=1.2"]), ("*", [""]),
    ("^3.10 || ^3.11", ["<4,>=3.10", "<4,>=3.11"]), ("~=4.0.1", ["~=4.0.1"]),
])
def test_poetry_constraints_read_as_pep440(poetry: str, pep440: list[str]) -> None:
    converted = poetry_to_pep440(poetry)
    assert converted is not None
    assert [str(s) for s in converted] == pep440


def test_unreadable_poetry_constraint_is_none_and_admitted_checks_one_version() -> None:
    assert poetry_to_pep440("^banana") is None
    assert admitted(poetry_to_pep440("^3.11"), "3.12") is True
    assert admitted(poetry_to_pep440("~3.11"), "3.12") is False


def _repo(root: Path) -> Repository:
    return Repository(str(root), discover(str(root), None).files)


def test_environments_group_a_directory_and_its_requirements_dir(tmp_path: Path) -> None:
    write(tmp_path, {
        "svc/requirements/base.txt": "Passlib[BCrypt]==1.7.4\n",
        "svc/requirements/prod.txt": "-r base.txt\nbcrypt>=4.0\n",
        "svc/pyproject.toml": '[tool.poetry.group.dev.dependencies]\nbcrypt = {version = "^4.0", optional = true}\n',
        "svc/poetry.lock": '[[package]]\nname = "bcrypt"\nversion = "4.0.1"\n',
    })
    [env] = environments(_repo(tmp_path))
    assert env.directory == "svc"
    assert [(d.span.path, d.span.line, d.text) for d in env.declared["bcrypt"]] == [
        ("svc/pyproject.toml", 2, "^4.0"), ("svc/requirements/prod.txt", 2, ">=4.0")]
    assert env.declared["passlib"][0].extras == frozenset({"bcrypt"})
    assert [(n, x.version, x.span.line) for n, x in env.locks[0].items()] == [("bcrypt", "4.0.1", 2)]


def test_dep001_message_and_extended_table(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "passlib[bcrypt]==1.7.4\nbcrypt>=4.0\nacme-sdk==2.1\nurllib3\n"})
    conflict = {"package": "acme-sdk", "affected": "<3", "other": "urllib3", "bad": ">=2",
                "symptom": "ImportError: cannot import name 'DEFAULT_CIPHERS'", "fix": "urllib3<2"}
    result = check(tmp_path, select=["DEP001"], rules={"DEP001": {"extend-conflicts": {"acme-urllib3": conflict}}})
    assert [(f.span.line, f.message) for f in result.findings] == [
        (2, "bcrypt `>=4.0` allows bcrypt >=4.1, which breaks passlib >=1.7,<1.8 (requirements.txt:1): "
            "ValueError: password: max_secret_size of 72 bytes exceeded (or: password cannot be longer than "
            "72 bytes); pin bcrypt==4.0.1"),
        (4, "urllib3 without a version allows urllib3 >=2, which breaks acme-sdk <3 (requirements.txt:3): "
            "ImportError: cannot import name 'DEFAULT_CIPHERS'; pin urllib3<2"),
    ]


def test_dep001_replaced_table_drops_the_builtin_entry(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "passlib[bcrypt]==1.7.4\n"})
    assert check(tmp_path, select=["DEP001"], rules={"DEP001": {"conflicts": {}}}).findings == []
    [finding] = check(tmp_path, select=["DEP001"]).findings
    assert (finding.span.line, finding.span.column) == (1, 1)
    assert finding.message.startswith("passlib[bcrypt] installs bcrypt with no version constraint")


# The sets this module decides itself must agree with packaging's SpecifierSet: which texts are
# valid, and which versions each admits, with and without pre-releases.

_NUMBER = st.sampled_from(["0", "1", "2", "3", "4", "9", "10", "11", "12", "01", "00"])
_RELEASE = st.lists(_NUMBER, min_size=1, max_size=4).map(".".join)
_SUFFIX = st.sampled_from(["", "", "", "", ".*", "rc1", "a0", ".post1", ".dev0", "+local.1", "b2.post3"])
_VERSION_TEXT = st.builds(lambda epoch, v, release, suffix: epoch + v + release + suffix,
                          st.sampled_from(["", "", "", "1!"]), st.sampled_from(["", "", "", "", "v"]),
                          _RELEASE, _SUFFIX)
_CLAUSE = st.builds(lambda op, space, version: op + space + version,
                    st.sampled_from(["==", "!=", "<=", ">=", "<", ">", "~=", "===", "=>", "="]),
                    st.sampled_from(["", "", " "]), _VERSION_TEXT)
_SET_TEXT = st.lists(_CLAUSE, max_size=3).map(", ".join)
_CANDIDATE = st.builds(lambda release, suffix: release + suffix, _RELEASE,
                       st.sampled_from(["", "", "", "", "rc1", "a0", ".post1", ".dev0", "+local.1"]))


@settings(max_examples=max(400, settings().max_examples))
@given(text=_SET_TEXT, candidates=st.lists(_CANDIDATE, min_size=1, max_size=6))
def test_version_sets_agree_with_packaging(text: str, candidates: list[str]) -> None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    ours = parse_pep440(text)
    try:
        theirs = SpecifierSet(text)
    except InvalidSpecifier:
        assert ours is None
        return
    assert ours is not None
    [version_set] = ours
    assert str(version_set) == str(theirs) or len(set(map(str, version_set))) != len(theirs)
    for candidate in candidates:
        version = Version(candidate)
        for prereleases in (False, True):
            assert version_set.contains(version, prereleases=prereleases) is theirs.contains(
                version, prereleases=prereleases), (text, candidate, prereleases)


@pytest.mark.parametrize(("spec", "version", "admitted"), [
    ("==3.0.*", "3", True), ("==3.0.*", "3.0.0.0", True), ("==3.1.*", "3", False), ("!=3.11.*", "3.11.9", False),
    ("~=4.0.1", "4", False), ("~=4.0.1", "4.0.5", True), ("~=4.0.1", "4.1", False), ("~=2.0", "2.9", True),
    ("~=2.0", "3.0", False), (">3.11", "3.11.0", False), (">3.11", "3.11.0.1", True), ("<=3.11", "3.11.0", True),
    ("==4.0", "4.0.0", True), (">=4.1", "4.1rc1", False), (">=4.1rc1", "4.1rc2", True), ("<4.1", "4.1rc1", False), (">=1!1.0", "2.0", False),
])
def test_admitted_follows_pep440(spec: str, version: str, admitted: bool) -> None:
    from packaging.specifiers import SpecifierSet

    assert SpecifierSet(spec).contains(version, prereleases=True) is admitted  # the reference agrees
    assert globals()["admitted"](parse_pep440(spec), version) is admitted


def test_plain_ranges_are_decided_without_importing_packaging_specifiers() -> None:
    code = ("import sys\n"
            "from preflight_rules.dep.specifiers import admits_any, admitted, combine, parse_pep440, poetry_to_pep440\n"
            "python = poetry_to_pep440('^3.11')\n"
            "assert admits_any(python, parse_pep440('==3.12.*')) and not admits_any(python, parse_pep440('<3.11'))\n"
            "assert admitted(combine(parse_pep440('>=4.0'), parse_pep440('!=4.0.1,<5')), '4.2')\n"
            "assert 'packaging.specifiers' not in sys.modules, 'imported'\n"
            "assert admitted(parse_pep440('>=1.0rc1'), '1.0')\n"
            "assert 'packaging.specifiers' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)
