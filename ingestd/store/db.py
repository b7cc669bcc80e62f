"""Engine creation (SQLite with WAL and synchronous=FULL, or PostgreSQL) and migrations.

Migrations are numbered steps; ``schema_version`` records the last applied. A new database is
created at the latest version; an older one is brought forward step by step in a transaction.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, create_engine, select

from ingestd.errors import IngestdError
from ingestd.store import models


def _v2_receipt_lease(conn: Connection) -> None:
    """v2: receipts are claimed with a lease, so two daemons on one database never read and
    match the same receipt at once."""
    columns = {c["name"] for c in inspect(conn).get_columns("receipt")}
    if "lease_owner" not in columns:
        conn.execute(text("ALTER TABLE receipt ADD COLUMN lease_owner VARCHAR(100)"))
    if "lease_until" not in columns:
        kind = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
        conn.execute(text(f"ALTER TABLE receipt ADD COLUMN lease_until {kind}"))


def _v3_decisions(conn: Connection) -> None:
    """v3: clerks' decisions can be ignores, and can be undone (who, when, why)."""
    columns = {c["name"] for c in inspect(conn).get_columns("assignment")}
    kind = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
    for name, sql in (("kind", "VARCHAR(20)"), ("undone_at", kind), ("undone_by", "VARCHAR(100)"),
                      ("undo_reason", "TEXT")):
        if name not in columns:
            conn.execute(text(f"ALTER TABLE assignment ADD COLUMN {name} {sql}"))


# Each step brings the schema from version i to i + 1. Version 1 is the initial schema; a new
# database is created from the models at the latest version directly.
MIGRATIONS: list[Callable[[Connection], None]] = [_v2_receipt_lease, _v3_decisions]
LATEST = 1 + len(MIGRATIONS)


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def from_db(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite hands them back without an offset."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    return engine


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[None]:
    """Two processes opening a new SQLite database must not both create it (PostgreSQL uses
    an advisory lock inside the transaction instead)."""
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:":
        yield
        return
    with open(f"{db}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def migrate(engine: Engine) -> int:
    """Create or upgrade the schema; returns the version now in force."""
    _ = models  # the tables register themselves on import
    with _schema_lock(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7401001)"))
        has_version = inspect(conn).has_table("schema_version")
        if not has_version:
            SQLModel.metadata.create_all(conn)
            conn.execute(text("INSERT INTO schema_version (id, version) VALUES (1, :v)"),
                         {"v": LATEST})
            return LATEST
        current = conn.execute(text("SELECT version FROM schema_version WHERE id = 1")).scalar()
        current = int(current or 1)
        if current > LATEST:
            raise IngestdError(f"the database is at schema version {current}, newer than this "
                               f"ingestd ({LATEST}); upgrade ingestd")
        for step in MIGRATIONS[current - 1:]:
            step(conn)
        SQLModel.metadata.create_all(conn)   # tables added by later versions
        conn.execute(text("UPDATE schema_version SET version = :v WHERE id = 1"), {"v": LATEST})
        return LATEST


def schema_version(engine: Engine) -> int:
    with Session(engine) as s:
        row = s.exec(select(models.SchemaVersion)).first()
        return row.version if row else 0
