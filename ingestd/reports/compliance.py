"""Compliance per unit over a date range, and the score for the rewards board. Pure.

For every (report, period) whose deadline falls in the range, each expected unit's cell (as of
``at``) counts: on time, late (total and worst days late), missing, pending (deadline not yet
passed at ``at``), exempt. The score (rules/scoring.toml, defaults in ``Scoring``):

    score = 100 × (on_time + late_weight × late) / due  −  min(max_day_penalty,
            late_day_penalty × total_days_late)          (never below 0)

where ``due`` counts the reports whose deadline has passed and that are not exempt. A unit
with nothing due has no score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ingestd.calendar import parse_period
from ingestd.ledger import EXEMPT, LATE, MISSING, ON_TIME, PENDING, ReportStatus
from ingestd.rules.model import Rulebook, Scoring


@dataclass
class UnitCompliance:
    unit: str
    name: str
    group: str
    due: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0
    exempt: int = 0
    days_late_total: int = 0
    days_late_worst: int = 0
    score: float | None = None
    rank: int | None = None
    late_items: list[str] = field(default_factory=list)
    missing_items: list[str] = field(default_factory=list)
    extended_items: list[str] = field(default_factory=list)   # judged against a granted extension

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass
class Compliance:
    start: date
    end: date
    label: str
    units: list[UnitCompliance]
    reports: list[ReportStatus]

    @property
    def totals(self) -> dict[str, int]:
        keys = ("due", "on_time", "late", "missing", "pending", "exempt")
        return {k: sum(getattr(u, k) for u in self.units) for k in keys}


def quarter_range(label: str) -> tuple[date, date]:
    parsed = parse_period(label)
    if parsed is None or parsed[0] != "quarter":
        raise ValueError(label)
    return parsed[1].start, parsed[1].end


def score(u: UnitCompliance, s: Scoring) -> float | None:
    if not u.due:
        return None
    value = 100.0 * (u.on_time + s.late_weight * u.late) / u.due
    value -= min(s.max_day_penalty, s.late_day_penalty * u.days_late_total)
    return round(max(0.0, value), 1)


def compliance(book: Rulebook, statuses: list[ReportStatus], start: date, end: date,
               label: str, tz) -> Compliance:  # type: ignore[no-untyped-def]
    units: dict[str, UnitCompliance] = {}
    for uid, unit in book.units.items():
        if (unit.valid_from and unit.valid_from > end) or (unit.valid_until and unit.valid_until < start):
            continue                       # did not exist in this range: not listed
        group = book.groups.get(unit.groups[0], "") if unit.groups else ""
        name = unit.name
        changed = ((unit.valid_from and unit.valid_from > start)
                   or (unit.valid_until and unit.valid_until < end))
        if changed:                        # counted only for what it owed while it existed
            name = f"{unit.name} ({unit.lifetime_vi()})"
        units[uid] = UnitCompliance(uid, name, group)
    chosen = [s for s in statuses if start <= s.due.astimezone(tz).date() <= end]
    for s in chosen:
        what = f"{s.title}" + (f" kỳ {s.period}" if s.period else "") + f" ({s.directive})"
        for c in s.cells:
            u = units.get(c.unit)
            if u is None:
                continue
            if c.extended_until is not None:
                u.extended_items.append(f"{what} (gia hạn đến {c.extended_until:%d/%m/%Y})")
            if c.status == EXEMPT:
                u.exempt += 1
            elif c.status == PENDING:
                u.pending += 1
            else:
                u.due += 1
                if c.status == ON_TIME:
                    u.on_time += 1
                elif c.status == LATE:
                    u.late += 1
                    u.days_late_total += c.days_late
                    u.days_late_worst = max(u.days_late_worst, c.days_late)
                    u.late_items.append(f"{what} ({c.days_late} ngày)")
                elif c.status == MISSING:
                    u.missing += 1
                    u.missing_items.append(what)
    for u in units.values():
        u.score = score(u, book.scoring)
    ranked = sorted((u for u in units.values() if u.score is not None),
                    key=lambda u: (-(u.score or 0), -(u.on_time_rate or 0), u.name))
    previous, rank = None, 0
    for i, u in enumerate(ranked, start=1):
        key = (u.score, u.on_time_rate)
        if key != previous:
            rank, previous = i, key
        u.rank = rank
    rest = sorted((u for u in units.values() if u.score is None), key=lambda u: u.name)
    return Compliance(start, end, label, ranked + rest, chosen)


def did_well(c: Compliance, s: Scoring) -> list[UnitCompliance]:
    return [u for u in c.units if u.score is not None and u.score >= s.good_from and not u.missing]


def did_not(c: Compliance, s: Scoring) -> list[UnitCompliance]:
    return [u for u in c.units if u.score is not None and (u.score < s.poor_below or u.missing)]
