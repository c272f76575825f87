"""The vocabulary every part of preflight shares: file kinds, positions, findings, fixes.

Positions are 1-based; ``end_column`` is exclusive (the column just past the last character), the
convention SARIF uses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class FileKind(str, enum.Enum):
    """What a file is, decided by discovery from its path (and, rarely, its first line)."""

    WORKFLOW = "workflow"  # .github/workflows/*.yml
    ACTION = "action"  # action.yml / action.yaml (composite and other actions)
    DOCKERFILE = "dockerfile"
    COMPOSE = "compose"
    SHELL = "shell"
    MAKEFILE = "makefile"
    TERRAFORM = "terraform"
    PYPROJECT = "pyproject"
    TOML = "toml"
    FLY_TOML = "fly-toml"
    REQUIREMENTS = "requirements"
    POETRY_LOCK = "poetry-lock"
    PYTHON = "python"
    DOTENV = "dotenv"
    NGINX = "nginx"
    MARKDOWN = "markdown"
    PULUMI = "pulumi"
    KUBERNETES = "kubernetes"
    YAML = "yaml"
    PYTHON_VERSION = "python-version"  # .python-version, runtime.txt
    PROCFILE = "procfile"
    INI = "ini"  # tox.ini, setup.cfg, alembic.ini

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Span:
    """A region of one file: where a finding points, where a word or a YAML node stands."""

    path: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    @property
    def last_line(self) -> int:
        return self.end_line if self.end_line is not None else self.line


@dataclass(frozen=True)
class Edit:
    """Replace the text in ``span`` (end exclusive) with ``replacement``."""

    span: Span
    replacement: str


@dataclass(frozen=True)
class Fix:
    """A safe fix: edits that resolve a finding."""

    description: str
    edits: tuple[Edit, ...] = ()


@dataclass(frozen=True)
class Finding:
    """One problem a rule reports, at a span of a file."""

    rule_id: str
    span: Span
    message: str
    severity: Severity
    fix: Fix | None = None
    # The rule's name, filled by the engine so reporters need no registry.
    name: str = ""
    # `--base` mode: whether the change brought it (preflight.gitbase); None outside that mode.
    new: bool | None = None

    @property
    def path(self) -> str:
        return self.span.path

    def sort_key(self) -> tuple:
        s = self.span
        return (s.path, s.line, s.column, self.rule_id, s.last_line, s.end_column or 0, self.message)


@dataclass
class RunError:
    """A problem with the run itself (a plugin that would not load), not with a checked file."""

    message: str
    source: str = ""


@dataclass
class Stats:
    """Counts of a run, for the summary line and the JSON report."""

    files_discovered: int = 0
    files_parsed: int = 0
    rules_run: int = 0
    suppressed: int = 0
    baselined: int | None = None  # findings hidden by --baseline (None: no baseline given)
    by_kind: dict[str, int] = field(default_factory=dict)
    files_cached: int = 0  # files whose results came from .preflight_cache/
