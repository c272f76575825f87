"""PF: the tool itself (reported by the engine)."""

RULES = {
    "PF001": ("pf.pf001_unparseable_file", (), True),
    "PF002": ("pf.pf002_rule_error", (), True),
    "PF003": ("pf.pf003_unused_suppression", (), True),
}
