"""v5: documents the Office sends (outgoing sources) and the directive drafts made from them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "directive_draft" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "directive_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source_ref", sa.String(500), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("number", sa.String(100), nullable=True),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("toml", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("saved_file", sa.String(300), nullable=True),
        sa.Column("saved_by", sa.String(100), nullable=True),
        sa.Column("saved_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("source", "sha256", name="uq_draft_source_sha"),
    )
    op.create_index("ix_draft_state", "directive_draft", ["state", "id"])


def downgrade() -> None:
    op.drop_index("ix_draft_state", "directive_draft")
    op.drop_table("directive_draft")
