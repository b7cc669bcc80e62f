"""Acknowledgements (biên nhận): when a report is counted, the unit gets one short mail saying
what was received, when the Office's system received it, and whether it is on time. Units stop
phoning to ask "did you get it?", and disputes about receipt time end.

One mail per counted receipt (outbox key ``ack:r-000123``): never twice, never for a receipt
in review. Only receipts received within ``[acknowledge] within_days`` of the moment of the run
are acknowledged, so a backfill of old mail sends nothing. The mail goes to the sender when
the engine matched it (the sender was verified for its unit); a receipt a clerk assigned (from
a personal box, say) is acknowledged to the unit's official addresses instead, so ingestd can
never be made to write to an address a stranger chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ingestd.calendar import days_late, deadline, parse_period
from ingestd.logs import get_logger
from ingestd.notify.outbox import enqueue_mail, send_outbox
from ingestd.notify.render import environment, render
from ingestd.registerview import receipt_dicts
from ingestd.services import Services
from ingestd.statusview import Ledger, ledger_at
from ingestd.store.db import from_db
from ingestd.store.ids import rid
from ingestd.store.outbox_repo import OutboxRepo
from ingestd.vocabulary import ReceiptState

log = get_logger("ingestd.notify")


@dataclass(frozen=True)
class AckLine:
    report: object
    directive: object
    period: str | None
    due: datetime
    status: str                 # in Vietnamese: đúng hạn / chậm N ngày / bản bổ sung


def queue_acknowledgements(svc: Services, at: datetime, ledger: Ledger | None = None) -> int:
    """Queue the acknowledgements due at ``at``; returns how many were queued."""
    cfg = svc.settings.acknowledge
    if not cfg.enabled:
        return 0
    rows = [r for r in svc.store.receipts(since=at - timedelta(days=cfg.within_days),
                                          states=(ReceiptState.MATCHED,))
            if from_db(r.received_at) <= at]
    if not rows:
        return 0
    repo = OutboxRepo(svc.store)
    rows = [r for r in rows if not repo.exists(f"ack:{rid(r.id or 0)}")]
    if not rows:
        return 0
    book, tz = svc.rules, svc.settings.timezone
    first = {(s.report, s.period, c.unit): c.receipt for s in ledger_at(svc, at, ledger).statuses()
             for c in s.cells}
    clerk_decided = {a.receipt_id for a in svc.store.decisions.of_receipts([r.id for r in rows if r.id])
                     if a.active and a.action == "assign"}
    env = environment(svc.settings.rules_dir, svc.settings.office)
    queued = 0
    for r, d in zip(rows, receipt_dicts(svc, rows)):
        unit = book.units.get(r.unit or "")
        if unit is None or not d["matches"]:
            continue
        received = from_db(r.received_at)
        lines = []
        for m in d["matches"]:
            report = book.reports.get(m["report"])
            if report is None:
                continue
            directive = book.directive_of(report)
            period = parse_period(m["period"])[1] if m["period"] else None
            due = deadline(report, period, directive, svc.calendar)
            late = days_late(received, due)
            if first.get((report.id, m["period"], unit.id)) not in (None, d["id"]):
                status = "bản bổ sung (báo cáo lần đầu đã được tính trước đó)"
            else:
                status = f"chậm {late} ngày so với hạn" if late else "đúng hạn"
            lines.append(AckLine(report, directive, m["period"], due.astimezone(tz), status))
        sender = r.sender if r.sender and "@" in r.sender else None
        to = [sender] if (cfg.to_sender and sender and r.id not in clerk_decided) else \
            list(unit.remind_to or unit.emails)
        if not lines or not to:
            log.warning("acknowledgement not sent: no address", receipt=d["id"], unit=unit.id)
            continue
        ctx = {"unit": unit, "rid": d["id"], "subject": r.subject or "", "lines": lines,
               "own_number": r.own_number, "received": received.astimezone(tz)}
        subject = render(env, "ack_subject.txt", **ctx).strip()
        if enqueue_mail(svc, f"ack:{d['id']}", "ack", to, [], subject,
                        render(env, "ack.txt", **ctx), render(env, "ack.html", **ctx), at,
                        unit=unit.id):
            queued += 1
    return queued


def run_acknowledgements(svc: Services, at: datetime, transport=None,  # type: ignore[no-untyped-def]
                         ledger: Ledger | None = None) -> int:
    queued = queue_acknowledgements(svc, at, ledger)
    send_outbox(svc, at, transport, kinds=("ack",))
    return queued
