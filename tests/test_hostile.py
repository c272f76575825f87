"""Hostile input: every case ends in bounded time and memory, with findings (a PF001 saying why a
file was not checked) and never an exception or a PF002.

Cases that could take long or eat memory run `preflight check` in a child process with an
address-space limit (RLIMIT_AS) and a timeout, so a regression fails the test instead of the
machine. The bounds are generous: they catch a hang or a blow-up, not a slowdown.
"""

from __future__ import annotations

import builtins
import codecs
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import check, located, write
from preflight.documents.python import MAX_DEPTH
from preflight.documents.yamldoc import MAX_FLOW_DEPTH
from preflight.model import Severity
from preflight.report import ReportOptions, render

resource = pytest.importorskip("resource")  # POSIX only

MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the child, bytes
PYTHON_LABEL = f"Python {sys.version_info.major}.{sys.version_info.minor}"

_CHILD = textwrap.dedent("""
    import resource, sys
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from preflight.cli import main
    main(sys.argv[2:], prog_name="preflight")
""")


def run_bounded(root: Path, select: str = "ALL", timeout: float = 120,
                memory: int = MEMORY_LIMIT) -> tuple[int, dict]:
    """`preflight check ROOT --select SELECT --format json` in a child process limited to
    ``memory`` bytes of address space and ``timeout`` seconds; (exit code, parsed JSON report)."""
    argv = [sys.executable, "-c", _CHILD, str(memory), "check", str(root), "--select", select,
            "--format", "json", "--no-color"]
    proc = subprocess.run(argv, capture_output=True, timeout=timeout, env={**os.environ, "PYTHONHASHSEED": "0"})
    assert proc.returncode in (0, 1), proc.stderr.decode("utf-8", "replace")[-3000:]
    assert proc.stderr == b""
    report = json.loads(proc.stdout)
    assert [f for f in report["findings"] if f["rule"] == "PF002"] == []
    return proc.returncode, report


def pf(report: dict) -> list[tuple[str, int, str, str]]:
    return [(f["path"], f["line"], f["severity"], f["message"]) for f in report["findings"] if f["rule"] == "PF001"]


# ---------------------------------------------------------------------------------------------
# YAML alias bombs
# ---------------------------------------------------------------------------------------------

def _laughs(indent: str) -> str:
    """Nine levels of nine aliases: 9**9 (387 million) strings if anything expanded it."""
    lines = [f'{indent}a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{indent}{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
        previous = name
    lines.append(f"{indent}m: &m {{{', '.join(f'k{i}: *i' for i in range(9))}}}")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bombs_cost_nothing(tmp_path: Path) -> None:
    bomb = _laughs("  ")
    write(tmp_path, {
        "docker-compose.yml": f"x-laughs:\n{bomb}services:\n  web:\n    <<: *m\n    image: nginx\n"
                              "    environment: *i\n    labels: *i\n    command: *i\n    ports: *i\n"
                              "    volumes: *i\n    depends_on: *i\n    healthcheck: *m\n",
        ".github/workflows/ci.yml": f"on: push\nx-laughs:\n{bomb}env: *m\njobs:\n  build:\n    runs-on: *i\n"
                                    "    env: *m\n    steps: *i\n",
        "action.yml": f"x-laughs:\n{bomb}runs:\n  using: composite\n  steps: *i\n",
        "k8s/pod.yaml": f"apiVersion: v1\nkind: Pod\nx-laughs:\n{bomb}spec:\n  containers: *i\n  volumes: *i\n",
        "Pulumi.yaml": f"name: x\nx-laughs:\n{bomb}resources: *m\n",
    })
    code, report = run_bounded(tmp_path, memory=768 * 1024 * 1024, timeout=120)
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["files"] == 5


def test_reused_yaml_anchor_prints_no_warning(tmp_path: Path) -> None:
    """Valid YAML (the later anchor wins); ruamel's warning must not reach stderr."""
    write(tmp_path, {"docker-compose.yml": "x: &a 1\ny: &a 2\nservices:\n  web:\n    image: nginx:1.27\n"})
    code, report = run_bounded(tmp_path, timeout=60)  # asserts an empty stderr
    assert (code, report["findings"]) == (0, [])


# ---------------------------------------------------------------------------------------------
# Deep nesting: a RecursionError (or CPython's parser running out of stack) becomes PF001
# ---------------------------------------------------------------------------------------------

DEEP = 5_000


def test_deeply_nested_documents_are_pf001(tmp_path: Path) -> None:
    write(tmp_path, {
        "flow/docker-compose.yml": "services:\n  web:\n    ports: " + "[" * DEEP + "]" * DEEP + "\n",
        "json/k8s.yaml": "apiVersion: v1\nkind: Pod\nspec: " + '{"a": ' * DEEP + "1" + "}" * DEEP + "\n",
        "block/docker-compose.yml": "services:\n" + "".join("  " * i + "  a:\n" for i in range(1, 2000)) + "",
        "main.tf": 'locals {\n  x = ' + "[" * DEEP + "]" * DEEP + "\n}\n",
        "pyproject.toml": "[project]\nname = 'x'\ndependencies = " + "[" * DEEP + "]" * DEEP + "\n",
        "app/chain.py": "import os\nx = " + " + ".join(['"s"'] * 2000) + "\nos.system(x)\n",
        "app/attributes.py": "x = a" + ".b" * 500 + "\n",
        "app/plus.py": "x = " + "1+" * 20_000 + "1\n",
        "nginx/nginx.conf": "http {\n" + "location / { " * DEEP + "}" * DEEP + "\n}\n",
        "deploy.sh": "x=" + "$(" * 5000 + "a" + ")" * 5000 + "\n" + "(" * 5000 + ":" + ")" * 5000 + "\n",
        "Dockerfile": "FROM python:3.12\nRUN " + "$(" * 5000 + ")" * 5000 + "\n",
        "Makefile": "all:\n\t" + "$(" * 5000 + ")" * 5000 + "\n",
    })
    code, report = run_bounded(tmp_path, timeout=180)
    found = pf(report)
    plus = [f for f in found if f[0] == "app/plus.py"]
    # CPython 3.11+ gives up while parsing; 3.10 builds the tree, which the depth check refuses
    assert len(plus) == 1 and plus[0][3].startswith(("nesting too deep to parse", "nesting too deep to check"))
    assert [f for f in found if f[0] != "app/plus.py"] == [
        ("app/attributes.py", 1, "error",
         f"nesting too deep to check: 504 levels of syntax tree, preflight reads up to {MAX_DEPTH}"),
        ("app/chain.py", 2, "error",
         f"nesting too deep to check: 2002 levels of syntax tree, preflight reads up to {MAX_DEPTH}"),
        ("block/docker-compose.yml", 1, "error", "nesting too deep to parse"),
        ("flow/docker-compose.yml", 3, "error",
         f"nesting too deep to parse: more than {MAX_FLOW_DEPTH} nested [ ] or {{ }} on one line"),
        ("json/k8s.yaml", 3, "error",
         f"nesting too deep to parse: more than {MAX_FLOW_DEPTH} nested [ ] or {{ }} on one line"),
        ("main.tf", 1, "error", "nesting too deep to parse"),
        ("pyproject.toml", 3, "error", "invalid TOML: TOML value nested more than 100 levels deep"),
    ]


@pytest.mark.parametrize("depth", [50, MAX_DEPTH - 10])
def test_python_nested_up_to_the_limit_is_checked_by_every_rule(tmp_path: Path, depth: int) -> None:
    """Up to MAX_DEPTH the tree reaches the rules, and none of them runs out of stack."""
    terms = depth - 3  # Module > Assign > BinOp x (terms - 1) > Constant
    write(tmp_path, {
        "app/q.py": "import os\nfrom sqlalchemy import text\n"
                    f"q = {' + '.join(['x'] * terms)}\n"
                    f"cursor.execute({' + '.join(['q'] * terms)})\n"
                    f"text({' % '.join(['q'] * terms)})\n"
                    f"y = a{'.b' * (depth - 5)}\n"
                    f"z = {' if a else '.join(['1'] * (depth // 2))}\n"
                    "if a:\n    pass\n" + "elif a:\n    pass\n" * (depth - 5) +
                    "import yaml\nyaml.load(q)\n",
    })
    result = check(tmp_path, select=["ALL"])
    assert [f for f in result.findings if f.rule_id.startswith("PF")] == []
    assert "PY006" in {f.rule_id for f in result.findings}  # the rules did look at it


# ---------------------------------------------------------------------------------------------
# Size: large files are skipped unread; a million lines complete
# ---------------------------------------------------------------------------------------------

def test_fifty_megabyte_file_is_skipped_with_an_info(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python:3.12-slim\n"})
    with open(tmp_path / "docker-compose.yml", "wb") as handle:  # sparse: 50 MB without writing them
        handle.truncate(50 * 1024 * 1024)
    code, report = run_bounded(tmp_path, memory=512 * 1024 * 1024, timeout=60)
    assert code == 0
    assert pf(report) == [("docker-compose.yml", 1, "info",
                           "file is larger than the 5 MB limit (50.0 MB); not checked")]
    assert report["summary"]["files"] == 1


def test_million_line_files_complete_with_findings_on_their_last_line(tmp_path: Path) -> None:
    million = 1_000_000
    write(tmp_path, {
        "Makefile": "# x\n" * (million - 2) + "deploy:\n\tdocker-compose up -d\n",
        "nginx/nginx.conf": "# x\n" * million + "events {}\n",
        "docs/README.md": "x\n" * million + "```sh\ndocker-compose up -d\n```\n",
    })
    code, report = run_bounded(tmp_path, timeout=600)
    assert code == 1
    where = sorted({(f["path"], f["line"], f["rule"]) for f in report["findings"]})
    assert where == [("Makefile", million, "DC001"), ("Makefile", million, "DC002"),
                     ("docs/README.md", million + 2, "DC001")]


# ---------------------------------------------------------------------------------------------
# Encodings and line endings
# ---------------------------------------------------------------------------------------------

ENV = "A=1\n# comment\nexport SECRET_KEY=abc\n"


def test_nul_bytes_make_a_binary_file(tmp_path: Path) -> None:
    write(tmp_path, {
        "early/docker-compose.yml": b"services:\x00\n  web: {}\n",
        "late/docker-compose.yml": b"services:\n" + b"# pad\n" * 2000 + b"  web:\x00{}\n",  # after the 8 KB sniff
        "app/x.py": b"import os\x00\n",
        ".github/workflows/ci.yml": b"\x00\x01\x02\xff\xfe",
    })
    result = check(tmp_path, select=["ALL"])
    assert [(f.path, f.rule_id, f.severity, f.message) for f in result.findings] == [
        (".github/workflows/ci.yml", "PF001", Severity.INFO, "binary file, not checked"),
        ("app/x.py", "PF001", Severity.INFO, "binary file, not checked"),
        ("early/docker-compose.yml", "PF001", Severity.INFO, "binary file, not checked"),
        ("late/docker-compose.yml", "PF001", Severity.INFO, "binary file, not checked"),
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-8"])
def test_bom_marked_unicode_is_checked_at_the_right_line(tmp_path: Path, encoding: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
           "utf-32-le": codecs.BOM_UTF32_LE, "utf-8": codecs.BOM_UTF8}[encoding]
    write(tmp_path, {".env": bom + ENV.encode(encoding)})
    assert located(check(tmp_path, select=["SEC005", "PF"])) == [".env:3:1 SEC005"]


def test_utf16_without_bom_is_a_binary_file(tmp_path: Path) -> None:
    write(tmp_path, {".env": ENV.encode("utf-16-le")})
    result = check(tmp_path, select=["SEC005", "PF"])
    assert [(f.path, f.span.line, f.severity, f.message) for f in result.findings] == [
        (".env", 1, Severity.INFO, "binary file, not checked")]


def test_latin1_text_is_pf001_at_the_bad_byte(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python:3.12\n# caf\u00e9\nRUN pip install x\n".encode("latin-1")})
    result = check(tmp_path, select=["ALL"])
    assert [(f.path, f.span.line, f.rule_id, f.severity, f.message) for f in result.findings] == [
        ("Dockerfile", 2, "PF001", Severity.ERROR,
         "not UTF-8 text: invalid byte 0xe9 at line 2; save the file as UTF-8")]


@pytest.mark.parametrize("newline", ["\r\n", "\r", "mixed"])
def test_crlf_and_lone_cr_keep_lines_and_columns(tmp_path: Path, newline: str) -> None:
    def ending(text: str) -> str:
        if newline == "mixed":  # CRLF, then lone CR, then LF, in turn
            lines = text.split("\n")
            seps = ["\r\n", "\n", "\r"]  # never CR then LF: that would be one CRLF
            return "".join(line + seps[i % 3] for i, line in enumerate(lines[:-1])) + lines[-1]
        return text.replace("\n", newline)

    write(tmp_path, {
        ".env": ending("A=1\n\n# comment\nexport SECRET_KEY=abc\n").encode(),
        "Makefile": ending("x:\n\techo\n\ndeploy:\n\tdocker-compose up -d\n").encode(),
        "app/load.py": ending('import yaml\n\n\ndef f():\n    return  yaml.load(open("x"))\n').encode(),
        "docker-compose.yml": ending("services:\n\n  web:\n    image: nginx\n    command: >\n      a\n"
                                     "  # x\n  legacy:\n    image: postgres\n").encode(),
    })
    assert located(check(tmp_path, select=["SEC005", "DC001", "PY006", "DC004", "PF"])) == [
        ".env:4:1 SEC005", "Makefile:5:2 DC001", "app/load.py:5:13 PY006", "docker-compose.yml:9:12 DC004"]


# ---------------------------------------------------------------------------------------------
# The file system: symlink loops, unreadable files, hostile names
# ---------------------------------------------------------------------------------------------

def test_symlink_loops_are_reported_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python:3.12-slim\n"})
    (tmp_path / "a.yml").symlink_to("b.yml")
    (tmp_path / "b.yml").symlink_to("a.yml")
    (tmp_path / ".env").symlink_to(".env")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to("..")  # a directory loop: directories are never followed
    (tmp_path / "sub" / "deep").symlink_to(tmp_path / "sub")
    code, report = run_bounded(tmp_path, timeout=60)
    assert code == 0
    assert pf(report) == [(".env", 1, "info", "symbolic link loop; not checked"),
                          ("a.yml", 1, "info", "symbolic link loop; not checked"),
                          ("b.yml", 1, "info", "symbolic link loop; not checked")]
    assert report["summary"]["files"] == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their mode; see the simulated tests below")
def test_unreadable_file_and_directory(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python\n", "locked/docker-compose.yml": "services: {}\n"})
    (tmp_path / "Dockerfile").chmod(0)
    (tmp_path / "locked").chmod(0)
    try:
        result = check(tmp_path, select=["ALL"])
    finally:
        (tmp_path / "locked").chmod(0o755)
        (tmp_path / "Dockerfile").chmod(0o644)
    assert [(f.path, f.rule_id, f.severity, f.message) for f in result.findings] == [
        ("Dockerfile", "PF001", Severity.INFO, "permission denied; not checked"),
        ("locked", "PF001", Severity.INFO, "cannot read directory: permission denied; not checked"),
    ]


def test_file_unreadable_at_discovery_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import preflight.discover

    write(tmp_path, {"Dockerfile": "FROM python\n", "docker-compose.yml": "services: {}\n"})
    real_access = os.access
    monkeypatch.setattr(preflight.discover.os, "access",
                        lambda path, mode, **kw: not str(path).endswith("Dockerfile") and real_access(path, mode, **kw))
    result = check(tmp_path, select=["ALL"])
    assert [(f.path, f.rule_id, f.severity, f.message) for f in result.findings] == [
        ("Dockerfile", "PF001", Severity.INFO, "permission denied; not checked")]


def test_file_unreadable_when_read_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readable when discovered, not when read (changed in between): PF001 error, the run goes on."""
    write(tmp_path, {"Dockerfile": "FROM python\n", ".env": "export A=1\n"})
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("Dockerfile"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    result = check(tmp_path, select=["ALL"])
    assert [(f.path, f.rule_id, f.severity, f.message) for f in result.findings] == [
        (".env", "SEC005", Severity.INFO, result.findings[0].message),
        ("Dockerfile", "PF001", Severity.ERROR, "cannot read file: Permission denied"),
    ]


def test_directory_unreadable_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import preflight.discover

    write(tmp_path, {"ok/Dockerfile": "FROM python:3.12-slim\n", "locked/Dockerfile": "FROM python\n"})
    real_scandir = os.scandir

    def guarded_scandir(path):  # type: ignore[no-untyped-def]
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(preflight.discover.os, "scandir", guarded_scandir)
    result = check(tmp_path, select=["ALL"])
    assert [(f.path, f.rule_id, f.severity, f.message) for f in result.findings] == [
        ("locked", "PF001", Severity.INFO, "cannot read directory: permission denied; not checked")]


HOSTILE_NAMES = ["new\nline.env", "::error file=x::pwned.env", "100%.env", "%0A%25.env", "cr\r.env",
                 "tab\t.env", "esc\x1b[31m.env"]


def test_hostile_file_names_stay_one_finding_per_line(tmp_path: Path) -> None:
    write(tmp_path, {name: "export SECRET_KEY=abc\n" for name in HOSTILE_NAMES})
    result = check(tmp_path, select=["SEC005", "PF"])
    assert sorted(f.path for f in result.findings) == sorted(HOSTILE_NAMES)
    assert {(f.rule_id, f.span.line, f.span.column) for f in result.findings} == {("SEC005", 1, 1)}

    text = render("text", result, ReportOptions(quiet=True))
    lines = text.splitlines()
    assert len(lines) == len(HOSTILE_NAMES) == text.count("\n")
    assert sorted(line.split(":1:1: ")[0] for line in lines) == sorted(
        ["new\\nline.env", "::error file=x::pwned.env", "100%.env", "%0A%25.env", "cr\\r.env", "tab\\t.env",
         "esc\\x1b[31m.env"])

    grouped = render("text", result, ReportOptions(grouped=True, color=True))
    assert "\r" not in grouped and "\n\n\n" not in grouped

    data = json.loads(render("json", result, ReportOptions()))
    assert sorted(f["path"] for f in data["findings"]) == sorted(HOSTILE_NAMES)


def test_hostile_names_through_the_cli(tmp_path: Path) -> None:
    write(tmp_path, {name: "export SECRET_KEY=abc\n" for name in HOSTILE_NAMES})
    code, report = run_bounded(tmp_path, "SEC005,PF", timeout=60)
    assert code == 0  # SEC005 is an info
    assert sorted(f["path"] for f in report["findings"]) == sorted(HOSTILE_NAMES)
