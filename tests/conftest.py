from __future__ import annotations

import os
from pathlib import Path

import pytest

from preflight.config import Settings
from preflight.engine import CheckResult, run_check
from preflight.registry import load_registry

REPO = Path(__file__).resolve().parent.parent


def check(root: str | os.PathLike, select: list[str] | None = None, base: str | None = None,
          show_all: bool = False, **settings: object) -> CheckResult:
    """Run the engine in-process on ``root`` with the given settings (``base``: as `--base`)."""
    options = Settings(select=select, **settings)  # type: ignore[arg-type]
    return run_check(str(root), options, load_registry(plugins=False), base=base, show_all=show_all)


def located(result: CheckResult) -> list[str]:
    return [f"{f.path}:{f.span.line}:{f.span.column} {f.rule_id}" for f in result.findings]


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture(autouse=True)
def _not_in_github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the defaults of a terminal, also when CI runs them (GITHUB_ACTIONS selects --format github)."""
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
