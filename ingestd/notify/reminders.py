"""Which reminders (đôn đốc) are due, to whom. Pure: statuses and ``now`` are passed in.

For each unit that has not sent a report for a period, and for which reminders are not off:
- ``before-N``: N working days before the deadline (only while nothing was received);
- ``after-N``: N working days after it, while still missing;
- ``after-repeat-K``: then every ``repeat_every_days`` working days, while the number of
  reminders after the deadline stays within ``max_overdue``;
- from the ``escalate_from``-th reminder after the deadline on, the unit's remind_cc is copied.
Each step is sent on a working day at ``send_at`` and stays sendable until the end of the next
working day; after that it is stale (the next step covers it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from ingestd.calendar import WorkCalendar
from ingestd.ledger import MISSING, PENDING, ReportStatus
from ingestd.rules.model import ReminderPolicy, Rulebook


@dataclass(frozen=True)
class Step:
    name: str               # before-3, after-1, after-repeat-2
    day: date
    overdue_index: int      # 0 before the deadline; 1, 2, ... after it


@dataclass(frozen=True)
class Reminder:
    unit: str
    report: str
    period: str | None
    step: str
    send_at: datetime
    stale_at: datetime
    due: datetime
    to: tuple[str, ...]
    cc: tuple[str, ...]
    days_late: int
    overdue: int            # 0 before the deadline; n-th reminder after it

    @property
    def key(self) -> str:
        return f"remind:{self.report}:{self.period or '-'}:{self.unit}:{self.step}"


def steps(policy: ReminderPolicy, due_day: date, cal: WorkCalendar) -> list[Step]:
    out = [Step(f"before-{n}", cal.subtract_working_days(due_day, n), 0)
           for n in sorted(set(policy.before_days), reverse=True) if n > 0]
    after = sorted(set(n for n in policy.after_days if n > 0))
    index = 0
    for n in after:
        if index >= policy.max_overdue:
            break
        index += 1
        out.append(Step(f"after-{n}", cal.add_working_days(due_day, n), index))
    if policy.repeat_every_days > 0 and after:
        day = cal.add_working_days(due_day, after[-1])
        k = 0
        while index < policy.max_overdue:
            day = cal.add_working_days(day, policy.repeat_every_days)
            k += 1
            index += 1
            out.append(Step(f"after-repeat-{k}", day, index))
    return out


def _at(day: date, hhmm: str, cal: WorkCalendar) -> datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=cal.tz)


def due_reminders(book: Rulebook, cal: WorkCalendar, statuses: list[ReportStatus],
                  now: datetime) -> list[Reminder]:
    """Reminders whose moment has come and whose window has not passed, at ``now``."""
    out: list[Reminder] = []
    if not cal.is_working_day(now.astimezone(cal.tz).date()):
        return out                          # reminders go out on working days only
    for st in statuses:
        due_day = st.due.astimezone(cal.tz).date()
        for cell in st.cells:
            if cell.status not in (MISSING, PENDING):
                continue
            policy = book.reminders.policy_for(st.report, cell.unit)
            unit = book.units.get(cell.unit)
            if policy is None or unit is None or not unit.remind_to:
                continue
            if not unit.exists_on(now.astimezone(cal.tz).date()):
                continue                    # a unit that no longer exists is never reminded
            sendable = []
            for step in steps(policy, due_day, cal):
                send_at = _at(step.day, policy.send_at, cal)
                stale_at = cal.end_of_day(cal.add_working_days(step.day, 1))
                if not (send_at <= now < stale_at):
                    continue
                if step.overdue_index == 0 and cell.status != PENDING:
                    continue
                if step.overdue_index > 0 and now <= st.due:
                    continue
                sendable.append((step, send_at, stale_at))
            if sendable:            # windows may overlap: only the latest step goes out
                step, send_at, stale_at = sendable[-1]
                escalate = 0 < policy.escalate_from <= step.overdue_index
                days_late = max(0, (now.astimezone(cal.tz).date() - due_day).days)
                out.append(Reminder(cell.unit, st.report, st.period, step.name, send_at,
                                    stale_at, st.due, unit.remind_to,
                                    unit.remind_cc if escalate else (), days_late,
                                    step.overdue_index))
    return out
