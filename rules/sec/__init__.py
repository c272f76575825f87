"""SEC: secrets hygiene."""

from preflight.model import FileKind as K
from preflight_rules import COMMAND_KINDS

RULES = {
    "SEC001": ("sec.sec001_env_file_not_ignored", (K.DOTENV,), True),
    "SEC002": ("sec.sec002_unseal_keys_not_ignored", (*COMMAND_KINDS, K.MARKDOWN, K.DOTENV), True),
    "SEC003": ("sec.sec003_plaintext_secret_in_config",
               (K.PULUMI, K.COMPOSE, K.FLY_TOML, K.TERRAFORM, K.KUBERNETES), True),
    "SEC004": ("sec.sec004_unquoted_special_chars_in_env", (K.DOTENV,), True),
    "SEC005": ("sec.sec005_export_prefix_in_env", (K.DOTENV, K.COMPOSE, *COMMAND_KINDS, K.MARKDOWN), True),
}
