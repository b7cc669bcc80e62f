"""Engine creation (SQLite with WAL and synchronous=FULL, or PostgreSQL) and migrations.

Migrations are alembic revisions in ``store/migrations/versions`` (numbered 0001, 0002, ...),
run by ``migrate`` on every start, in one transaction, under a lock (two processes starting on
one database do not both migrate it). A new database is created from the models and stamped at
the head, as alembic advises; an older one is upgraded revision by revision. A database made
before alembic (its version in a ``schema_version`` table) is stamped at that revision first.
Revisions change existing tables; a table new in a release is created from the models.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, create_engine

from ingestd.errors import IngestdError
from ingestd.store import models

# A repository's way to its database: ``Store.session``.
Sessions = Callable[[], AbstractContextManager[Session]]


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


MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Revisions are numbered files, 0001_....py: the head is known without importing alembic, so a
# start on an up-to-date database (every CLI command) does not pay for it
REVISIONS = sorted(p.name[:4] for p in (MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
LATEST = int(REVISIONS[-1])


def _alembic(conn: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def _current(conn: Connection) -> str | None:
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> int:
    """Create or upgrade the schema; returns the version now in force."""
    _ = models  # the tables register themselves on import
    with _schema_lock(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7401001)"))
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" in tables:
            current = _current(conn)
            if current == REVISIONS[-1]:
                return LATEST                       # up to date: nothing to import or run
        elif "schema_version" in tables:           # made before alembic: its number
            number = conn.execute(text("SELECT version FROM schema_version WHERE id = 1")).scalar()
            current = f"{int(number or 1):04d}"
        else:
            from alembic import command

            SQLModel.metadata.create_all(conn)
            command.stamp(_alembic(conn), "head")
            return LATEST
        if current is not None and current not in REVISIONS:
            raise IngestdError(f"the database is at schema version {current}, newer than this "
                               f"ingestd ({LATEST:04d}); upgrade ingestd")
        from alembic import command

        cfg = _alembic(conn)
        if "alembic_version" not in tables:
            command.stamp(cfg, current or "0001")
            conn.execute(text("DROP TABLE schema_version"))
        command.upgrade(cfg, "head")
        SQLModel.metadata.create_all(conn)         # tables new in this release
        return LATEST


def schema_version(engine: Engine) -> int:
    """The revision the database is at, as a number (0: not created)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return 0
        current = _current(conn)
    return int(current) if current else 0
