"""DEP: dependency pins."""

from preflight.model import FileKind as K  # noqa: F401  (kinds of the rules below)
from preflight_rules import COMMAND_KINDS  # noqa: F401

RULES: dict = {
}
