"""Which unit owes what it sent: the unit named by the report and existing on its deadline,
an earlier holder of the same address, or a successor (units over time)."""

from __future__ import annotations

from ingestd.calendar import WorkCalendar, deadline, parse_period
from ingestd.evidence import ReportMatch
from ingestd.read.document import Document
from ingestd.rules.model import Rulebook, Unit


def owner_over_time(doc: Document, book: Rulebook, cal: WorkCalendar, unit: Unit,
                     matches: list[ReportMatch]) -> tuple[Unit, str] | None:
    """When the unit the address belongs to today does not owe these reports, the one that
    does: an earlier holder of the same address or gateway id (a late report from the old box,
    for a period the old unit owed), else a successor (the old unit no longer exists)."""
    address, organ = (doc.sender or "").lower(), (doc.organ_id or "").strip().lower()
    holders = [u for u in book.units.values() if u.id != unit.id and (
        (address and address in u.emails) or (organ and organ in (o.lower() for o in u.organ_ids)))]
    for u in holders:
        if all(owes(book, cal, u, m) for m in matches):
            return u, f"{u.id}: đơn vị phải gửi báo cáo kỳ này, gửi từ địa chỉ cũ (nay thuộc {unit.id})"
    for u in book.successors(unit.id):
        if all(owes(book, cal, u, m) for m in matches):
            until = f" (đã thôi hoạt động từ sau {unit.valid_until:%d/%m/%Y})" if unit.valid_until else ""
            return u, f"{u.id}: đơn vị kế thừa của {unit.id}{until}, nhận nghĩa vụ báo cáo này"
    return None


def owes(book: Rulebook, cal: WorkCalendar, unit: Unit, m: ReportMatch) -> bool:
    """The unit owes this (report, period): named by the report and existing on its deadline."""
    report = book.reports[m.report]
    parsed = parse_period(m.period) if m.period else None
    due = deadline(report, parsed[1] if parsed else None, book.directive_of(report), cal)
    return book.expected(unit.id, report, cal.local(due).date())
