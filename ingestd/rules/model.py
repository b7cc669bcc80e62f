"""The frozen rulebook: units, directives and their reports, and the policies admins edit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from ingestd.read.refs import DocNumber
from ingestd.read.vntext import fold, nfc

PERIODS = ["month", "quarter", "half-year", "year"]
KINDS = ["dinh-ky", "dot-xuat", "chuyen-de"]


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
    organ_id: str | None = None
    remind_to: tuple[str, ...] = ()
    remind_cc: tuple[str, ...] = ()
    signer_names: tuple[str, ...] = ()  # O= of the unit's signing certificates, as written
    former_names: tuple[str, ...] = ()  # names in old documents (help matching like aliases)


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

    def unit_by_email(self, address: str) -> Unit | None:
        address = address.lower()
        for unit in self.units.values():
            if address in unit.emails:
                return unit
        for rule in self.matching.senders:
            if rule.address and rule.address == address:
                return self.units.get(rule.unit)
        return None

    def unit_by_domain(self, domain: str) -> Unit | None:
        domain = domain.lower()
        for unit in self.units.values():
            if domain in unit.domains:
                return unit
        for rule in self.matching.senders:
            if rule.domain and rule.domain == domain:
                return self.units.get(rule.unit)
        return None

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

    def unit_by_organ(self, organ_id: str) -> Unit | None:
        for unit in self.units.values():
            if unit.organ_id and unit.organ_id.lower() == organ_id.strip().lower():
                return unit
        return None
