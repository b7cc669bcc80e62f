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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import structlog

from ingestd.calendar import WorkCalendar
from ingestd.config import ReadLimits
from ingestd.match import match
from ingestd.read import read_message
from ingestd.read.document import Document, PartProblem
from ingestd.rules.model import Rulebook
from ingestd.services import Services
from ingestd.sources.files import Broken, Incoming
from ingestd.store.db import from_db
from ingestd.store.models import Receipt
from ingestd.store.repo import Outcome, owner_id, rid

log = structlog.get_logger("ingestd.pipeline")
RECYCLE_BATCHES = 4             # fresh reader processes every 4 batches (flat memory)


@dataclass
class IngestSummary:
    new: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def ingest(svc: Services, source: str, items: Iterable[Incoming | Broken],
           on_item: Callable[[str], None] | None = None) -> IngestSummary:
    """Store every incoming message (raw first). Broken inputs are reported, not fatal."""
    summary = IngestSummary()
    for item in items:
        if isinstance(item, Broken):
            summary.failed.append((item.ref, item.reason))
            log.warning("input skipped", source=source, ref=item.ref, reason=item.reason)
        else:
            try:
                added = svc.store.add_raw(source, item.raw, item.received_at, item.ref)
            except OSError as exc:              # disk full, permissions: nothing half-stored
                summary.failed.append((item.ref, f"cannot store: {exc.strerror or exc}"))
                log.error("cannot store", source=source, ref=item.ref, error=str(exc))
                continue
            if added.created:
                summary.new += 1
                log.info("stored", receipt=rid(added.id), source=source, ref=item.ref)
            else:
                summary.already += 1
        if on_item:
            on_item(getattr(item, "ref", ""))
    return summary


def _read_blob(path: str, limits: ReadLimits) -> Document:
    try:
        return read_message(Path(path).read_bytes(), limits)
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the batch
        return Document(kind="email", problems=[PartProblem(
            "message", f"reader failed: {type(exc).__name__}: {str(exc)[:300]}")])


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


def _outcome(ctx: _Context, receipt_id: int, doc: Document, received: datetime,
             keep_doc: bool = True) -> Outcome:
    result = match(doc, ctx.rules, ctx.calendar, received, ctx.authserv_id)
    return Outcome(receipt_id, doc if keep_doc else None, result.state, result.reason,
                   result.unit, result.to_dict(),
                   [(m.report, m.period, m.confidence) for m in result.matches]
                   if result.state == "matched" else [])


def _read_and_match(job: tuple[int, str, datetime], ctx: _Context | None = None) -> Outcome:
    """Worker: read one stored message and match it (both CPU-bound, so both run here)."""
    ctx = ctx or _WORKER
    assert ctx is not None
    receipt_id, path, received = job
    return _outcome(ctx, receipt_id, _read_blob(path, ctx.limits), received)


def _context(svc: Services) -> _Context:
    return _Context(svc.rules, svc.calendar, svc.settings.authserv_id, svc.settings.limits)


def _record(svc: Services, outcomes: list[Outcome], sources: dict[int, str],
            summary: ProcessSummary) -> None:
    svc.store.save_results(outcomes)
    for o in outcomes:
        summary.processed += 1
        summary.by_state[o.state] = summary.by_state.get(o.state, 0) + 1
        log.info("matched" if o.state == "matched" else "to " + o.state,
                 receipt=rid(o.receipt_id), source=sources.get(o.receipt_id), unit=o.unit,
                 reports=[m[0] for m in o.matches], reason=o.reason)


@dataclass
class ProcessSummary:
    processed: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


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
    inflight: deque[tuple[list[Receipt], list[Future[Outcome] | Outcome]]] = deque()
    batches, exhausted = 0, False
    try:
        while True:
            stopping = bool(stop and stop.is_set())
            recycle_due = pool is not None and batches >= RECYCLE_BATCHES
            if not stopping and not exhausted and len(inflight) < 2 and not recycle_due:
                ids = svc.store.claim_pending(owner, batch)
                if ids:
                    rows = svc.store.rows(ids)
                    jobs = [(r.id, str(svc.store.blobs.path(r.sha256)), from_db(r.received_at))
                            for r in rows if r.id is not None]
                    if parallel and pool is None:
                        pool = ProcessPoolExecutor(svc.settings.workers, mp_context=mp.get_context(
                            "fork"), initializer=_init_worker, initargs=(ctx,))
                    work: list[Future[Outcome] | Outcome] = (
                        [pool.submit(_read_and_match, job) for job in jobs] if pool is not None
                        else [_read_and_match(job, ctx) for job in jobs])
                    inflight.append((rows, work))
                    batches += 1
                    continue
                exhausted = True
            if not inflight:
                break
            rows, work = inflight.popleft()
            done = []
            for item in work:
                if isinstance(item, Future):
                    if stopping and not item.done():
                        item.cancel()          # its lease lapses; the next run takes it up
                        continue
                    done.append(item.result())
                else:
                    done.append(item)
            _record(svc, done, {r.id: r.source for r in rows if r.id is not None}, summary)
            if pool is not None and not inflight and batches >= RECYCLE_BATCHES:
                pool.shutdown()                # fresh workers: memory stays flat over a backlog
                pool, batches = None, 0
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return summary


def reprocess(svc: Services, reread: bool = False) -> ProcessSummary:
    """Re-match every stored receipt with the current rules (re-reading blobs if asked).
    A receipt a clerk assigned keeps the clerk's decision."""
    summary = ProcessSummary()
    ctx = _context(svc)
    ids = svc.store.all_ids()
    assigned = {a.receipt_id for a in svc.store.assignments() if not a.exempt}
    for i in range(0, len(ids), 200):
        rows = svc.store.rows(ids[i:i + 200])
        outcomes = []
        for row in rows:
            assert row.id is not None
            if row.id in assigned and row.state == "matched":
                summary.by_state["assigned"] = summary.by_state.get("assigned", 0) + 1
                continue
            if row.document is None or reread:
                fresh, doc = True, _read_blob(str(svc.store.blobs.path(row.sha256)), ctx.limits)
            else:
                fresh, doc = False, Document.from_json(row.document)
            outcomes.append(_outcome(ctx, row.id, doc, from_db(row.received_at), keep_doc=fresh))
        _record(svc, outcomes, {r.id: r.source for r in rows if r.id is not None}, summary)
    return summary


__all__ = ["IngestSummary", "ingest", "process_pending", "reprocess"]
