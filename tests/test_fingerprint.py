"""Fingerprints: GitHub's primaryLocationLineHash (checked against codeql-action's own vectors)
and preflight's line-number-free finding fingerprints."""

from __future__ import annotations

import pytest

from preflight.fingerprint import finding_fingerprints, line_hashes, normalised_line
from preflight.model import Finding, Severity, Span

# From github/codeql-action src/fingerprints.test.ts ("hash").
VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
     ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
      "b86d3392aea1be30:1", "e6ceba753e1a442:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
     ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
      "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
     ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
      "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
     ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
      "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]),
    ("Lorem ipsum dolor sit amet.\n" * 10,
     ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
      "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
      "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]),
    ("x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n",
     ["e54938cc54b302f1:1", "bb609acbe9138d60:1", "1131fd5871777f34:1", "5c482a0f8b35ea28:1",
      "54517377da7028d2:1", "2c644846cb18d53e:1", "f1b89f20de0d133:1", "c129715d7a2bc9a3:1"]),
]


@pytest.mark.parametrize(("text", "expected"), VECTORS)
def test_line_hashes_match_codeql_action(text: str, expected: list[str]) -> None:
    hashes = line_hashes(text)
    assert [hashes[n] for n in sorted(hashes)] == expected
    assert sorted(hashes) == list(range(1, len(expected) + 1))


def test_normalised_crlf_text_hashes_like_the_raw_file() -> None:
    # The engine hands rules LF text; GitHub hashes the raw CRLF file: the hashes agree.
    raw = " hello; \t\r\nworld!!!\r\n\r\n"
    assert line_hashes(raw.replace("\r\n", "\n")) == line_hashes(raw)


def test_line_hash_of_a_line_does_not_depend_on_lines_above_it() -> None:
    before = line_hashes("a: 1\nrun: docker-compose up\n")
    after = line_hashes("# a comment\n\na: 1\nrun: docker-compose up\n")
    assert before[2] == after[4]


def finding(line: int, rule: str = "DC001", message: str = "m", path: str = "ci.sh") -> Finding:
    return Finding(rule, Span(path, line, 1), message, Severity.ERROR)


def test_finding_fingerprints_ignore_line_numbers_and_blanks() -> None:
    old = finding_fingerprints([finding(2)], {"ci.sh": "set -e\ndocker-compose up\n"})
    new = finding_fingerprints([finding(4)], {"ci.sh": "#!/bin/sh\n\nset -e\n  docker-compose   up\n"})
    assert old == new and len(old[0]) == 32


def test_equal_findings_on_equal_lines_are_told_apart_by_occurrence() -> None:
    text = "docker-compose up\ndocker-compose up\n"
    prints = finding_fingerprints([finding(1), finding(2)], {"ci.sh": text})
    assert len(set(prints)) == 2


def test_finding_fingerprints_differ_by_rule_path_and_line_text() -> None:
    text = {"ci.sh": "docker-compose up\ndocker-compose down\n", "b.sh": "docker-compose up\n"}
    prints = finding_fingerprints([finding(1), finding(1, rule="DC002"), finding(2), finding(1, path="b.sh")], text)
    assert len(set(prints)) == 4


def test_without_the_text_the_message_is_the_key() -> None:
    assert finding_fingerprints([finding(3, message="x")], {}) == finding_fingerprints([finding(9, message="x")], {})
    assert finding_fingerprints([finding(3, message="x")], {}) != finding_fingerprints([finding(3, message="y")], {})


def test_normalised_line() -> None:
    assert normalised_line("a\n  b \t c  \n", 2) == "b c"
    assert normalised_line("a", 5) is None
    assert normalised_line(None, 1) is None
