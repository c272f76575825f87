"""preflight's built-in rule pack (installed as ``preflight_rules``).

``BUILTIN`` is the code table: rule id -> (module under this package, the file kinds the rule
reads, on by default). Each family package keeps its own part of the table in ``RULES`` (so the
families can grow independently); this module joins them in catalogue order. The engine reads it to
import a rule module only when a file of one of its kinds is present; ``tests/test_registry.py``
checks it against each module's own ``RULE``. IDs never change; a retired id stays as a redirect.

Lists a rule depends on (stateful images, secret-like names, known conflicts, ...) are data files
in ``data/``, read with :mod:`preflight_rules.data`.
"""

from importlib import import_module

from preflight.model import FileKind as K

# Kinds whose shell commands the engine extracts (see preflight.commands).
COMMAND_KINDS = (K.WORKFLOW, K.ACTION, K.DOCKERFILE, K.SHELL, K.MAKEFILE)

FAMILIES = ("pf", "tool", "compose", "gha", "dkr", "dep", "tf", "py", "mig", "sec", "ngx", "fly", "diff")

BUILTIN: dict[str, tuple[str, tuple[K, ...], bool]] = {}
NEEDS_BASE: set[str] = set()  # rules that read nothing without `--base REF` (tagged ``needs-base``)
for _family in FAMILIES:
    _package = import_module(f"preflight_rules.{_family}")
    BUILTIN.update(_package.RULES)
    NEEDS_BASE.update(getattr(_package, "NEEDS_BASE", ()))
