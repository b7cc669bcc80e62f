"""v4: a clerk may grant an extension: a decision of kind "extend" with the new deadline.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("assignment")}
    if "extended_until" not in columns:
        with op.batch_alter_table("assignment") as table:
            table.add_column(sa.Column("extended_until", sa.Date(), nullable=True))
