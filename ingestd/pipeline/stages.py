"""The stages after storing, each a small function: claim -> read -> match -> record.

``claim`` and ``record`` run in the daemon (they touch the database); ``read_and_match`` runs
in a reader process (it touches only the stored bytes and the rules it was given), so a hostile
message can cost a reader, never the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ingestd.calendar import WorkCalendar
from ingestd.logs import get_logger
from ingestd.match import match
from ingestd.read import guarded_extract, read_message
from ingestd.read.document import Document
from ingestd.read.limits import ReadLimits
from ingestd.rules.model import Rulebook
from ingestd.sender_trust import Trust
from ingestd.services import Services
from ingestd.sources.kinds import trusted_channel
from ingestd.store.db import from_db
from ingestd.store.ids import rid
from ingestd.store.models import Receipt
from ingestd.store.repo import Fault, Outcome, Store
from ingestd.vocabulary import ReceiptState

log = get_logger("ingestd.pipeline")


@dataclass(frozen=True)
class Context:
    """What a reader needs to read and match: the rules in force when the pass started."""

    rules: Rulebook
    calendar: WorkCalendar
    trust: Trust
    limits: ReadLimits


def context(svc: Services) -> Context:
    return Context(svc.rules, svc.calendar, svc.settings.trust, svc.settings.limits)


@dataclass(frozen=True)
class Job:
    """One stored message to read and match. ``careful``: its reading crashed a reader before,
    so each attachment is read in a child of its own (the rest of the message survives a part
    that kills its reader)."""

    receipt_id: int
    path: str
    received_at: datetime
    source: str
    careful: bool = False


@dataclass
class ProcessSummary:
    processed: int = 0
    faults: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


# -- claim ------------------------------------------------------------------------------------

def claim(store: Store, owner: str, limit: int) -> list[Job]:
    """Lease up to ``limit`` receipts in state new to ``owner`` and describe them as jobs."""
    ids = store.claim_pending(owner, limit)
    if not ids:
        return []
    crashed = store.reader_faulted(ids)
    return [job_of(store, r, r.id in crashed) for r in store.rows(ids) if r.id is not None]


def job_of(store: Store, row: Receipt, careful: bool = False) -> Job:
    assert row.id is not None
    return Job(row.id, str(store.blobs.path(row.sha256)), from_db(row.received_at), row.source,
               careful)


# -- read and match (in a reader process) -----------------------------------------------------

def read_blob(job: Job, limits: ReadLimits) -> Document | Fault:
    """The stored bytes, read. A blob that cannot be read or a reader that raises is a Fault
    (retried), never a Document: an unmounted store must not become review verdicts."""
    try:
        raw = Path(job.path).read_bytes()
    except OSError as exc:
        return Fault(job.receipt_id, "storage", f"cannot read the stored message: "
                                                f"{exc.strerror or exc}")
    try:
        if job.careful:
            return read_message(raw, limits)        # every attachment in a child of its own
        return read_message(raw, limits, extract_fn=guarded_extract)
    except Exception as exc:  # noqa: BLE001 - a reader bug: retried, then quarantined
        return Fault(job.receipt_id, "reader", f"reader failed: {type(exc).__name__}: "
                                               f"{str(exc)[:300]}")


def outcome(ctx: Context, receipt_id: int, doc: Document, received: datetime, source: str,
            keep_doc: bool = True) -> Outcome:
    result = match(doc, ctx.rules, ctx.calendar, received, ctx.trust,
                   via_gateway=trusted_channel(source))
    return Outcome(receipt_id, doc if keep_doc else None, result)


def read_and_match(job: Job, ctx: Context) -> Outcome | Fault:
    """Read one stored message and match it (both CPU-bound, so both run in the reader)."""
    doc = read_blob(job, ctx.limits)
    if isinstance(doc, Fault):
        return doc
    return outcome(ctx, job.receipt_id, doc, job.received_at, job.source)


# -- record -----------------------------------------------------------------------------------

def record(store: Store, results: list[Outcome | Fault], sources: dict[int, str],
           summary: ProcessSummary) -> None:
    """Save a batch of results in one transaction; faults are counted for retry."""
    outcomes = [o for o in results if isinstance(o, Outcome)]
    faults = [f for f in results if isinstance(f, Fault)]
    store.save_results(outcomes)
    for o in outcomes:
        revoked, unit = o.result.revokes, o.result.unit
        if revoked and unit:
            for target in store.withdraw(revoked, unit, o.receipt_id):
                log.info("withdrawn by a revocation", receipt=rid(target), by=rid(o.receipt_id))
    for o in outcomes:
        summary.processed += 1
        res = o.result
        summary.by_state[res.state] = summary.by_state.get(res.state, 0) + 1
        log.info("matched" if res.state == ReceiptState.MATCHED else f"to {res.state}",
                 receipt=rid(o.receipt_id), source=sources.get(o.receipt_id), unit=res.unit,
                 reports=[m.report for m in o.counted], reason=res.reason)
    if faults:
        quarantined = set(store.record_faults(faults))
        for f in faults:
            summary.faults += 1
            log.error("reading fault: will retry" if f.receipt_id not in quarantined else
                      "reading fault: quarantined", receipt=rid(f.receipt_id), kind=f.kind,
                      source=sources.get(f.receipt_id), error=f.message)
