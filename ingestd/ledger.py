"""Status per (report, period, unit) from counted receipts. Pure: ``now`` is passed in.

The first counted receipt decides on_time / late; later ones are amendments (bổ sung). The
same message arriving twice (same Message-ID, e.g. by two mailboxes) counts once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ingestd.calendar import Period, WorkCalendar, days_late, deadline, periods
from ingestd.rules.model import Report, Rulebook

ON_TIME, LATE, MISSING, PENDING, EXEMPT = "on_time", "late", "missing", "pending", "exempt"


@dataclass(frozen=True)
class Counted:
    receipt: str               # display id, r-000123
    report: str
    period: str | None
    unit: str
    received_at: datetime      # aware
    message_id: str | None = None
    copies: int = 1            # distinct messages this row stands for (the store's summary)


@dataclass(frozen=True)
class Exemption:
    report: str
    period: str | None         # None: every period
    unit: str
    reason: str


@dataclass(frozen=True)
class Extension:
    """A clerk granted a unit more time for a report: judged against ``until`` (the end of
    that day, rolled forward from a day off) instead of the deadline."""

    report: str
    period: str | None         # None: a one-off report
    unit: str
    until: date
    reason: str


@dataclass
class Cell:
    unit: str
    status: str
    received_at: datetime | None = None
    days_late: int = 0
    receipt: str | None = None
    amendments: int = 0
    reason: str | None = None
    extended_until: date | None = None


@dataclass
class ReportStatus:
    directive: str
    report: str
    title: str
    period: str | None
    due: datetime
    cells: list[Cell] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for c in self.cells if c.status == status)

    @property
    def received(self) -> int:
        return self.count(ON_TIME) + self.count(LATE)


def report_periods(report: Report, now: datetime, cal: WorkCalendar) -> list[Period | None]:
    if not report.periodic:
        return [None]
    return list(periods(report, cal.local(now).date()))


def status_cells(book: Rulebook, cal: WorkCalendar, counted: list[Counted],
                 exemptions: list[Exemption], now: datetime,
                 only_report: str | None = None, only_period: str | None = None,
                 since: datetime | None = None,
                 extensions: list[Extension] | tuple[Extension, ...] = ()) -> list[ReportStatus]:
    """Every (report, period) with one cell per expected unit. ``since`` keeps only
    (report, period) whose deadline is at or after it (for ranges such as a quarter).
    A unit with an ``extension`` is judged against its new deadline."""
    by_key: dict[tuple[str, str | None, str], list[Counted]] = {}
    for c in counted:
        if c.received_at <= now:
            by_key.setdefault((c.report, c.period, c.unit), []).append(c)
    exempt = {(e.report, e.period, e.unit): e.reason for e in exemptions}
    extended = {(x.report, x.period, x.unit): x for x in extensions}
    out = []
    for directive in book.directives:
        for report in directive.reports:
            if only_report and report.id != only_report:
                continue
            for period in report_periods(report, now, cal):
                label = period.label if period else None
                if only_period and label != only_period:
                    continue
                due = deadline(report, period, directive, cal)
                if since is not None and due < since:
                    continue
                rs = ReportStatus(directive.number, report.id, report.title, label, due)
                due_day = cal.local(due).date()
                for unit in report.units:
                    if not book.expected(unit, report, due_day):
                        continue          # did not exist on that deadline: owed nothing
                    ext = extended.get((report.id, label, unit))
                    cell_due = due if ext is None else max(due, cal.end_of_day(cal.roll_forward(ext.until)))
                    cell = _cell(unit, by_key.get((report.id, label, unit), []),
                                 exempt.get((report.id, label, unit), exempt.get((report.id, None, unit))),
                                 cell_due, now)
                    if ext is not None and cell.status != EXEMPT:
                        cell.extended_until = ext.until
                        cell.reason = f"được gia hạn đến {ext.until:%d/%m/%Y}: {ext.reason}"
                    rs.cells.append(cell)
                out.append(rs)
    return out


def _cell(unit: str, receipts: list[Counted], exempt_reason: str | None, due: datetime,
          now: datetime) -> Cell:
    if exempt_reason is not None:
        return Cell(unit, EXEMPT, reason=exempt_reason)
    if not receipts:
        return Cell(unit, MISSING if now > due else PENDING)
    seen: set[str] = set()
    distinct = []
    for c in sorted(receipts, key=lambda c: (c.received_at, c.receipt)):
        key = c.message_id or c.receipt
        if key not in seen:
            seen.add(key)
            distinct.append(c)
    first = distinct[0]
    late = days_late(first.received_at, due)
    return Cell(unit, LATE if first.received_at > due else ON_TIME, first.received_at, late,
                first.receipt, sum(c.copies for c in distinct) - 1)

