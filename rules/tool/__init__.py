"""TOOL: toolchain pinning."""

from preflight.model import FileKind as K
from preflight_rules import COMMAND_KINDS

RULES = {
    "TOOL001": ("tool.tool001_unpinned_poetry", COMMAND_KINDS, True),
}
