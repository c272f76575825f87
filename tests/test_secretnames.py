"""Secret-like names are judged by whole tokens."""

from __future__ import annotations

import pytest

from preflight.secretnames import is_secret_name, secret_words, tokens


@pytest.mark.parametrize("name", ["GH_TOKEN", "NPM_TOKEN", "DB_PASSWORD", "GH_PAT", "SECRET_KEY", "API_KEY",
                                  "stripe-secret-key", "apiKey", "POSTGRES_PASSWORD", "VAULT_TOKEN",
                                  "AWS_SECRET_ACCESS_KEY", "SENTRY_DSN", "private_key", "DB_PASS"])
def test_secret_like(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["TOKENIZERS_PARALLELISM", "PASSWORDLESS_LOGIN", "KEYBOARD", "GPG_KEY_ID",
                                  "VAULT_TOKEN_PATH", "SSH_PUBLIC_KEY", "DATABASE_URL", "PATH", "COMPASS",
                                  "TOKEN_URL", "SECRET_NAME", "PYTHONPATH",
                                  "ACCESS_TOKEN_EXPIRE_MINUTES", "TOKEN_TTL", "PASSWORD_MIN_LENGTH"])
def test_not_secret_like(name: str) -> None:
    assert not is_secret_name(name)


def test_tokens_split_camel_case_and_separators() -> None:
    assert tokens("stripeSecret-key.v2") == ("stripe", "secret", "key", "v2")


def test_options_extend_the_words() -> None:
    words = secret_words({"extend-secret-names": ["Cookie"]})
    assert is_secret_name("SESSION_COOKIE", words) and not is_secret_name("SESSION_COOKIE")
