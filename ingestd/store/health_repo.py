"""The daemon's own health, an aggregate of its own: each source's state (last poll that
worked, last error, IMAP's UIDVALIDITY and last UID) and the events worth telling staff
(a reload that failed, a job that failed, a rules file saved)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from ingestd.store.db import Sessions, to_db, utcnow
from ingestd.store.models import Event, SourceState


class Health:
    def __init__(self, session: Sessions):
        self.session = session

    def source_state(self, key: str) -> SourceState:
        with self.session() as s:
            return s.get(SourceState, key) or SourceState(key=key)

    def source_states(self) -> list[SourceState]:
        with self.session() as s:
            return list(s.exec(select(SourceState).order_by(col(SourceState.key))))

    def save_source_state(self, state: SourceState) -> None:
        with self.session() as s:
            s.merge(state)
            s.commit()

    def source_ok(self, key: str, at: datetime | None = None) -> None:
        state = self.source_state(key)
        state.last_ok_at = to_db(at) if at else utcnow()
        self.save_source_state(state)

    def source_error(self, key: str, message: str) -> None:
        state = self.source_state(key)
        state.last_error, state.last_error_at = message[:2000], utcnow()
        self.save_source_state(state)

    def add_event(self, kind: str, message: str) -> None:
        with self.session() as s:
            s.add(Event(at=utcnow(), kind=kind, message=message))
            s.commit()

    def events(self, since: datetime) -> list[Event]:
        with self.session() as s:
            return list(s.exec(select(Event).where(Event.at >= to_db(since))
                               .order_by(col(Event.at))))
