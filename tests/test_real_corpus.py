"""preflight over a directory of real repositories: no rule error (PF002), no crash.

Needs the corpus, so it is skipped unless ``PREFLIGHT_CORPUS`` names a directory; each of its
subdirectories is checked as one repository with every rule, by the CLI in a child process (so
a crash or a hang is caught, not fatal):

    PREFLIGHT_CORPUS=/path/to/repos .venv/bin/python -m pytest -m corpus -q

Deselect it with ``-m "not corpus"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = os.environ.get("PREFLIGHT_CORPUS", "")
TIMEOUT = float(os.environ.get("PREFLIGHT_CORPUS_TIMEOUT", "600"))  # seconds per repository


def _repositories() -> list[Path]:
    if not CORPUS or not os.path.isdir(CORPUS):
        return []
    return sorted(p for p in Path(CORPUS).iterdir() if p.is_dir() and not p.is_symlink())


REPOSITORIES = _repositories()


@pytest.mark.corpus
@pytest.mark.skipif(not REPOSITORIES, reason="set PREFLIGHT_CORPUS to a directory of repositories")
@pytest.mark.parametrize("repository", REPOSITORIES, ids=lambda p: p.name)
def test_real_repository_has_no_rule_error(repository: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "preflight", "check", str(repository), "--select", "ALL",
                           "--format", "json", "--no-color"], capture_output=True, timeout=TIMEOUT)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode in (0, 1), stderr[-3000:]  # 2 would be a usage or internal error
    assert stderr == ""
    report = json.loads(proc.stdout)
    errors = [f"{f['path']}:{f['line']}: {f['message']}" for f in report["findings"] if f["rule"] == "PF002"]
    assert errors == []
    assert report["errors"] == []
    assert proc.returncode == (1 if report["summary"]["failing"] else 0)
