"""ACME's preflight rules: an example plugin (see docs/plugins.md)."""
