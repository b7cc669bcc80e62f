"""How receipts and lease holders are named to people and in the logs."""

from __future__ import annotations

import os
import re
import socket

from ingestd.errors import NotFoundError


def owner_id() -> str:
    """Who holds a lease: host and process, so a dead local holder can be recognised."""
    return f"{socket.gethostname()}:{os.getpid()}"


def rid(receipt_id: int) -> str:
    return f"r-{receipt_id:06d}"


def parse_rid(text: str) -> int:
    m = re.fullmatch(r"(?:r-?)?0*(\d{1,18})", text.strip(), re.IGNORECASE)
    if not m:
        raise NotFoundError(f'"{text}" không phải mã biên nhận; dùng mã mà `ingestd receipts` '
                            "hiển thị, ví dụ r-000123")
    return int(m.group(1))
