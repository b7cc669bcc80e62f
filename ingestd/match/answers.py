"""What a document answers: the tracked directives it cites (edXML ResponseFor first, then
numbers with their notation and date), the reports by keyword, the period, whether the citation
rests on OCR only, and a near miss (one confusable digit from a tracked number)."""

from __future__ import annotations

import re
from datetime import datetime

from ingestd.calendar import WorkCalendar, deadline, parse_period, period_of, periods
from ingestd.evidence import Evidence, ReportMatch
from ingestd.match.words import words_of
from ingestd.near_miss import near_misses
from ingestd.read.document import Document, TextPart
from ingestd.read.ocr import ocr_confidence
from ingestd.read.refs import PeriodRef, Ref, parse_number
from ingestd.rules.model import Directive, Report, Rulebook, Unit

_PERIOD_KIND = {"month": re.compile(r"^\d{4}-\d{2}$"), "quarter": re.compile(r"-Q\d$"),
                "half-year": re.compile(r"-H\d$"), "year": re.compile(r"^\d{4}$")}
_PRIMARY = ("subject", "attachment-name:", "edxml:Content")      # where a document names itself
_HEAD_CHARS = 600


def find_directives(doc: Document, book: Rulebook, received: datetime,
                    ev: list[Evidence]) -> list[Directive]:
    found: list[Directive] = []
    for rf in doc.response_for:
        num = parse_number(rf.code)
        for d in book.directives:
            if num and d.doc.key == num.key and (rf.date is None or rf.date == d.date):
                if d not in found:
                    found.append(d)
                    ev.append(Evidence("directive", f"{d.number} theo ResponseFor của gói edXML",
                                       "edxml:ResponseFor", f"{rf.code} {rf.date or ''}".strip()))
    if found:
        return found
    by_key: dict[str, list[Directive]] = {}
    for d in book.directives:
        by_key.setdefault(d.doc.key, []).append(d)
    for ref in doc.references:
        candidates = by_key.get(ref.doc.key)
        if not candidates:
            continue
        chosen = _choose_by_date(ref, candidates, received)
        if chosen is None:
            ev.append(Evidence("directive", f"{ref.doc} ngày {ref.date:%d/%m/%Y} không phải văn "
                               "bản chỉ đạo đang theo dõi (cùng số, khác ngày)",
                               ref.location, ref.snippet))
            continue
        if chosen not in found:
            found.append(chosen)
            dated = " và ngày" if ref.date else ""
            ev.append(Evidence("directive", f"{chosen.number} theo số, ký hiệu{dated}", ref.location,
                               ref.snippet))
    return found


def _choose_by_date(ref: Ref, candidates: list[Directive], received: datetime) -> Directive | None:
    if ref.date:
        return next((d for d in candidates if d.date == ref.date), None)
    before = [d for d in candidates if d.date <= received.date()]
    return max(before or candidates, key=lambda d: d.date)


def find_reports(doc: Document, directive: Directive, book: Rulebook,
                 ev: list[Evidence], unit: Unit | None = None) -> list[Report]:
    reports = list(directive.reports)
    if len(reports) == 1 and (book.matching.report_fallback_single or not reports[0].keywords):
        ev.append(Evidence("report", f"{reports[0].id}: báo cáo duy nhất của văn bản"))
        return reports
    # First where a document names itself (subject, file names, the title at the top of each
    # part), then anywhere: a KT-XH report may well mention public investment in its body.
    names = [p for p in doc.parts if p.location.startswith(_PRIMARY)]
    heads = [p if p.location.startswith(_PRIMARY) else TextPart(p.location, p.text[:_HEAD_CHARS])
             for p in doc.parts]
    for tier in (names, heads, doc.parts):
        folded = [(p, words_of(p.text)) for p in tier]     # once a part, not once a keyword
        hits: list[Report] = []
        for rep in reports:
            for kw in rep.keywords:
                w = words_of(kw)
                part = next((p for p, text in folded if w in text), None)
                if part:
                    hits.append(rep)
                    ev.append(Evidence("report", f'{rep.id} theo từ khóa "{kw}"', part.location))
                    break
        if hits:
            return hits
    asked = [r for r in reports if unit is not None and unit.id in r.units]
    if len(asked) == 1 and book.matching.report_fallback_single:
        ev.append(Evidence("report", f"{asked[0].id}: không thấy từ khóa; là báo cáo duy nhất "
                           f"của {directive.number} mà {unit.id} phải gửi"))   # type: ignore[union-attr]
        return asked
    return []


def find_period(doc: Document, report: Report, directive: Directive, cal: WorkCalendar,
                received: datetime, ev: list[Evidence]) -> str | None:
    if not report.periodic:
        return None
    assert report.every
    pattern = _PERIOD_KIND[report.every]
    ordered = sorted(doc.periods, key=lambda p: 0 if p.location.startswith(_PRIMARY) else 1)
    ordered = _reported_not_planned(ordered, pattern)
    for pref in ordered:
        label = pref.label
        if label.startswith("?-"):
            label = f"{cal.local(received).year}-{label[2:]}"
        parsed = parse_period(label)
        if parsed and pattern.search(label) and report.start and parsed[1].end >= report.start:
            ev.append(Evidence("period", f"kỳ {label} ghi trong văn bản", pref.location, pref.snippet))
            return label
    local_day = cal.local(received).date()
    horizon = period_of(report.every, local_day).end
    options = periods(report, horizon)
    if not options:
        return None
    best = min(options, key=lambda p: abs((deadline(report, p, directive, cal) - received)
                                          .total_seconds()))
    ev.append(Evidence("period", f"kỳ {best.label}: văn bản không ghi kỳ; chọn kỳ có hạn gần "
                       "thời điểm nhận nhất"))
    return best.label


def _reported_not_planned(refs: list[PeriodRef], pattern: re.Pattern[str]) -> list[PeriodRef]:
    """``kết quả tháng 01/2026 và phương hướng, nhiệm vụ tháng 02/2026`` reports on January:
    when one part names two periods of the report's kind and the later one is introduced as a
    plan, the plan is not the period reported on."""
    out = list(refs)
    by_part: dict[str, list[PeriodRef]] = {}
    for r in refs:
        if pattern.search(r.label):
            by_part.setdefault(r.location, []).append(r)
    for same in by_part.values():
        labels = sorted({r.label for r in same})
        if len(labels) > 1:
            out = [r for r in out if not (r in same and r.plan and r.label != labels[0])]
    return out


def ocr_only(doc: Document, directives: list[Directive]) -> tuple[int, str] | None:
    """(lowest confidence, a snippet) when every reference naming these directives was read
    by OCR; None when any came from a text layer, a header or the gateway's ResponseFor."""
    if doc.response_for or not directives:
        return None
    keys = {d.doc.key for d in directives}
    refs = [r for r in doc.references if r.doc.key in keys]
    confidences = [ocr_confidence(r.location) for r in refs]
    if not refs or any(c is None for c in confidences):
        return None
    worst = min(range(len(refs)), key=lambda i: confidences[i] or 0)
    return confidences[worst] or 0, refs[worst].snippet


def near_miss(doc: Document, book: Rulebook, cal: WorkCalendar, received: datetime,
               ev: list[Evidence], unit: Unit | None
               ) -> tuple[str, str, list[ReportMatch]] | None:
    """(reason, the directive suggested, what it would count for) when a reference is one
    confusable digit from a tracked directive of the same date (``near_miss``)."""
    misses = near_misses(doc.references, book.directives)
    if not misses:
        return None
    ref, d = misses[0]
    ev.append(Evidence("directive", f"có thể là {d.number}: đọc được {ref.doc} ngày "
                       f"{ref.date:%d/%m/%Y}, khác một chữ số dễ nhận nhầm", ref.location, ref.snippet))
    matches = [ReportMatch(rep.id, find_period(doc, rep, d, cal, received, []), 0.5)
               for rep in find_reports(doc, d, book, [], unit)]
    reason = (f"dẫn chiếu {ref.doc} ngày {ref.date:%d/%m/%Y}, không có trong các văn bản đang theo "
              f"dõi; có thể là {d.number} cùng ngày (khác một chữ số dễ nhận nhầm khi quét hoặc "
              "chụp): cần cán bộ xác nhận")
    return reason, d.number, matches
