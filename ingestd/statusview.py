"""The status of every report as the CLI, the digest and the reports show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingestd.calendar import explain_deadline, parse_period
from ingestd.ledger import EXEMPT, LATE, MISSING, ON_TIME, PENDING, ReportStatus, status_cells
from ingestd.services import Services
from ingestd.vocabulary import weekday_vi

STATUS_VI = {ON_TIME: "đúng hạn", LATE: "chậm", MISSING: "chưa gửi", PENDING: "chưa đến hạn",
             EXEMPT: "miễn"}


def compute(svc: Services, at: datetime, report: str | None = None,
            period: str | None = None, since: datetime | None = None) -> list[ReportStatus]:
    counted, exemptions = svc.store.counted(at)
    return status_cells(svc.rules, svc.calendar, counted, exemptions, at, report, period, since,
                        svc.store.decisions.extensions())


class Ledger:
    """The status of every (report, period) at one moment, computed on first use and shared by
    the jobs of one cycle (acknowledgements, reminders, the digest, the quarterly report)."""

    def __init__(self, svc: Services, at: datetime):
        self.svc, self.at = svc, at
        self._all: list[ReportStatus] | None = None

    def statuses(self, since: datetime | None = None) -> list[ReportStatus]:
        """What ``compute(svc, at, since=since)`` returns, from the one computation."""
        if self._all is None:
            self._all = compute(self.svc, self.at)
        return [s for s in self._all if since is None or s.due >= since]


def ledger_at(svc: Services, at: datetime, ledger: Ledger | None) -> Ledger:
    """The cycle's ledger when it is of ``at``, else a new one."""
    return ledger if ledger is not None and ledger.at == at else Ledger(svc, at)


def as_json(statuses: list[ReportStatus], at: datetime, svc: Services) -> dict[str, Any]:
    tz = svc.settings.timezone

    def iso(m: datetime | None) -> str | None:
        return m.astimezone(tz).isoformat(timespec="seconds") if m else None

    return {
        "as_of": iso(at),
        "reports": [{
            "directive": s.directive, "report": s.report, "period": s.period, "due": iso(s.due),
            "expected": len(s.cells), "received": s.received, "on_time": s.count(ON_TIME),
            "late": s.count(LATE), "missing": s.count(MISSING), "pending": s.count(PENDING),
            "exempt": s.count(EXEMPT),
            "units": [{"unit": c.unit, "status": c.status, "received_at": iso(c.received_at),
                       "days_late": c.days_late, "receipt": c.receipt,
                       "amendments": c.amendments} for c in s.cells],
        } for s in statuses],
    }


def summary_vi(s: ReportStatus) -> str:
    """e.g. '11/36 đã gửi, 9 chậm, 25 chưa gửi'."""
    parts = [f"{s.received}/{len(s.cells)} đã gửi"]
    if s.count(LATE):
        parts.append(f"{s.count(LATE)} chậm")
    if s.count(MISSING):
        parts.append(f"{s.count(MISSING)} chưa gửi")
    if s.count(PENDING):
        parts.append(f"{s.count(PENDING)} chưa đến hạn")
    if s.count(EXEMPT):
        parts.append(f"{s.count(EXEMPT)} miễn")
    return ", ".join(parts)


def due_vi(s: ReportStatus, svc: Services) -> str:
    due = s.due.astimezone(svc.settings.timezone)
    if (due.hour, due.minute) != (23, 59):
        return f"{due:%H:%M} {weekday_vi(due.date())}, {due:%d/%m/%Y}"
    return f"{weekday_vi(due.date())}, {due:%d/%m/%Y}"


def due_explained(s: ReportStatus, svc: Services) -> str:
    """How the deadline of ``s`` was computed (``calendar.explain_deadline``)."""
    report = svc.rules.reports[s.report]
    parsed = parse_period(s.period) if s.period else None
    return explain_deadline(report, parsed[1] if parsed else None, svc.rules.directive_of(report),
                            svc.calendar)
