"""Telegram notifications for the operators."""

from decimal import Decimal

from telegram import Bot
from telegram.constants import ParseMode
from telegram.helpers import escape_markdown

from app.config import get_settings


async def payout_sent(bot: Bot, owner: str, amount: Decimal) -> None:
    settings = get_settings()
    text = f"*Payout sent* to {escape_markdown(owner, version=2)}: `{amount}`"
    await bot.send_message(settings.telegram_chat_id, text, parse_mode=ParseMode.MARKDOWN_V2)


async def payout_failed(bot: Bot, owner: str, reason: str) -> None:
    settings = get_settings()
    await bot.send_message(
        chat_id=settings.telegram_chat_id,
        text=f"*Payout failed* for {owner}: {reason}",
        parse_mode="MarkdownV2",
    )


async def daily_summary(bot: Bot, count: int) -> None:
    settings = get_settings()
    await bot.send_message(settings.telegram_chat_id, f"<b>{count}</b> payouts today", parse_mode=ParseMode.HTML)
