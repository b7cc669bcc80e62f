"""The processing loop: claim batches, let the reader pool read and match them, record each
batch in one transaction. Every stage is idempotent: a crash anywhere is repaired by running
``process_pending`` again (an unfinished receipt is still ``new``; its lease lapses or, when
its owner is dead, is freed at once).
"""

from __future__ import annotations

import threading

from ingestd.pipeline.readers import ReaderPool
from ingestd.pipeline.stages import (
    Job,
    ProcessSummary,
    claim,
    context,
    job_of,
    outcome,
    record,
)
from ingestd.read.document import Document
from ingestd.services import Services
from ingestd.store.db import from_db
from ingestd.store.ids import owner_id
from ingestd.store.repo import Fault, Outcome

WAIT_SECONDS = 1.0          # how long to wait for results before looking at ``stop`` again


def process_pending(svc: Services, stop: threading.Event | None = None,
                    batch: int = 64) -> ProcessSummary:
    """Read and match every receipt in state ``new``. The next batch is claimed while the
    readers work, so they are never idle at a batch boundary; results are saved a batch at a
    time (one commit per batch, not per message)."""
    summary = ProcessSummary()
    owner = owner_id()
    sources: dict[int, str] = {}
    done: list[Outcome | Fault] = []
    jobs: list[Job] = []
    with ReaderPool(svc.settings.workers, context(svc)) as pool:
        exhausted = False
        while True:
            stopping = bool(stop and stop.is_set())
            if stopping:
                pool.drop_queued()              # their leases lapse; the next run takes them
            elif jobs:
                sources.update((j.receipt_id, j.source) for j in jobs)
                pool.submit(jobs)
                jobs = []
            if not stopping and not exhausted and pool.outstanding < batch:
                jobs = claim(svc.store, owner, batch)
                exhausted = not jobs
                if jobs:
                    continue
            if pool.outstanding == 0:
                break
            done.extend(pool.collect(WAIT_SECONDS))
            if len(done) >= batch or pool.outstanding == 0:
                record(svc.store, done, sources, summary)
                for r in done:                  # what is recorded is forgotten: memory flat
                    sources.pop(r.receipt_id, None)
                done = []
    if done:
        record(svc.store, done, sources, summary)
    return summary


def rematch(svc: Services, receipt_id: int) -> str:
    """Match one receipt again from its stored reading (no re-read, no process forked): what
    an undone decision needs. A receipt never read stays ``new`` for the daemon."""
    row = svc.store.get(receipt_id)
    if row.document is None:
        return row.state
    result = outcome(context(svc), receipt_id, Document.from_json(row.document),
                     from_db(row.received_at), row.source, keep_doc=False)
    svc.store.save_results([result])
    return result.result.state


def reprocess(svc: Services, reread: bool = False) -> ProcessSummary:
    """Re-match every stored receipt with the current rules; receipts never read (or all, with
    ``reread``) are read again by the reader pool. A receipt a clerk assigned keeps the
    clerk's decision."""
    summary = ProcessSummary()
    ctx = context(svc)
    ids = svc.store.all_ids()
    decided = {a.receipt_id: a.action for a in svc.store.decisions.all()
               if a.active and a.action != "exempt"}
    with ReaderPool(svc.settings.workers, ctx) as pool:
        for i in range(0, len(ids), 200):
            rows = svc.store.rows(ids[i:i + 200])
            results: list[Outcome | Fault] = []
            for row in rows:
                assert row.id is not None
                if row.id in decided:          # a clerk's decision stands until it is undone
                    summary.by_state["assigned"] = summary.by_state.get("assigned", 0) + 1
                elif row.document is None or reread:
                    pool.submit([job_of(svc.store, row)])
                else:
                    results.append(outcome(ctx, row.id, Document.from_json(row.document),
                                           from_db(row.received_at), row.source, keep_doc=False))
            while pool.outstanding:
                results.extend(pool.collect(WAIT_SECONDS))
            record(svc.store, results, {r.id: r.source for r in rows if r.id is not None},
                   summary)
    return summary
