"""payout amounts as Numeric, fees, win rate and the audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-09-20 16:40:02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Float lost cents on large payouts: amounts are Numeric from now on.
    op.alter_column("payouts", "amount", existing_type=sa.Float(), type_=sa.Numeric(18, 8),
                    existing_nullable=False)
    with op.batch_alter_table("payouts") as batch_op:
        batch_op.add_column(sa.Column("fee", sa.Numeric(18, 8), nullable=False, server_default="0"))
    op.add_column("accounts", sa.Column("win_rate", sa.Float(), nullable=True))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("accounts.id")),
        sa.Column("delta", sa.Numeric(18, 8), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_column("accounts", "win_rate")
    op.drop_column("payouts", "fee")
    op.alter_column("payouts", "amount", existing_type=sa.Numeric(18, 8), type_=sa.Float())
