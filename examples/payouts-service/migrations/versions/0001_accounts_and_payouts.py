"""accounts and payouts

Revision ID: 0001
Revises:
Create Date: 2026-09-02 10:12:44
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(length=120), nullable=False, unique=True),
        sa.Column("balance", sa.Float(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()),
    )
    payout_status = sa.Enum("pending", "sent", name="payout_status")
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("status", payout_status, nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("payouts")
    op.drop_table("accounts")
    sa.Enum(name="payout_status").drop(op.get_bind())
