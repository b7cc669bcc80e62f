"""Working days, deadlines and reporting periods. Pure: no I/O, no clock.

The national calendar (holidays, substitute days off, make-up working Saturdays) comes from the
``holidays`` package's Vietnam calendar; calendar.toml adds days off and working days on top.
A deadline that falls on a day that is not a working day moves to the end of the next working
day (Civil Code 2015, art. 148).
"""

from __future__ import annotations

import calendar as _cal
import importlib.util
import math
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ingestd.moments import YEARS
from ingestd.rules.model import CalendarRules, Directive, Report
from ingestd.vocabulary import weekday_vi

if TYPE_CHECKING:
    import holidays

END_OF_DAY = time(23, 59, 59, 999999)
_MONTHS = {"month": 1, "quarter": 3, "half-year": 6, "year": 12}


def vietnam(**kwargs: object) -> holidays.HolidayBase:
    """The holidays package's Vietnam calendar. Its module is loaded by itself: importing it
    through ``holidays.countries`` loads all of the package's ~250 countries first, which is
    most of the time a short command spends on the calendar."""
    import holidays

    cls = _vietnam_class()
    return cls(**kwargs) if cls is not None else holidays.Vietnam(**kwargs)


@lru_cache(maxsize=1)
def _vietnam_class() -> type | None:
    name = "holidays.countries.vietnam"
    if name in sys.modules:
        return sys.modules[name].Vietnam  # type: ignore[no-any-return]
    try:
        import holidays

        path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module.Vietnam  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a layout this does not know: the package's own way
        sys.modules.pop(name, None)
        return None


class WorkCalendar:
    def __init__(self, tz: ZoneInfo, rules: CalendarRules | None = None):
        self.tz = tz
        self.rules = rules or CalendarRules()
        self._national = vietnam()
        self.is_working_day = lru_cache(maxsize=8192)(self._is_working_day)

    def __getstate__(self) -> dict[str, object]:
        """Picklable (reader processes started by forkserver get a copy): the cache is not."""
        state = dict(self.__dict__)
        state.pop("is_working_day", None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.is_working_day = lru_cache(maxsize=8192)(self._is_working_day)

    def _is_working_day(self, d: date) -> bool:
        if d in self.rules.working_days:
            return True
        if d in self.rules.days_off:
            return False
        return bool(self._national.is_working_day(d))

    def holiday_name(self, d: date) -> str | None:
        return self._national.get(d)

    def why_day_off(self, d: date) -> str:
        """Why ``d`` is not a working day, in the words a unit would check: the weekday, the
        holiday's Vietnamese name, or the office's calendar.toml."""
        if not hasattr(self, "_names_vi"):
            self._names_vi = vietnam(language="vi")
        name = self._names_vi.get(d)
        if name:
            return f"ngày nghỉ {name}"
        if d in self.rules.days_off:
            return "ngày nghỉ theo lịch của tỉnh (calendar.toml)"
        return weekday_vi(d)

    def roll_forward(self, d: date) -> date:
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after ``d`` (n = 0: ``d`` rolled forward)."""
        if n == 0:
            return self.roll_forward(d)
        while n > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def subtract_working_days(self, d: date, n: int) -> date:
        while n > 0:
            d -= timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def end_of_day(self, d: date) -> datetime:
        return datetime.combine(d, END_OF_DAY, tzinfo=self.tz)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date          # last day
    label: str


def period_of(every: str, day: date) -> Period:
    months = _MONTHS[every]
    first_month = ((day.month - 1) // months) * months + 1
    start = date(day.year, first_month, 1)
    last_month = first_month + months - 1
    end = date(day.year, last_month, _cal.monthrange(day.year, last_month)[1])
    if every == "month":
        label = f"{day.year}-{first_month:02d}"
    elif every == "quarter":
        label = f"{day.year}-Q{(first_month - 1) // 3 + 1}"
    elif every == "half-year":
        label = f"{day.year}-H{1 if first_month == 1 else 2}"
    else:
        label = f"{day.year}"
    return Period(start, end, label)


_LABEL = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])|H([12])))?$")


def parse_period(label: str) -> tuple[str, Period] | None:
    """'2019-05' -> month, '2019-Q2' -> quarter, '2019-H1' -> half-year, '2019' -> year."""
    m = _LABEL.match(label.strip())
    if not m:
        return None
    year = int(m.group(1))
    if year not in YEARS:
        return None
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            return None
        return "month", period_of("month", date(year, month, 1))
    if m.group(3):
        return "quarter", period_of("quarter", date(year, (int(m.group(3)) - 1) * 3 + 1, 1))
    if m.group(4):
        return "half-year", period_of("half-year", date(year, 1 if m.group(4) == "1" else 7, 1))
    return "year", period_of("year", date(year, 1, 1))


def periods(report: Report, until: date) -> list[Period]:
    """Every period of a periodic report from ``start`` whose first day is on or before
    ``until``."""
    assert report.every and report.start
    out = []
    p = period_of(report.every, report.start)
    while p.start <= until:
        out.append(p)
        p = period_of(report.every, p.end + timedelta(days=1))
    return out


def periodic_due(period: Period, due_day: int, due_month: str) -> date:
    """A periodic report's day: ``due_day`` of the period's last month ("last") or of the month
    after it ("next"), the month's last day when it is shorter."""
    year, month = period.end.year, period.end.month
    if due_month == "next":
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, min(due_day, _cal.monthrange(year, month)[1]))


def nominal_due_date(report: Report, period: Period | None, directive: Directive,
                     cal: WorkCalendar) -> date:
    """The deadline's day before rolling forward."""
    if report.periodic:
        assert period is not None and report.due_day is not None
        return periodic_due(period, report.due_day, report.due_month)
    if report.due_working_days is not None:
        return cal.add_working_days(directive.date, report.due_working_days)
    if isinstance(report.due, datetime):
        return report.due.astimezone(cal.tz).date()
    assert report.due is not None
    return report.due


def deadline(report: Report, period: Period | None, directive: Directive,
             cal: WorkCalendar) -> datetime:
    """The moment after which a report is late, in local time."""
    if isinstance(report.due, datetime):
        return report.due.astimezone(cal.tz)      # the issuer named the hour: kept, even on a day off
    return cal.end_of_day(cal.roll_forward(nominal_due_date(report, period, directive, cal)))


CIVIL_CODE_148 = "theo Điều 148 Bộ luật Dân sự 2015"


def explain_deadline(report: Report, period: Period | None, directive: Directive,
                     cal: WorkCalendar) -> str:
    """How the deadline was computed, for the unit that disputes a "late": where the day comes
    from, and, when it fell on a day off, why and where it moved to."""
    if isinstance(report.due, datetime):
        due = report.due.astimezone(cal.tz)
        said = f"{due:%H:%M} ngày {due:%d/%m/%Y} (giờ ghi trong văn bản)"
        if cal.is_working_day(due.date()):
            return said
        return (f"{said}; {due:%d/%m/%Y} là {cal.why_day_off(due.date())} nhưng văn bản đã ấn định "
                "giờ nên không lùi hạn")
    nominal = nominal_due_date(report, period, directive, cal)
    if report.periodic:
        which = "tháng sau kỳ" if report.due_month == "next" else "tháng cuối kỳ"
        said = f"ngày {report.due_day} của {which}: {nominal:%d/%m/%Y}"
    elif report.due_working_days is not None:
        said = (f"{report.due_working_days} ngày làm việc kể từ ngày {directive.date:%d/%m/%Y} "
                f"(ngày ký văn bản {directive.number}): {nominal:%d/%m/%Y}")
    else:
        said = f"hạn ghi trong văn bản: {nominal:%d/%m/%Y}"
    moved = cal.roll_forward(nominal)
    if moved == nominal:
        return said
    return (f"{said}; {nominal:%d/%m/%Y} là {cal.why_day_off(nominal)} → {weekday_vi(moved)} "
            f"{moved:%d/%m/%Y} {CIVIL_CODE_148}")


def days_late(received: datetime, due: datetime) -> int:
    """Calendar days late, rounded up; 0 when on time."""
    delta = (received - due).total_seconds()
    return max(0, math.ceil(delta / 86400))
