"""The daily digest staff read instead of opening the CLI: yesterday's receipts, each open
report (counts, who is late or missing by unit group), deadlines in the next 7 days, the review
queue, source health, failed reloads and the reminders sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ingestd.daemon_health import fault_line, fault_summary, source_health
from ingestd.evidence import read_evidence
from ingestd.ledger import EXEMPT, LATE, MISSING, ON_TIME, PENDING
from ingestd.notify.render import environment, render
from ingestd.services import Services
from ingestd.statusview import Ledger, ledger_at
from ingestd.store.db import from_db
from ingestd.store.drafts_repo import DraftsRepo
from ingestd.store.ids import rid
from ingestd.store.outbox_repo import SENT, OutboxRepo
from ingestd.vocabulary import REVIEW_STATES, SIGNATURE_VI

OPEN_WINDOW_DAYS = 90
LIST_LIMIT = 12          # names shown per group before "… và N đơn vị khác"


def _collapsed(groups: dict[str, list[str]]) -> tuple[list[tuple[str, list[str]]], dict[str, int]]:
    """Per group, the names to show and the true count: a merged province has a hundred
    communes, and a digest that lists a hundred names a day hides the few that matter."""
    shown, counts = [], {}
    for group, names in sorted(groups.items()):
        counts[group] = len(names)
        if len(names) > LIST_LIMIT:
            names = [*names[:LIST_LIMIT], f"… và {len(names) - LIST_LIMIT} đơn vị khác "
                                          "(xem bảng điều khiển)"]
        shown.append((group, names))
    return shown, counts


@dataclass
class Digest:
    day: date
    subject: str
    text: str
    html: str
    data: dict[str, Any] = field(default_factory=dict)


def digest_data(svc: Services, at: datetime, ledger: Ledger | None = None) -> dict[str, Any]:
    tz = svc.settings.timezone
    local_at = at.astimezone(tz)
    today = local_at.date()
    start_y = datetime.combine(today - timedelta(days=1), datetime.min.time(), tzinfo=tz)
    start_t = start_y + timedelta(days=1)
    book = svc.rules
    names = {u.id: u.name for u in book.units.values()}

    def group_of(unit_id: str) -> str:
        unit = book.units.get(unit_id)
        g = unit.groups[0] if unit and unit.groups else ""
        return book.groups.get(g, "Khác")

    received = []
    for r in svc.store.receipts(since=start_y):
        when = from_db(r.received_at)
        if when >= start_t or when > at:
            continue
        signature = read_evidence(r.evidence).signature
        received.append({"id": rid(r.id or 0), "time": when.astimezone(tz).strftime("%H:%M"),
                         "who": names.get(r.unit or "", r.sender or ""),
                         "subject": r.subject or "", "state": r.state, "reason": r.reason,
                         "signature": SIGNATURE_VI.get(signature.status) if signature else None})

    statuses = ledger_at(svc, at, ledger).statuses(since=at - timedelta(days=OPEN_WINDOW_DAYS))
    open_reports, upcoming = [], []
    for s in statuses:
        late = [c for c in s.cells if c.status == LATE]
        missing = [c for c in s.cells if c.status == MISSING]
        pending = [c for c in s.cells if c.status == PENDING]
        if not (missing or pending):
            continue
        by_group: dict[str, list[str]] = {}
        for c in missing:
            by_group.setdefault(group_of(c.unit), []).append(names.get(c.unit, c.unit))
        late_groups: dict[str, list[str]] = {}
        for c in late:
            late_groups.setdefault(group_of(c.unit), []).append(
                f"{names.get(c.unit, c.unit)} ({c.days_late} ngày)")
        extended = [f"{names.get(c.unit, c.unit)} (đến {c.extended_until:%d/%m/%Y})"
                    for c in s.cells if c.extended_until is not None]
        missing_shown, missing_counts = _collapsed(by_group)
        late_shown, late_counts = _collapsed(late_groups)
        entry = {
            "directive": s.directive, "report": s.report, "title": s.title, "period": s.period,
            "due": s.due.astimezone(tz), "expected": len(s.cells), "received": s.received,
            "on_time": s.count(ON_TIME), "late": len(late), "missing": len(missing),
            "pending": len(pending), "exempt": s.count(EXEMPT),
            "missing_by_group": missing_shown, "missing_counts": missing_counts,
            "late_by_group": late_shown, "late_counts": late_counts, "extended": extended,
            "overdue": at > s.due,
        }
        open_reports.append(entry)
        if at <= s.due <= at + timedelta(days=7):
            upcoming.append(entry)

    review = [{"id": rid(r.id or 0), "sender": r.sender or "", "subject": r.subject or "",
               "reason": r.reason or "", "state": r.state}
              for r in svc.store.receipts(states=REVIEW_STATES)]
    # what the runs of this day sent: a run acting "--at" a past moment sends now, so the moment
    # it acted for (next_attempt_at, set when queued) counts as well as the moment it was sent
    def this_day(o: Any) -> bool:
        moments = [from_db(m) for m in (o.sent_at, o.next_attempt_at) if m is not None]
        return any(start_y <= m <= at for m in moments)

    sent = [o for o in OutboxRepo(svc.store).rows(kind="reminder") if o.state == SENT and this_day(o)]
    per_report: dict[str, int] = {}
    titles = {r.id: r.title for r in svc.rules.reports.values()}
    for o in sent:
        title = titles.get(o.report or "", o.report or "?")
        per_report[title] = per_report.get(title, 0) + 1
    events = [{"at": from_db(e.at).astimezone(tz).strftime("%d/%m %H:%M"), "kind": e.kind,
               "message": e.message} for e in svc.store.health.events(at - timedelta(days=1))]
    health = source_health(svc, at)
    fault = fault_line(fault_summary(svc))
    overdue = [o for o in open_reports if o["overdue"] and o["missing"]]
    attention = []
    if overdue:
        attention.append(f"{len(overdue)} báo cáo đã quá hạn còn thiếu "
                         f"{sum(o['missing'] for o in overdue)} lượt đơn vị chưa gửi")
    if review:
        attention.append(f"{len(review)} thư chờ xem xét")
    drafts = [{"number": d.number or "(chưa rõ số)",
               "date": d.doc_date.strftime("%d/%m/%Y") if d.doc_date else "", "title": d.title or ""}
              for d in DraftsRepo(svc.store).offered()]
    if drafts:
        attention.append(f"{len(drafts)} văn bản chỉ đạo chờ lập quy tắc")
    stale = [h["source"] for h in health if h["stale"]]
    if stale:
        attention.append("nguồn thư không nhận được thư: " + ", ".join(stale))
    if fault:
        attention.append(fault)
    return {
        "attention": attention,
        "today": today, "yesterday": today - timedelta(days=1), "at": local_at,
        "received": received, "open_reports": open_reports, "upcoming": upcoming,
        "review": review, "drafts": drafts, "sources": health, "events": events, "fault": fault,
        "reminders_sent": len(sent), "reminders_by_report": sorted(per_report.items()),
    }


def build_digest(svc: Services, at: datetime, ledger: Ledger | None = None) -> Digest:
    data = digest_data(svc, at, ledger)
    env = environment(svc.settings.rules_dir, svc.settings.office)
    subject = render(env, "digest_subject.txt", **data).strip()
    return Digest(data["today"], subject, render(env, "digest.txt", **data),
                  render(env, "digest.html", subject=subject, **data), data)
