"""## What it catches
An nginx config that loads a Let's Encrypt certificate (`ssl_certificate /etc/letsencrypt/live/...`)
while nothing can obtain that certificate on a fresh host: no `server` listening on port 80 in the
same config (the file plus everything it `include`s, resolved among the repository's nginx files)
serves `/.well-known/acme-challenge/`, and the repository has no HTTP-only bootstrap config
(another nginx config without `ssl_certificate` whose port-80 server serves the challenge).

Port 80 means `listen 80`, `listen [::]:80`, `listen 0.0.0.0:80 default_server`, or no `listen` at
all (nginx's default). The challenge may be served by any `location` form:
`location /.well-known/acme-challenge/`, `location ^~ /.well-known/acme-challenge/`,
`location ~ ^/\\.well-known/acme-challenge/`, or a `location /.well-known/`; from the server block or
from a file it includes. A port-80 server that only does `return 301 https://...` is the bad case.
Certificates outside `/etc/letsencrypt/live/` (self-managed, or a path in a variable) are not
checked. The finding points at the `ssl_certificate` line.

What it cannot see: a certificate obtained without nginx (certbot `--standalone` with nginx stopped,
a DNS challenge, certificates copied onto the host by provisioning). If yours arrive that way,
suppress the finding with a comment saying so. Includes are matched against the repository's nginx
files by path (`/etc/nginx/conf.d/*.conf` matches `nginx/conf.d/*.conf`), so a config assembled on
the server from elsewhere is not seen.

## Why it matters
Seed 000, "Nginx SSL Chicken-and-Egg Problem": on a fresh server nginx refused to start,

    cannot load certificate "/etc/letsencrypt/live/domain.xyz/fullchain.pem": No such file or directory

because its configuration referenced certificate paths Certbot had not created yet; and Certbot
could not create them, because its HTTP challenge needs nginx serving port 80. Every new host and
every server migration hit the deadlock. The fix was a two-stage deployment: an HTTP-only config
first (no SSL blocks, serving the challenge), then `certbot`, then the HTTPS config, with the
HTTP-only config kept as a template for bootstrap.

## Example
```nginx
# nginx/conf.d/site.conf
server {
    listen 80;
    server_name example.com;
    return 301 https://$host$request_uri;
}

server {
    listen 443 ssl;
    server_name example.com;
    ssl_certificate /etc/letsencrypt/live/example.com/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;
}
```

## Use instead
```nginx
# nginx/conf.d/site.conf
server {
    listen 80;
    server_name example.com;
    location /.well-known/acme-challenge/ {
        root /var/www/certbot;
    }
    location / {
        return 301 https://$host$request_uri;
    }
}

server {
    listen 443 ssl;
    server_name example.com;
    ssl_certificate /etc/letsencrypt/live/example.com/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;
}
```

## Fix
Serve the ACME challenge from the port-80 server (`location /.well-known/acme-challenge/ { root
/var/www/certbot; }`, and `certbot certonly --webroot -w /var/www/certbot`), and keep an HTTP-only
bootstrap config in the repository (e.g. `nginx/bootstrap/http-only.conf`) that deployment installs
before the first `certbot` run. Once the certificate exists, deploy the HTTPS config.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from preflight.documents.nginx import Directive
from preflight.facts import Repository
from preflight.model import FileKind, Finding, Severity
from preflight.rule import Context, RuleMeta
from preflight_rules.ngx.facts import IncludeGraph, closure, expanded, include_graph

RULE = RuleMeta(
    id="NGX001",
    name="tls-bootstrap-deadlock",
    severity=Severity.ERROR,
    kinds=frozenset({FileKind.NGINX}),
    summary="nginx loads a Let's Encrypt certificate but nothing serves the ACME challenge on port 80",
    source='seed 000 "Nginx SSL Chicken-and-Egg Problem"',
    lesson="On a fresh host nginx cannot start without the certificate and certbot cannot get it without "
           "nginx serving port 80; deploy an HTTP-only config that serves the ACME challenge first.",
    symptoms=('cannot load certificate "/etc/letsencrypt/live/domain.xyz/fullchain.pem": No such file or directory',),
    tags=("nginx", "tls", "letsencrypt", "certbot"),
)

LETSENCRYPT = "/etc/letsencrypt/live/"
CHALLENGE = re.compile(r"\.well-known(/acme-challenge)?/?")
PORT = re.compile(r":(\d+)$")


def _port(address: str) -> str | None:
    """The port of a `listen` address: `80`, `[::]:80`, `0.0.0.0:443`, `*:80`; a bare host means 80."""
    if address.startswith("unix:"):
        return None
    if address.isdigit():
        return address
    match = PORT.search(address)
    return match.group(1) if match else "80"


def _listens_on_80(graph: IncludeGraph, server: Directive) -> bool:
    listens = [d for d in expanded(graph, server.children) if d.name == "listen" and d.args]
    if not listens:
        return True  # nginx's default: *:80
    return any(_port(d.args[0].text) == "80" for d in listens)


def _serves_challenge(graph: IncludeGraph, server: Directive) -> bool:
    for directive in expanded(graph, server.children):
        if directive.name != "location" or not directive.args:
            continue
        pattern = directive.args[-1].text.replace("\\", "")
        if CHALLENGE.search(pattern):
            return True
    return False


def _servers(graph: IncludeGraph, root: str) -> list[Directive]:
    return [d for _, d in closure(graph, root) if d.name == "server" and d.children is not None]


def _handles_challenge(graph: IncludeGraph, root: str) -> bool:
    return any(_listens_on_80(graph, s) and _serves_challenge(graph, s) for s in _servers(graph, root))


def _certificates(graph: IncludeGraph, root: str) -> list[tuple[str, Directive]]:
    return [(path, d) for path, d in closure(graph, root)
            if d.name == "ssl_certificate" and d.args and d.args[0].text.startswith(LETSENCRYPT)]


def check_repository(repo: Repository, ctx: Context) -> Iterator[Finding]:
    graph = repo.fact(include_graph)
    included = graph.included_paths()
    roots = [p for p in sorted(graph.documents) if p not in included] or sorted(graph.documents)
    bootstrap = any(not any(d.name == "ssl_certificate" for _, d in closure(graph, r))
                    and _handles_challenge(graph, r) for r in roots)
    if bootstrap:
        return
    reported: set[int] = set()
    for root in roots:
        certificates = _certificates(graph, root)
        if not certificates or _handles_challenge(graph, root):
            continue
        for path, directive in certificates:
            if id(directive) in reported:
                continue
            reported.add(id(directive))
            doc = graph.documents[path]
            where = "" if path == root else f" (included from {root})"
            yield ctx.finding(doc.directive_span(directive),
                              f"nginx cannot start without {directive.args[0].text}{where} and no port-80 server serves "
                              "/.well-known/acme-challenge/ (nor does an HTTP-only bootstrap config): certbot cannot "
                              "get the first certificate; serve the challenge on port 80")
