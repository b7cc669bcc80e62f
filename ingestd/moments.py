"""Moments and days typed by people (``--at``, ``?at=``, ``?from=``), read one way everywhere.

Years outside ``YEARS`` are refused with a message rather than passed on: a day in year 1 or
9999 has no UTC time or next quarter, and the error would surface far from what was typed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

YEARS = range(1970, 2200)
_EXAMPLE = "viết ví dụ 2019-06-28 hoặc 2019-06-28T09:00:00+07:00"


class MomentError(ValueError):
    """What was typed is not a day or a moment ingestd can use; the message says so in Vietnamese."""


def parse_day(text: str, what: str = "ngày") -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise MomentError(f'{what} "{text}" không phải ngày hợp lệ; viết ví dụ 2019-06-28') from None
    _check_year(day.year, what, text)
    return day


def parse_at(text: str, tz: ZoneInfo, what: str = "--at") -> datetime:
    """An ISO datetime (local time when no offset) or a date (the end of that day)."""
    text = text.strip()
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(23, 59, 59), tzinfo=tz)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise MomentError(f'{what} "{text}" không phải ngày hoặc thời điểm hợp lệ; {_EXAMPLE}') from None
    _check_year(moment.year, what, text)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _check_year(year: int, what: str, text: str) -> None:
    if year not in YEARS:
        raise MomentError(f'{what} "{text}": năm {year} nằm ngoài khoảng {YEARS.start}–'
                          f"{YEARS.stop - 1} mà hệ thống theo dõi")
