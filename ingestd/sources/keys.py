"""What a kind of source declares (``SourceKind``) and how its sources are named
(``source_key``): ``kind:name``, ``imap:name/folder`` for an IMAP folder. The health row, the
IMAP state and every receipt's ``source`` carry the key, so its kind outlives the config
entry. The registry of kinds is ``sources.kinds``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestd.tomlfile import Table


@dataclass(frozen=True)
class SourceKind:
    name: str                    # the key's prefix and the config table ([[name]])
    field: str                   # the Settings attribute holding its entries
    allowed: frozenset[str]      # the keys its table takes
    parse: Callable[[Table, str, Path], Any]      # (table, unique name, config dir) -> entry
    keys: Callable[[Any], list[str]]              # the source keys one entry gives
    poller: str | None           # "module:function(entry, settings, store) -> Source";
    #                              None: the kind runs its own watcher (IMAP)
    trusted_channel: bool = False  # the channel authenticated the sender (the gateway's OrganId)


def source_key(kind: str, name: str, folder: str | None = None) -> str:
    return f"{kind}:{name}" + (f"/{folder}" if folder is not None else "")
