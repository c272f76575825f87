"""Test data: files a test suite feeds to the program under test, never deployed.

A Go project's ``testdata/`` (docker/compose's ``pkg/e2e/testdata``), a ``fixtures/`` tree: a
Dockerfile, compose file or ``.env`` there is an input built to exercise the tool (often on
purpose with the very pattern a rule looks for), not a deployment. Rules about deployments skip
such files; rules about code (the Python rules) use :func:`preflight.documents.python.is_test_path`.
"""

from __future__ import annotations

TEST_DATA_DIRS = frozenset({"testdata", "test-data", "test_data", "fixtures", "test-fixtures", "__fixtures__"})


def is_test_data_path(path: str) -> bool:
    """Whether ``path`` (relative, ``/``-separated) lies under a test-data directory."""
    return any(part.lower() in TEST_DATA_DIRS for part in path.split("/")[:-1])
