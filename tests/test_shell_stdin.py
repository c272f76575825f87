"""Heredoc bodies and here-strings are what a command reads on stdin, with their file positions."""

from __future__ import annotations

from preflight.shell import Snippet, parse_script, snippet_span


def test_heredoc_body_and_here_string_keep_their_positions() -> None:
    script = ('psql "$DB" <<SQL\nSELECT 1;\n  ALTER TABLE t ADD c int;\nSQL\n'
              'mysql -e x <<< "DROP TABLE t"\n')
    first, second = parse_script(Snippet("run.sh", script, ((1, 0),)))
    (body,) = first.stdin
    assert body.text == "SELECT 1;\n  ALTER TABLE t ADD c int;\n"
    at = body.text.index("ALTER")
    span = snippet_span(body, at, at + len("ALTER TABLE"))
    assert (span.line, span.column, span.end_column) == (3, 3, 14)
    (here,) = second.stdin
    assert here.text == "DROP TABLE t"
    assert snippet_span(here, 0, 4).column == 17


def test_a_workflow_block_maps_heredoc_lines_through_its_origins() -> None:
    snippet = Snippet("ci.yml", "cat <<EOF | psql\nCREATE TABLE x (id int);\nEOF\n", ((7, 10), (8, 10), (9, 10)))
    cat = parse_script(snippet)[0]
    (body,) = cat.stdin
    span = snippet_span(body, 0, 6)
    assert (span.line, span.column) == (8, 11)
