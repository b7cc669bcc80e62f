"""The outgoing jobs: acknowledgements are in ``acks``; here reminders, the daily digest and
the quarterly report, each queued once by key in the outbox (``notify.outbox``) and sent. The
jobs of one cycle share one ``Ledger`` (the status of every report at that moment)."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from ingestd.notify.digest import build_digest
from ingestd.notify.outbox import enqueue_mail, send_outbox
from ingestd.notify.quarterly_job import quarterly_job
from ingestd.notify.reminders import Reminder, due_reminders
from ingestd.notify.render import environment, render
from ingestd.notify.transport import Transport
from ingestd.services import Services
from ingestd.statusview import Ledger, ledger_at
from ingestd.store.db import to_db
from ingestd.store.outbox_repo import OutboxRepo


def plan_reminders(svc: Services, at: datetime, ledger: Ledger | None = None
                   ) -> list[tuple[Reminder, str]]:
    """(reminder, subject) for every reminder due at ``at`` and not queued before; nothing is
    queued here."""
    statuses = ledger_at(svc, at, ledger).statuses()
    env = environment(svc.settings.rules_dir, svc.settings.office)
    repo = OutboxRepo(svc.store)
    out = []
    for r in due_reminders(svc.rules, svc.calendar, statuses, at):
        if repo.exists(r.key):
            continue
        out.append((r, render(env, "reminder_subject.txt", **_context(svc, r, "")).strip()))
    return out


def _context(svc: Services, r: Reminder, subject: str) -> dict[str, object]:
    book = svc.rules
    report = book.reports[r.report]
    return {"unit": book.units[r.unit], "report": report, "directive": book.directive_of(report),
            "period": r.period, "due": r.due.astimezone(svc.settings.timezone),
            "overdue": r.overdue, "days_late": r.days_late,
            "reply_to": parseaddr(svc.settings.from_address)[1] or "vanthu", "key": r.key, "subject": subject}


def queue_reminders(svc: Services, at: datetime, ledger: Ledger | None = None) -> int:
    env = environment(svc.settings.rules_dir, svc.settings.office)
    queued = 0
    for r, subject in plan_reminders(svc, at, ledger):      # keys queued before are left out there
        ctx = _context(svc, r, subject)
        if enqueue_mail(svc, r.key, "reminder", list(r.to), list(r.cc), subject,
                        render(env, "reminder.txt", **ctx), render(env, "reminder.html", **ctx),
                        at, report=r.report, period=r.period, unit=r.unit, step=r.step,
                        stale_at=to_db(r.stale_at)):
            queued += 1
    return queued


def run_reminders(svc: Services, at: datetime, transport: Transport | None = None,
                  ledger: Ledger | None = None) -> int:
    queue_reminders(svc, at, ledger)
    return send_outbox(svc, at, transport)


def digest_due(svc: Services, at: datetime) -> bool:
    local = at.astimezone(svc.settings.timezone)
    h, m = (int(x) for x in svc.settings.digest.time.split(":"))
    return (local.hour, local.minute) >= (h, m)


def run_digest(svc: Services, at: datetime, force: bool = False,
               transport: Transport | None = None, ledger: Ledger | None = None) -> bool:
    """Queue and send the digest for ``at``'s day, once per day. True when queued now."""
    recipients = list(svc.settings.digest.to)
    if not recipients or not (force or digest_due(svc, at)):
        return False
    day = at.astimezone(svc.settings.timezone).date()
    key = f"digest:{day.isoformat()}"
    repo = OutboxRepo(svc.store)
    if repo.exists(key):
        send_outbox(svc, at, transport, kinds=("digest",))
        return False
    d = build_digest(svc, at, ledger)
    queued = enqueue_mail(svc, key, "digest", recipients, [], d.subject, d.text, d.html, at)
    send_outbox(svc, at, transport, kinds=("digest",))
    return queued


def run_quarterly(svc: Services, at: datetime, transport: Transport | None = None,
                  ledger: Ledger | None = None) -> str | None:
    """Generate and mail the compliance report for the quarter that ended, once, on the
    configured working day of the following month. Returns the quarter label when queued."""
    return quarterly_job(svc, at, transport, ledger=ledger)
