"""The ingest pipeline: store raw -> read -> match -> record. Each stage is idempotent.

``ingest`` only stores (raw bytes first); ``process_pending`` reads and matches every receipt
still in state ``new``, so a crash anywhere is repaired by running it again.
Reading runs in a pool of worker processes (one per core by default): it is the costly part.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from ingestd.config import ReadLimits
from ingestd.match import FAILED, MatchResult, match
from ingestd.read import read_message
from ingestd.read.document import Document, PartProblem
from ingestd.services import Services
from ingestd.sources.files import Broken, Incoming
from ingestd.store.db import from_db
from ingestd.store.repo import rid

log = structlog.get_logger("ingestd.pipeline")


@dataclass
class IngestSummary:
    new: int = 0
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)


def ingest(svc: Services, source: str, items: Iterable[Incoming | Broken],
           on_item: Callable[[str], None] | None = None) -> IngestSummary:
    """Store every incoming message (raw first). Broken inputs are reported, not fatal."""
    summary = IngestSummary()
    for item in items:
        if isinstance(item, Broken):
            summary.failed.append((item.ref, item.reason))
            log.warning("input skipped", source=source, ref=item.ref, reason=item.reason)
        else:
            added = svc.store.add_raw(source, item.raw, item.received_at, item.ref)
            if added.created:
                summary.new += 1
                summary.new_ids.append(added.id)
                log.info("stored", receipt=rid(added.id), source=source, ref=item.ref)
            else:
                summary.already += 1
        if on_item:
            on_item(getattr(item, "ref", ""))
    return summary


def _read_blob(path: str, limits: ReadLimits) -> str:
    """Worker: read one stored message; returns the Document as JSON."""
    try:
        doc = read_message(Path(path).read_bytes(), limits)
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the batch
        doc = Document(kind="email", problems=[PartProblem(
            "message", f"reader failed: {type(exc).__name__}: {str(exc)[:300]}")])
    return doc.to_json()


def match_and_save(svc: Services, receipt_id: int, doc: Document,
                   save_doc: bool = True) -> MatchResult:
    row = svc.store.get(receipt_id)
    result = match(doc, svc.rules, svc.calendar, from_db(row.received_at),
                   svc.settings.authserv_id)
    svc.store.save_result(receipt_id, doc if save_doc else None, result.state, result.reason,
                          result.unit, result.to_dict(),
                          [(m.report, m.period, m.confidence) for m in result.matches]
                          if result.state == "matched" else [])
    log.info("matched" if result.state == "matched" else "to " + result.state,
             receipt=rid(receipt_id), source=row.source, unit=result.unit,
             reports=[m.report for m in result.matches], reason=result.reason)
    return result


@dataclass
class ProcessSummary:
    processed: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


def process_pending(svc: Services, stop: threading.Event | None = None,
                    batch: int = 64) -> ProcessSummary:
    """Read and match every receipt in state ``new``."""
    summary = ProcessSummary()
    workers = svc.settings.workers
    owner = f"{socket.gethostname()}:{os.getpid()}"
    pool = None
    try:
        while not (stop and stop.is_set()):
            ids = svc.store.claim_pending(owner, batch)
            if not ids:
                break
            rows = [svc.store.get(i) for i in ids]
            paths = [str(svc.store.blobs.path(r.sha256)) for r in rows]
            limits = svc.settings.limits
            if workers > 1 and len(ids) > 1:
                if pool is None:
                    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"))
                docs = pool.map(_read_blob, paths, [limits] * len(paths))
            else:
                docs = (_read_blob(p, limits) for p in paths)
            for receipt_id, doc_json in zip(ids, docs):
                result = match_and_save(svc, receipt_id, Document.from_json(doc_json))
                summary.processed += 1
                summary.by_state[result.state] = summary.by_state.get(result.state, 0) + 1
                if stop and stop.is_set():
                    break
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return summary


def reprocess(svc: Services, reread: bool = False) -> ProcessSummary:
    """Re-match every stored receipt with the current rules (re-reading blobs if asked)."""
    summary = ProcessSummary()
    for receipt_id in svc.store.all_ids():
        row = svc.store.get(receipt_id)
        if row.document is None or reread:
            doc = Document.from_json(_read_blob(str(svc.store.blobs.path(row.sha256)),
                                                svc.settings.limits))
        else:
            doc = Document.from_json(row.document)
        if svc.store.assignments(receipt_id) and row.state == "matched":
            summary.by_state["assigned"] = summary.by_state.get("assigned", 0) + 1
            continue
        result = match_and_save(svc, receipt_id, doc, save_doc=reread or row.document is None)
        summary.processed += 1
        summary.by_state[result.state] = summary.by_state.get(result.state, 0) + 1
    return summary


__all__ = ["FAILED", "IngestSummary", "ingest", "process_pending", "reprocess"]
