"""Payout rules (limits per tier) are kept in a YAML file next to the code."""

from pathlib import Path

import yaml

RULES_FILE = Path(__file__).resolve().parent / "payout_rules.yaml"


def load_rules() -> dict:
    with RULES_FILE.open() as handle:
        return yaml.load(handle, Loader=yaml.Loader)
