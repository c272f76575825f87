"""preflight's built-in rule pack (installed as ``preflight_rules``).

``BUILTIN`` is the code table: rule id -> (module under this package, the file kinds the rule
reads, on by default). The engine reads it to import a rule module only when a file of one of its
kinds is present; ``tests/test_registry.py`` checks it against each module's own ``RULE``.
IDs never change; a retired id stays here as a redirect.
"""

from preflight.model import FileKind as K

_COMMANDS = (K.WORKFLOW, K.ACTION, K.DOCKERFILE, K.SHELL, K.MAKEFILE)

BUILTIN: dict[str, tuple[str, tuple[K, ...], bool]] = {
    # PF: the tool itself (reported by the engine)
    "PF001": ("pf.pf001_unparseable_file", (), True),
    "PF002": ("pf.pf002_rule_error", (), True),
    "PF003": ("pf.pf003_unused_suppression", (), True),
    # TOOL: toolchain pinning
    "TOOL001": ("tool.tool001_unpinned_poetry", _COMMANDS, True),
    # DC: containers and compose
    "DC001": ("compose.dc001_legacy_docker_compose", _COMMANDS + (K.MARKDOWN, K.REQUIREMENTS), True),
}
