"""v2: receipts are claimed with a lease, so two daemons on one database never read and match
the same receipt at once.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("receipt")}
    with op.batch_alter_table("receipt") as table:
        if "lease_owner" not in columns:
            table.add_column(sa.Column("lease_owner", sa.String(100), nullable=True))
        if "lease_until" not in columns:
            table.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
