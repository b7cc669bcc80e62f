"""The ingest pipeline: store raw -> claim -> read -> match -> record; each stage idempotent.

``ingest`` only stores (raw bytes first, ``sources.intake``); ``process_pending`` reads and
matches every receipt still in state ``new`` with a pool of long-lived reader processes
(``readers``), so a crash anywhere is repaired by running it again. The stages themselves are
small functions in ``stages``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ingestd.pipeline.process import process_pending, rematch, reprocess
from ingestd.pipeline.stages import ProcessSummary
from ingestd.services import Services
from ingestd.sources.base import Item
from ingestd.sources.intake import IngestSummary, ItemsSource, store_incoming


def ingest(svc: Services, source: str, items: Iterable[Item],
           on_item: Callable[[str], None] | None = None) -> IngestSummary:
    """Store every incoming message (raw first). Broken inputs are reported, not fatal."""
    return store_incoming(svc.store, ItemsSource(source, items), on_item)


__all__ = ["IngestSummary", "ProcessSummary", "ingest", "process_pending", "rematch", "reprocess"]
