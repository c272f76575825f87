from unittest.mock import patch

from app.db import _normalise


def test_platform_urls_get_the_sqlalchemy_scheme():
    assert _normalise("postgres://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"
    assert _normalise("postgresql://u@h/d") == "postgresql://u@h/d"


def test_http_client_stub():
    with patch.dict("sys.modules", {"httpx": object()}):
        import sys

        assert sys.modules["httpx"] is not None
