"""A report's deadline as directives write it, read from one sentence (or one table cell).

``trước ngày 25/02/2026`` → ``due = 2026-02-25``; ``trước 16 giờ 00 ngày 12/3/2026`` → a
datetime at +07:00; ``trong thời hạn 07 ngày làm việc kể từ ngày ký`` → ``due_working_days``;
``định kỳ hằng tháng … trước ngày 18 hằng tháng`` → ``every``, ``due_day``, ``due_month``;
quarterly, half-yearly and yearly alike. Matching runs on the folded text (same length as the
original), so the quote is the original's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from ingestd.drafting.found import quote_of
from ingestd.read.vntext import fold

VIETNAM = timezone(timedelta(hours=7))

_DMY = (r"(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>(?:19|20)\d{2})"
        r"|(?P<d2>\d{1,2})\s+thang\s+(?P<m2>\d{1,2})\s+nam\s+(?P<y2>(?:19|20)\d{2})")
_LEAD = (r"(?:truoc|cham nhat(?:\s+la)?|han chot(?:\s+la)?|han cuoi(?:\s+la)?|khong muon hon"
         r"|trong ngay|han gui|thoi han(?:\s+gui)?(?:\s+truoc)?)")
_CLOCK = r"(?P<h>\d{1,2})\s*(?:gio|h|g)\s*(?P<min>\d{2})?(?:\s*phut)?"
_AT_TIME = re.compile(rf"{_LEAD}\s*:?\s+(?:la\s+|luc\s+)?{_CLOCK}\s*,?\s*(?:ngay\s+)?(?:{_DMY})")
_ON_DAY = re.compile(rf"{_LEAD}\s*:?\s+(?:la\s+)?(?:ngay\s+)?(?:{_DMY})")
_BARE_DAY = re.compile(rf"(?:^|\s)(?:ngay\s+)(?:{_DMY})")       # a table's "Thời hạn" cell
_DAYS = re.compile(r"(?:trong(?:\s+thoi\s+han|\s+vong)?|sau|cham nhat(?:\s+la)?(?:\s+sau)?)\s+"
                   r"(?P<n>\d{1,3})\s+ngay(?P<work>\s+lam\s+viec)?"
                   r"(?:\s*,?\s*(?:ke|tinh)\s+tu\s+ngay\s+(?:ky|ban\s+hanh|van\s+ban\s+nay))?")

_FREQUENCY = [
    ("half-year", re.compile(r"\b(?:dinh\s+ky\s+(?:hang\s+|hanh\s+)?(?:0?6|sau)\s+thang"
                             r"|hang\s+(?:0?6|sau)\s+thang"
                             r"|(?:0?6|sau)\s+thang\s+(?:mot|1)\s+lan|ban\s+nien)\b")),
    ("month", re.compile(r"\b(?:dinh\s+ky\s+(?:hang\s+|hanh\s+)?thang|hang\s+thang|hanh\s+thang)\b")),
    ("quarter", re.compile(r"\b(?:dinh\s+ky\s+(?:hang\s+|hanh\s+)?quy|hang\s+quy|hanh\s+quy)\b")),
    ("year", re.compile(r"\b(?:dinh\s+ky\s+(?:hang\s+|hanh\s+)?nam|hang\s+nam|hanh\s+nam)\b")),
]
# In a table's "Tần suất" cell the word alone says it: "Tháng", "Quý", "6 tháng", "Năm".
_CELL_FREQUENCY = [
    ("half-year", re.compile(r"^\s*(?:(?:0?6|sau)\s*thang|ban\s*nien)")),
    ("month", re.compile(r"^\s*(?:hang\s*)?thang\b")),
    ("quarter", re.compile(r"^\s*(?:hang\s*)?quy\b")),
    ("year", re.compile(r"^\s*(?:hang\s*)?nam\b")),
]
_DUE_DAY = re.compile(r"(?:truoc|cham nhat(?:\s+la)?|khong muon hon|han gui(?:\s+la)?|^|\s)\s*"
                      r"(?:ngay\s+)(?P<day>\d{1,2})(?!\d)(?!\s*[/.-]\s*\d)(?!\s+thang\s+\d{1,2}\s+nam\s+\d)"
                      r"(?P<tail>[^.;]{0,60})")
_NEXT = re.compile(r"\b(?:thang|quy|nam|ky)\s+(?:sau|tiep\s+theo|ke\s+tiep)\b|\bdau\s+quy\s+sau\b"
                   r"|\bnam\s+sau\b")
_TAIL_MONTH = re.compile(r"^\s*(?:cua\s+)?thang\s+(?P<month>\d{1,2})\b")
_FROM = re.compile(r"(?:ke\s+tu|bat\s+dau\s+tu|bat\s+dau|ap\s+dung\s+tu)\s+(?:ky\s+(?:bao\s+cao\s+)?)?")


@dataclass(frozen=True)
class Deadline:
    due: date | datetime | None = None
    due_working_days: int | None = None
    every: str | None = None
    due_day: int | None = None
    due_month: str = "last"
    start: date | None = None
    quote: str = ""            # the words that say it
    note: str = ""             # how it was worked out (calendar days counted, the first period)


def _date(m: re.Match[str]) -> date | None:
    d, mo, y = (m.group("d"), m.group("m"), m.group("y")) if m.group("d") else (
        m.group("d2"), m.group("m2"), m.group("y2"))
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None


def read_deadline(text: str, signed: date | None, cell: bool = False,
                  every: str | None = None) -> Deadline | None:
    """The deadline ``text`` gives, or None. ``signed``: the directive's date (for periods of
    days counted from signing, and the first period of a periodic report). ``cell``: ``text``
    is a table's deadline cell, where "Ngày 05 tháng đầu quý sau" needs no "trước"; ``every``:
    how often, when another cell says it."""
    folded = fold(text).lower()
    periodic = read_periodic(text, signed, cell, every)
    if periodic is not None:
        return periodic
    for m in _AT_TIME.finditer(folded):
        day, hour = _date(m), int(m.group("h"))
        minute = int(m.group("min") or 0)
        if day is not None and hour < 24 and minute < 60:
            return Deadline(due=datetime.combine(day, time(hour, minute), VIETNAM),
                            quote=quote_of(text, m.start(), m.end()))
    for pattern in (_ON_DAY, _BARE_DAY) if cell else (_ON_DAY,):
        for m in pattern.finditer(folded):
            day = _date(m)
            if day is not None:
                return Deadline(due=day, quote=quote_of(text, m.start(), m.end()))
    for m in _DAYS.finditer(folded):
        n = int(m.group("n"))
        quote = quote_of(text, m.start(), m.end())
        if m.group("work"):
            return Deadline(due_working_days=n, quote=quote)
        if signed is not None and "tu ngay" in m.group(0):
            return Deadline(due=signed + timedelta(days=n), quote=quote,
                            note=f"{n} ngày (ngày lịch) kể từ ngày ký {signed:%d/%m/%Y}")
    return None


def frequency(text: str, cell: bool = False) -> tuple[str, re.Match[str]] | None:
    folded = fold(text).lower()
    for every, pattern in _CELL_FREQUENCY if cell else _FREQUENCY:
        m = pattern.search(folded)
        if m:
            return every, m
    return None


def read_periodic(text: str, signed: date | None, cell: bool = False,
                  every: str | None = None) -> Deadline | None:
    """A periodic report's deadline: how often, the day of the month and whether that month
    is the period's last or the one after it."""
    folded = fold(text).lower()
    said = (0, 0)                            # where the frequency is written (none: another cell)
    if every is None:
        found = frequency(text, cell)
        if found is None:
            return None
        every, said = found[0], found[1].span()
    day_m = next((m for m in _DUE_DAY.finditer(folded) if 1 <= int(m.group("day")) <= 31), None)
    if day_m is None:
        return Deadline(every=every, quote=quote_of(text, said[0], said[1] + 60))
    due_month = _due_month(every, day_m.group("tail"))
    start, note = _start(text, every, int(day_m.group("day")), due_month, signed)
    s, e = (min(said[0], day_m.start()), max(said[1], day_m.end())) if said[1] else day_m.span()
    return Deadline(every=every, due_day=int(day_m.group("day")), due_month=due_month, start=start,
                    quote=quote_of(text, s, e), note=note)


def _due_month(every: str, tail: str) -> str:
    """"last": the day is in the period's last month; "next": in the month after it."""
    if _NEXT.search(tail):
        return "next"
    m = _TAIL_MONTH.match(tail)
    if m and every in ("half-year", "year"):
        month = int(m.group("month"))
        return "next" if month in (1, 7) else "last"
    return "last"


def _start(text: str, every: str, due_day: int, due_month: str,
           signed: date | None) -> tuple[date | None, str]:
    """The first period counted: as the directive writes it (``kể từ quý II/2026``), else the
    first whose deadline falls after signing."""
    from ingestd.calendar import parse_period, period_of, periodic_due
    from ingestd.read.refs import find_periods

    folded = fold(text).lower()
    for m in _FROM.finditer(folded):
        periods = find_periods(text[m.end():m.end() + 40], "deadline")
        if periods:
            parsed = parse_period(periods[0].label)
            if parsed and parsed[0] == every:
                return parsed[1].start, ""
    if signed is None:
        return None, ""
    period = period_of(every, signed)
    if periodic_due(period, due_day, due_month) < signed:
        period = period_of(every, period.end + timedelta(days=1))
    return period.start, (f"kỳ đầu tiên có hạn sau ngày ký {signed:%d/%m/%Y}; "
                          "sửa nếu văn bản tính từ kỳ khác")
