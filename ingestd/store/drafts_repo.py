"""The documents the Office sends and the directive drafts made from them (``directive_draft``).

``OutgoingStore`` stands where the sources expect a ``Store``: what an outgoing IMAP folder or
gateway folder yields is stored here (raw bytes in the blob store first, then its row; the
same bytes from the same source once), never as a receipt, so nothing the Office sends is ever
counted as a report. Everything else a source asks (its UID state, its health) goes to the
store itself."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from ingestd.store.db import to_db, utcnow
from ingestd.store.models import DirectiveDraft
from ingestd.store.repo import Added, Store

NEW, OFFERED, DUPLICATE, KNOWN, NOT_DIRECTIVE, SAVED = (
    "new", "offered", "duplicate", "known", "not_directive", "saved")
MAX_ATTEMPTS = 5           # a document that keeps failing to be read is reported, then left


@dataclass(frozen=True)
class Drafted:
    """What drafting one stored document concluded."""

    state: str
    number: str | None = None
    doc_date: date | None = None
    title: str | None = None
    toml: str | None = None
    evidence: str | None = None
    reason: str | None = None


class OutgoingStore:
    def __init__(self, store: Store):
        self.store = store

    def __getattr__(self, name: str) -> object:      # source_state, source_ok, ... of the store
        return getattr(self.store, name)

    def logged(self, row_id: int) -> dict[str, object]:
        return {"outgoing_document": row_id}

    def add_raw(self, source: str, raw: bytes, received_at: datetime,
                source_ref: str | None = None) -> Added:
        got = self.add_raw_many(source, [(raw, received_at, source_ref)])[0]
        if isinstance(got, OSError):
            raise got
        return got

    def add_raw_many(self, source: str, items: list[tuple[bytes, datetime, str | None]]
                     ) -> list[Added | OSError]:
        out: list[Added | OSError] = []
        for raw, received_at, ref in items:
            sha = hashlib.sha256(raw).hexdigest()
            with self.store.session() as s:
                known = s.exec(select(DirectiveDraft.id).where(
                    DirectiveDraft.source == source, DirectiveDraft.sha256 == sha)).first()
                if known is not None:
                    out.append(Added(known, False))
                    continue
                try:
                    self.store.blobs.put(raw)
                except OSError as exc:
                    out.append(exc)
                    continue
                row = DirectiveDraft(source=source, sha256=sha, source_ref=ref,
                                     received_at=to_db(received_at), stored_at=utcnow())
                s.add(row)
                try:
                    s.commit()
                except IntegrityError:                 # another process stored it meanwhile
                    s.rollback()
                    again = s.exec(select(DirectiveDraft.id).where(
                        DirectiveDraft.source == source, DirectiveDraft.sha256 == sha)).one()
                    out.append(Added(again, False))
                    continue
                assert row.id is not None
                out.append(Added(row.id, True))
        return out


class DraftsRepo:
    def __init__(self, store: Store):
        self.store = store

    def pending(self, limit: int = 20) -> list[DirectiveDraft]:
        with self.store.session() as s:
            return list(s.exec(select(DirectiveDraft).where(
                DirectiveDraft.state == NEW, DirectiveDraft.attempts < MAX_ATTEMPTS)
                .order_by(col(DirectiveDraft.id)).limit(limit)))

    def raw(self, row: DirectiveDraft) -> bytes:
        return self.store.blobs.get(row.sha256)

    def on_offer(self, doc_date: date | None) -> list[DirectiveDraft]:
        """Drafts offered or saved for a directive of that date (a copy sent twice is one)."""
        with self.store.session() as s:
            return list(s.exec(select(DirectiveDraft).where(
                col(DirectiveDraft.state).in_([OFFERED, SAVED]), DirectiveDraft.doc_date == doc_date)))

    def record(self, draft_id: int, result: Drafted) -> None:
        with self.store.session() as s:
            row = s.get(DirectiveDraft, draft_id)
            if row is None or row.state != NEW:
                return
            row.state, row.number, row.doc_date = result.state, result.number, result.doc_date
            row.title, row.toml, row.evidence, row.reason = (result.title, result.toml,
                                                             result.evidence, result.reason)
            s.add(row)
            s.commit()

    def fault(self, draft_id: int, reason: str) -> None:
        """Reading failed for a reason of ours (a crashed reader, the disk): not a verdict
        about the document; it stays new and is tried again."""
        with self.store.session() as s:
            row = s.get(DirectiveDraft, draft_id)
            if row is None:
                return
            row.attempts += 1
            row.reason = reason[:2000]
            s.add(row)
            s.commit()

    def offered(self) -> list[DirectiveDraft]:
        with self.store.session() as s:
            return list(s.exec(select(DirectiveDraft).where(DirectiveDraft.state == OFFERED)
                               .order_by(col(DirectiveDraft.doc_date).desc(), col(DirectiveDraft.id))))

    def recent(self, limit: int = 50) -> list[DirectiveDraft]:
        with self.store.session() as s:
            return list(s.exec(select(DirectiveDraft).where(DirectiveDraft.state != OFFERED)
                               .order_by(col(DirectiveDraft.id).desc()).limit(limit)))

    def get(self, draft_id: int) -> DirectiveDraft | None:
        with self.store.session() as s:
            return s.get(DirectiveDraft, draft_id)

    def mark_saved(self, draft_id: int, file: str, actor: str) -> bool:
        """Saved into the rules by ``actor``; False when it was not on offer any more."""
        with self.store.session() as s:
            row = s.get(DirectiveDraft, draft_id)
            if row is None or row.state != OFFERED:
                return False
            row.state, row.saved_file, row.saved_by, row.saved_at = SAVED, file, actor, utcnow()
            s.add(row)
            s.commit()
            return True

    def retire(self, is_known: Callable[[DirectiveDraft], bool]) -> int:
        """Drafts whose directive is now in the rules (saved by hand, or from another node)
        are no longer offered."""
        n = 0
        with self.store.session() as s:
            for row in s.exec(select(DirectiveDraft).where(DirectiveDraft.state == OFFERED)):
                if is_known(row):
                    row.state = KNOWN
                    s.add(row)
                    n += 1
            s.commit()
        return n
