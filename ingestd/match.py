"""Matching: Document + Rulebook -> unit, directive, report(s), period, with evidence. Pure.

A receipt counts only when its sender is trusted for its unit (gateway OrganId, or an
official address with DMARC / aligned SPF or DKIM reported by our own mail server when
``[trust] authserv_id`` is set). Anything not matched with confidence goes to review with the
reason; nothing is dropped silently.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from ingestd.calendar import WorkCalendar, deadline, parse_period, period_of, periods
from ingestd.letter_kind import asked_until, letter_kind
from ingestd.near_miss import near_misses
from ingestd.read.document import Document, TextPart
from ingestd.read.ocr import ocr_confidence
from ingestd.read.refs import PeriodRef, Ref, parse_number
from ingestd.read.vntext import fold
from ingestd.rules.model import Directive, Report, Rulebook, Unit
from ingestd.sender_trust import Trust, domain_of, sender_trust
from ingestd.vocabulary import SIGNATURE_VI as _SIGNATURE_VI
from ingestd.vocabulary import ReceiptState

MATCHED, REVIEW, IGNORED, FAILED = (ReceiptState.MATCHED, ReceiptState.REVIEW,
                                    ReceiptState.IGNORED, ReceiptState.FAILED)
_PERIOD_KIND = {"month": re.compile(r"^\d{4}-\d{2}$"), "quarter": re.compile(r"-Q\d$"),
                "half-year": re.compile(r"-H\d$"), "year": re.compile(r"^\d{4}$")}
_PRIMARY = ("subject", "attachment-name:", "edxml:Content")      # where a document names itself
_HEAD_CHARS = 600


@dataclass
class Evidence:
    step: str          # ignore | unit | trust | directive | report | period | read
    decision: str
    location: str | None = None
    text: str | None = None


@dataclass
class ReportMatch:
    report: str
    period: str | None
    confidence: float


@dataclass
class MatchResult:
    state: str
    reason: str | None = None
    unit: str | None = None
    suggested_unit: str | None = None
    trusted: bool = False
    matches: list[ReportMatch] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    signature: dict[str, str | None] | None = None   # the receipts JSON's "signature"
    suggested_directive: str | None = None   # a near miss: the tracked number it may stand for
    letter: str | None = None       # not a report: "extension" (xin gia hạn), "question", "auto-reply"
    asked_until: str | None = None  # the day a request for more time asks for (ISO)
    revokes: str | None = None      # the DocumentId an edXML revocation withdraws from the count

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


_FULL_DATE = re.compile(r"\bngay\s*\d{1,2}\s*thang\s*\d{1,2}\s*nam\s*\d{4}|"
                        r"\b\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}\b")
_DATE_WORDS = {"ngay", "thang", "nam"}


def _words(text: str) -> str:
    """Folded words for keyword search. Full dates are taken out first: the keyword "tháng 11"
    must not be found in "ngày 26 tháng 11 năm 2026" at the top of every letter."""
    return " " + re.sub(r"[^0-9a-z]+", " ", _FULL_DATE.sub(" ", fold(text))) + " "


def date_like_keywords(book: Rulebook) -> list[tuple[Report, str]]:
    """Keywords made only of date words and numbers ("tháng 11", "năm 2019"): they also match
    the date lines that every letter carries, so they tell reports apart badly."""
    out = []
    for directive in book.directives:
        for rep in directive.reports:
            for kw in rep.keywords:
                words = _words(kw).split()
                if words and all(w in _DATE_WORDS or w.isdigit() for w in words):
                    out.append((rep, kw))
    return out


# -- unit and trust ----------------------------------------------------------------------------

def suggest_unit(doc: Document, book: Rulebook) -> Unit | None:
    text = _words(" ".join(p.text[:5000] for p in doc.parts))
    best, best_len = None, 0
    for unit in book.units.values():
        for name in (unit.name, *unit.aliases, *unit.former_names):
            w = _words(name)
            if len(w) > 4 and w in text and len(w) > best_len:
                best, best_len = unit, len(w)
    return best


def find_unit(doc: Document, book: Rulebook, trust: Trust,
              ev: list[Evidence], via_gateway: bool = False, on: date | None = None
              ) -> tuple[Unit | None, bool, str | None]:
    """(unit, trusted, reason when not). ``on``: the receipt's day (an address may have
    moved from a unit to its successor)."""
    if doc.kind == "edxml":
        if not doc.organ_id:
            return None, False, "gói tin edXML không có From/OrganId"
        unit = book.unit_by_organ(doc.organ_id, on)
        if unit is None:
            return None, False, f"mã định danh {doc.organ_id} không thuộc đơn vị nào trong units.toml"
        ev.append(Evidence("unit", f"{unit.id} theo mã định danh trên trục liên thông",
                           "edxml:From", doc.organ_id))
        if not via_gateway:
            why = ("gói edXML được nhập từ tệp, không nhận qua trục liên thông: không xác minh "
                   "được đơn vị gửi")
            ev.append(Evidence("trust", "không tin cậy: " + why))
            return unit, False, why
        ev.append(Evidence("trust", "tin cậy: nhận qua trục liên thông văn bản"))
        return unit, True, None
    if not doc.sender:
        return None, False, "thư không có địa chỉ người gửi"
    unit = book.unit_by_email(doc.sender, on)
    how = "địa chỉ"
    if unit is None:
        domain = domain_of(doc.sender)
        parts = domain.split(".")
        for i in range(len(parts) - 1):
            unit = book.unit_by_domain(".".join(parts[i:]), on)
            if unit:
                how = f"tên miền {'.'.join(parts[i:])} của"
                break
    if unit is None:
        domain = domain_of(doc.sender)
        if domain in book.matching.personal_domains:
            label = domain.split(".")[0].capitalize()
            return None, False, f"gửi từ hộp thư cá nhân {label} ({doc.sender}), không phải hộp thư công vụ"
        return None, False, f"địa chỉ {doc.sender} không thuộc đơn vị nào"
    ev.append(Evidence("unit", f"{unit.id} theo {how} người gửi", "From", doc.sender))
    trusted, why = sender_trust(doc, trust, unit)
    ev.append(Evidence("trust", ("tin cậy: " if trusted else "không tin cậy: ") + why,
                       "Authentication-Results"))
    return unit, trusted, None if trusted else why


# -- directive, report, period -----------------------------------------------------------------

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
    tiers = [names, heads, doc.parts]
    for tier in tiers:
        hits: list[Report] = []
        for rep in reports:
            for kw in rep.keywords:
                w = _words(kw)
                part = next((p for p in tier if w in _words(p.text)), None)
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


def _ocr_only(doc: Document, directives: list[Directive]) -> tuple[int, str] | None:
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


def judge_signature(doc: Document, book: Rulebook, ev: list[Evidence]
                    ) -> dict[str, str | None] | None:
    """The signature that speaks for the receipt (a valid one first), with the unit its
    organisation maps to; every signature found is in the evidence."""
    if not doc.signatures:
        return None
    for s in doc.signatures:
        who = ", ".join(x for x in (s.get("signer"), s.get("organization")) if x)
        ev.append(Evidence("signature", f"{_SIGNATURE_VI.get(str(s['status']), s['status'])}: "
                           f"{s.get('detail')}" + (f" — {who}" if who else ""), s.get("location")))
    best = next((s for s in doc.signatures if s["status"] == "valid"), doc.signatures[0])
    unit = book.unit_by_signer(best.get("organization"), best.get("organizational_unit"))
    return {"status": best["status"], "signer": best.get("signer"),
            "organization": best.get("organization"), "unit": unit.id if unit else None,
            "signed_at": best.get("signed_at")}


def _near_miss(doc: Document, book: Rulebook, cal: WorkCalendar, received: datetime,
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


def _owner_over_time(doc: Document, book: Rulebook, cal: WorkCalendar, unit: Unit,
                     matches: list[ReportMatch]) -> tuple[Unit, str] | None:
    """When the unit the address belongs to today does not owe these reports, the one that
    does: an earlier holder of the same address or gateway id (a late report from the old box,
    for a period the old unit owed), else a successor (the old unit no longer exists)."""
    address, organ = (doc.sender or "").lower(), (doc.organ_id or "").strip().lower()
    holders = [u for u in book.units.values() if u.id != unit.id and (
        (address and address in u.emails) or (organ and organ in (o.lower() for o in u.organ_ids)))]
    for u in holders:
        if all(_owes(book, cal, u, m) for m in matches):
            return u, f"{u.id}: đơn vị phải gửi báo cáo kỳ này, gửi từ địa chỉ cũ (nay thuộc {unit.id})"
    for u in book.successors(unit.id):
        if all(_owes(book, cal, u, m) for m in matches):
            until = f" (đã thôi hoạt động từ sau {unit.valid_until:%d/%m/%Y})" if unit.valid_until else ""
            return u, f"{u.id}: đơn vị kế thừa của {unit.id}{until}, nhận nghĩa vụ báo cáo này"
    return None


def _owes(book: Rulebook, cal: WorkCalendar, unit: Unit, m: ReportMatch) -> bool:
    """The unit owes this (report, period): named by the report and existing on its deadline."""
    report = book.reports[m.report]
    parsed = parse_period(m.period) if m.period else None
    due = deadline(report, parsed[1] if parsed else None, book.directive_of(report), cal)
    return book.expected(unit.id, report, cal.local(due).date())


def _ignored(doc: Document, book: Rulebook) -> str | None:
    for rule in book.matching.ignore:
        ok = True
        if rule.sender:
            pat = rule.sender.lower()
            sender = doc.sender or ""
            ok = (fnmatch.fnmatch(sender, pat) or (pat.startswith("@") and sender.endswith(pat))
                  or sender == pat)
        if ok and rule.subject:
            ok = re.search(rule.subject, doc.subject or "", re.IGNORECASE) is not None
        if ok and (rule.sender or rule.subject):
            return rule.reason
    return None


def match(doc: Document, book: Rulebook, cal: WorkCalendar, received: datetime,
          trust: Trust | str | None = None, via_gateway: bool = False) -> MatchResult:
    """``trust``: ``[trust]`` (or just our authserv-id); ``via_gateway``: the receipt came
    from a gateway source (an edXML's OrganId is believed only then)."""
    trust = Trust.of(trust)
    ev: list[Evidence] = []
    reason = _ignored(doc, book)
    if reason:
        return MatchResult(IGNORED, reason, evidence=[Evidence("ignore", reason)])
    blocking = [p for p in doc.problems if p.blocking]
    for p in doc.problems:
        ev.append(Evidence("read", p.reason, p.location))
    if doc.kind == "edxml" and not doc.parts and blocking and not doc.edxml_status:
        return MatchResult(FAILED, blocking[0].reason, evidence=ev)
    if doc.edxml_status:
        reason = (f"gói trạng thái xử lý văn bản (mã {doc.edxml_status}"
                  + (f": {doc.edxml_status_text}" if doc.edxml_status_text else "")
                  + "): được ghi nhận, không phải báo cáo")
        return MatchResult(IGNORED, reason, evidence=[*ev, Evidence("ignore", reason)])

    unit, trusted, unit_reason = find_unit(doc, book, trust, ev, via_gateway,
                                           cal.local(received).date())
    if doc.edxml_due or doc.edxml_steering:
        ev.append(Evidence("period", "gói edXML ghi" + (f" hạn xử lý (DueDate) {doc.edxml_due}"
                                                         if doc.edxml_due else "")
                           + (f" loại chỉ đạo (SteeringType) {doc.edxml_steering}"
                              if doc.edxml_steering else "")))
    if doc.edxml_business in (2, 3) and doc.edxml_refers:
        what = "cập nhật" if doc.edxml_business == 2 else "thay thế"
        ev.append(Evidence("report", f"{what} văn bản {doc.edxml_refers}: tính như bản bổ sung"))
    if doc.edxml_business == 1 and doc.edxml_refers and unit is not None and trusted:
        reason = (f"gói thu hồi văn bản {doc.edxml_refers}: văn bản đó không còn được tính "
                  "cho đơn vị")
        return MatchResult(IGNORED, reason, unit=unit.id, trusted=True, revokes=doc.edxml_refers,
                           evidence=[*ev, Evidence("ignore", reason)])
    directives = find_directives(doc, book, received, ev)
    early = [d for d in directives if cal.local(received).date() < d.date]
    matches: list[ReportMatch] = []
    report_reasons = []
    for d in directives:
        reports = find_reports(doc, d, book, ev, unit)
        if not reports:
            kws = "; ".join(f"{r.id}: {', '.join(r.keywords) or '-'}" for r in d.reports)
            report_reasons.append(f"dẫn chiếu {d.number} nhưng không thấy từ khóa của báo cáo nào ({kws})")
        for rep in reports:
            period = find_period(doc, rep, d, cal, received, ev)
            conf = 1.0 if doc.response_for else 0.9 if len(d.reports) == 1 else 0.8
            matches.append(ReportMatch(rep.id, period, conf))

    suggested = None if unit else suggest_unit(doc, book)
    if suggested:
        ev.append(Evidence("unit", f"gợi ý: {suggested.id} (tên đơn vị có trong văn bản)"))
    signature = judge_signature(doc, book, ev)
    result = MatchResult(REVIEW, unit=unit.id if unit else None,
                         suggested_unit=suggested.id if suggested else None,
                         trusted=trusted, matches=matches, evidence=ev, signature=signature)
    if unit is None or not trusted:
        result.reason = unit_reason or "người gửi chưa được xác thực"
        return result
    shaky = _ocr_only(doc, directives)
    if shaky is not None and shaky[0] < book.matching.ocr_min_confidence:
        conf, snippet = shaky
        result.reason = (f"chỉ đọc được số văn bản qua nhận dạng chữ (OCR), độ tin cậy {conf}% "
                         f"dưới ngưỡng {book.matching.ocr_min_confidence:g}%: cần kiểm tra. "
                         f"Chữ nhận dạng được: «{snippet}»")
        ev.append(Evidence("directive", f"chỉ dựa vào OCR độ tin cậy {conf}%"))
        return result
    if early:
        d = early[0]
        result.reason = (f"thời điểm nhận {cal.local(received):%d/%m/%Y %H:%M} trước ngày ban "
                         f"hành văn bản {d.number} ({d.date:%d/%m/%Y}): thời điểm nhận không "
                         "đáng tin, cần kiểm tra")
        ev.append(Evidence("directive", f"nhận trước ngày ban hành {d.number}"))
        return result
    if not matches and not directives:
        miss = _near_miss(doc, book, cal, received, ev, unit)
        if miss is not None:
            result.reason, result.suggested_directive, result.matches = miss
            return result
    if not matches:
        if report_reasons:
            result.reason = report_reasons[0]
        elif doc.unreadable and blocking:
            result.reason = "không đọc được: " + "; ".join(p.reason for p in blocking[:3])
        else:
            cited = sorted({str(r.doc) for r in doc.references})
            result.reason = ("không dẫn chiếu văn bản chỉ đạo nào đang theo dõi" +
                             (f" (có: {', '.join(cited[:5])})" if cited else ""))
        return result
    book_reports = book.reports
    expected = [m for m in matches if _owes(book, cal, unit, m)]
    if not expected and matches:
        owner = _owner_over_time(doc, book, cal, unit, matches)
        if owner is not None:
            owed, why = owner
            ev.append(Evidence("unit", why))
            unit, result.unit, expected = owed, owed.id, list(matches)
        elif unit.valid_until and cal.local(received).date() > unit.valid_until:
            result.reason = (f"gửi từ địa chỉ của {unit.id}, đơn vị đã thôi hoạt động từ sau "
                             f"{unit.valid_until:%d/%m/%Y}; không có đơn vị kế thừa phải gửi "
                             + ", ".join(m.report for m in matches))
            return result
    if not expected:
        result.reason = (f"đơn vị {unit.id} không thuộc diện phải gửi "
                         + ", ".join(m.report for m in matches))
        return result
    for m in matches:
        if m not in expected:
            ev.append(Evidence("report", f"{m.report}: đơn vị {unit.id} không phải gửi; không "
                               "tính"))
    if signature and signature["status"] == "valid" and signature["unit"] not in (None, unit.id):
        result.reason = (f"văn bản được ký số bằng chứng thư của đơn vị khác ({signature['unit']}: "
                         f"{signature['organization']}), không phải của {unit.id}")
        return result
    needs = [m.report for m in expected if book_reports[m.report].require_signature]
    if needs and not (signature and signature["status"] == "valid"):
        state = signature["status"] if signature else "không có"
        result.reason = (f"báo cáo {', '.join(needs)} phải được ký số; chữ ký: "
                         f"{_SIGNATURE_VI.get(state, state)}")
        return result
    kind = letter_kind(doc)
    if kind is not None:
        result.letter, words = kind
        if result.letter == "extension":
            until = asked_until(doc)
            result.asked_until = until.isoformat() if until else None
        result.reason = f"{words} (dẫn chiếu {', '.join(d.number for d in directives)}): cần cán bộ xem"
        ev.append(Evidence("report", f"không tính: {words}", "subject", doc.subject))
        result.matches = expected
        return result
    result.matches = expected
    result.state = MATCHED
    return result
