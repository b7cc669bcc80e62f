"""The outgoing jobs: reminders, the daily digest, the quarterly report; and the sender that
drains the outbox.

Crash rule for the outbox (documented in the README): a row is claimed with a lease before
sending. If the process dies while a row is ``sending``, the row is sent again only after its
lease has expired, with the same Message-ID. The only window in which a unit can receive a
reminder twice is between the SMTP server accepting the message (250 after DATA) and the
commit that marks the row sent — milliseconds — and the duplicate carries the same Message-ID,
so mail clients fold it. Nothing is ever skipped: an unsent row stays queued until it is sent,
dropped as stale (the unit reported meanwhile, or the step's window passed) or failed (5xx).
"""

from __future__ import annotations

import email.policy
from datetime import datetime, timedelta
from email.utils import parseaddr

import structlog

from ingestd.backoff import backoff_seconds
from ingestd.errors import DeliveryError, TransientDeliveryError
from ingestd.ledger import MISSING, PENDING
from ingestd.notify.digest import build_digest
from ingestd.notify.mail import build, message_id_for
from ingestd.notify.reminders import Reminder, due_reminders
from ingestd.notify.render import environment, render
from ingestd.notify.transport import Transport, transport_for
from ingestd.services import Services
from ingestd.statusview import compute
from ingestd.store.db import from_db, to_db, utcnow
from ingestd.store.models import Outbox
from ingestd.store.outbox_repo import OutboxRepo
from ingestd.store.repo import owner_id

log = structlog.get_logger("ingestd.notify")
SMTP_POLICY = email.policy.SMTP     # CRLF line ends: smtplib sends bytes as they are
MAX_ATTEMPTS = 12


def plan_reminders(svc: Services, at: datetime) -> list[tuple[Reminder, str]]:
    """(reminder, subject) for every reminder due at ``at`` and not queued before; nothing is
    queued here."""
    statuses = compute(svc, at)
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


def enqueue_mail(svc: Services, key: str, kind: str, to: list[str], cc: list[str], subject: str,
                 text: str, html: str | None, at: datetime,
                 attachments: list[tuple[str, bytes, str]] | None = None,
                 **meta: object) -> bool:
    """Build a message with a Message-ID derived from ``key`` and queue it once; False when the
    key was queued before. ``meta``: report, period, unit, step, stale_at of a reminder."""
    sender = svc.settings.from_address
    mid = message_id_for(key, sender)
    msg = build(sender, to, cc, subject, text, html, mid, at, attachments)
    return OutboxRepo(svc.store).enqueue(Outbox(
        key=key, kind=kind, message_id=mid, recipients=", ".join(to + cc), subject=subject,
        raw=msg.as_bytes(policy=SMTP_POLICY), next_attempt_at=to_db(at), created_at=utcnow(),
        **meta))


def queue_reminders(svc: Services, at: datetime) -> int:
    env = environment(svc.settings.rules_dir, svc.settings.office)
    queued = 0
    for r, subject in plan_reminders(svc, at):      # keys queued before are left out there
        ctx = _context(svc, r, subject)
        if enqueue_mail(svc, r.key, "reminder", list(r.to), list(r.cc), subject,
                        render(env, "reminder.txt", **ctx), render(env, "reminder.html", **ctx),
                        at, report=r.report, period=r.period, unit=r.unit, step=r.step,
                        stale_at=to_db(r.stale_at)):
            queued += 1
    return queued


def send_outbox(svc: Services, at: datetime, transport: Transport | None = None,
                kinds: tuple[str, ...] | None = None) -> int:
    """Send what is due; returns how many were delivered."""
    transport = transport or transport_for(svc.settings.smtp, svc.settings.outbox_dir)
    repo = OutboxRepo(svc.store)
    smtp = svc.settings.smtp
    limit = smtp.max_per_run if smtp else 10_000
    lease = (smtp.timeout_seconds * 2 + 5) if smtp else 30
    retry = smtp.retry_seconds if smtp else 60
    owner = owner_id()
    cells = None
    sent = 0
    for row in repo.claim(owner, lease, limit, kinds):
        assert row.id is not None
        if row.kind == "reminder":
            if cells is None:
                cells = {(s.report, s.period, c.unit): c.status
                         for s in compute(svc, max(at, datetime.now(at.tzinfo)))
                         for c in s.cells}
            status = cells.get((row.report, row.period, row.unit))
            if status not in (MISSING, PENDING):
                repo.drop(row.id, owner, f"stale: the unit's status is now {status}")
                log.info("reminder dropped: unit reported", key=row.key)
                continue
            if row.stale_at and at > from_db(row.stale_at):
                repo.drop(row.id, owner, "stale: the step's window has passed")
                log.info("reminder dropped: window passed", key=row.key)
                continue
        sender = svc.settings.from_address
        try:
            transport.send(row.raw, sender, [a.strip() for a in row.recipients.split(",")
                                             if a.strip()], row.key)
        except TransientDeliveryError as exc:
            if row.attempts >= MAX_ATTEMPTS:
                repo.mark_failed(row.id, owner, f"gave up after {row.attempts} tries: {exc}")
                log.error("mail failed for good", key=row.key, error=str(exc))
            else:
                delay = backoff_seconds(row.attempts, retry, 3600)
                repo.mark_retry(row.id, owner, str(exc), utcnow() + timedelta(seconds=delay))
                log.warning("mail deferred; will retry", key=row.key, error=str(exc),
                            retry_in_s=delay)
            continue
        except DeliveryError as exc:
            repo.mark_failed(row.id, owner, str(exc))
            log.error("mail refused", key=row.key, error=str(exc))
            continue
        repo.mark_sent(row.id, owner)
        sent += 1
        log.info("mail sent", key=row.key, kind=row.kind, to=row.recipients,
                 transport=transport.name)
    return sent


def run_reminders(svc: Services, at: datetime, transport: Transport | None = None) -> int:
    queue_reminders(svc, at)
    return send_outbox(svc, at, transport)


def digest_due(svc: Services, at: datetime) -> bool:
    local = at.astimezone(svc.settings.timezone)
    h, m = (int(x) for x in svc.settings.digest.time.split(":"))
    return (local.hour, local.minute) >= (h, m)


def run_digest(svc: Services, at: datetime, force: bool = False,
               transport: Transport | None = None) -> bool:
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
    d = build_digest(svc, at)
    queued = enqueue_mail(svc, key, "digest", recipients, [], d.subject, d.text, d.html, at)
    send_outbox(svc, at, transport, kinds=("digest",))
    return queued


def run_quarterly(svc: Services, at: datetime, transport: Transport | None = None) -> str | None:
    """Generate and mail the compliance report for the quarter that ended, once, on the
    configured working day of the following month. Returns the quarter label when queued."""
    from ingestd.notify.quarterly_job import quarterly_job

    return quarterly_job(svc, at, transport)
