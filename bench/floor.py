"""The parse floor: read every file of a tree once and parse it with the parsers preflight uses,
configured as preflight configures them, and nothing else (no rules, no positions, no preflight).

    python bench/floor.py DIR            # plain parsers (the floor)
    python bench/floor.py DIR --documents  # preflight's own document layer, no rules

YAML (ruamel.yaml, round-trip, pure Python, every document of a stream), Terraform (python-hcl2),
Dockerfiles (dockerfile-parse), Python (ast), TOML and poetry.lock (tomllib; tomlkit on Python 3.10)
are parsed; every other file is read and decoded. Imports are part of the cost, as they are for
preflight. Prints the number of files and bytes read and parsed, as one JSON line.
"""

from __future__ import annotations

import io
import json
import os
import sys

SKIP_DIRS = {".git", ".preflight_cache", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


def _walk(root: str):
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS)
        for name in sorted(names):
            yield os.path.join(directory, name), name


def plain(root: str) -> dict[str, int]:
    yaml = hcl2 = dockerfile = toml = None
    import ast
    counts = {"files": 0, "parsed": 0, "bytes": 0, "errors": 0}
    for path, name in _walk(root):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        counts["files"] += 1
        counts["bytes"] += len(data)
        text = data.decode("utf-8", errors="replace")
        lower = name.lower()
        try:
            if lower.endswith((".yml", ".yaml")):
                if yaml is None:
                    from ruamel.yaml import YAML
                    yaml = YAML(typ="rt", pure=True)
                list(yaml.load_all(text))
            elif lower.endswith(".tf"):
                if hcl2 is None:
                    import hcl2
                hcl2.loads(text if text.endswith("\n") else text + "\n", with_meta=True)
            elif lower.startswith("dockerfile") or lower.endswith(".dockerfile"):
                if dockerfile is None:
                    from dockerfile_parse import DockerfileParser as dockerfile
                dockerfile(fileobj=io.BytesIO(data), env_replace=False).structure  # noqa: B018
            elif lower.endswith(".py"):
                ast.parse(text, filename=path)
            elif lower.endswith(".toml") or lower == "poetry.lock":
                if toml is None:
                    if sys.version_info >= (3, 11):
                        from tomllib import loads as toml
                    else:
                        from tomlkit import parse as toml
                toml(text)
            else:
                continue
            counts["parsed"] += 1
        except Exception:  # a file these parsers reject still cost its attempt
            counts["errors"] += 1
    return counts


def documents(root: str) -> dict[str, int]:
    """preflight's discovery and document layer over every file, no rules."""
    from preflight.discover import discover
    from preflight.facts import Repository

    found = discover(root, None)
    repo = Repository(root, found.files)
    parsed = sum(1 for ref in repo.files if repo.document(ref) is not None)
    return {"files": len(repo.files), "parsed": parsed, "bytes": sum(ref.size for ref in repo.files),
            "errors": len(repo.problems)}


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    result = documents(sys.argv[1]) if "--documents" in sys.argv[2:] else plain(sys.argv[1])
    print(json.dumps(result))
