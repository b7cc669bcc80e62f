"""A value read from a directive, with the words it was read from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    value: T
    quote: str                 # the sentence or line it came from, as written
    note: str = ""             # how it was worked out, when that is not obvious


def quote_of(text: str, start: int = 0, end: int | None = None, width: int = 160) -> str:
    """``text[start:end]`` on one line, shortened to ``width`` characters around its middle."""
    piece = " ".join(text[start:end].split())
    if len(piece) <= width:
        return piece
    return piece[:width - 1].rstrip() + "…"
