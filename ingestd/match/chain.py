"""The order of decisions, as data: ``CHAIN`` is a tuple of named checks run in turn on one
``Case`` (what is known of the message so far). A check either adds to the case (the unit, the
directives, the evidence) and returns None, or returns the verdict, which ends the chain — the
shape of GNU Mailman 3's chains. The evidence is appended in the order the checks run."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from ingestd.calendar import WorkCalendar
from ingestd.evidence import Evidence, MatchResult, ReportMatch, SignatureVerdict
from ingestd.letter_kind import asked_until, letter_kind
from ingestd.match.answers import find_directives, find_period, find_reports, near_miss, ocr_only
from ingestd.match.identity import find_unit, judge_signature, suggest_unit
from ingestd.match.ownership import owes, owner_over_time
from ingestd.read.document import Document, PartProblem
from ingestd.rules.model import Directive, Rulebook, Unit
from ingestd.sender_trust import Trust
from ingestd.vocabulary import SIGNATURE_VI, ReceiptState

MATCHED, REVIEW, IGNORED, FAILED = (ReceiptState.MATCHED, ReceiptState.REVIEW,
                                    ReceiptState.IGNORED, ReceiptState.FAILED)


@dataclass
class Case:
    """One message on its way through the chain."""

    doc: Document
    book: Rulebook
    cal: WorkCalendar
    received: datetime
    trust: Trust
    via_gateway: bool
    ev: list[Evidence] = field(default_factory=list)
    blocking: list[PartProblem] = field(default_factory=list)
    unit: Unit | None = None
    trusted: bool = False
    unit_reason: str | None = None
    directives: list[Directive] = field(default_factory=list)
    matches: list[ReportMatch] = field(default_factory=list)
    report_reasons: list[str] = field(default_factory=list)
    signature: SignatureVerdict | None = None
    expected: list[ReportMatch] = field(default_factory=list)
    result: MatchResult | None = None      # the review verdict being built (from ``answers`` on)

    @property
    def day(self) -> date:
        return self.cal.local(self.received).date()

    def review(self, reason: str) -> MatchResult:
        assert self.result is not None
        self.result.reason = reason
        return self.result


Check = Callable[[Case], MatchResult | None]


# -- before the sender is known ---------------------------------------------------------------

def ignore_rules(c: Case) -> MatchResult | None:
    """``[[matching.ignore]]``: newsletters, the Office's own mail."""
    for rule in c.book.matching.ignore:
        ok = True
        if rule.sender:
            pat, sender = rule.sender.lower(), c.doc.sender or ""
            ok = (fnmatch.fnmatch(sender, pat) or (pat.startswith("@") and sender.endswith(pat))
                  or sender == pat)
        if ok and rule.subject:
            ok = re.search(rule.subject, c.doc.subject or "", re.IGNORECASE) is not None
        if ok and (rule.sender or rule.subject):
            return MatchResult(IGNORED, rule.reason, evidence=[Evidence("ignore", rule.reason)])
    return None


def read_problems(c: Case) -> MatchResult | None:
    """What could not be read is evidence; an edXML package with nothing readable fails."""
    c.blocking = [p for p in c.doc.problems if p.blocking]
    c.ev.extend(Evidence("read", p.reason, p.location) for p in c.doc.problems)
    if c.doc.kind == "edxml" and not c.doc.parts and c.blocking and not c.doc.edxml_status:
        return MatchResult(FAILED, c.blocking[0].reason, evidence=c.ev)
    return None


def status_package(c: Case) -> MatchResult | None:
    d = c.doc
    if not d.edxml_status:
        return None
    reason = (f"gói trạng thái xử lý văn bản (mã {d.edxml_status}"
              + (f": {d.edxml_status_text}" if d.edxml_status_text else "")
              + "): được ghi nhận, không phải báo cáo")
    return MatchResult(IGNORED, reason, evidence=[*c.ev, Evidence("ignore", reason)])


def sender(c: Case) -> MatchResult | None:
    """The unit (gateway id, address, domain) and whether the sender is trusted for it."""
    c.unit, c.trusted, c.unit_reason = find_unit(c.doc, c.book, c.trust, c.ev, c.via_gateway, c.day)
    return None


def edxml_business(c: Case) -> MatchResult | None:
    """What an edXML package says of itself: due date, steering, update/replace; a trusted
    revocation withdraws an earlier document and is not a report."""
    d = c.doc
    if d.edxml_due or d.edxml_steering:
        c.ev.append(Evidence("period", "gói edXML ghi"
                             + (f" hạn xử lý (DueDate) {d.edxml_due}" if d.edxml_due else "")
                             + (f" loại chỉ đạo (SteeringType) {d.edxml_steering}"
                                if d.edxml_steering else "")))
    if d.edxml_business in (2, 3) and d.edxml_refers:
        what = "cập nhật" if d.edxml_business == 2 else "thay thế"
        c.ev.append(Evidence("report", f"{what} văn bản {d.edxml_refers}: tính như bản bổ sung"))
    if d.edxml_business == 1 and d.edxml_refers and c.unit is not None and c.trusted:
        reason = f"gói thu hồi văn bản {d.edxml_refers}: văn bản đó không còn được tính cho đơn vị"
        return MatchResult(IGNORED, reason, unit=c.unit.id, trusted=True, revokes=d.edxml_refers,
                           evidence=[*c.ev, Evidence("ignore", reason)])
    return None


# -- what it answers ---------------------------------------------------------------------------

def answers(c: Case) -> MatchResult | None:
    """The directives cited, each one's reports and periods; from here on the verdict is a
    review until a later check says otherwise."""
    c.directives = find_directives(c.doc, c.book, c.received, c.ev)
    for d in c.directives:
        reports = find_reports(c.doc, d, c.book, c.ev, c.unit)
        if not reports:
            kws = "; ".join(f"{r.id}: {', '.join(r.keywords) or '-'}" for r in d.reports)
            c.report_reasons.append(f"dẫn chiếu {d.number} nhưng không thấy từ khóa của báo cáo "
                                    f"nào ({kws})")
        for rep in reports:
            period = find_period(c.doc, rep, d, c.cal, c.received, c.ev)
            conf = 1.0 if c.doc.response_for else 0.9 if len(d.reports) == 1 else 0.8
            c.matches.append(ReportMatch(rep.id, period, conf))
    suggested = None if c.unit else suggest_unit(c.doc, c.book)
    if suggested:
        c.ev.append(Evidence("unit", f"gợi ý: {suggested.id} (tên đơn vị có trong văn bản)"))
    c.signature = judge_signature(c.doc, c.book, c.ev)
    c.result = MatchResult(REVIEW, unit=c.unit.id if c.unit else None,
                           suggested_unit=suggested.id if suggested else None,
                           trusted=c.trusted, matches=c.matches, evidence=c.ev,
                           signature=c.signature)
    return None


def trusted_sender(c: Case) -> MatchResult | None:
    if c.unit is None or not c.trusted:
        return c.review(c.unit_reason or "người gửi chưa được xác thực")
    return None


def ocr_confidence(c: Case) -> MatchResult | None:
    """A citation read only by OCR, below ``ocr_min_confidence``, is checked by a clerk."""
    shaky = ocr_only(c.doc, c.directives)
    floor = c.book.matching.ocr_min_confidence
    if shaky is None or shaky[0] >= floor:
        return None
    conf, snippet = shaky
    c.ev.append(Evidence("directive", f"chỉ dựa vào OCR độ tin cậy {conf}%"))
    return c.review(f"chỉ đọc được số văn bản qua nhận dạng chữ (OCR), độ tin cậy {conf}% dưới "
                    f"ngưỡng {floor:g}%: cần kiểm tra. Chữ nhận dạng được: «{snippet}»")


def received_before_issue(c: Case) -> MatchResult | None:
    early = [d for d in c.directives if c.day < d.date]
    if not early:
        return None
    d = early[0]
    c.ev.append(Evidence("directive", f"nhận trước ngày ban hành {d.number}"))
    return c.review(f"thời điểm nhận {c.cal.local(c.received):%d/%m/%Y %H:%M} trước ngày ban hành "
                    f"văn bản {d.number} ({d.date:%d/%m/%Y}): thời điểm nhận không đáng tin, "
                    "cần kiểm tra")


def near_misses(c: Case) -> MatchResult | None:
    """Nothing cited is tracked, but a number is one confusable digit from one that is."""
    if c.matches or c.directives:
        return None
    miss = near_miss(c.doc, c.book, c.cal, c.received, c.ev, c.unit)
    if miss is None:
        return None
    assert c.result is not None
    c.result.reason, c.result.suggested_directive, c.result.matches = miss
    return c.result


def something_matched(c: Case) -> MatchResult | None:
    if c.matches:
        return None
    if c.report_reasons:
        return c.review(c.report_reasons[0])
    if c.doc.unreadable and c.blocking:
        return c.review("không đọc được: " + "; ".join(p.reason for p in c.blocking[:3]))
    cited = sorted({str(r.doc) for r in c.doc.references})
    return c.review("không dẫn chiếu văn bản chỉ đạo nào đang theo dõi"
                    + (f" (có: {', '.join(cited[:5])})" if cited else ""))


def owed(c: Case) -> MatchResult | None:
    """The unit owes what it sent — or an earlier holder of its address, or its successor,
    does (units over time)."""
    unit = c.unit
    assert unit is not None and c.result is not None
    c.expected = [m for m in c.matches if owes(c.book, c.cal, unit, m)]
    if not c.expected:
        owner = owner_over_time(c.doc, c.book, c.cal, unit, c.matches)
        if owner is not None:
            new, why = owner
            c.ev.append(Evidence("unit", why))
            c.unit, c.result.unit, c.expected = new, new.id, list(c.matches)
        elif unit.valid_until and c.day > unit.valid_until:
            return c.review(f"gửi từ địa chỉ của {unit.id}, đơn vị đã thôi hoạt động từ sau "
                            f"{unit.valid_until:%d/%m/%Y}; không có đơn vị kế thừa phải gửi "
                            + ", ".join(m.report for m in c.matches))
    if not c.expected:
        return c.review(f"đơn vị {c.unit.id} không thuộc diện phải gửi "
                        + ", ".join(m.report for m in c.matches))
    for m in c.matches:
        if m not in c.expected:
            c.ev.append(Evidence("report", f"{m.report}: đơn vị {c.unit.id} không phải gửi; "
                                 "không tính"))
    return None


def signed_by_its_unit(c: Case) -> MatchResult | None:
    s = c.signature
    assert c.unit is not None
    if s and s.valid and s.unit not in (None, c.unit.id):
        return c.review(f"văn bản được ký số bằng chứng thư của đơn vị khác ({s.unit}: "
                        f"{s.organization}), không phải của {c.unit.id}")
    return None


def signature_required(c: Case) -> MatchResult | None:
    needs = [m.report for m in c.expected if c.book.reports[m.report].require_signature]
    if needs and not (c.signature and c.signature.valid):
        state = c.signature.status if c.signature else "không có"
        return c.review(f"báo cáo {', '.join(needs)} phải được ký số; chữ ký: "
                        f"{SIGNATURE_VI.get(state, state)}")
    return None


def letter_not_report(c: Case) -> MatchResult | None:
    """A letter asking for more time, a question or an auto-reply cites the directive but is
    not the report."""
    assert c.result is not None
    kind = letter_kind(c.doc)
    if kind is None:
        return None
    c.result.letter, words = kind
    if c.result.letter == "extension":
        until = asked_until(c.doc)
        c.result.asked_until = until.isoformat() if until else None
    c.ev.append(Evidence("report", f"không tính: {words}", "subject", c.doc.subject))
    c.result.matches = c.expected
    return c.review(f"{words} (dẫn chiếu {', '.join(d.number for d in c.directives)}): cần cán bộ xem")


def counted(c: Case) -> MatchResult | None:
    assert c.result is not None
    c.result.matches, c.result.state = c.expected, MATCHED
    return c.result


CHAIN: tuple[tuple[str, Check], ...] = (
    ("ignore rules", ignore_rules),
    ("read problems", read_problems),
    ("status package", status_package),
    ("sender", sender),
    ("edXML business", edxml_business),
    ("answers", answers),
    ("trusted sender", trusted_sender),
    ("OCR confidence", ocr_confidence),
    ("received before issue", received_before_issue),
    ("near miss", near_misses),
    ("something matched", something_matched),
    ("owed by the unit", owed),
    ("signed by its unit", signed_by_its_unit),
    ("signature required", signature_required),
    ("letter, not a report", letter_not_report),
    ("counted", counted),
)


def match(doc: Document, book: Rulebook, cal: WorkCalendar, received: datetime,
          trust: Trust | str | None = None, via_gateway: bool = False) -> MatchResult:
    """``trust``: ``[trust]`` (or just our authserv-id); ``via_gateway``: the receipt came from
    a trusted channel (an edXML's OrganId is believed only then)."""
    case = Case(doc, book, cal, received, Trust.of(trust), via_gateway)
    for _name, check in CHAIN:
        verdict = check(case)
        if verdict is not None:
            return verdict
    raise AssertionError("the chain ends with a check that always decides")
