"""Traefik facts shared by DC005 and DC006: router labels, static configuration, ACME storage.

Traefik's static configuration comes from command-line flags of the Traefik service
(``--providers.docker.exposedbydefault=false``), ``TRAEFIK_*`` environment variables, or a
``traefik.yml`` / ``traefik.toml`` file (kinds YAML / TOML; any YAML or TOML file whose name
contains "traefik" is read). Option names are case-insensitive, as in Traefik.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from preflight.documents.tomldoc import TomlDocument
from preflight.documents.yamldoc import YamlDocument, scalar_text
from preflight.facts import Repository
from preflight.model import FileKind, Span
from preflight_rules.compose.facts import Service, all_services

# traefik.http.routers.<name>.rule, traefik.tcp.services.<name>.loadbalancer...
ROUTER_LABEL = re.compile(r"traefik\.(http|tcp|udp)\.(routers|services)\.([^.]+)\.", re.IGNORECASE)


class Setting(NamedTuple):
    """One static-configuration option and where it is written."""

    key: str  # lower-case dotted name: providers.docker.exposedbydefault
    value: str
    span: Span
    service: Service | None = None  # the compose service whose command/environment sets it
    path: str | None = None  # the static config file that sets it


def is_traefik(service: Service) -> bool:
    image = service.image_name or ""
    return image.rsplit("/", 1)[-1] == "traefik" or (service.image is None and "traefik" in service.name.lower())


def service_settings(service: Service) -> Iterator[Setting]:
    """``--a.b.c=value`` words of the command and ``TRAEFIK_A_B_C`` variables of a Traefik service."""
    for word in service.command + service.entrypoint:
        text = word.text or ""
        if text.startswith("--"):
            key, _, value = text[2:].partition("=")
            yield Setting(key.lower(), value if _ else "true", word.span, service=service)
    for name, value in service.environment.items():
        if name.upper().startswith("TRAEFIK_") and value.text is not None:
            yield Setting(name[8:].lower().replace("_", "."), value.text, value.span, service=service)


def _flatten_yaml(doc: YamlDocument, node: Any, prefix: str, depth: int = 0) -> Iterator[Setting]:
    if not isinstance(node, Mapping) or depth > 12:
        return
    for key, value in node.items():
        name = scalar_text(key)
        if name is None:
            continue
        dotted = f"{prefix}{name.lower()}"
        if isinstance(value, Mapping):
            yield Setting(dotted, "", doc.key_span(node, key), path=doc.path)
            yield from _flatten_yaml(doc, value, dotted + ".", depth + 1)
        elif not isinstance(value, list):
            yield Setting(dotted, scalar_text(value) or "", doc.value_span(node, key), path=doc.path)


def _flatten_toml(doc: TomlDocument, node: Any, path: tuple[str, ...], depth: int = 0) -> Iterator[Setting]:
    if not isinstance(node, Mapping) or depth > 12:
        return
    for key, value in node.items():
        here = path + (str(key),)
        dotted = ".".join(here).lower()
        if isinstance(value, Mapping):
            yield Setting(dotted, "", doc.key_span(*here), path=doc.path)
            yield from _flatten_toml(doc, value, here, depth + 1)
        elif not isinstance(value, list):
            text = "true" if value is True else "false" if value is False else str(value)
            yield Setting(dotted, text, doc.key_span(*here), path=doc.path)


def static_files(repo: Repository) -> dict[str, list[Setting]]:
    """Traefik static configuration files in the repository: path -> its settings (a fact)."""
    found: dict[str, list[Setting]] = {}
    for ref in repo.files_of(FileKind.YAML, FileKind.TOML):
        if "traefik" not in posixpath.basename(ref.path).lower():
            continue
        doc = repo.document(ref)
        if isinstance(doc, YamlDocument):
            settings = list(_flatten_yaml(doc, doc.root, ""))
        elif isinstance(doc, TomlDocument):
            settings = list(_flatten_toml(doc, doc.data, ()))
        else:
            continue
        # A dynamic configuration file (routers, middlewares) is not static configuration.
        if any(s.key.split(".")[0] in ("entrypoints", "providers", "certificatesresolvers", "api", "log")
               for s in settings):
            found[ref.path] = settings
    return found


def router_labels(service: Service) -> dict[tuple[str, str, str], tuple[str, Span]]:
    """(protocol, routers|services, name) -> the label that best names it (its `.rule`, else the first)."""
    found: dict[tuple[str, str, str], tuple[str, Span]] = {}
    for label, value in service.labels.items():
        match = ROUTER_LABEL.match(label)
        if not match or "$" in match.group(3):
            continue
        key = (match.group(1).lower(), match.group(2).lower(), match.group(3))
        if key not in found or label.lower().endswith(".rule"):
            if key in found and found[key][0].lower().endswith(".rule"):
                continue
            found[key] = (label, value.key or value.span)
    return found


def traefik_services(repo: Repository) -> list[Service]:
    return [s for s in all_services(repo) if is_traefik(s)]
