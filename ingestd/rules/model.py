"""The frozen rulebook: units, directives and their reports, and the policies admins edit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from ingestd.read.refs import DocNumber
from ingestd.read.vntext import fold, nfc

PERIODS = ["month", "quarter", "half-year", "year"]
KINDS = ["dinh-ky", "dot-xuat", "chuyen-de"]


def _on(units: list[Unit], day: date | None) -> Unit | None:
    """Of the units that hold an address: the one that exists on ``day``, else the one that
    existed last (its successor may take over what it owed)."""
    if not units:
        return None
    if day is not None:
        alive = [u for u in units if u.exists_on(day)]
        if alive:
            return alive[0]
    return max(units, key=lambda u: u.valid_until or date.max)


def name_key(name: str) -> str:
    """A name as compared: NFC, no diacritics, lower case, punctuation and spacing folded
    ("SỞ Y TẾ", "Sở Y tế", "So Y te." are one name)."""
    return " ".join(re.sub(r"[^\w&]+", " ", fold(nfc(name))).split())


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    organ_ids: tuple[str, ...] = ()     # gateway identifiers (a merged unit keeps its predecessors')
    remind_to: tuple[str, ...] = ()
    remind_cc: tuple[str, ...] = ()
    signer_names: tuple[str, ...] = ()  # O= of the unit's signing certificates, as written
    former_names: tuple[str, ...] = ()  # names in old documents (help matching like aliases)
    valid_from: date | None = None      # first day it exists (None: always)
    valid_until: date | None = None     # last day it exists (None: still exists)
    successor: str | None = None        # who takes over its obligations after valid_until

    @property
    def organ_id(self) -> str | None:
        return self.organ_ids[0] if self.organ_ids else None

    def exists_on(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_until is None or day <= self.valid_until))

    def lifetime_vi(self) -> str | None:
        """"thành lập 01/07/2025", "đến 30/06/2025", or None for a unit that always existed."""
        if self.valid_from and self.valid_until:
            return f"{self.valid_from:%d/%m/%Y}–{self.valid_until:%d/%m/%Y}"
        if self.valid_until:
            return f"đến {self.valid_until:%d/%m/%Y}"
        if self.valid_from:
            return f"từ {self.valid_from:%d/%m/%Y}"
        return None


@dataclass(frozen=True)
class Report:
    id: str
    directive: str                      # the directive's number as issued
    title: str
    kind: str
    units: tuple[str, ...]              # expected unit ids (groups expanded, exclusions applied)
    due: date | datetime | None = None
    due_working_days: int | None = None
    every: str | None = None
    due_day: int | None = None
    due_month: str = "last"
    start: date | None = None
    keywords: tuple[str, ...] = ()
    require_signature: bool = False     # unsigned or invalid: review
    file: str = ""

    @property
    def periodic(self) -> bool:
        return self.every is not None


@dataclass(frozen=True)
class Directive:
    number: str
    doc: DocNumber
    date: date
    issuer: str
    title: str
    reports: tuple[Report, ...]
    file: str = ""


@dataclass(frozen=True)
class SenderRule:
    unit: str
    address: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class IgnoreRule:
    sender: str | None = None           # address, @domain or glob
    subject: str | None = None          # regular expression, case-insensitive
    reason: str = "ignored by matching.toml"


@dataclass(frozen=True)
class MatchingPolicy:
    senders: tuple[SenderRule, ...] = ()
    ignore: tuple[IgnoreRule, ...] = ()
    personal_domains: tuple[str, ...] = (
        "gmail.com", "yahoo.com", "yahoo.com.vn", "outlook.com", "hotmail.com", "live.com",
        "icloud.com", "zoho.com")
    report_fallback_single: bool = True  # a directive with one report: no keyword needed
    ocr_min_confidence: float = 70.0     # a match resting on OCR alone below this goes to review


@dataclass(frozen=True)
class ReminderPolicy:
    before_days: tuple[int, ...] = (3, 1)
    after_days: tuple[int, ...] = (1,)
    repeat_every_days: int = 3
    max_overdue: int = 3
    escalate_from: int = 2
    send_at: str = "08:00"
    enabled: bool = True


@dataclass(frozen=True)
class ReminderOverride:
    values: tuple[tuple[str, object], ...]
    report: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class ReminderRules:
    defaults: ReminderPolicy = field(default_factory=ReminderPolicy)
    overrides: tuple[ReminderOverride, ...] = ()
    off: tuple[tuple[str | None, str | None], ...] = ()    # (unit, report)

    def policy_for(self, report: str, unit: str) -> ReminderPolicy | None:
        """The policy for one unit and report, or None when reminders are off for it."""
        if not self.defaults.enabled:
            return None
        for off_unit, off_report in self.off:
            if (off_unit in (None, unit)) and (off_report in (None, report)):
                return None
        policy = self.defaults
        for o in self.overrides:           # report-wide first, then unit-specific
            if o.report in (None, report) and o.unit is None and o.report is not None:
                policy = replace(policy, **dict(o.values))
        for o in self.overrides:
            if o.unit == unit and o.report in (None, report):
                policy = replace(policy, **dict(o.values))
        return policy if policy.enabled else None


@dataclass(frozen=True)
class CalendarRules:
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Scoring:
    """Score per unit in a range: 100 × (on_time + late_weight × late) / due, minus
    late_day_penalty per day late (capped), never below 0. See README."""

    late_weight: float = 0.5
    late_day_penalty: float = 0.5
    max_day_penalty: float = 20.0
    good_from: float = 90.0      # "thực hiện tốt": at least this score and nothing missing
    poor_below: float = 50.0     # "chưa tốt": below this score, or anything missing


@dataclass(frozen=True)
class Rulebook:
    units: dict[str, Unit]
    groups: dict[str, str]
    directives: tuple[Directive, ...]
    matching: MatchingPolicy = field(default_factory=MatchingPolicy)
    reminders: ReminderRules = field(default_factory=ReminderRules)
    calendar: CalendarRules = field(default_factory=CalendarRules)
    scoring: Scoring = field(default_factory=Scoring)
    rules_dir: str = ""

    @property
    def reports(self) -> dict[str, Report]:
        return {r.id: r for d in self.directives for r in d.reports}

    def directive_of(self, report: Report) -> Directive:
        return next(d for d in self.directives if d.number == report.directive)

    def unit_by_email(self, address: str, on: date | None = None) -> Unit | None:
        """The unit this address belongs to on ``on`` (an address may move from a unit to
        its successor; both may list it): the one that exists then, else the last one."""
        address = address.lower()
        found = _on([u for u in self.units.values() if address in u.emails], on)
        if found:
            return found
        for rule in self.matching.senders:
            if rule.address and rule.address == address:
                return self.units.get(rule.unit)
        return None

    def unit_by_domain(self, domain: str, on: date | None = None) -> Unit | None:
        domain = domain.lower()
        found = _on([u for u in self.units.values() if domain in u.domains], on)
        if found:
            return found
        for rule in self.matching.senders:
            if rule.domain and rule.domain == domain:
                return self.units.get(rule.unit)
        return None

    def expected(self, unit_id: str, report: Report, due: date) -> bool:
        """A unit owes a (report, period) when the report names it and it exists on that
        period's deadline."""
        unit = self.units.get(unit_id)
        return unit is not None and unit_id in report.units and unit.exists_on(due)

    def successors(self, unit_id: str) -> list[Unit]:
        """The unit's successor, its successor's, ... (``check`` refuses cycles)."""
        out: list[Unit] = []
        unit = self.units.get(unit_id)
        while unit is not None and unit.successor and unit.successor not in {u.id for u in out}:
            unit = self.units.get(unit.successor)
            if unit is not None:
                out.append(unit)
        return out

    def unit_by_signer(self, *names: str | None) -> Unit | None:
        """The unit a certificate's O= (then OU=) names: first by ``signer_names``, then by the
        unit's name, aliases and former names; case, diacritics, spacing and punctuation
        folded. A name that fits two units names none."""
        for name in names:
            if not name:
                continue
            key = name_key(name)
            for fields in (lambda u: u.signer_names, lambda u: (u.name, *u.aliases, *u.former_names)):
                found = {u.id for u in self.units.values() if any(name_key(n) == key for n in fields(u))}
                if len(found) == 1:
                    return self.units[found.pop()]
                if found:
                    return None
        return None

    def unit_by_organ(self, organ_id: str, on: date | None = None) -> Unit | None:
        key = organ_id.strip().lower()
        return _on([u for u in self.units.values() if key in (o.lower() for o in u.organ_ids)], on)
