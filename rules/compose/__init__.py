"""DC: containers and compose."""

from preflight.model import FileKind as K
from preflight_rules import COMMAND_KINDS

RULES = {
    "DC001": ("compose.dc001_legacy_docker_compose", COMMAND_KINDS + (K.MARKDOWN, K.REQUIREMENTS), True),
}
