"""Which `.env` files the repository uses as shell scripts (`source`d) and which as env files for
non-shell readers (compose `env_file:`, `--env-file`, systemd `EnvironmentFile=`), by file name."""

from __future__ import annotations

from typing import NamedTuple

from preflight.documents.yamldoc import YamlDocument, scalar_text
from preflight.facts import Repository
from preflight.model import FileKind


class EnvFileUsage(NamedTuple):
    sourced: frozenset[str]  # names of files a shell `source`s or `.`s
    env_files: frozenset[str]  # names of files given to non-shell readers


def _name(path: str) -> str:
    return path.strip().strip("'\"").rstrip("/").rpartition("/")[2]


def _compose_env_files(doc: YamlDocument) -> list[str]:
    names: list[str] = []
    for root in doc.documents:
        services = root.get("services") if isinstance(root, dict) else None
        if not isinstance(services, dict):
            continue
        for service in services.values():
            value = service.get("env_file") if isinstance(service, dict) else None
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict):
                    item = item.get("path")
                text = scalar_text(item)
                if text:
                    names.append(_name(text))
    return names


def env_file_usage(repo: Repository) -> EnvFileUsage:
    sourced: set[str] = set()
    env_files: set[str] = set()
    for doc in repo.documents(FileKind.COMPOSE):
        if isinstance(doc, YamlDocument):
            env_files.update(_compose_env_files(doc))
    for cmd in repo.all_commands():
        args = cmd.args
        if cmd.program_name in ("source", ".") and args:
            sourced.add(_name(args[0]))
        for i, arg in enumerate(args):
            if arg == "--env-file" and i + 1 < len(args):
                env_files.add(_name(args[i + 1]))
            elif arg.startswith("--env-file="):
                env_files.add(_name(arg.partition("=")[2]))
            elif arg.startswith("EnvironmentFile="):
                env_files.add(_name(arg.partition("=")[2].lstrip("-")))
    return EnvFileUsage(frozenset(sourced), frozenset(env_files))
