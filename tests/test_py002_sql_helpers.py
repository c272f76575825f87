"""Helpers behind PY002/PY003/PY004/PY005/PY012: scopes, SQLAlchemy receivers, strings, config reads."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import check, write
from preflight.documents.python import parse
from preflight.model import FileKind
from preflight_rules.py.bindings import calls_in_scope
from preflight_rules.py.envreads import config_reads
from preflight_rules.py.sql import Receivers, is_fixed, string_of


def _doc(source: str):
    return parse("m.py", FileKind.PYTHON, source)


def _execute_receivers(source: str) -> list[tuple[int, bool]]:
    doc = _doc(source)
    receivers = Receivers(doc)
    return [(call.lineno, receivers.is_db(call.func.value, scope)) for call, scope in calls_in_scope(doc)
            if isinstance(call.func, ast.Attribute) and call.func.attr == "execute"]


def test_receivers_follow_bindings_per_scope() -> None:
    source = (
        "import sqlite3\n"
        "from sqlalchemy.orm import Session, sessionmaker\n"
        "Factory = sessionmaker()\n"
        "def a(conn):\n"
        "    conn.execute('x')\n"          # 5: unknown parameter
        "def b():\n"
        "    conn = Factory()\n"
        "    conn.execute('x')\n"          # 8: made by a sessionmaker
        "def c(s: 'Session'):\n"
        "    s.execute('x')\n"             # 10: forward-reference annotation
        "    cur = sqlite3.connect('f').cursor()\n"
        "    cur.execute('x')\n"           # 12: DB-API cursor
        "def d(s: Session | None = None):\n"
        "    s.execute('x')\n"             # 14: optional annotation
    )
    assert _execute_receivers(source) == [(5, False), (8, True), (10, True), (12, False), (14, True)]


def test_imported_names_are_judged_by_name_but_not_from_http_libraries() -> None:
    source = (
        "from app.db import engine, SessionLocal\n"
        "from requests import Session\n"
        "engine.execute('x')\n"
        "with SessionLocal() as db:\n"
        "    db.execute('x')\n"
        "with Session() as http:\n"
        "    http.execute('x')\n"
    )
    assert _execute_receivers(source) == [(3, True), (5, True), (7, False)]


def test_string_of_reports_how_and_values() -> None:
    doc = _doc("T = 'users'\ndef f(x):\n    q = 'SELECT '\n    q += f'{x} FROM {T}'\n    g(q)\n")
    [(call, scope)] = list(calls_in_scope(doc))
    string = string_of(call.args[0], scope)
    assert string is not None and string.how == "f-string"
    assert [ast.unparse(v) for v in string.values] == ["x", "T"]
    assert [is_fixed(v, scope) for v in string.values] == [False, True]


def test_config_reads_find_defaults_of_every_library() -> None:
    doc = _doc(
        "import os\nfrom decouple import config\nimport environ\nenv = environ.Env()\n"
        "a = os.getenv('A', 'x')\n"
        "b = os.environ.get('B') or 'y'\n"
        "c = config('C', default='z')\n"
        "d = env('D', str)\n"            # django-environ: the 2nd positional is a cast
        "e = os.environ['E']\n"
    )
    found = [(r.name, r.how, ast.unparse(r.default) if r.default else None) for r in config_reads(doc)]
    assert found == [("A", "os.getenv", "'x'"), ("B", "os.environ.get", None), ("B", "or", "'y'"),
                     ("C", "decouple", "'z'"), ("D", "django-environ", None), ("E", "os.environ[]", None)]


def test_py004_empty_default_is_reported_on_request(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "import os\nA = os.getenv('API_KEY', '')\nB = os.getenv('SECRET_KEY', 'x')\n"})
    assert [f.span.line for f in check(tmp_path, select=["PY004"]).findings] == [3]
    options = {"PY004": {"flag-empty-default": True}}
    assert [f.span.line for f in check(tmp_path, select=["PY004"], rules=options).findings] == [2, 3]


def test_py004_extend_critical_settings(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "import os\nK = os.getenv('KAFKA_BOOTSTRAP_SERVERS', 'localhost:9092')\n"})
    assert check(tmp_path, select=["PY004"]).findings == []
    options = {"PY004": {"extend-critical-settings": ["KAFKA_BOOTSTRAP_SERVERS"]}}
    [finding] = check(tmp_path, select=["PY004"], rules=options).findings
    assert (finding.span.line, finding.span.column) == (2, 42)
    assert finding.message.startswith("KAFKA_BOOTSTRAP_SERVERS falls back to a hard-coded default")


def test_py012_environment_url_is_fine_without_a_postgres_platform(tmp_path: Path) -> None:
    source = "import os\nfrom sqlalchemy import create_engine\nengine = create_engine(os.environ['DATABASE_URL'])\n"
    write(tmp_path, {"app/db.py": source})
    assert check(tmp_path, select=["PY012"]).findings == []
    write(tmp_path, {"Procfile": "web: gunicorn app:app\n"})
    [finding] = check(tmp_path, select=["PY012"]).findings
    assert (finding.path, finding.span.line, finding.span.column) == ("app/db.py", 3, 24)
    assert "deploys to Heroku (Procfile)" in finding.message


def test_py012_fix_rewrites_only_the_scheme(tmp_path: Path) -> None:
    write(tmp_path, {"db.py": "from sqlalchemy import create_engine\ne = create_engine(f'postgres://{h}/app')\n"})
    [finding] = check(tmp_path, select=["PY012"]).findings
    [edit] = finding.fix.edits
    assert (edit.span.line, edit.span.column, edit.span.end_column, edit.replacement) == (2, 21, 29, "postgresql")


def test_py006_fix_turns_load_into_safe_load(tmp_path: Path) -> None:
    write(tmp_path, {"cfg.py": "import yaml\ndata = yaml.load(open('c.yml'))\n"})
    [finding] = check(tmp_path, select=["PY006"]).findings
    [edit] = finding.fix.edits
    assert (edit.span.line, edit.span.column, edit.span.end_column, edit.replacement) == (2, 13, 17, "safe_load")
