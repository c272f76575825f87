"""DEP: dependency pins."""

from preflight.model import FileKind as K

RULES = {
    "DEP001": ("dep.dep001_known_incompatible_versions", (K.REQUIREMENTS, K.PYPROJECT, K.POETRY_LOCK), True),
}
