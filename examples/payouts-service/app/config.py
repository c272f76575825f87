"""Settings, read from the environment once at start-up."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYOUTS_")

    database_url: str = "postgres://payouts@localhost:5432/payouts"
    secret_key: str = "changeme"
    telegram_token: str
    telegram_chat_id: int
    worker_interval_seconds: int = 300
    prices_api: str = "https://api.coingecko.com/api/v3"
    log_level: str = "info"


@lru_cache
def get_settings() -> Settings:
    return Settings()
