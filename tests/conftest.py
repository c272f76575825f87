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


# Property-based tests (tests/test_fuzz.py): reproducible and bounded in CI; deeper locally with
# PREFLIGHT_FUZZ_EXAMPLES=2000 (examples per test) and PREFLIGHT_FUZZ_SEED=random for new inputs.
try:
    from hypothesis import HealthCheck, settings as _hypothesis_settings
except ImportError:  # pragma: no cover - hypothesis is in the test extras
    pass
else:
    _fuzz_seeded = os.environ.get("PREFLIGHT_FUZZ_SEED", "") != "random"
    _hypothesis_settings.register_profile(
        "preflight",
        max_examples=int(os.environ.get("PREFLIGHT_FUZZ_EXAMPLES", "30")),
        deadline=None,
        derandomize=_fuzz_seeded,  # the same examples on every run, so CI is reproducible
        **({"database": None} if _fuzz_seeded else {}),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        print_blob=True,
    )
    _hypothesis_settings.load_profile("preflight")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus: runs preflight over a directory of real repositories "
                                       "(PREFLIGHT_CORPUS=<dir>); skipped without it")
