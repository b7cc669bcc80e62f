"""v3: clerks' decisions can be ignores, and can be undone (who, when, why).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("assignment")}
    with op.batch_alter_table("assignment") as table:
        for name, kind in (("kind", sa.String(20)), ("undone_at", sa.DateTime(timezone=True)),
                           ("undone_by", sa.String(100)), ("undo_reason", sa.Text())):
            if name not in columns:
                table.add_column(sa.Column(name, kind, nullable=True))
