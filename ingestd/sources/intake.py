"""Storing what a source yields: raw bytes first, one transaction per batch, one error policy
for every source (see ``base``).

One broken item never blocks the next: a file that cannot be read, a disk that is full for one
write, a row the database refuses are each reported with the item's reference, and the loop
goes on. Only an outage of the database itself (it cannot be reached at all) stops the pass,
because every later item would fail the same way; the source is polled again later and offers
again what was not settled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy.exc import DataError, IntegrityError

from ingestd.errors import one_line
from ingestd.logs import get_logger
from ingestd.sources.base import Broken, Incoming, Item, Source, Stored, batched
from ingestd.store.repo import Added, Store

log = get_logger("ingestd.intake")


@dataclass
class IngestSummary:
    new: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)


def _count(store: Store, source: str, item: Incoming, added: Added, summary: IngestSummary) -> None:
    if added.created:
        summary.new += 1
        summary.new_ids.append(added.id)
        log.info("stored", **store.logged(added.id), source=source, ref=item.ref)
    else:
        summary.already += 1


def _refused(source: str, item: Incoming, exc: Exception, summary: IngestSummary) -> None:
    if isinstance(exc, OSError):         # disk full, permissions: nothing half-stored
        summary.failed.append((item.ref, f"không lưu được: {exc.strerror or exc}"))
        log.error("cannot store", source=source, ref=item.ref, error=str(exc))
    else:                                # this row, not the database
        summary.failed.append((item.ref, "cơ sở dữ liệu từ chối bản ghi của thư này"))
        log.error("row refused", source=source, ref=item.ref, error=one_line(exc, 300))


def store_one(store: Store, source: str, item: Incoming, summary: IngestSummary) -> Added | None:
    """Store one message (raw first) and count it; None when it could not be stored."""
    try:
        added = store.add_raw(source, item.raw, item.received_at, item.ref)
    except (OSError, DataError, IntegrityError) as exc:
        _refused(source, item, exc, summary)
        return None
    _count(store, source, item, added, summary)
    return added


def store_batch(store: Store, source: str, batch: list[Item],
                summary: IngestSummary) -> list[Stored]:
    """Store a batch in one transaction; if the database refuses it, one by one, so only the
    refused row is left out."""
    out: list[Stored] = []
    incoming = [i for i in batch if isinstance(i, Incoming)]
    try:
        results = iter(store.add_raw_many(source, [(i.raw, i.received_at, i.ref)
                                                   for i in incoming]))
    except (DataError, IntegrityError):
        results = None
    for item in batch:
        if isinstance(item, Broken):
            summary.failed.append((item.ref, item.reason))
            log.warning("input skipped", source=source, ref=item.ref, reason=item.reason)
            out.append((item, None))
            continue
        if results is None:
            out.append((item, store_one(store, source, item, summary)))
            continue
        got = next(results)
        if isinstance(got, Exception):
            _refused(source, item, got, summary)
            out.append((item, None))
        else:
            _count(store, source, item, got, summary)
            out.append((item, got))
    return out


def store_incoming(store: Store, source: Source,
                   on_item: Callable[[str], None] | None = None) -> IngestSummary:
    """Every batch the source offers, stored and then settled; the source's health recorded.
    A failure of the backend itself (connection lost, folder gone) is recorded on the source
    and raised to the caller, who polls again later."""
    summary = IngestSummary()
    try:
        for batch in source.batches():
            stored = store_batch(store, source.key, batch, summary)
            source.settle(stored)
            if on_item:
                for item, _ in stored:
                    on_item(item.ref)
    except Exception as exc:
        if source.health:
            record_failure(store, [source.key], exc)
        raise
    if source.health:
        store.health.source_ok(source.key)
    return summary


def record_failure(store: Store, keys: list[str], exc: Exception | str) -> None:
    """A backend failure before any batch (IMAP cannot connect) on each source it stops:
    sources report their faults here, never to the store themselves."""
    text = one_line(exc)
    try:
        for key in keys:
            store.health.source_error(key, text)
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        pass


def record_alive(store: Store, key: str) -> None:
    """A source that waits on its server (IMAP IDLE) and hears from it is healthy."""
    store.health.source_ok(key)


class ItemsSource:
    """Any iterable of items as a source that needs nothing settled (``import``)."""

    def __init__(self, key: str, items: Iterable[Item], health: bool = False):
        self.key, self.items, self.health = key, items, health

    def batches(self) -> Iterator[list[Item]]:
        return batched(self.items)

    def settle(self, stored: list[Stored]) -> None:
        return None
