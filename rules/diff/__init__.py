"""DIFF: change regressions. They compare the working tree with `--base REF` and are silent without it."""

from preflight.model import FileKind as K

RULES = {
    "DIFF001": ("diff.diff001_base_image_downgrade", (K.DOCKERFILE,), True),
    "DIFF002": ("diff.diff002_security_library_removed", (K.REQUIREMENTS, K.PYPROJECT), True),
    "DIFF003": ("diff.diff003_tests_deleted",
                (K.PYTHON, K.WORKFLOW, K.ACTION, K.SHELL, K.MAKEFILE, K.DOCKERFILE, K.PYPROJECT, K.INI), True),
}

# Rules tagged ``needs-base``: a run without ``--base`` does not import them at all.
NEEDS_BASE = frozenset(RULES)
