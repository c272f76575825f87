"""Sends pending payouts in batches; runs as its own process (`python -m app.worker`)."""

import asyncio
import logging

from app.config import get_settings
from app.db import SessionLocal
from app.repository import mark_sent

log = logging.getLogger(__name__)


async def send_batch() -> int:
    with SessionLocal() as db:
        sent = 0
        for payout_id in []:  # fetched from the queue in the real service
            mark_sent(db, payout_id)
            sent += 1
        return sent


async def main() -> None:
    interval = get_settings().worker_interval_seconds
    while True:
        sent = await send_batch()
        log.info("sent %d payouts", sent)
        await asyncio.sleep(interval)


if __name__ == "__main__":
    asyncio.run(main())
