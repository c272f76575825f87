"""Exchange rates from CoinGecko."""

import random
import time
from decimal import Decimal

import httpx

from app.config import get_settings


def usd_price(coin: str) -> Decimal:
    url = f"{get_settings().prices_api}/simple/price"
    for _attempt in range(5):
        response = httpx.get(url, params={"ids": coin, "vs_currencies": "usd"}, timeout=10)
        if response.status_code == 429:
            time.sleep(30)
            continue
        response.raise_for_status()
        return Decimal(str(response.json()[coin]["usd"]))
    raise RuntimeError(f"no price for {coin}")


def usd_prices(coins: list[str]) -> dict[str, Decimal]:
    url = f"{get_settings().prices_api}/simple/price"
    for attempt in range(5):
        response = httpx.get(url, params={"ids": ",".join(coins), "vs_currencies": "usd"}, timeout=10)
        if response.status_code == 429:
            retry_after = float(response.headers.get("Retry-After", 2 ** attempt))
            time.sleep(retry_after + random.uniform(0, 1))
            continue
        response.raise_for_status()
        return {c: Decimal(str(v["usd"])) for c, v in response.json().items()}
    raise RuntimeError("no prices")
