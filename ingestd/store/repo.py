"""The store: raw blobs first, then rows. Every write is idempotent.

``add_raw`` writes the blob (fsynced) before the row is committed, so a crash between the two
leaves an orphan blob (harmless; the next add of the same bytes reuses it) and never a row
without its bytes. A receipt's identity is (source, sha256 of the raw bytes).

This module is the receipts aggregate (storing, leases, results, faults, the register's search
and what the ledger counts) and is longer than most for that reason: the other aggregates are
their own repositories (``decisions_repo``, ``health_repo``, ``outbox_repo``, ``accounts``,
``drafts_repo``).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    cast,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    union_all,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ingestd.backoff import backoff_seconds
from ingestd.errors import NotFoundError
from ingestd.evidence import MatchResult, ReportMatch
from ingestd.ledger import Counted, Exemption
from ingestd.read.document import Document
from ingestd.store.blobs import BlobStore
from ingestd.store.db import from_db, make_engine, migrate, to_db, utcnow
from ingestd.store.decisions_repo import Decisions
from ingestd.store.health_repo import Health
from ingestd.store.ids import rid
from ingestd.store.models import (
    Assignment,
    Receipt,
    ReceiptFault,
    ReceiptMatch,
)
from ingestd.vocabulary import ReceiptState

NEW = ReceiptState.NEW
QUARANTINE_AFTER = 3            # a message that crashed the reader this often is set aside
RETRY_OWNER = "retry"           # the lease owner of a receipt waiting for a retry


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=backoff_seconds(attempts, 30, 3600))


_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")
_HAS_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _sanitize(value: str) -> str:
    """Text as a row can hold it: no NUL (PostgreSQL refuses it) nor other control chars."""
    return value.translate(_CONTROL) if _HAS_CONTROL.search(value) else value


@event.listens_for(Session, "before_flush")
def _sanitize_rows(session: Session, _context: object, _instances: object) -> None:
    """Every text that goes into a row passes here: one hostile header (a NUL in Date: or
    Message-ID:) must not make every later insert fail on PostgreSQL."""
    for obj in list(session.new) + list(session.dirty):
        for key, value in vars(obj).items():
            if isinstance(value, str) and not key.startswith("_"):
                clean = _sanitize(value)
                if clean is not value and clean != value:
                    setattr(obj, key, clean)


@dataclass(frozen=True)
class Fault:
    """An infrastructure failure while reading one receipt: retried, never a verdict."""

    receipt_id: int
    kind: str              # storage (the blob cannot be read) | reader (the reader crashed)
    message: str


@dataclass(frozen=True)
class Outcome:
    """What reading and matching one receipt produced, ready to be saved."""

    receipt_id: int
    doc: Document | None            # None: keep the stored reading (re-match only)
    result: MatchResult

    @property
    def counted(self) -> list[ReportMatch]:
        """What the receipt counts for: its matches when matched, nothing otherwise."""
        return self.result.matches if self.result.state == ReceiptState.MATCHED else []


def _result_row(o: Outcome, now: datetime, message_id: str | None) -> dict[str, Any]:
    """The receipt columns an outcome sets (its reading, when it carries one, and its match);
    text sanitised as every ORM row is before a flush."""
    res = o.result
    row: dict[str, Any] = {"id": o.receipt_id, "read_at": now,   # data_version sees read_at
                           "state": res.state, "reason": res.reason, "unit": res.unit,
                           "lease_owner": None, "lease_until": None, "evidence": res.dumps()}
    if o.doc is not None:
        row.update(document=o.doc.to_json(), sender=o.doc.sender or o.doc.organ_id,
                   subject=o.doc.subject[:2000] if o.doc.subject else None,
                   own_number=o.doc.own_number, message_id=message_id or o.doc.message_id)
    return _sanitized(row)


def _sanitized(row: dict[str, Any]) -> dict[str, Any]:
    """A row's values as ``_sanitize_rows`` leaves an ORM object's: for bulk statements."""
    return {k: _sanitize(v) if isinstance(v, str) else v for k, v in row.items()}


@dataclass(frozen=True)
class RegisterFilter:
    """What a clerk searches the register by (every field optional)."""

    sender: str | None = None
    unit: str | None = None
    number: str | None = None           # the report's own number, or a number in the subject
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    states: tuple[str, ...] = ()


@dataclass(frozen=True)
class Added:
    id: int
    created: bool


def _quick_headers(raw: bytes) -> dict[str, str | None]:
    from ingestd.read.headers import header_block

    if raw[:65536].lstrip()[:1] == b"<":
        return {"message_id": None, "sender": None, "subject": None, "date": None}
    try:
        msg = header_block(raw, 65536)
        get = lambda k: " ".join(str(msg.get(k, "")).split())[:900] or None  # noqa: E731
        mid = get("Message-ID")
        return {"message_id": mid.strip("<>") if mid else None, "sender": None,
                "subject": None, "date": get("Date")}
    except Exception:  # noqa: BLE001 - headers are re-read properly later
        return {"message_id": None, "sender": None, "subject": None, "date": None}


class Store:
    def __init__(self, database_url: str, blobs: BlobStore):
        self.engine = make_engine(database_url)
        self.blobs = blobs
        self.version = migrate(self.engine)
        self.decisions = Decisions(self.session)
        self.health = Health(self.session)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()

    def logged(self, row_id: int) -> dict[str, object]:
        """How a row this store added is named in the logs."""
        return {"receipt": rid(row_id)}

    # -- receipts -----------------------------------------------------------------------------
    def add_raw(self, source: str, raw: bytes, received_at: datetime,
                source_ref: str | None = None) -> Added:
        """Store a message: blob first, then its row. Same (source, bytes) -> nothing new."""
        try:
            got = self.add_raw_many(source, [(raw, received_at, source_ref)])[0]
        except IntegrityError:                  # another process stored it meanwhile
            sha = hashlib.sha256(raw).hexdigest()
            with self.session() as s:
                existing = s.exec(select(Receipt.id).where(Receipt.source == source,
                                                           Receipt.sha256 == sha)).first()
            if existing is None:
                raise
            return Added(existing, False)
        if isinstance(got, OSError):
            raise got
        return got

    def add_raw_many(self, source: str, items: list[tuple[bytes, datetime, str | None]]
                     ) -> list[Added | OSError]:
        """Store a batch: every blob first (fsynced), then all their rows in one transaction.
        A blob that cannot be written is that item's OSError (its row is not added); a row the
        database refuses raises for the batch (store them one by one to find it)."""
        shas = [hashlib.sha256(raw).hexdigest() for raw, _, _ in items]
        with self.session() as s:
            known = dict(s.exec(select(Receipt.sha256, Receipt.id).where(
                Receipt.source == source, col(Receipt.sha256).in_(set(shas)))).all())
        out: list[Added | OSError | str] = []      # a str: the sha of a row to insert
        fresh: dict[str, dict[str, Any]] = {}
        now = utcnow()
        for sha, (raw, received_at, ref) in zip(shas, items):
            if sha in known:
                out.append(Added(known[sha], False))
            elif sha in fresh:                  # the same bytes twice in one batch
                out.append(Added(-1, False))
            else:
                try:
                    self.blobs.put(raw)
                except OSError as exc:
                    out.append(exc)
                    continue
                head = _quick_headers(raw)
                fresh[sha] = {"source": source, "sha256": sha, "message_id": head["message_id"],
                              "received_at": to_db(received_at), "stored_at": now,
                              "source_ref": ref, "size": len(raw), "date_header": head["date"],
                              "state": NEW}
                out.append(sha)
        ids: dict[str, int] = {}
        if fresh:                               # one INSERT … RETURNING for the batch
            with self.session() as s:
                made = s.exec(insert(Receipt).returning(Receipt.id, Receipt.sha256),
                              params=[_sanitized(row) for row in fresh.values()])
                ids = {sha: rid_ for rid_, sha in made}
                s.commit()
        return [Added(ids[o], True) if isinstance(o, str) else
                Added(ids[sha], False) if isinstance(o, Added) and o.id == -1 else o
                for sha, o in zip(shas, out)]

    def source_refs(self, source: str) -> set[str]:
        with self.session() as s:
            return {r for r in s.exec(select(Receipt.source_ref).where(Receipt.source == source))
                    if r}

    def claim_pending(self, owner: str, limit: int, lease_seconds: float = 300) -> list[int]:
        """Receipts still to read and match, each leased to ``owner``: with several daemons on
        one database every receipt is processed by one of them. An expired lease (a crashed
        node) is taken over. On PostgreSQL candidates are picked FOR UPDATE SKIP LOCKED."""
        now = utcnow()
        self._release_dead_local_leases()
        free = or_(col(Receipt.lease_until).is_(None), col(Receipt.lease_until) < now)
        claimed = []
        with self.session() as s:
            q = (select(Receipt.id).where(Receipt.state == NEW, free)
                 .order_by(col(Receipt.id)).limit(limit))
            if self.engine.dialect.name == "postgresql":
                q = q.with_for_update(skip_locked=True)
            ids = list(s.exec(q))
            if ids:
                res = s.exec(update(Receipt)
                             .where(col(Receipt.id).in_(ids), Receipt.state == NEW, free)
                             .values(lease_owner=owner,
                                     lease_until=now + timedelta(seconds=lease_seconds)))
                s.commit()
                if res.rowcount != len(ids):      # SQLite without row locks: re-check each
                    claimed = list(s.exec(select(Receipt.id).where(
                        col(Receipt.id).in_(ids), Receipt.lease_owner == owner)))
                    return sorted(claimed)
                claimed = ids
        return claimed

    def _release_dead_local_leases(self) -> None:
        """A lease held by a process of this host that no longer exists (kill -9) is freed at
        once instead of waiting for it to expire."""
        host = socket.gethostname()
        with self.session() as s:
            owners = set(s.exec(select(Receipt.lease_owner).where(
                Receipt.state == NEW, col(Receipt.lease_owner).like(f"{host}:%")).distinct()))
            dead = []
            for owner in owners:
                try:
                    os.kill(int(str(owner).rsplit(":", 1)[1]), 0)
                except ProcessLookupError:
                    dead.append(owner)
                except (ValueError, PermissionError):
                    continue
            if dead:
                s.exec(update(Receipt).where(col(Receipt.lease_owner).in_(dead))
                       .values(lease_owner=None, lease_until=None))
                s.commit()

    def all_ids(self) -> list[int]:
        with self.session() as s:
            return list(s.exec(select(Receipt.id).order_by(col(Receipt.id))))

    def get(self, receipt_id: int) -> Receipt:
        with self.session() as s:
            row = s.get(Receipt, receipt_id)
        if row is None:
            raise NotFoundError(f"không có biên nhận {rid(receipt_id)}; `ingestd receipts` liệt kê "
                                "các biên nhận")
        return row

    def raw(self, receipt: Receipt) -> bytes:
        return self.blobs.get(receipt.sha256)

    def save_results(self, results: list[Outcome]) -> None:
        """Record what reading and matching found, for a batch, in one transaction; replaces
        earlier matches (idempotent). One UPDATE by primary key for the batch: loading each
        row as an object only to set ten attributes cost more than the reading of the mail."""
        if not results:
            return
        ids = [o.receipt_id for o in results]
        now = utcnow()
        with self.session() as s:
            message_ids = dict(s.exec(sa_select(Receipt.id, Receipt.message_id)
                                      .where(col(Receipt.id).in_(ids))).all())
            s.exec(delete(ReceiptMatch).where(col(ReceiptMatch.receipt_id).in_(ids)))
            s.exec(delete(ReceiptFault).where(col(ReceiptFault.receipt_id).in_(ids)))
            present = [o for o in results if o.receipt_id in message_ids]
            if present:
                s.exec(update(Receipt), params=[_result_row(o, now, message_ids[o.receipt_id])
                                                for o in present])
            s.add_all(ReceiptMatch(receipt_id=o.receipt_id, report=m.report, period=m.period,
                                   unit=o.result.unit or "", confidence=m.confidence)
                      for o in present for m in o.counted)
            s.commit()

    def withdraw(self, document_id: str, unit: str, by: int) -> list[int]:
        """A unit revoked one of its documents (edXML BussinessDocType 1): its receipts with
        that DocumentId stop counting (state ignored, with the reason). Idempotent."""
        with self.session() as s:
            rows = list(s.exec(select(Receipt).where(
                Receipt.message_id == document_id, Receipt.unit == unit,
                Receipt.state == ReceiptState.MATCHED, Receipt.id != by)))
            for row in rows:
                row.state = ReceiptState.IGNORED
                row.reason = f"đã bị đơn vị thu hồi (gói thu hồi {rid(by)})"
                s.add(row)
            s.commit()
            return [r.id for r in rows if r.id is not None]

    def record_faults(self, faults: list[Fault]) -> list[int]:
        """Count an attempt for each, and lease the receipt to ``retry`` until its next try
        (so claim_pending leaves it alone meanwhile). A receipt whose reading crashed the
        reader ``QUARANTINE_AFTER`` times is quarantined: state failed, with the reason. A
        storage fault is retried for ever (an unmounted store must not misfile a backlog).
        Returns the ids quarantined now."""
        now, quarantined = utcnow(), []
        with self.session() as s:
            for f in faults:
                row = s.get(Receipt, f.receipt_id)
                if row is None:
                    continue
                fault = s.get(ReceiptFault, f.receipt_id) or ReceiptFault(
                    receipt_id=f.receipt_id, kind=f.kind, first_at=now, last_at=now)
                fault.kind, fault.last_error, fault.last_at = f.kind, f.message[:2000], now
                fault.attempts += 1
                row.lease_owner = RETRY_OWNER
                row.lease_until = now + retry_delay(fault.attempts)
                if f.kind == "reader" and fault.attempts >= QUARANTINE_AFTER:
                    fault.quarantined = True
                    row.state, row.lease_owner, row.lease_until = ReceiptState.FAILED, None, None
                    row.reason = (f"đã cách ly: việc đọc thư gặp sự cố {fault.attempts} lần "
                                  f"liên tiếp ({f.message[:200]}); cần kiểm tra thủ công")
                    quarantined.append(f.receipt_id)
                s.add(fault)
                s.add(row)
            s.commit()
        return quarantined

    def reader_faulted(self, ids: list[int]) -> set[int]:
        """Those of ``ids`` whose reading has crashed or stalled a reader before."""
        with self.session() as s:
            return set(s.exec(select(ReceiptFault.receipt_id).where(
                col(ReceiptFault.receipt_id).in_(ids), ReceiptFault.kind == "reader")))

    def faults(self) -> list[ReceiptFault]:
        with self.session() as s:
            return list(s.exec(select(ReceiptFault).order_by(col(ReceiptFault.last_at).desc())))

    def rows(self, ids: list[int]) -> list[Receipt]:
        with self.session() as s:
            found = {r.id: r for r in s.exec(select(Receipt).where(col(Receipt.id).in_(ids)))}
        return [found[i] for i in ids if i in found]

    def receipts(self, since: datetime | None = None, states: tuple[str, ...] | None = None,
                 limit: int | None = None) -> list[Receipt]:
        with self.session() as s:
            q = select(Receipt).order_by(col(Receipt.received_at), col(Receipt.id))
            if since is not None:
                q = q.where(Receipt.received_at >= to_db(since))
            if states:
                q = q.where(col(Receipt.state).in_(states))
            if limit:
                q = q.limit(limit)
            return list(s.exec(q))

    def search(self, f: RegisterFilter, offset: int = 0, limit: int | None = 50
               ) -> tuple[list[Receipt], int]:
        """The register, newest first, filtered in the database: (one page, how many in all)."""
        conds: list[Any] = []
        def contains(column: Any, text: str) -> Any:
            """Searched literally: ``%`` and ``_`` a clerk types are characters, not wildcards."""
            literal = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return col(column).ilike(f"%{literal}%", escape="\\")

        if f.sender:
            conds.append(contains(Receipt.sender, f.sender))
        if f.unit:
            conds.append(Receipt.unit == f.unit)
        if f.number:
            conds.append(or_(contains(Receipt.own_number, f.number),
                             contains(Receipt.subject, f.number)))
        if f.subject:
            conds.append(contains(Receipt.subject, f.subject))
        if f.since is not None:
            conds.append(Receipt.received_at >= to_db(f.since))
        if f.until is not None:
            conds.append(Receipt.received_at <= to_db(f.until))
        if f.states:
            conds.append(col(Receipt.state).in_(f.states))
        with self.session() as s:
            total = s.exec(select(func.count()).select_from(Receipt).where(*conds)).one()
            q = (select(Receipt).where(*conds)
                 .order_by(col(Receipt.received_at).desc(), col(Receipt.id).desc()).offset(offset))
            if limit is not None:
                q = q.limit(limit)
            return list(s.exec(q)), int(total)

    def matches_of(self, receipt_ids: list[int]) -> dict[int, list[ReceiptMatch]]:
        out: dict[int, list[ReceiptMatch]] = {}
        with self.session() as s:
            for i in range(0, len(receipt_ids), 500):
                chunk = receipt_ids[i:i + 500]
                for m in s.exec(select(ReceiptMatch).where(col(ReceiptMatch.receipt_id)
                                                           .in_(chunk))):
                    out.setdefault(m.receipt_id, []).append(m)
        return out

    def data_version(self) -> tuple[object, ...]:
        """Changes whenever anything the ledger counts may have changed: a receipt stored,
        read or matched again, a clerk's decision made or undone. Cheap (two aggregates), so a
        reader can keep a computed status until it changes."""
        with self.session() as s:
            receipts = s.execute(sa_select(func.count(), func.max(Receipt.id),
                                           func.max(Receipt.read_at))).one()
            decisions = s.execute(sa_select(func.count(), func.max(Assignment.id),
                                            func.max(Assignment.undone_at))).one()
        return (*receipts, *decisions)

    def count_by_state(self) -> dict[str, int]:
        with self.session() as s:
            rows = s.exec(select(Receipt.state, func.count()).group_by(Receipt.state))
            return {state: n for state, n in rows}

    # -- ledger input -------------------------------------------------------------------------
    def _counted_rows(self, now: datetime | None) -> Any:
        """(report, period, unit, receipt id, received_at, message_id) of everything that
        counts: the engine's matches of matched receipts, and clerks' active assignments (which
        replace the engine's matches of their receipt). Ignored receipts count for nothing."""
        active = and_(col(Assignment.undone_at).is_(None), col(Assignment.receipt_id).is_not(None))
        assign = and_(active, col(Assignment.exempt).is_(False),
                      or_(col(Assignment.kind).is_(None), Assignment.kind == "assign"))
        decided = select(Assignment.receipt_id).where(
            active, or_(assign, Assignment.kind == "ignore"))
        engine = (select(ReceiptMatch.report, ReceiptMatch.period, ReceiptMatch.unit,
                         Receipt.id.label("rid"), Receipt.received_at, Receipt.message_id)
                  .join(Receipt, col(ReceiptMatch.receipt_id) == col(Receipt.id))
                  .where(Receipt.state == ReceiptState.MATCHED, col(Receipt.id).not_in(decided)))
        clerks = (select(Assignment.report, Assignment.period, Assignment.unit,
                         Receipt.id.label("rid"), Receipt.received_at, Receipt.message_id)
                  .join(Receipt, col(Assignment.receipt_id) == col(Receipt.id)).where(assign))
        if now is not None:
            engine = engine.where(Receipt.received_at <= to_db(now))
            clerks = clerks.where(Receipt.received_at <= to_db(now))
        return union_all(engine, clerks).subquery("counted")

    def counted(self, now: datetime | None = None, first_only: bool = True
                ) -> tuple[list[Counted], list[Exemption]]:
        """What the ledger needs. ``first_only``: one row per (report, period, unit) -- the
        first receipt, with the number of distinct messages in ``copies`` -- computed in the
        database, so a status over 100,000 receipts does not load 100,000 rows."""
        u = self._counted_rows(now)
        key = (u.c.report, u.c.period, u.c.unit)
        counted: list[Counted] = []
        with self.session() as s:
            if not first_only:
                for report, period, unit, receipt_id, received, mid in s.execute(sa_select(u)):
                    counted.append(Counted(rid(receipt_id), report, period, unit,
                                           from_db(received), mid))
            else:
                distinct = func.count(func.distinct(func.coalesce(
                    u.c.message_id, literal("#", String) + cast(u.c.rid, String))))
                copies = {(r, p, un): n for r, p, un, n in
                          s.execute(sa_select(*key, distinct).group_by(*key))}
                rank = func.row_number().over(partition_by=key,
                                              order_by=(u.c.received_at, u.c.rid)).label("rank")
                ranked = sa_select(u, rank).subquery("ranked")
                for report, period, unit, receipt_id, received, mid, _ in s.execute(
                        sa_select(ranked).where(ranked.c.rank == 1)):
                    counted.append(Counted(rid(receipt_id), report, period, unit,
                                           from_db(received), mid,
                                           copies.get((report, period, unit), 1)))
            exemptions = [Exemption(a.report, a.period, a.unit, a.reason or "")
                          for a in s.exec(select(Assignment).where(
                              col(Assignment.exempt).is_(True),
                              col(Assignment.undone_at).is_(None)))]
        return counted, exemptions
