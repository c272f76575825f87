"""Changed-files mode (``preflight check --changed-files PATHS``), for pre-commit.

pre-commit passes the names of the staged files. Checking only those files would blind the
cross-file rules (a change to ``poetry.lock`` alone must still report the workflow's Poetry pin it
disagrees with), so the whole project is checked, from its root: the top of the git work tree
holding the current directory, else the directory of the nearest configuration, else the current
directory. Then only these findings are reported:

- findings located in one of PATHS;
- findings of a cross-file rule (one with a ``check_repository`` hook) when one of PATHS is a
  file of a kind that rule reads, wherever the finding points.

The engine run is the same as ``preflight check ROOT``; this is post-processing of its result.
"""

from __future__ import annotations

import os
from dataclasses import replace

from preflight.discover import classify
from preflight.engine import CheckResult
from preflight.model import FileKind


def project_root(start: str) -> str:
    from preflight.config import find_config

    directory = os.path.abspath(start)
    probe = directory
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    config = find_config(directory)
    return os.path.dirname(config) if config else directory


def relative_paths(root: str, paths: list[str]) -> set[str]:
    """PATHS as the report spells paths: relative to ``root``, '/'-separated; outside ones dropped."""
    found = set()
    for path in paths:
        relative = os.path.relpath(os.path.abspath(path), root)
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            found.add(relative.replace(os.sep, "/"))
    return found


def _kind(root: str, relpath: str) -> FileKind | None:
    first = None
    if "." not in relpath.rsplit("/", 1)[-1]:  # extension-less: only a shebang tells
        try:
            with open(os.path.join(root, relpath), "rb") as handle:
                first = handle.read(256)
        except OSError:
            first = None
    return classify(relpath, first)


def only_changed(result: CheckResult, changed: set[str]) -> CheckResult:
    kinds = {kind for kind in (_kind(result.root, p) for p in changed) if kind is not None}
    if FileKind.YAML in kinds:
        kinds.add(FileKind.KUBERNETES)  # a manifest is YAML told apart by its content
    cross_file = {rule.id for rule in result.rules
                  if "check_repository" in rule.hooks and rule.kinds & kinds}
    kept = [f for f in result.findings if f.path in changed or f.rule_id in cross_file]
    return replace(result, findings=kept)
