"""Parser gaps the precision sweep (bench/sweep.py, docs/precision.md) found in real repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import check, located, write
from preflight.discover import classify
from preflight.model import FileKind as K


@pytest.mark.parametrize(("relpath", "expected"), [
    ("tests/apache/testdata/debian/apache2/sites-available/site.conf", None),
    ("httpd/sites-enabled/default.conf", None),
    ("deploy/nginx/apache-compat/sites-enabled/app.conf", K.NGINX),
    ("etc/sites-enabled/app.conf", K.NGINX),
])
def test_apache_sites_directories_are_not_nginx(relpath: str, expected: K | None) -> None:
    assert classify(relpath) == expected


def test_python_file_with_a_pep263_coding_line_is_parsed(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nimport yaml\nauthor = 'Sa\u00fal'\nyaml.load(open('x'))\n"
    write(tmp_path, {"pkg/setup_latin.py": source.encode("latin-1")})
    result = check(tmp_path, select=["PY006", "PF001"])
    assert located(result) == ["pkg/setup_latin.py:4:1 PY006"]


def test_python_file_without_a_coding_line_is_still_not_utf8(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "author = 'Sa\u00fal'\n".encode("latin-1")})
    result = check(tmp_path, select=["PY006", "PF001"])
    assert [(f.rule_id, f.message) for f in result.findings] == [
        ("PF001", "not UTF-8 text: invalid byte 0xfa at line 1; save the file as UTF-8")]


def test_python_file_lying_about_its_coding_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": b"# coding: ascii\nauthor = 'Sa\xfal'\n"})
    result = check(tmp_path, select=["PY006", "PF001"])
    assert [(f.rule_id, f.span.line, f.message) for f in result.findings] == [
        ("PF001", 2, "not ascii text as its coding line declares: invalid byte 0xfa at line 2")]


def test_hcl1_commas_after_block_attributes_parse(tmp_path: Path) -> None:
    from preflight.documents.hcl import parse

    text = ('service {\n  name = "web",\n  port = 80,  # the app\n  check {\n'
            '    http = "http://web/health",\n    interval = "5s"\n  }\n}\n'
            'tags = [\n  "a",\n  "b",\n]\n')
    doc = parse("consul/web.hcl", K.TERRAFORM, text)
    service = doc.body["service"][0]
    assert (service["name"], service["port"], service["check"][0]["interval"]) == ("web", 80, "5s")
    assert doc.body["tags"] == ["a", "b"]


def test_hcl_error_is_reported_from_the_original_text(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "x",\n  acl = \n}\n'})
    result = check(tmp_path, select=["PF001"])
    assert [(f.rule_id, f.span.line) for f in result.findings] == [("PF001", 2)]


def test_python_template_label_needs_a_marker_at_the_error(tmp_path: Path) -> None:
    write(tmp_path, {
        # a Go template inside a string, far from a syntax error that is not about it
        "tools/release.py": 'CMD = "gh release view --json body -t {{.body}}"\n\n\ndef f(:\n    pass\n',
        # a Jinja-templated module fails at its first tag
        "{{cookiecutter.slug}}/settings.py": "import os\n{% if cookiecutter.use_sentry %}\nimport sentry_sdk\n"
                                              "{% endif %}\n",
    })
    result = check(tmp_path, select=["PY006", "PF001"])
    said = {f.path: (str(f.severity), f.message.split(":")[0]) for f in result.findings}
    running = said["tools/release.py"][1]
    assert running.startswith("Python 3.") and running.endswith("cannot parse it")
    assert said["{{cookiecutter.slug}}/settings.py"] == ("info", "looks like a template (Jinja/Helm), not checked")


@pytest.mark.parametrize(("pin", "expected"), [
    ("SQLAlchemy>=1.4,<2.0\n", ["app/stats.py:6:24 PY002"]),  # only the f-string: 1.x runs plain strings
    ("SQLAlchemy==2.0.8\n", ["app/stats.py:5:24 PY002", "app/stats.py:6:24 PY002"]),
    ("SQLAlchemy\n", ["app/stats.py:5:24 PY002", "app/stats.py:6:24 PY002"]),  # 2.x is admitted
    (None, ["app/stats.py:5:24 PY002", "app/stats.py:6:24 PY002"]),  # no declaration: cannot tell
])
def test_plain_sql_strings_matter_only_where_sqlalchemy_2_is_admitted(
        tmp_path: Path, pin: str | None, expected: list[str]) -> None:
    files = {"app/stats.py": "from flask_sqlalchemy import SQLAlchemy\ndb = SQLAlchemy()\n\ndef f(org):\n"
                             "    db.session.execute('SELECT 1')\n    db.session.execute(f'SELECT {org}')\n"}
    if pin is not None:
        files["requirements.txt"] = pin
    write(tmp_path, files)
    assert located(check(tmp_path, select=["PY002"])) == expected
