"""Shared pieces of the property-based (hypothesis) tests: seeds, strategies and the survival check.

A seed is a realistic file taken from the ``fixtures/`` trees; a strategy makes a document of one
file kind either from scratch (random text, or lines of tokens that file kind uses) or by mutating
a seed (lines deleted, duplicated, swapped, re-indented, spliced from another seed, truncated,
random bytes inserted, line endings changed). :func:`survives` runs one tree through the public
API -- discovery, parsing, every rule (``select = ["ALL"]``) and every reporter -- and fails the
example if anything but a finding comes out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from preflight.config import Settings
from preflight.discover import classify
from preflight.engine import CheckResult, run_check
from preflight.model import FileKind, Severity
from preflight.registry import Registry, load_registry
from preflight.report import FORMATS, ReportOptions, render

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"

# Where a document of each kind is written in the scratch repository (the name decides the kind).
KIND_PATHS: dict[FileKind, str] = {
    FileKind.WORKFLOW: ".github/workflows/ci.yml",
    FileKind.ACTION: "action.yml",
    FileKind.DOCKERFILE: "Dockerfile",
    FileKind.COMPOSE: "docker-compose.yml",
    FileKind.SHELL: "deploy.sh",
    FileKind.MAKEFILE: "Makefile",
    FileKind.TERRAFORM: "main.tf",
    FileKind.PYPROJECT: "pyproject.toml",
    FileKind.TOML: "config.toml",
    FileKind.FLY_TOML: "fly.toml",
    FileKind.REQUIREMENTS: "requirements.txt",
    FileKind.POETRY_LOCK: "poetry.lock",
    FileKind.PYTHON: "app/models.py",
    FileKind.DOTENV: ".env",
    FileKind.NGINX: "nginx/nginx.conf",
    FileKind.MARKDOWN: "README.md",
    FileKind.PULUMI: "Pulumi.yaml",
    FileKind.KUBERNETES: "k8s/deployment.yaml",
    FileKind.YAML: "config/settings.yml",
    FileKind.PYTHON_VERSION: ".python-version",
    FileKind.PROCFILE: "Procfile",
    FileKind.INI: "alembic.ini",
}

# Seeds for kinds the fixtures have few or none of.
_EXTRA_SEEDS: dict[FileKind, list[str]] = {
    FileKind.KUBERNETES: [
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\n"
        "spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n"
        "    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n"
        "        - name: web\n          image: ghcr.io/acme/web:latest\n          env:\n"
        "            - name: DATABASE_URL\n              value: postgres://app:hunter2@db/app\n"
        "            - name: SECRET_KEY\n              valueFrom:\n                secretKeyRef: {name: web, key: key}\n"
        "          ports:\n            - containerPort: 8000\n---\napiVersion: v1\nkind: Service\n"
        "metadata: {name: web}\nspec:\n  ports: [{port: 80, targetPort: 8000}]\n",
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n"
        "      restartPolicy: Never\n      containers:\n      - name: migrate\n        image: app\n"
        "        command: [\"alembic\", \"upgrade\", \"head\"]\n",
    ],
    FileKind.TOML: ['[tool]\nname = "x"\n[[servers]]\nhost = "a"\nport = 1\n'],
    FileKind.PROCFILE: ["web: gunicorn app:app --bind 0.0.0.0:$PORT\nrelease: alembic upgrade head\n"],
    FileKind.PYTHON_VERSION: ["3.11.7\n"],
}

# Characters that mean something in each kind's syntax (random text leans on them).
_SYNTAX = {
    "yaml": ":-{}[],&*!|>'\"#%@`? \t\n",
    "toml": "[]{}=.,\"'#\n \t",
    "hcl": "{}[]()=,.\"'#/*<>$%~\n \t",
    "shell": "$(){}[]|&;<>\"'`\\#=!*?~\n \t",
    "python": "()[]{}:=.,'\"#@\\*+-/%<>!\n \t",
    "text": "=#$:\"'\\{}()[]@/;<>\n \t",
}
_KIND_SYNTAX = {
    FileKind.WORKFLOW: "yaml", FileKind.ACTION: "yaml", FileKind.COMPOSE: "yaml", FileKind.PULUMI: "yaml",
    FileKind.KUBERNETES: "yaml", FileKind.YAML: "yaml", FileKind.PYPROJECT: "toml", FileKind.TOML: "toml",
    FileKind.FLY_TOML: "toml", FileKind.POETRY_LOCK: "toml", FileKind.TERRAFORM: "hcl", FileKind.SHELL: "shell",
    FileKind.MAKEFILE: "shell", FileKind.DOCKERFILE: "shell", FileKind.PROCFILE: "shell",
    FileKind.PYTHON: "python", FileKind.NGINX: "hcl",
}

ALLOWED_PF = frozenset({"PF001", "PF003"})


# ---------------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------------


def fixture_trees() -> list[Path]:
    """Every ``fixtures/<ID>/{bad,good}`` directory, sorted."""
    return sorted(p for p in FIXTURES.glob("*/*") if p.is_dir() and p.name in ("bad", "good"))


def tree_files(tree: Path) -> dict[str, bytes]:
    """Relative path -> content of every file in a fixture tree."""
    out = {}
    for path in sorted(tree.rglob("*")):
        if path.is_file():
            out[path.relative_to(tree).as_posix()] = path.read_bytes()
    return out


@cache
def seeds() -> dict[FileKind, tuple[bytes, ...]]:
    """Realistic documents of every kind: the fixture files (deduplicated) and a few extras."""
    found: dict[FileKind, dict[bytes, None]] = {kind: {} for kind in KIND_PATHS}
    for tree in fixture_trees():
        for rel, data in tree_files(tree).items():
            kind = classify(rel, data[:256])
            if kind is FileKind.YAML and re.search(rb"^apiVersion:", data, re.M) and re.search(rb"^kind:", data, re.M):
                kind = FileKind.KUBERNETES
            if kind is not None and data:
                found[kind].setdefault(data, None)
    for kind, texts in _EXTRA_SEEDS.items():
        for text in texts:
            found[kind].setdefault(text.encode(), None)
    return {kind: tuple(docs) for kind, docs in found.items()}


@cache
def vocabulary(kind: FileKind) -> tuple[str, ...]:
    """Tokens the seeds of ``kind`` are made of, plus its syntax characters."""
    words: dict[str, None] = {}
    for data in seeds()[kind]:
        for word in re.split(r"\s+", data.decode("utf-8", "replace")):
            if word and len(word) <= 40:
                words.setdefault(word, None)
    for char in _SYNTAX[_KIND_SYNTAX.get(kind, "text")].strip():
        words.setdefault(char, None)
    return tuple(words)


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------


def random_text(kind: FileKind) -> st.SearchStrategy[bytes]:
    """Text leaning on the kind's syntax characters, any Unicode, or raw bytes."""
    syntax = _SYNTAX[_KIND_SYNTAX.get(kind, "text")]
    chars = st.one_of(st.sampled_from(syntax), st.sampled_from("abcxyz019_"), st.characters())
    text = st.text(alphabet=chars, max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))
    return st.one_of(text, st.binary(max_size=200))


def token_lines(kind: FileKind) -> st.SearchStrategy[bytes]:
    """Lines of the kind's own tokens, randomly indented: keywords in unexpected places."""
    vocab = vocabulary(kind)
    line = st.tuples(st.sampled_from(["", " ", "  ", "    ", "      ", "\t"]),
                     st.lists(st.sampled_from(vocab), max_size=6)).map(lambda t: t[0] + " ".join(t[1]))
    return st.lists(line, max_size=25).map(lambda lines: ("\n".join(lines) + "\n").encode("utf-8"))


_INDENTS = (b"", b" ", b"  ", b"    ", b"\t", b"        ")
_ENDINGS = (b"\n", b"\r\n", b"\r")


@st.composite
def mutated(draw: st.DrawFn, seed: bytes, kind: FileKind) -> bytes:
    """``seed`` with 1 to 6 random edits."""
    lines = seed.split(b"\n")
    others = seeds()[kind]
    vocab = vocabulary(kind)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(("delete", "duplicate", "swap", "indent", "splice", "token", "bytes",
                                   "truncate", "endings", "blank")))
        at = draw(st.integers(0, max(0, len(lines) - 1)))
        if op == "delete" and len(lines) > 1:
            del lines[at]
        elif op == "duplicate":
            lines.insert(at, lines[at] if lines else b"")
        elif op == "swap" and lines:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif op == "indent" and lines:
            lines[at] = draw(st.sampled_from(_INDENTS)) + lines[at].lstrip(b" \t")
        elif op == "splice" and others:
            donor = draw(st.sampled_from(others)).split(b"\n")
            start = draw(st.integers(0, len(donor) - 1))
            lines[at:at] = donor[start:start + draw(st.integers(1, 8))]
        elif op == "token" and lines:
            words = lines[at].split(b" ")
            index = draw(st.integers(0, len(words) - 1))
            words[index] = draw(st.sampled_from(vocab)).encode("utf-8")
            lines[at] = b" ".join(words)
        elif op == "bytes" and lines:
            junk = draw(st.binary(min_size=1, max_size=8))
            pos = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:pos] + junk + lines[at][pos:]
        elif op == "truncate":
            data = b"\n".join(lines)
            lines = data[:draw(st.integers(0, len(data)))].split(b"\n")
        elif op == "endings":
            return draw(st.sampled_from(_ENDINGS)).join(lines)
        elif op == "blank" and lines:
            lines[at] = b""
    return b"\n".join(lines)


def documents(kind: FileKind) -> st.SearchStrategy[bytes]:
    """Any document of ``kind``: random, made of its tokens, or a mutated seed (the most likely)."""
    seed_docs = seeds()[kind]
    strategies = [random_text(kind), token_lines(kind)]
    if seed_docs:
        mutations = st.sampled_from(seed_docs).flatmap(lambda seed: mutated(seed, kind))
        strategies += [mutations, mutations]
    return st.one_of(strategies)


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


@cache
def registry() -> Registry:
    return load_registry(plugins=False)


@contextmanager
def scratch_repo(files: dict[str, bytes]) -> Iterator[str]:
    """A temporary directory holding ``files`` (relative path -> content)."""
    root = tempfile.mkdtemp(prefix="preflight-fuzz-")
    try:
        for rel, data in files.items():
            path = os.path.join(root, *rel.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


_REPORT_OPTIONS = (
    ReportOptions(),
    ReportOptions(color=True, grouped=True, statistics=True, fail_on=Severity.INFO),
)


def check_all(root: str) -> CheckResult:
    return run_check(root, Settings(select=["ALL"]), registry())


def survives(files: dict[str, bytes]) -> CheckResult:
    """Check ``files`` with every rule and render every format; fail on anything but findings.

    The only findings of the engine's own rules may be PF001 (a file preflight could not read or
    parse) and PF003 (an unused suppression): a PF002 is a bug in a rule or in a shared layer.
    """
    with scratch_repo(files) as root, warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        result = check_all(root)
        assert [str(w.message) for w in warned] == []  # a CLI run would print them on stderr
        engine = [f for f in result.findings if f.rule_id.startswith("PF") and f.rule_id not in ALLOWED_PF]
        assert not engine, "\n".join(f"{f.path}:{f.span.line}: {f.rule_id} {f.message}" for f in engine)
        assert result.errors == []
        for fmt in sorted(FORMATS):
            for options in _REPORT_OPTIONS:
                render(fmt, result, options)
        # One finding per line in text, whatever the file names and messages hold.
        quiet = render("text", result, ReportOptions(quiet=True))
        assert quiet.count("\n") == len(result.findings)
        data = json.loads(render("json", result, ReportOptions()))
        assert len(data["findings"]) == len(result.findings)
        assert "\r" not in quiet
        for finding in result.findings:
            assert finding.span.line >= 1 and finding.span.column >= 1
        return result
