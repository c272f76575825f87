"""Where a rule's docs page lives on the web (SARIF ``helpUri``, GitLab and GitHub reports).

Built-in rules: their generated page under ``docs/rules/`` in the preflight repository. Plugin
rules: the plugin distribution's documentation URL from its package metadata (``Project-URL``
labelled Documentation, else Homepage, else the first one, else ``Home-page``); a plugin that
declares none gets preflight's page on plugin rules, which says that ``preflight explain <ID>``
prints the rule's own page. A URL is never empty.
"""

from __future__ import annotations

import functools

DOCS_URL = "https://github.com/preflight-dev/preflight/blob/main/docs/rules/{id}.md"
PLUGIN_DOCS_URL = "https://github.com/preflight-dev/preflight/blob/main/docs/ci.md#rules-from-plugins"
BUILTIN_PREFIXES = ("preflight_rules.",)


def rule_url(rule_id: str, module: str) -> str:
    """The docs URL of the rule ``rule_id`` defined in ``module``."""
    if module.startswith(BUILTIN_PREFIXES):
        return DOCS_URL.format(id=rule_id)
    return _distribution_url(module.split(".")[0]) or PLUGIN_DOCS_URL


@functools.cache
def _distribution_url(package: str) -> str | None:
    from importlib import metadata

    try:
        names = metadata.packages_distributions().get(package) or []
        if not names:
            return None
        meta = metadata.metadata(names[0])
    except Exception:  # broken metadata of someone else's package: fall back
        return None
    labelled = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if url.strip().startswith(("https://", "http://")):
            labelled.setdefault(label.strip().lower(), url.strip())
    for label in ("documentation", "docs", "homepage", "home"):
        if label in labelled:
            return labelled[label]
    if labelled:
        return next(iter(labelled.values()))
    home = (meta.get("Home-page") or "").strip()
    return home if home.startswith(("https://", "http://")) else None
