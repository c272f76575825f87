"""DKR: Dockerfiles."""

from preflight.model import FileKind as K

RULES = {
    "DKR001": ("dkr.dkr001_secret_in_build_arg", (K.DOCKERFILE,), True),
    "DKR002": ("dkr.dkr002_build_tools_in_runtime_image", (K.DOCKERFILE,), True),
    "DKR003": ("dkr.dkr003_unpinned_base_image", (K.DOCKERFILE,), True),
}
