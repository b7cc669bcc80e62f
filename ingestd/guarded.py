"""One error policy for the daemon's work (polls, processing, drafting, jobs, the heartbeat),
declared once as APScheduler 4 declares its transient errors: a fault of the world — the disk
(``OSError``: full, read-only, permissions), the database (``SQLAlchemyError``: locked, down),
a server, a file a user broke (``IngestdError``) — is logged on one line, handed to whoever
records it, and the work is tried again at its next run. It never ends the daemon nor becomes
a verdict about a message. Anything else is a bug and propagates."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from ingestd.errors import IngestdError, one_line
from ingestd.logs import get_logger

FAULTS: tuple[type[BaseException], ...] = (IngestdError, OSError, SQLAlchemyError)
T = TypeVar("T")
log = get_logger("ingestd.daemon")


def guarded(what: str, fn: Callable[[], T], default: T,
            on_fault: Callable[[str], None] | None = None, **context: object) -> T:
    """``fn()``, or ``default`` after a fault: logged as "<what> failed", then ``on_fault``
    (itself guarded: the database that failed may be where the fault would be written)."""
    try:
        return fn()
    except FAULTS as exc:
        message = one_line(exc)
        log.error(f"{what} failed", error=message, **context)
        if on_fault is not None:
            try:
                on_fault(message)
            except FAULTS:
                pass
        return default
