"""Reading: raw message bytes -> ``Document``. Pure apart from the sandboxed extractors.

The package's names are loaded when first used (PEP 562): ``ingestd.read.limits``, which
config.py needs, must not pull in the MIME, PDF and OCR readers for every command."""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {"Document": "ingestd.read.document", "guarded_extract": "ingestd.read.guard",
          "read_message": "ingestd.read.reading", "sandboxed_extract": "ingestd.read.reading"}


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(name)        # submodules are found by the import system itself


__all__ = ["Document", "guarded_extract", "read_message", "sandboxed_extract"]
