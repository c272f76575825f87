"""FLY: platform config."""

from preflight.model import FileKind as K

RULES = {
    "FLY001": ("fly.fly001_app_database_region_mismatch", (K.FLY_TOML,), True),
    "FLY002": ("fly.fly002_deprecated_platform_command", (K.WORKFLOW, K.ACTION, K.DOCKERFILE, K.SHELL, K.MAKEFILE), True),
    "FLY003": ("fly.fly003_missing_org_in_ci", (K.WORKFLOW, K.ACTION, K.SHELL, K.MAKEFILE), True),
}
