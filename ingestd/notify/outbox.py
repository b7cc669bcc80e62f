"""The outbox: mail is queued once by key (``enqueue_mail``) and sent by ``send_outbox``, with
retries for temporary failures and a lease against two senders.

Crash rule (documented in the README): a row is claimed with a lease before sending. If the
process dies while a row is ``sending``, the row is sent again only after its lease has
expired, with the same Message-ID. The only window in which a unit can receive a reminder twice
is between the SMTP server accepting the message (250 after DATA) and the commit that marks the
row sent — milliseconds — and the duplicate carries the same Message-ID, so mail clients fold
it. Nothing is ever skipped: an unsent row stays queued until it is sent, dropped as stale (the
unit reported meanwhile, or the step's window passed) or failed (5xx).
"""

from __future__ import annotations

import email.policy
from datetime import datetime, timedelta

from ingestd.backoff import backoff_seconds
from ingestd.errors import DeliveryError, TransientDeliveryError
from ingestd.ledger import MISSING, PENDING
from ingestd.logs import get_logger
from ingestd.notify.mail import build, message_id_for
from ingestd.notify.transport import Transport, transport_for
from ingestd.services import Services
from ingestd.statusview import compute
from ingestd.store.db import from_db, to_db, utcnow
from ingestd.store.ids import owner_id
from ingestd.store.models import Outbox
from ingestd.store.outbox_repo import OutboxRepo

log = get_logger("ingestd.notify")
SMTP_POLICY = email.policy.SMTP     # CRLF line ends: smtplib sends bytes as they are
MAX_ATTEMPTS = 12


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
