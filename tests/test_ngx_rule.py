"""NGX001 on small repositories, one case per repository (a bootstrap config anywhere clears all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import check, write
from preflight_rules.ngx.facts import resolve_include

HTTPS = ("server {\n  listen 443 ssl;\n  ssl_certificate /etc/letsencrypt/live/x/fullchain.pem;\n}\n")


def lines(root: Path) -> list[str]:
    return [f"{f.path}:{f.span.line}" for f in check(root, select=["NGX001"]).findings]


@pytest.mark.parametrize(("http", "expected"), [
    ("server { listen 80; return 301 https://$host$request_uri; }\n", ["nginx/site.conf:4"]),
    ("server { listen 8080; location /.well-known/acme-challenge/ { root /w; } }\n", ["nginx/site.conf:4"]),
    ("server { listen 80; location /.well-known/acme-challenge/ { root /w; } }\n", []),
    ("server { listen [::]:80; location ^~ /.well-known/acme-challenge/ { root /w; } }\n", []),
    ("server { listen 0.0.0.0:80 default_server; location ~ /\\.well-known { root /w; } }\n", []),
    ("server { server_name x; location /.well-known/ { root /w; } }\n", []),  # no listen: port 80
    ("server { listen 127.0.0.1; location /.well-known/acme-challenge/ { root /w; } }\n", []),
])
def test_port_80_challenge_forms(tmp_path: Path, http: str, expected: list[str]) -> None:
    write(tmp_path, {"nginx/site.conf": http + HTTPS})
    assert lines(tmp_path) == expected


def test_bootstrap_config_elsewhere_clears_the_repository(tmp_path: Path) -> None:
    write(tmp_path, {"nginx/site.conf": HTTPS})
    assert lines(tmp_path) == ["nginx/site.conf:3"]
    write(tmp_path, {"deploy/nginx-bootstrap.conf": "server { listen 80; location /.well-known/acme-challenge/ { root /w; } }\n"})
    assert lines(tmp_path) == []


def test_bootstrap_must_not_load_a_certificate_itself(tmp_path: Path) -> None:
    write(tmp_path, {"nginx/site.conf": HTTPS,
                     "nginx/other.conf": "server { listen 80; location /.well-known/acme-challenge/ { root /w; } }\n" + HTTPS})
    assert lines(tmp_path) == ["nginx/site.conf:3"]


def test_challenge_served_through_includes(tmp_path: Path) -> None:
    write(tmp_path, {
        "nginx/nginx.conf": "events {}\nhttp { include /etc/nginx/conf.d/*.conf; }\n",
        "nginx/conf.d/a.conf": "server { listen 80; include snippets/acme.conf; return 301 https://$host; }\n",
        "nginx/conf.d/snippets/acme.conf": "location /.well-known/acme-challenge/ { root /w; }\n",
        "nginx/conf.d/b.conf": HTTPS,
    })
    assert lines(tmp_path) == []


def test_include_resolution() -> None:
    paths = ["deploy/nginx/nginx.conf", "deploy/nginx/conf.d/a.conf", "deploy/nginx/conf.d/b.conf",
             "other/nginx/conf.d/c.conf", "deploy/nginx/snippets/ssl.conf"]
    assert resolve_include(paths, "deploy/nginx/nginx.conf", "conf.d/*.conf") == (
        "deploy/nginx/conf.d/a.conf", "deploy/nginx/conf.d/b.conf")
    assert resolve_include(paths, "deploy/nginx/nginx.conf", "/etc/nginx/snippets/ssl.conf") == (
        "deploy/nginx/snippets/ssl.conf",)
    assert resolve_include(paths, "x/nginx.conf", "/etc/nginx/mime.types") == ()
    assert resolve_include(paths, "x/nginx.conf", "*.conf") == ()
    assert resolve_include(paths, "x/nginx.conf", "$conf_dir/a.conf") == ()
