"""Clerks' decisions, an aggregate of their own: assignments, ignores, exemptions and
extensions, each kept in the audit trail when undone."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import col, select

from ingestd.errors import NotFoundError
from ingestd.ledger import Extension
from ingestd.store.db import Sessions, utcnow
from ingestd.store.models import Assignment, Receipt
from ingestd.vocabulary import ReceiptState


class Decisions:
    def __init__(self, session: Sessions):
        self.session = session

    def add(self, a: Assignment, mark_receipt: str | None = None) -> None:
        with self.session() as s:
            s.add(a)
            if a.receipt_id is not None and mark_receipt:
                row = s.get(Receipt, a.receipt_id)
                assert row is not None
                verb = "bỏ qua" if a.action == "ignore" else "gán"
                row.state, row.unit = mark_receipt, a.unit or row.unit
                row.reason = f"{verb} bởi {a.actor}" + (f": {a.reason}" if a.reason else "")
                s.add(row)
            s.commit()

    def undo(self, assignment_id: int, actor: str, reason: str | None) -> Assignment:
        """Mark a decision undone (it stays in the audit trail). The receipt, if any, goes back
        to ``new`` so the engine decides again with the current rules."""
        with self.session() as s:
            a = s.get(Assignment, assignment_id)
            if a is None or not a.active:
                raise NotFoundError(f"không có quyết định số {assignment_id} đang có hiệu lực")
            a.undone_at, a.undone_by, a.undo_reason = utcnow(), actor, reason
            s.add(a)
            if a.receipt_id is not None and a.action not in ("exempt", "extend"):
                still = s.exec(select(Assignment).where(
                    Assignment.receipt_id == a.receipt_id, col(Assignment.undone_at).is_(None),
                    Assignment.id != a.id, col(Assignment.exempt).is_(False))).first()
                if still is None:
                    row = s.get(Receipt, a.receipt_id)
                    assert row is not None
                    row.state, row.reason = ReceiptState.NEW, None
                    row.lease_owner, row.lease_until = None, None
                    s.add(row)
            s.commit()
            return a

    def of_receipts(self, receipt_ids: list[int]) -> list[Assignment]:
        out: list[Assignment] = []
        with self.session() as s:
            for i in range(0, len(receipt_ids), 500):
                out.extend(s.exec(select(Assignment).where(
                    col(Assignment.receipt_id).in_(receipt_ids[i:i + 500]))))
        return out

    def get(self, assignment_id: int) -> Assignment:
        with self.session() as s:
            a = s.get(Assignment, assignment_id)
        if a is None:
            raise NotFoundError(f"không có quyết định số {assignment_id}")
        return a

    def all(self, receipt_id: int | None = None) -> list[Assignment]:
        with self.session() as s:
            q = select(Assignment).order_by(col(Assignment.id))
            if receipt_id is not None:
                q = q.where(Assignment.receipt_id == receipt_id)
            return list(s.exec(q))

    def extensions(self) -> list[Extension]:
        """Extensions in force, for the ledger."""
        with self.session() as s:
            rows = s.exec(select(Assignment).where(Assignment.kind == "extend",
                                                   col(Assignment.undone_at).is_(None)))
            return [Extension(a.report, a.period, a.unit, a.extended_until, a.reason or "")
                    for a in rows if a.extended_until is not None]

    def exemptions(self, report: str | None = None, unit: str | None = None) -> list[Assignment]:
        """Exemptions and extensions in force (not undone), for a report and/or a unit."""
        with self.session() as s:
            q = select(Assignment).where(col(Assignment.undone_at).is_(None),
                                         or_(col(Assignment.kind).in_(("exempt", "extend")),
                                             (col(Assignment.kind).is_(None)) & col(Assignment.exempt)))
            if report is not None:
                q = q.where(Assignment.report == report)
            if unit is not None:
                q = q.where(Assignment.unit == unit)
            return list(s.exec(q.order_by(col(Assignment.id))))
