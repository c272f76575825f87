"""Redirections are exposed on each shell command: operator as written and target word."""

from __future__ import annotations

from preflight.shell import Snippet, parse_script


def redirects(text: str) -> list[list[tuple[str, str, int, int]]]:
    commands = parse_script(Snippet("s.sh", text, ((1, 0),)))
    return [[(op, w.text, w.span.line, w.span.column) for op, w in c.redirects] for c in commands]


def test_operators_and_targets_with_positions() -> None:
    assert redirects('vault operator init > keys.txt 2>&1\necho x >>"out dir/log" 2> err.log\n') == [
        [(">", "keys.txt", 1, 23), ("2>&", "1", 1, 35)],
        [(">>", "out dir/log", 2, 10), ("2>", "err.log", 2, 27)],
    ]


def test_here_strings_heredocs_and_pipes() -> None:
    assert redirects("cat <<EOF > f\nbody\nEOF\nread x <<< word\nvault operator init | tee -a k\n") == [
        [(">", "f", 1, 13)], [], [], [],
    ]


def test_redirect_before_the_command_and_in_nested_scripts() -> None:
    assert redirects(">out.txt vault operator init\nsh -c 'vault operator init &> all.txt'\n") == [
        [(">", "out.txt", 1, 2)], [], [("&>", "all.txt", 2, 31)],
    ]
