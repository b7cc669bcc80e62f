"""The kinds of source, one seam. Each backend declares its ``SourceKind`` beside its settings
(``imap_config``, ``gateway_config``, ``maildir_config``): the config table it reads and how to
parse it, the source keys an entry gives, whether it is a trusted channel, and what polls it.
The config loader, the daemon, health and matching ask here and nowhere else, so a new kind of
source is its backend, its settings module, one line in ``kinds()`` and its typed field in
``config.Settings``.

What a kind declares and how keys are written: ``sources.keys``."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

from ingestd.sources.keys import SourceKind

if TYPE_CHECKING:
    from ingestd.sources.base import Source
    from ingestd.store.drafts_repo import OutgoingStore
    from ingestd.store.repo import Store


@cache
def kinds() -> tuple[SourceKind, ...]:
    from ingestd.sources import gateway_config, imap_config, maildir_config

    return (imap_config.KIND, gateway_config.KIND, maildir_config.KIND)


def kind_of(key: str) -> SourceKind | None:
    prefix = key.split(":", 1)[0]
    return next((k for k in kinds() if k.name == prefix), None)


def trusted_channel(key: str) -> bool:
    """Whether a receipt that came from ``key`` came over a trusted channel."""
    kind = kind_of(key)
    return bool(kind and kind.trusted_channel)


def source_keys(settings: Any) -> list[str]:
    """Every source key the settings configure, in config order of kinds."""
    return [key for kind in kinds() for entry in getattr(settings, kind.field)
            for key in kind.keys(entry)]


def sink_for(entry: Any, store: Store) -> Store | OutgoingStore:
    """Where an entry's messages are stored: an outgoing folder gives drafts, never receipts."""
    from ingestd.store.drafts_repo import OutgoingStore

    return OutgoingStore(store) if getattr(entry, "outgoing", False) else store


def build_sources(settings: Any, store: Store) -> list[tuple[Source, Store | OutgoingStore]]:
    """The polled sources in force (every kind but those with a watcher) and where each
    stores what it yields: an outgoing folder gives drafts, never receipts."""
    out: list[tuple[Source, Store | OutgoingStore]] = []
    for kind in kinds():
        if kind.poller is None:
            continue
        module, _, name = kind.poller.partition(":")
        make = getattr(importlib.import_module(module), name)
        for entry in getattr(settings, kind.field):
            out.append((make(entry, settings, store), sink_for(entry, store)))
    return out
