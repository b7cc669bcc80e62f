"""The on-time share over the last quarters, per unit and per group: what a leader looks at
instead of reading tables. Pure: statuses in, rates out (``compliance`` does the counting)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ingestd.calendar import Period, period_of
from ingestd.ledger import ReportStatus
from ingestd.reports.compliance import compliance
from ingestd.rules.model import Rulebook


@dataclass(frozen=True)
class Point:
    label: str                 # 2019-Q2
    due: int                   # reports whose deadline passed, not exempt
    on_time: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True)
class Trend:
    quarters: tuple[Period, ...]
    units: dict[str, tuple[Point, ...]]
    groups: dict[str, tuple[Point, ...]]


def last_quarters(today: date, n: int) -> tuple[Period, ...]:
    """The ``n`` quarters up to and including the one ``today`` is in, oldest first."""
    out, d = [], today
    for _ in range(n):
        q = period_of("quarter", d)
        out.append(q)
        d = q.start - timedelta(days=1)
    return tuple(reversed(out))


def quarterly_trend(book: Rulebook, statuses: list[ReportStatus], today: date, tz: Any,
                    n: int = 4) -> Trend:
    quarters = last_quarters(today, n)
    units: dict[str, list[Point]] = {uid: [] for uid in book.units}
    groups: dict[str, list[Point]] = {gid: [] for gid in book.groups}
    for q in quarters:
        c = compliance(book, statuses, q.start, q.end, q.label, tz)
        by_group: dict[str, list[int]] = {gid: [0, 0] for gid in book.groups}
        for u in c.units:
            units[u.unit].append(Point(q.label, u.due, u.on_time))
            for gid in book.units[u.unit].groups:
                if gid in by_group:
                    by_group[gid][0] += u.due
                    by_group[gid][1] += u.on_time
        for gid, (due, on_time) in by_group.items():
            groups[gid].append(Point(q.label, due, on_time))
    return Trend(quarters, {k: tuple(v) for k, v in units.items()},
                 {k: tuple(v) for k, v in groups.items()})
