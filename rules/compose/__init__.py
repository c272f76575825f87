"""DC: containers and compose."""

from preflight.model import FileKind as K
from preflight_rules import COMMAND_KINDS

RULES = {
    "DC001": ("compose.dc001_legacy_docker_compose", COMMAND_KINDS + (K.MARKDOWN, K.REQUIREMENTS), True),
    "DC002": ("compose.dc002_deploy_without_orphan_cleanup", (K.WORKFLOW, K.ACTION, K.SHELL, K.MAKEFILE), True),
    "DC003": ("compose.dc003_depends_on_without_healthcheck", (K.COMPOSE,), False),
    "DC004": ("compose.dc004_stateful_service_without_volume", (K.COMPOSE,), True),
    "DC005": ("compose.dc005_traefik_router_conflict", (K.COMPOSE,), True),
    "DC006": ("compose.dc006_acme_storage_not_persistent", (K.COMPOSE,), True),
    "DC007": ("compose.dc007_localhost_service_address", (K.COMPOSE, K.FLY_TOML, K.WORKFLOW, K.KUBERNETES,
                                                          K.SHELL, K.MAKEFILE, K.DOCKERFILE), True),
}
