"""The ledger: accounts, payouts and the audit trail."""

import enum
from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import Float, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base


class PayoutStatus(enum.Enum):
    pending = "pending"
    sent = "sent"
    paid = "paid"


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())


class Account(TimestampMixin, Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), unique=True)
    balance = sa.Column(Float, nullable=False, default=0)
    # Not money: a ratio between 0 and 1.
    win_rate: Mapped[Optional[float]]

    payouts: Mapped[list["Payout"]] = relationship(back_populates="account")


class Payout(TimestampMixin, Base):
    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    fee: Mapped[Decimal] = mapped_column(Numeric(18, 8), default=Decimal("0"))
    status: Mapped[PayoutStatus] = mapped_column(sa.Enum(PayoutStatus, name="payout_status"))
    note: Mapped[Optional[str]] = mapped_column(String(500))

    account: Mapped[Account] = relationship(back_populates="payouts")


audit_log = sa.Table(
    "audit_log",
    Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.ForeignKey("accounts.id")),
    sa.Column("delta", sa.Numeric(18, 8), nullable=False),
    sa.Column("at", sa.DateTime, server_default=sa.func.now()),
)
