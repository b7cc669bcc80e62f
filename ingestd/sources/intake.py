"""Storing what a source yields: raw bytes first, one error policy for every item.

One broken item never blocks the next: a file that cannot be read, a disk that is full for one
write, a row the database refuses are each reported with the item's reference, and the loop
goes on. Only an outage of the database itself (it cannot be reached at all) stops the pass,
because every later item would fail the same way; the source is polled again later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import structlog
from sqlalchemy.exc import DataError, IntegrityError

from ingestd.sources.files import Broken, Incoming
from ingestd.store.repo import Added, Store, rid

log = structlog.get_logger("ingestd.intake")


@dataclass
class IngestSummary:
    new: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def store_one(store: Store, source: str, item: Incoming, summary: IngestSummary) -> Added | None:
    """Store one message (raw first) and count it; None when it could not be stored (the
    reason is in ``summary.failed``, the source goes on with the next)."""
    try:
        added = store.add_raw(source, item.raw, item.received_at, item.ref)
    except OSError as exc:              # disk full, permissions: nothing half-stored
        summary.failed.append((item.ref, f"không lưu được: {exc.strerror or exc}"))
        log.error("cannot store", source=source, ref=item.ref, error=str(exc))
        return None
    except (DataError, IntegrityError) as exc:      # this row, not the database
        summary.failed.append((item.ref, "cơ sở dữ liệu từ chối bản ghi của thư này"))
        log.error("row refused", source=source, ref=item.ref,
                  error=" ".join(str(exc).split())[:300])
        return None
    if added.created:
        summary.new += 1
        log.info("stored", receipt=rid(added.id), source=source, ref=item.ref)
    else:
        summary.already += 1
    return added


def store_incoming(store: Store, source: str, items: Iterable[Incoming | Broken],
                   on_item: Callable[[str], None] | None = None) -> IngestSummary:
    summary = IngestSummary()
    for item in items:
        if isinstance(item, Broken):
            summary.failed.append((item.ref, item.reason))
            log.warning("input skipped", source=source, ref=item.ref, reason=item.reason)
        else:
            store_one(store, source, item, summary)
        if on_item:
            on_item(getattr(item, "ref", ""))
    return summary
