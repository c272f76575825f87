"""Tests for preflight.shell: commands found in shell snippets, with exact positions."""

from __future__ import annotations

import pytest

from preflight import shell
from preflight.model import Span
from preflight.shell import MAX_DEPTH, ShellCommand, Snippet, Word, parse_script


def parse(text: str, **kwargs) -> list[ShellCommand]:
    kwargs.setdefault("origins", ((1, 0),))
    return parse_script(Snippet("app/deploy.sh", text, **kwargs))


def argvs(cmds: list[ShellCommand]) -> list[list[str]]:
    return [[w.text for w in c.argv] for c in cmds]


def loc(item: Word | ShellCommand) -> tuple[int, int, int | None, int | None]:
    """(line, column, end_line, end_column) of a word or command."""
    s = item.span
    return (s.line, s.column, s.end_line, s.end_column)


@pytest.fixture(autouse=True)
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    # Surface internal errors instead of letting parse_script's last-resort guard hide them.
    monkeypatch.setattr(shell, "_STRICT", True)


# --------------------------------------------------------------------------- simple commands


def test_simple_command_words_and_spans() -> None:
    [cmd] = parse("docker-compose up -d")
    assert cmd.program == "docker-compose"
    assert cmd.arg_texts() == ["up", "-d"]
    assert [loc(w) for w in cmd.argv] == [(1, 1, 1, 15), (1, 16, 1, 18), (1, 19, 1, 21)]
    assert cmd.span == Span("app/deploy.sh", 1, 1, 1, 21)
    assert cmd.words == cmd.argv
    assert cmd.assignments == () and cmd.wrappers == ()
    assert cmd.pipe_from is None and cmd.nested_in is None and cmd.comment_above is None
    assert cmd.argv[0].raw == "docker-compose" and not cmd.argv[0].quoted


def test_separators_split_commands() -> None:
    cmds = parse("make build && make test || echo fail; ls & wait\ndate")
    assert argvs(cmds) == [["make", "build"], ["make", "test"], ["echo", "fail"], ["ls"],
                           ["wait"], ["date"]]
    assert [loc(c) for c in cmds] == [(1, 1, 1, 11), (1, 15, 1, 24), (1, 28, 1, 37),
                                      (1, 39, 1, 41), (1, 44, 1, 48), (2, 1, 2, 5)]


def test_pipeline_sets_pipe_from() -> None:
    curl, py, tee = parse("curl -sSL https://install.python-poetry.org | python3 - |& tee log")
    assert py.program == "python3" and py.pipe_from is curl
    assert tee.pipe_from is py
    assert curl.pipe_from is None
    assert loc(py) == (1, 47, 1, 56)


def test_pipe_continues_over_newline_but_other_separators_reset() -> None:
    a, b, c, d = parse("a |\n  b && c\nd")
    assert b.pipe_from is a and loc(b) == (2, 3, 2, 4)
    assert c.pipe_from is None and d.pipe_from is None


def test_continuation_lines_keep_true_positions() -> None:
    [cmd] = parse("docker run \\\n  -d \\\n    --name web \\\n  nginx")
    assert cmd.arg_texts() == ["run", "-d", "--name", "web", "nginx"]
    assert [loc(w) for w in cmd.argv[1:]] == [(1, 8, 1, 11), (2, 3, 2, 5), (3, 5, 3, 11),
                                              (3, 12, 3, 15), (4, 3, 4, 8)]
    assert loc(cmd) == (1, 1, 4, 8)


def test_continuation_inside_a_word_is_removed() -> None:
    [cmd] = parse('ec\\\nho "a \\\nb"')
    assert cmd.program == "echo"
    assert cmd.argv[0].raw == "echo"
    assert loc(cmd.argv[0]) == (1, 1, 2, 3)
    assert cmd.argv[1].text == "a b" and loc(cmd.argv[1]) == (2, 4, 3, 3)


def test_origins_offset_and_continuation_of_origins() -> None:
    first, second = parse("pip install x\n  poetry lock", origins=((10, 6),))
    assert loc(first) == (10, 7, 10, 20)
    assert loc(second.argv[0]) == (11, 9, 11, 15)  # beyond origins: next line, same offset
    [cmd] = parse("a \\\nb", origins=((3, 4), (7, 0)))
    assert [loc(w) for w in cmd.argv] == [(3, 5, 3, 6), (7, 1, 7, 2)]


def test_crlf_tabs_and_unicode_columns() -> None:
    a, b = parse("echo\tñandú \r\n\tls -la\r\n")
    assert a.arg_texts() == ["ñandú"]
    assert loc(a.argv[1]) == (1, 6, 1, 11)  # a tab and each code point count as one column
    assert b.argv[0].text == "ls" and loc(b.argv[0]) == (2, 2, 2, 4)
    assert b.arg_texts() == ["-la"]


# --------------------------------------------------------------------------- quoting


def test_quote_removal_and_raw() -> None:
    [cmd] = parse("""printf 'a b' "c \\"d\\" \\$e" $'x\\ty' f\\ g plain""")
    assert cmd.arg_texts() == ["a b", 'c "d" $e', "x\ty", "f g", "plain"]
    assert [w.quoted for w in cmd.argv[1:]] == [True, True, True, True, False]
    assert cmd.argv[2].raw == '"c \\"d\\" \\$e"'
    assert cmd.argv[2].variables == ()  # an escaped $ is no reference
    assert loc(cmd.argv[3]) == (1, 28, 1, 35)


def test_unterminated_quote_runs_to_end_of_snippet() -> None:
    [cmd] = parse("echo 'oops\nrm -rf /\n")
    assert cmd.arg_texts() == ["oops\nrm -rf /\n"]
    assert loc(cmd.argv[1]) == (1, 6, 2, 10)  # up to the final newline


def test_variables_and_defaults() -> None:
    text = 'pip install "poetry==${POETRY_VERSION}" ${PIP:-pip3} $HOME \'$NOPE\' ${A-x}${B:=y}'
    [cmd] = parse(text)
    version, pip, home, nope, ab = cmd.argv[2:]
    assert version.text == "poetry==${POETRY_VERSION}"
    assert version.variables == ("POETRY_VERSION",)
    assert pip.variables == ("PIP",) and pip.default_of("PIP") == "pip3"
    assert home.variables == ("HOME",) and home.default_of("HOME") is None
    assert nope.variables == () and nope.text == "$NOPE"
    assert ab.variables == ("A", "B") and ab.default_of("A") == "x" and ab.default_of("B") == "y"


# --------------------------------------------------------------------------- substitutions


def test_command_substitution_is_parsed_with_exact_positions() -> None:
    outer, inner, innermost = parse('echo "$(docker-compose ps -q $(id -u))" done')
    assert outer.arg_texts() == ["$(docker-compose ps -q $(id -u))", "done"]
    assert outer.argv[1].has_substitution
    assert inner.argv[0].text == "docker-compose" and inner.nested_in is outer
    assert loc(inner) == (1, 9, 1, 38)
    assert innermost.argv[0].text == "id" and innermost.nested_in is inner
    assert loc(innermost.argv[1]) == (1, 35, 1, 37)


def test_backticks_and_multiline_substitution() -> None:
    cmds = parse("TAG=`git rev-parse HEAD`\nIMAGES=$(\n  docker-compose config --images\n)")
    tag, git, images, dc = cmds
    assert tag.argv == () and tag.assignments[0][0] == "TAG"
    assert git.argv[0].text == "git" and git.nested_in is tag and loc(git) == (1, 6, 1, 24)
    assert dc.nested_in is images and loc(dc) == (3, 3, 3, 33)


def test_case_inside_substitution_does_not_close_it_early() -> None:
    cmds = parse("x=$(case $a in b) echo c;; (d) echo e;; esac) && after")
    assert argvs(cmds) == [[], ["echo", "c"], ["echo", "e"], ["after"]]
    assert cmds[1].nested_in is cmds[0] and loc(cmds[1]) == (1, 19, 1, 25)


def test_arithmetic_and_process_substitution() -> None:
    cmds = parse("echo $((1 + N)) && diff <(sort a) b")
    assert argvs(cmds) == [["echo", "$((1 + N))"], ["diff", "<(sort a)", "b"], ["sort", "a"]]
    assert cmds[2].nested_in is cmds[1] and loc(cmds[2]) == (1, 27, 1, 33)


def test_github_expression_is_one_opaque_piece() -> None:
    [cmd] = parse("echo ${{ github.ref == 'refs/heads/main' && 'prod' || 'dev' }}")
    assert cmd.program == "echo"
    assert cmd.arg_texts() == ["${{ github.ref == 'refs/heads/main' && 'prod' || 'dev' }}"]
    assert cmd.argv[1].has_substitution and cmd.argv[1].variables == ()
    assert loc(cmd.argv[1]) == (1, 6, 1, 63)


def test_github_expression_inside_quotes() -> None:
    [cmd] = parse("""deploy --env "${{ inputs.env }}" --ref '${{ github.event_name == 'push' }}'""")
    assert cmd.arg_texts() == ["--env", "${{ inputs.env }}", "--ref",
                               "${{ github.event_name == 'push' }}"]


# --------------------------------------------------------------------------- comments


def test_comments_are_not_words() -> None:
    [cmd] = parse("echo a#b # note $(rm -rf /)\n")
    assert cmd.arg_texts() == ["a#b"]


def test_comment_above() -> None:
    text = "# ❌ WRONG\ndocker-compose up -d\n\n# ✅ CORRECT\ndocker compose up -d"
    wrong, right = parse(text)
    assert wrong.comment_above == "❌ WRONG"
    assert right.comment_above == "✅ CORRECT"
    assert loc(right) == (5, 1, 5, 21)


def test_comment_above_survives_blank_lines_ignores_trailing_comments() -> None:
    a, b, c = parse("a\n## Install\n\n\nb # trailing\nc")
    assert a.comment_above is None
    assert b.comment_above == "Install" and c.comment_above == "Install"
    [nested] = [x for x in parse("# step\nsh -c 'ls'") if x.nested_in is not None]
    assert nested.comment_above == "step"


# --------------------------------------------------------------------------- redirections


@pytest.mark.parametrize("text", [
    "cmd a > out", "cmd a >> out", "cmd a < in", "cmd a 2> err", "cmd a 2>&1", "cmd a &> all",
    "cmd a >&2", "cmd a <> rw", "cmd a >| force", "cmd a 3>file", "cmd a <<< 'here string'",
    "cmd a >out", "cmd >/dev/null a 2>/dev/null", "cmd a &>>log", "cmd a 1>&2 2>&-",
])
def test_redirections_are_removed(text: str) -> None:
    [cmd] = parse(text)
    assert [w.text for w in cmd.words] == ["cmd", "a"]
    assert argvs([cmd]) == [["cmd", "a"]]


# --------------------------------------------------------------------------- heredocs


def test_heredoc_body_is_not_commands() -> None:
    cmds = parse("cat > .env <<EOF\nrm -rf /\nDEBUG=1\nEOF\necho done")
    assert argvs(cmds) == [["cat"], ["echo", "done"]]
    assert loc(cmds[1]) == (5, 1, 5, 10)


def test_several_heredocs_on_one_line_and_tab_stripping() -> None:
    text = "cat <<A <<-'B'; echo same\nbody a\nA\n\tbody b\n\tB\necho after"
    cmds = parse(text)
    assert argvs(cmds) == [["cat"], ["echo", "same"], ["echo", "after"]]
    assert loc(cmds[2]) == (6, 1, 6, 11)


def test_ssh_heredoc_body_is_remote_commands() -> None:
    text = "ssh deploy@host <<'EOF'\n  cd /srv/app\n  docker-compose pull\nEOF\necho ok"
    ssh, cd, pull, echo = parse(text)
    assert ssh.arg_texts() == ["deploy@host"]
    assert cd.nested_in is ssh and pull.nested_in is ssh and echo.nested_in is None
    assert loc(pull) == (3, 3, 3, 22)
    assert loc(echo) == (5, 1, 5, 8)


def test_shell_reading_stdin_parses_heredoc_but_script_file_does_not() -> None:
    cmds = parse("bash <<EOF\npip install poetry\nEOF\nsudo bash -s -- arg <<'X'\nuv sync\nX\n"
                 "bash setup.sh <<EOF\nnot-a-command\nEOF")
    assert argvs(cmds) == [["bash"], ["pip", "install", "poetry"], ["bash", "-s", "--", "arg"],
                           ["uv", "sync"], ["bash", "setup.sh"]]
    assert cmds[1].nested_in is cmds[0] and loc(cmds[1]) == (2, 1, 2, 19)
    assert cmds[3].nested_in is cmds[2] and cmds[2].wrappers == ("sudo",)


def test_heredoc_piped_from_cat_into_shell_and_herestring() -> None:
    cat, sh, apt, bash, pip = parse("cat <<EOF | sh\napt-get update\nEOF\nbash <<< 'pip install x'")
    assert sh.pipe_from is cat and apt.nested_in is sh and loc(apt) == (2, 1, 2, 15)
    assert pip.nested_in is bash and loc(pip) == (4, 11, 4, 24)


def test_unterminated_heredoc_runs_to_end() -> None:
    cmds = parse("cat <<EOF\nrm -rf /\nnever ends")
    assert argvs(cmds) == [["cat"]]


# --------------------------------------------------------------------------- compound syntax


def test_if_then_fi() -> None:
    cmds = parse("if docker-compose ps; then docker-compose down; fi")
    assert argvs(cmds) == [["docker-compose", "ps"], ["docker-compose", "down"]]
    assert loc(cmds[1]) == (1, 28, 1, 47)


def test_multiline_if_elif_else() -> None:
    text = "if [ -f a ]\nthen\n  x\nelif ! y; then\n  z\nelse\n  w\nfi"
    assert argvs(parse(text)) == [["[", "-f", "a", "]"], ["x"], ["y"], ["z"], ["w"]]


def test_for_loops() -> None:
    cmds = parse('for f in a b; do rm "$f"; done\nfor ((i=0; i<3; i++)); do echo $i; done')
    assert argvs(cmds) == [["rm", "$f"], ["echo", "$i"]]
    assert loc(cmds[0]) == (1, 18, 1, 25)


def test_case_patterns_are_not_commands() -> None:
    cmds = parse('case "$1" in up) docker-compose up ;; down|stop) docker-compose down ;; esac')
    assert argvs(cmds) == [["docker-compose", "up"], ["docker-compose", "down"]]
    text = "case $x in\n  (a|b)\n    one\n    ;;\n  *) two\nesac\nafter"
    assert argvs(parse(text)) == [["one"], ["two"], ["after"]]


def test_while_until_subshell_group_and_functions() -> None:
    text = ("while read -r line; do echo \"$line\"; done < list\nuntil false; do :; done\n"
            "(cd app && make) || exit 1\n{ a; b; }\ndeploy() {\n  up\n}\nfunction g { h; }")
    assert argvs(parse(text)) == [["read", "-r", "line"], ["echo", "$line"], ["false"], [":"],
                                  ["cd", "app"], ["make"], ["exit", "1"], ["a"], ["b"], ["up"],
                                  ["h"]]


def test_double_bracket_is_a_command_with_its_operators() -> None:
    cmds = parse('[[ -f x && "$a" < b ]] && echo y')
    assert argvs(cmds) == [["[[", "-f", "x", "&&", "$a", "<", "b", "]]"], ["echo", "y"]]


def test_reserved_words_only_at_command_position() -> None:
    [cmd] = parse("echo if then done }")
    assert cmd.arg_texts() == ["if", "then", "done", "}"]


# --------------------------------------------------------------------------- wrappers


@pytest.mark.parametrize(("text", "argv", "wrappers"), [
    ("sudo apt-get install -y curl", ["apt-get", "install", "-y", "curl"], ("sudo",)),
    ("sudo -E -u deploy -H pip install x", ["pip", "install", "x"], ("sudo",)),
    ("sudo --preserve-env=PATH --user=app python3 -m x", ["python3", "-m", "x"], ("sudo",)),
    ("doas -u app x", ["x"], ("doas",)),
    ("exec -a name gunicorn app:app", ["gunicorn", "app:app"], ("exec",)),
    ("exec -cl x", ["x"], ("exec",)),
    ("nohup python worker.py", ["python", "worker.py"], ("nohup",)),
    ("time -p make", ["make"], ("time",)),
    ("nice -n 10 make", ["make"], ("nice",)),
    ("ionice -c2 -n7 rsync a b", ["rsync", "a", "b"], ("ionice",)),
    ("timeout --signal=KILL 30s curl x", ["curl", "x"], ("timeout",)),
    ("timeout -k 5 60 curl x", ["curl", "x"], ("timeout",)),
    ("stdbuf -oL tail -f log", ["tail", "-f", "log"], ("stdbuf",)),
    ("command ls -l", ["ls", "-l"], ("command",)),
    ("builtin cd /", ["cd", "/"], ("builtin",)),
    ("/usr/bin/env python3 app.py", ["python3", "app.py"], ("env",)),
    ("sudo -E env FOO=1 nohup x", ["x"], ("sudo", "env", "nohup")),
])
def test_wrappers_are_stripped(text: str, argv: list[str], wrappers: tuple[str, ...]) -> None:
    [cmd] = parse(text)
    assert [w.text for w in cmd.argv] == argv
    assert cmd.wrappers == wrappers
    assert cmd.words[0].text == text.split()[0]  # words keep the command as written


def test_env_assignments_and_positions() -> None:
    [cmd] = parse("env -i -u X FOO=1 -- BAR='two words' app")
    assert cmd.program == "app" and cmd.wrappers == ("env",)
    assert [(n, w.text) for n, w in cmd.assignments] == [("FOO", "1"), ("BAR", "two words")]
    assert loc(cmd.assignments[1][1]) == (1, 26, 1, 37)


@pytest.mark.parametrize(("text", "argv"), [
    ("command -v docker-compose", ["command", "-v", "docker-compose"]),
    ("command -V x", ["command", "-V", "x"]),
    ("sudo -v", ["sudo", "-v"]),
    ("exec >log 2>&1", ["exec"]),
    ("nohup", ["nohup"]),
])
def test_lookups_and_lone_wrappers_stay_programs(text: str, argv: list[str]) -> None:
    [cmd] = parse(text)
    assert [w.text for w in cmd.argv] == argv and cmd.wrappers == ()


# --------------------------------------------------------------------------- assignments


def test_prefix_assignments() -> None:
    [cmd] = parse('POETRY_VERSION=1.8.3 EMPTY= Q="a b" python3 -')
    assert cmd.program == "python3"
    names = [(n, w.text) for n, w in cmd.assignments]
    assert names == [("POETRY_VERSION", "1.8.3"), ("EMPTY", ""), ("Q", "a b")]
    assert loc(cmd.assignments[0][1]) == (1, 16, 1, 21)
    assert loc(cmd.assignments[1][1]) == (1, 28, 1, 28)  # empty value: zero-width
    assert cmd.assignments[2][1].quoted and not cmd.assignments[0][1].quoted
    assert len(cmd.words) == 5 and loc(cmd) == (1, 1, 1, 46)


def test_assignment_only_and_export() -> None:
    only, export, quoted_name = parse('FOO=bar\nexport FOO=bar\n"X"=1')
    assert only.argv == () and only.program is None
    assert [(n, w.text) for n, w in only.assignments] == [("FOO", "bar")]
    assert export.program == "export" and export.arg_texts() == ["FOO=bar"]
    assert export.assignments == ()
    assert quoted_name.program == "X=1"  # a quoted name is no assignment


# --------------------------------------------------------------------------- nested scripts


def test_sh_c_string_commands_have_exact_columns() -> None:
    sh, dc = parse('sh -c "docker-compose up -d"')
    assert sh.arg_texts() == ["-c", "docker-compose up -d"]
    assert dc.nested_in is sh and dc.arg_texts() == ["up", "-d"]
    assert loc(dc) == (1, 8, 1, 28)
    assert [loc(w) for w in dc.argv] == [(1, 8, 1, 22), (1, 23, 1, 25), (1, 26, 1, 28)]


def test_escapes_inside_nested_string_map_to_their_source() -> None:
    _, echo, ls = parse('bash -lc "echo \\"hi there\\" && ls"')
    assert echo.arg_texts() == ["hi there"]
    assert loc(echo.argv[1]) == (1, 16, 1, 28)  # covers \"hi there\"
    assert loc(ls) == (1, 32, 1, 34)


def test_su_and_multiline_c_string() -> None:
    su, npm = parse('su - app -c "npm ci"')
    assert npm.nested_in is su and loc(npm) == (1, 14, 1, 20)
    _, a, b = parse("sh -c '\n  apt-get update &&\n  apt-get install -y git'")
    assert loc(a) == (2, 3, 2, 17) and loc(b) == (3, 3, 3, 25)


def test_ssh_remote_command() -> None:
    ssh, cd, up = parse('ssh -p 2222 -i key deploy@host "cd /app && docker-compose up -d"')
    assert ssh.nested_in is None and cd.nested_in is ssh and up.nested_in is ssh
    assert up.arg_texts() == ["up", "-d"] and loc(up) == (1, 44, 1, 64)
    ssh2, ps = parse("ssh host docker ps -a")
    assert ps.nested_in is ssh2 and argvs([ps]) == [["docker", "ps", "-a"]]
    assert loc(ps) == (1, 10, 1, 22)


@pytest.mark.parametrize("text", [
    'docker exec -it web bash -c "pip install x"',
    "docker run --rm -v $PWD:/app python:3.12 sh -c 'pip install x'",
    'docker compose exec web sh -c "pip install x"',
    'kubectl exec pod -- sh -c "pip install x"',
])
def test_container_exec_shell_strings(text: str) -> None:
    outer, inner = parse(text)
    assert inner.nested_in is outer
    assert argvs([inner]) == [["pip", "install", "x"]]


def test_substitution_in_c_string_is_listed_once() -> None:
    cmds = parse('sh -c "echo $(date)"; sh -c \'echo $(hostname)\'')
    assert [c.program for c in cmds] == ["sh", "echo", "date", "sh", "echo", "hostname"]
    assert cmds[2].nested_in is cmds[0]  # double quotes: the outer shell runs it
    assert cmds[5].nested_in is cmds[4]  # single quotes: the inner shell runs it


def test_nesting_depth_is_capped() -> None:
    text = "echo " + "$(echo " * 30 + ")" * 30
    cmds = parse(text)
    assert 1 < len(cmds) <= MAX_DEPTH


# --------------------------------------------------------------------------- dialects


def test_fold_newlines() -> None:
    text = "docker compose\n  --profile web\nup -d\n\nnext line\ncontinued"
    cmds = parse(text, fold_newlines=True)
    assert argvs(cmds) == [["docker", "compose"], ["--profile", "web"], ["up", "-d"],
                           ["next", "line", "continued"]]
    assert loc(cmds[3]) == (5, 1, 6, 10)
    folded = parse("pip install\n  poetry\nruff", fold_newlines=False)
    assert len(folded) == 3


def test_make_dialect_prefixes_and_references() -> None:
    text = "@$(DC) up -d\n-@echo $$HOME ${TAG} $(shell git rev-parse HEAD) $@\n+ls $$(pwd)"
    dc, echo, ls, pwd = parse(text, dialect="make")
    assert dc.program == "$(DC)" and dc.argv[0].make_refs == ("DC",)
    assert loc(dc.argv[0]) == (1, 2, 1, 7)
    assert echo.arg_texts() == ["$HOME", "${TAG}", "$(shell git rev-parse HEAD)", "$@"]
    home, tag, shell_ref, target = echo.argv[1:]
    assert home.variables == ("HOME",) and home.raw == "$$HOME" and loc(home) == (2, 8, 2, 14)
    assert tag.variables == () and tag.make_refs == ("TAG",)
    assert shell_ref.make_refs == ("shell git rev-parse HEAD",)
    assert target.make_refs == () and target.variables == ()
    assert ls.arg_texts() == ["$(pwd)"] and pwd.nested_in is ls and loc(pwd) == (3, 8, 3, 11)


def test_make_dialect_nested_string_keeps_make_refs_opaque() -> None:
    _, echo = parse("sh -c 'echo $$HOME $(DC) >> $(LOG)'", dialect="make")
    assert echo.arg_texts() == ["$HOME", "$(DC)"]
    assert echo.argv[1].variables == ("HOME",)
    assert echo.argv[2].make_refs == ("DC",) and echo.argv[2].variables == ()
    assert loc(echo.argv[1]) == (1, 13, 1, 19)


def test_sh_dialect_has_no_make_refs() -> None:
    cmd, dc = parse("echo $(DC)")
    assert cmd.argv[1].make_refs == () and cmd.argv[1].has_substitution
    assert dc.program == "DC" and dc.nested_in is cmd


# --------------------------------------------------------------------------- robustness

NASTY = [
    "", "'", '"', "`", "\\", "$(", "${", "${{", "$((", "echo 'unterminated", 'echo "a $(ls',
    "a\x00b \x00", "(" * 10_000, ")" * 10_000, "$(" * 10_000, "(" * 10_000 + ")" * 10_000,
    "x" * 200_000, "echo hi\n" * 50_000, "cat <<EOF\n" + "x\n" * 10_000, "<<A <<-'B' <<\"C\"\n",
    "`" * 9_999, "'" * 9_999, "\\\n" * 10_000, "sh -c " * 2_000, "sh -c '" * 500,
    "ssh h " * 1_000, "$'\\x", "$'\\U7fffffff'", "case", "for ((", "function", "[[ a",
    "{ ( ! if then", ";;;;&&||||&&", ">>>>><<<<<", "2>&1>&2<>>|&>", "\r\n\r\r\n\r", "$$$$(",
    "a=(", "#" * 1_000, "$\n", "${x:-", "<(", "cat <<", "x <<<", "sudo -u", "timeout",
    "\ud800 é", "${{ '" * 5_000, "a | " * 5_000, "if a; then " * 2_000, "`" + "$(" * 3_000,
]


@pytest.mark.parametrize("dialect", ["sh", "make"])
@pytest.mark.parametrize("text", NASTY, ids=lambda t: repr(t[:12]) + f"/{len(t)}")
def test_never_raises(text: str, dialect: str) -> None:
    cmds = parse(text, dialect=dialect, fold_newlines=len(text) % 2 == 1)
    assert isinstance(cmds, list)
    for cmd in cmds:
        assert cmd.span.line >= 1 and cmd.span.column >= 1


def test_odd_origins_do_not_raise() -> None:
    [cmd] = parse_script(Snippet("x", "a\nb \\\nc", ()))[:1]
    assert loc(cmd) == (1, 1, 1, 2)
    cmds = parse_script(Snippet("x", "a\nb", (("bad",),)))  # type: ignore[arg-type]
    assert loc(cmds[1]) == (2, 1, 2, 2)
