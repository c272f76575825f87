"""payout status 'paid'

Revision ID: 0003
Revises: 0002
Create Date: 2026-10-11 09:03:51
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TYPE payout_status ADD VALUE 'paid'")


def downgrade() -> None:
    pass  # PostgreSQL cannot drop an enum value
