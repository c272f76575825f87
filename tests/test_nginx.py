"""The nginx parser: directives, blocks, strings, comments, templates, positions, errors."""

from __future__ import annotations

import pytest

from preflight.documents.base import ParseError
from preflight.documents.nginx import parse
from preflight.model import FileKind, Severity

CONF = '''# top comment
events {}
http {
    include /etc/nginx/conf.d/*.conf;
    server {
        listen [::]:80 default_server;  # trailing comment
        server_name "${DOMAIN}" 'www.example.com';
        add_header X-Note "a } and a ; and \\" # inside";
        location ~ ^/\\.well-known/acme-challenge/ { root /var/www; }
        content_by_lua_block { if x then ngx.say('ok') end }
    }
}
'''


def test_tree_names_args_and_positions() -> None:
    doc = parse("nginx.conf", FileKind.NGINX, CONF)
    assert [d.name for d in doc.directives] == ["events", "http"]
    assert [(d.name, d.line, d.column) for d in doc.walk()] == [
        ("events", 2, 1), ("http", 3, 1), ("include", 4, 5), ("server", 5, 5), ("listen", 6, 9),
        ("server_name", 7, 9), ("add_header", 8, 9), ("location", 9, 9), ("root", 9, 53),
        ("content_by_lua_block", 10, 9),
    ]
    server = doc.directives[1].find("server")[0]
    assert server.find("listen")[0].arg_texts == ["[::]:80", "default_server"]
    assert server.find("server_name")[0].arg_texts == ["${DOMAIN}", "www.example.com"]
    assert server.find("add_header")[0].arg_texts == ["X-Note", 'a } and a ; and " # inside']
    assert server.find("location")[0].arg_texts == ["~", "^/\\.well-known/acme-challenge/"]
    assert doc.directives[0].children == [] and server.find("listen")[0].children is None
    word = server.find("listen")[0].args[0]
    assert (word.line, word.column, word.end_column) == (6, 16, 23)
    assert doc.directive_span(server.find("listen")[0]).end_column == 38


@pytest.mark.parametrize(("text", "message", "line", "column"), [
    ("server {\n  listen 80;\n", 'expecting "}"', 1, 1),
    ("server {\n  listen 80\n}\n", 'not terminated by ";"', 2, 3),
    ("listen 80;\n}\n", 'unexpected "}"', 2, 1),
    ('server_name "open;\n', "unterminated quoted string", 1, 13),
    ("listen 80", 'expecting ";"', 1, 1),
    ("{ }", 'unexpected "{"', 1, 1),
])
def test_errors_have_positions(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(ParseError) as info:
        parse("x.conf", FileKind.NGINX, text)
    assert message in info.value.message
    assert (info.value.line, info.value.column) == (line, column)


def test_empty_and_comment_only_files() -> None:
    assert parse("x.conf", FileKind.NGINX, "").directives == []
    assert parse("x.conf", FileKind.NGINX, "# nothing\n;\n").directives == []


def test_apache_config_in_sites_available_is_an_info_not_an_error() -> None:
    """Debian's sites-available/ holds Apache httpd files too (seen in a real repository)."""
    apache = "# vhost\n<VirtualHost *:80>\n    ServerName example.com\n    DocumentRoot /var/www\n</VirtualHost>\n"
    with pytest.raises(ParseError) as caught:
        parse("sites-available/000-default.conf", FileKind.NGINX, apache)
    assert (caught.value.message, caught.value.line, caught.value.severity) == (
        'looks like an Apache httpd configuration, not nginx; not checked (unexpected end of file, '
        'expecting ";" or "}" after "<VirtualHost")', 2, Severity.INFO)


def test_broken_nginx_without_apache_sections_stays_an_error() -> None:
    with pytest.raises(ParseError) as caught:
        parse("nginx.conf", FileKind.NGINX, "server {\n    listen 80\n}\n")
    assert (caught.value.message, caught.value.severity) == ('directive "listen" is not terminated by ";"',
                                                             Severity.ERROR)
