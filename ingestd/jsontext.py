"""Dataclasses as JSON text, exactly as ``json.dumps(asdict(x), default=str)`` writes them,
without ``asdict``'s deep copy of every nested value first (it was a sixth of the daemon's CPU
when recording a batch of readings). The encoder walks the objects itself."""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from functools import cache
from typing import Any


@cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _plain(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _names(type(value))}
    return str(value)                   # dates, as default=str wrote them


def dumps(obj: object, leave_out: frozenset[str] = frozenset()) -> str:
    """``obj`` (a dataclass) as JSON, its fields in order, ``leave_out`` left out."""
    top: dict[str, Any] = {name: getattr(obj, name) for name in _names(type(obj))
                           if name not in leave_out}
    return json.dumps(top, ensure_ascii=False, default=_plain)
