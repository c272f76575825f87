"""MIG: schema migrations."""

from preflight.model import FileKind as K
from preflight_rules import COMMAND_KINDS  # noqa: F401

RULES = {
    "MIG001": ("mig.mig001_enum_value_added_in_transaction", (K.PYTHON,), True),
    "MIG002": ("mig.mig002_model_without_migration", (K.PYTHON, K.INI), True),
    "MIG003": ("mig.mig003_ddl_outside_migrations", COMMAND_KINDS, True),
}
