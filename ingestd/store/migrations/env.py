"""Alembic environment: ingestd runs migrations itself (``store.db.migrate``) on the
connection it opened, inside its schema lock; there is no alembic.ini to keep in sync."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from ingestd.store import models  # noqa: F401 - the tables register themselves

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
