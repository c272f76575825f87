"""Daily report figures."""

from sqlalchemy import cast, func, select
from sqlalchemy.orm import Session

from app.models import Account, Payout


def accounts_with_payouts(db: Session) -> int:
    has_payout = cast(Account.payouts.any(), func.Integer)
    return db.scalar(select(func.sum(has_payout))) or 0


def payout_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Payout)) or 0
