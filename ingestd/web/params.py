"""Query parameters, read strictly: a value the page cannot use is a 400 with a Vietnamese
message (never a 500, never silently ignored); page numbers are clamped to the pages there are."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from ingestd import moments
from ingestd.calendar import Period, parse_period
from ingestd.web.errors import BadRequest


def day(text: str | None, tz: Any, end: bool, what: str) -> datetime | None:
    """A day typed in a date field: the start (or end) of it, in the office's time zone."""
    if not text:
        return None
    try:
        d = moments.parse_day(text, what)
    except moments.MomentError as exc:
        raise BadRequest(str(exc)) from None
    return datetime.combine(d, time(23, 59, 59) if end else time(0), tzinfo=tz)


def moment(text: str, tz: Any, what: str = "at") -> datetime:
    try:
        return moments.parse_at(text, tz, what)
    except moments.MomentError as exc:
        raise BadRequest(str(exc)) from None


def page_number(text: str | None, pages: int) -> int:
    """1 … pages; anything that is not a whole number is page 1."""
    try:
        n = int(text or "1")
    except ValueError:
        n = 1
    return min(max(1, n), max(1, pages))


def quarter(label: str) -> Period:
    parsed = parse_period(label)
    if parsed is None or parsed[0] != "quarter":
        raise BadRequest(f'"{label}" không phải một quý; viết ví dụ 2019-Q2')
    return parsed[1]
