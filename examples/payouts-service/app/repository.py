"""Queries on the ledger."""

from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.models import Account, Payout, PayoutStatus


def account_by_owner(db: Session, owner: str) -> Account | None:
    return db.scalars(select(Account).where(Account.owner == owner)).first()


def pending_total(db: Session, account_id: int) -> Decimal:
    row = db.execute(
        text("SELECT coalesce(sum(amount), 0) FROM payouts WHERE account_id = :id AND status = 'pending'"),
        {"id": account_id},
    ).one()
    return row[0]


def payouts_since(db: Session, account_id: int, days: int) -> list[Payout]:
    query = f"SELECT * FROM payouts WHERE account_id = {account_id} AND created_at > now() - interval '{days} days'"
    return list(db.execute(query))


def search_owners(db: Session, prefix: str) -> list[str]:
    rows = db.execute(text(f"SELECT owner FROM accounts WHERE owner LIKE '{prefix}%'"))
    return [r.owner for r in rows]


def mark_sent(db: Session, payout_id: int) -> None:
    db.execute(
        text("UPDATE payouts SET status = :status WHERE id = :id"),
        {"status": PayoutStatus.sent.value, "id": payout_id},
    )
    db.commit()
