"""v1: the schema ingestd was first released with (the baseline: databases created before
alembic are stamped at the version their schema_version table recorded).

Revision ID: 0001
"""

from __future__ import annotations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """A database is never built from here: a new one is created from the models and stamped
    at the head (alembic's advice); an old one starts at the revision it already has."""
