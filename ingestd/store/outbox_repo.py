"""The outbox table: queue once per key, claim with a lease, record the outcome.

Claiming is a compare-and-set UPDATE (``WHERE state = 'queued' OR lease expired``), atomic on
SQLite and PostgreSQL alike, so two daemons on one database never send the same row at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from ingestd.store.db import to_db, utcnow
from ingestd.store.models import Outbox
from ingestd.store.repo import Store

QUEUED, SENDING, SENT, FAILED, DROPPED = "queued", "sending", "sent", "failed", "dropped"


class OutboxRepo:
    def __init__(self, store: Store):
        self.store = store

    def enqueue(self, item: Outbox) -> bool:
        """Queue a message; False when its key was queued before (never twice)."""
        with self.store.session() as s:
            if s.exec(select(Outbox.id).where(Outbox.key == item.key)).first() is not None:
                return False
            s.add(item)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return False
            return True

    def exists(self, key: str) -> bool:
        with self.store.session() as s:
            return s.exec(select(Outbox.id).where(Outbox.key == key)).first() is not None

    def claim(self, owner: str, lease_seconds: float, limit: int,
              kinds: tuple[str, ...] | None = None) -> list[Outbox]:
        """Take up to ``limit`` rows that are due: queued ones whose time has come, and ones
        left in ``sending`` by a crashed sender whose lease has expired."""
        now = utcnow()
        claimed = []
        with self.store.session() as s:
            q = (select(Outbox.id).where(or_(
                    (Outbox.state == QUEUED) & (col(Outbox.next_attempt_at) <= now),
                    (Outbox.state == SENDING) & (col(Outbox.lease_until) < now)))
                 .order_by(col(Outbox.id)).limit(limit))
            if kinds:
                q = q.where(col(Outbox.kind).in_(kinds))
            ids = list(s.exec(q))
            for oid in ids:
                res = s.exec(update(Outbox).where(
                    col(Outbox.id) == oid,
                    or_(Outbox.state == QUEUED,
                        (Outbox.state == SENDING) & (col(Outbox.lease_until) < now)))
                    .values(state=SENDING, lease_owner=owner,
                            lease_until=now + timedelta(seconds=lease_seconds),
                            attempts=Outbox.attempts + 1))  # type: ignore[call-overload]
                s.commit()
                if res.rowcount == 1:
                    row = s.get(Outbox, oid)
                    s.refresh(row)
                    claimed.append(row)
        return claimed

    def _finish(self, oid: int, owner: str, **values: object) -> bool:
        with self.store.session() as s:
            res = s.exec(update(Outbox).where(col(Outbox.id) == oid, Outbox.lease_owner == owner,
                                              Outbox.state == SENDING)
                         .values(lease_owner=None, lease_until=None, **values))  # type: ignore[call-overload]
            s.commit()
            return res.rowcount == 1

    def mark_sent(self, oid: int, owner: str) -> bool:
        return self._finish(oid, owner, state=SENT, sent_at=utcnow(), last_error=None)

    def mark_retry(self, oid: int, owner: str, error: str, at: datetime) -> bool:
        return self._finish(oid, owner, state=QUEUED, next_attempt_at=to_db(at),
                            last_error=error[:2000])

    def mark_failed(self, oid: int, owner: str, error: str) -> bool:
        return self._finish(oid, owner, state=FAILED, last_error=error[:2000])

    def drop(self, oid: int, owner: str, reason: str) -> bool:
        return self._finish(oid, owner, state=DROPPED, last_error=reason)

    def rows(self, kind: str | None = None, since: datetime | None = None,
             states: tuple[str, ...] | None = None) -> list[Outbox]:
        with self.store.session() as s:
            q = select(Outbox).order_by(col(Outbox.id))
            if kind:
                q = q.where(Outbox.kind == kind)
            if since is not None:
                q = q.where(Outbox.created_at >= to_db(since))
            if states:
                q = q.where(col(Outbox.state).in_(states))
            return list(s.exec(q))

    def counts(self) -> dict[str, int]:
        with self.store.session() as s:
            return dict(s.exec(select(Outbox.state, func.count()).group_by(Outbox.state)).all())
