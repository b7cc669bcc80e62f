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
    if name in ("attachments", "document", "edxml", "guard", "limits", "mime", "ocr", "refs",
                "reading", "sandbox", "signatures", "vntext", "legacy", "headers", "mime_stream",
                "budget"):
        return importlib.import_module(f"ingestd.read.{name}")
    raise AttributeError(name)


__all__ = ["Document", "guarded_extract", "read_message", "sandboxed_extract"]
