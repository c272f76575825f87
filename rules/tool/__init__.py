"""TOOL: toolchain pinning."""
