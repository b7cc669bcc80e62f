"""What every source is: something that yields the messages it holds, in batches, and is told
afterwards which of them were stored.

A source never touches the database. ``intake.store_incoming`` owns storing (raw bytes first,
one transaction per batch), counting, the error policy (one bad item never blocks the next)
and the source's health row; the source only reads its backend and, once a batch is committed,
does what its backend needs (IMAP: flag or move and remember the last UID; the gateway: move
each file to processed/ or failed/). A message the store could not take is not settled, so
the next poll offers it again: nothing is lost between a backend and the ledger.

Backends, one module each: ``imap`` (IMAP folders), ``maildir`` (a Maildir the local MTA
delivers to), ``gateway`` (the e-document gateway's drop folder), ``files`` (``import``: .eml,
mbox, Maildir and edXML files named on the command line).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ingestd.store.repo import Added

BATCH = 50          # messages stored in one transaction


@dataclass(frozen=True)
class Incoming:
    raw: bytes
    received_at: datetime          # aware: when the official system received it
    ref: str                       # where it came from (file name, UIDVALIDITY:UID, ...)


@dataclass(frozen=True)
class Broken:
    """An item the source could not even read (a link, a FIFO, an unreadable mbox entry)."""

    ref: str
    reason: str


Item = Incoming | Broken
Stored = tuple[Item, Added | None]      # None: not stored (the reason is in the summary)


class Source(Protocol):
    key: str                       # "imap:account/folder", "maildir:name", "gateway:name", ...
    health: bool                   # record polls in source_state (daemon sources, not import)

    def batches(self) -> Iterator[list[Item]]:
        """The messages not yet settled, a batch at a time, oldest first."""
        ...

    def settle(self, stored: list[Stored]) -> None:
        """Called after a batch's receipts are committed; ``stored`` is in batch order."""
        ...


def batched(items: Iterable[Item], size: int = BATCH) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
