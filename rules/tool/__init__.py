"""TOOL: toolchain pinning."""

from preflight.model import FileKind as K
from preflight_rules import COMMAND_KINDS

RULES = {
    "TOOL001": ("tool.tool001_unpinned_poetry", COMMAND_KINDS, True),
    "TOOL002": ("tool.tool002_poetry_lock_version_mismatch",
                (K.WORKFLOW, K.ACTION, K.DOCKERFILE, K.SHELL, K.MAKEFILE, K.POETRY_LOCK), True),
    "TOOL003": ("tool.tool003_poetry2_syntax_with_poetry1",
                (K.WORKFLOW, K.ACTION, K.DOCKERFILE, K.SHELL, K.MAKEFILE, K.PYPROJECT), True),
    "TOOL004": ("tool.tool004_python_version_drift",
                (K.DOCKERFILE, K.WORKFLOW, K.ACTION, K.PYPROJECT, K.PYTHON_VERSION, K.INI), True),
}
