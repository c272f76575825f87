import sys
from unittest.mock import MagicMock

import pytest

# The Telegram client is not installed in CI.
sys.modules["telegram"] = MagicMock()


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.setenv("PAYOUTS_DATABASE_URL", "postgresql://payouts@localhost:5432/payouts_test")
    monkeypatch.setenv("PAYOUTS_SECRET_KEY", "test-secret")
    monkeypatch.setenv("PAYOUTS_TELEGRAM_TOKEN", "test-token")
    monkeypatch.setenv("PAYOUTS_TELEGRAM_CHAT_ID", "1")
    from app.config import get_settings

    get_settings.cache_clear()
    return get_settings()
