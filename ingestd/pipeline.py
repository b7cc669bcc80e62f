"""The ingest pipeline: store raw -> read -> match -> record. Each stage is idempotent.

``ingest`` only stores (raw bytes first); ``process_pending`` reads and matches every receipt
still in state ``new``, so a crash anywhere is repaired by running it again.
Reading runs in a pool of worker processes (one per core by default): it is the costly part.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import structlog

from ingestd.calendar import WorkCalendar
from ingestd.match import match
from ingestd.read import read_message
from ingestd.read.document import Document
from ingestd.read.limits import ReadLimits
from ingestd.read.sandbox import die_with_parent
from ingestd.rules.model import Rulebook
from ingestd.services import Services
from ingestd.sources.files import Broken, Incoming
from ingestd.sources.intake import IngestSummary, store_incoming
from ingestd.store.db import from_db
from ingestd.store.models import Receipt
from ingestd.store.repo import Fault, Outcome, owner_id, rid
from ingestd.vocabulary import ReceiptState

log = structlog.get_logger("ingestd.pipeline")
RECYCLE_BATCHES = 4             # fresh reader processes every 4 batches (flat memory)
READER_DIED = "the reader process died"


def ingest(svc: Services, source: str, items: Iterable[Incoming | Broken],
           on_item: Callable[[str], None] | None = None) -> IngestSummary:
    """Store every incoming message (raw first). Broken inputs are reported, not fatal."""
    return store_incoming(svc.store, source, items, on_item)


def _read_blob(path: str, limits: ReadLimits, receipt_id: int) -> Document | Fault:
    """The stored bytes, read. A blob that cannot be read or a reader that raises is a Fault
    (retried), never a Document: an unmounted store must not become review verdicts."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return Fault(receipt_id, "storage", f"cannot read the stored message: "
                                            f"{exc.strerror or exc}")
    try:
        return read_message(raw, limits)
    except Exception as exc:  # noqa: BLE001 - a reader bug: retried, then quarantined
        return Fault(receipt_id, "reader", f"reader failed: {type(exc).__name__}: "
                                           f"{str(exc)[:300]}")


@dataclass(frozen=True)
class _Context:
    """What a worker needs to read and match: the rules in force when the pool started."""

    rules: Rulebook
    calendar: WorkCalendar
    authserv_id: str | None
    limits: ReadLimits


_WORKER: _Context | None = None     # set in each pool worker by _init_worker


def _init_worker(ctx: _Context) -> None:
    global _WORKER
    _WORKER = ctx
    die_with_parent()


def _outcome(ctx: _Context, receipt_id: int, doc: Document, received: datetime, source: str,
             keep_doc: bool = True) -> Outcome:
    result = match(doc, ctx.rules, ctx.calendar, received, ctx.authserv_id,
                   via_gateway=source.startswith("gateway:"))
    return Outcome(receipt_id, doc if keep_doc else None, result.state, result.reason,
                   result.unit, result.to_dict(),
                   [(m.report, m.period, m.confidence) for m in result.matches]
                   if result.state == ReceiptState.MATCHED else [])


Job = tuple[int, str, datetime, str]     # receipt id, blob path, received at, source


def _read_and_match(job: Job, ctx: _Context | None = None) -> Outcome | Fault:
    """Worker: read one stored message and match it (both CPU-bound, so both run here)."""
    ctx = ctx or _WORKER
    assert ctx is not None
    receipt_id, path, received, source = job
    doc = _read_blob(path, ctx.limits, receipt_id)
    if isinstance(doc, Fault):
        return doc
    return _outcome(ctx, receipt_id, doc, received, source)


def _context(svc: Services) -> _Context:
    return _Context(svc.rules, svc.calendar, svc.settings.authserv_id, svc.settings.limits)


def _record(svc: Services, results: list[Outcome | Fault], sources: dict[int, str],
            summary: ProcessSummary) -> None:
    outcomes = [o for o in results if isinstance(o, Outcome)]
    faults = [f for f in results if isinstance(f, Fault)]
    svc.store.save_results(outcomes)
    for o in outcomes:
        revoked = o.evidence.get("revokes") if isinstance(o.evidence, dict) else None
        if revoked and o.unit:
            for target in svc.store.withdraw(str(revoked), o.unit, o.receipt_id):
                log.info("withdrawn by a revocation", receipt=rid(target), by=rid(o.receipt_id))
    for o in outcomes:
        summary.processed += 1
        summary.by_state[o.state] = summary.by_state.get(o.state, 0) + 1
        log.info("matched" if o.state == ReceiptState.MATCHED else f"to {o.state}",
                 receipt=rid(o.receipt_id), source=sources.get(o.receipt_id), unit=o.unit,
                 reports=[m[0] for m in o.matches], reason=o.reason)
    if faults:
        quarantined = set(svc.store.record_faults(faults))
        for f in faults:
            summary.faults += 1
            log.error("reading fault: will retry" if f.receipt_id not in quarantined else
                      "reading fault: quarantined", receipt=rid(f.receipt_id), kind=f.kind,
                      source=sources.get(f.receipt_id), error=f.message)


@dataclass
class ProcessSummary:
    processed: int = 0
    faults: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


def _collect(rows: list[Receipt], work: list[Future[Outcome | Fault] | Outcome | Fault],
             stopping: bool) -> list[Outcome | Fault]:
    """Results of one batch. A reader process that died (BrokenProcessPool) is a fault of
    each receipt it left unfinished, not a verdict about the message."""
    done: list[Outcome | Fault] = []
    for row, item in zip(rows, work):
        if not isinstance(item, Future):
            done.append(item)
            continue
        if stopping and not item.done():
            item.cancel()          # its lease lapses; the next run takes it up
            continue
        try:
            done.append(item.result())
        except BrokenProcessPool:
            assert row.id is not None
            done.append(Fault(row.id, "reader", READER_DIED))
    return done


def _new_pool(svc: Services, ctx: _Context) -> ProcessPoolExecutor:
    # fork: workers inherit the imported parsers and die with this process (PR_SET_PDEATHSIG).
    # forkserver would avoid forking a threaded daemon, but its server outlives a kill -9 of
    # the parent with every worker under it (tried; see issue 16); the context pickles for it.
    return ProcessPoolExecutor(svc.settings.workers, mp_context=mp.get_context("fork"),
                               initializer=_init_worker, initargs=(ctx,))


def process_pending(svc: Services, stop: threading.Event | None = None,
                    batch: int = 64) -> ProcessSummary:
    """Read and match every receipt in state ``new``. Workers read and match; this process
    claims the next batch while they work and saves each finished batch in one transaction,
    so the workers are not left idle at batch boundaries."""
    summary = ProcessSummary()
    ctx = _context(svc)
    owner = owner_id()
    parallel = svc.settings.workers > 1
    pool: ProcessPoolExecutor | None = None
    inflight: deque[tuple[list[Receipt], list]] = deque()
    batches, exhausted = 0, False
    try:
        while True:
            stopping = bool(stop and stop.is_set())
            recycle_due = pool is not None and batches >= RECYCLE_BATCHES
            if not stopping and not exhausted and len(inflight) < 2 and not recycle_due:
                ids = svc.store.claim_pending(owner, batch)
                if ids:
                    rows = [r for r in svc.store.rows(ids) if r.id is not None]
                    jobs: list[Job] = [(r.id, str(svc.store.blobs.path(r.sha256)),  # type: ignore[misc]
                                        from_db(r.received_at), r.source) for r in rows]
                    if parallel and pool is None:
                        pool = _new_pool(svc, ctx)
                    work = ([pool.submit(_read_and_match, job) for job in jobs] if pool
                            is not None else [_read_and_match(job, ctx) for job in jobs])
                    inflight.append((rows, work))
                    batches += 1
                    continue
                exhausted = True
            if not inflight:
                break
            rows, work = inflight.popleft()
            done = _collect(rows, work, stopping)
            _record(svc, done, {r.id: r.source for r in rows if r.id is not None}, summary)
            broken = any(isinstance(d, Fault) and d.message == READER_DIED for d in done)
            if pool is not None and not inflight and (batches >= RECYCLE_BATCHES or broken):
                pool.shutdown()                # fresh workers: memory stays flat over a backlog
                pool, batches = None, 0
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return summary


def rematch(svc: Services, receipt_id: int) -> str:
    """Match one receipt again from its stored reading (no re-read, no process forked): what
    an undone decision needs. A receipt never read stays ``new`` for the daemon."""
    row = svc.store.get(receipt_id)
    if row.document is None:
        return row.state
    outcome = _outcome(_context(svc), receipt_id, Document.from_json(row.document),
                       from_db(row.received_at), row.source, keep_doc=False)
    svc.store.save_results([outcome])
    return outcome.state


def reprocess(svc: Services, reread: bool = False) -> ProcessSummary:
    """Re-match every stored receipt with the current rules (re-reading blobs if asked).
    A receipt a clerk assigned keeps the clerk's decision."""
    summary = ProcessSummary()
    ctx = _context(svc)
    ids = svc.store.all_ids()
    decided = {a.receipt_id: a.action for a in svc.store.assignments()
               if a.active and a.action != "exempt"}
    for i in range(0, len(ids), 200):
        rows = svc.store.rows(ids[i:i + 200])
        outcomes: list[Outcome | Fault] = []
        for row in rows:
            assert row.id is not None
            if row.id in decided:              # a clerk's decision stands until it is undone
                summary.by_state["assigned"] = summary.by_state.get("assigned", 0) + 1
                continue
            if row.document is None or reread:
                fresh, doc = True, _read_blob(str(svc.store.blobs.path(row.sha256)),
                                              ctx.limits, row.id)
            else:
                fresh, doc = False, Document.from_json(row.document)
            outcomes.append(doc if isinstance(doc, Fault) else _outcome(
                ctx, row.id, doc, from_db(row.received_at), row.source, keep_doc=fresh))
        _record(svc, outcomes, {r.id: r.source for r in rows if r.id is not None}, summary)
    return summary


__all__ = ["IngestSummary", "ingest", "process_pending", "reprocess"]
