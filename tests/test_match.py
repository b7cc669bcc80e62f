"""Matching, as a pure function over Documents built by hand."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestd.calendar import WorkCalendar
from ingestd.evidence import read_evidence
from ingestd.match import MATCHED, REVIEW, match
from ingestd.read.document import Document, ResponseFor, TextPart
from ingestd.rules import load_rules
from ingestd.sender_trust import parse_auth_results

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BOOK = load_rules(Path(__file__).resolve().parent.parent / "rules")
CAL = WorkCalendar(TZ, BOOK.calendar)
AUTH = "mail.laichau.gov.vn"
PASS = f"{AUTH}; spf=pass smtp.mailfrom=skhdt@laichau.gov.vn; dkim=pass header.d=laichau.gov.vn; dmarc=pass header.from=laichau.gov.vn"
WHEN = datetime(2019, 5, 17, 15, 20, tzinfo=TZ)


def email(body: str, subject: str = "Báo cáo", sender: str = "skhdt@laichau.gov.vn",
          auth: list[str] | None = None, attachments: dict[str, str] | None = None) -> Document:
    parts = [TextPart("subject", subject), TextPart("body", body)]
    for name, text in (attachments or {}).items():
        parts += [TextPart(f"attachment-name:{name}", name), TextPart(f"attachment:{name}#p1", text)]
    return Document(kind="email", sender=sender, subject=subject,
                    auth_results=[PASS] if auth is None else auth, parts=parts).analyse()


def run(doc: Document, when: datetime = WHEN):
    return match(doc, BOOK, CAL, when, AUTH, via_gateway=doc.kind == "edxml")


@pytest.mark.parametrize("cite", [
    "760/UBND-TH", "760 /UBND - TH", "số 760/ubnd-th", "CV760/UBND-TH", "760/UBND–TH",
    "760/UBND-TH ngày 10/5/2019", "760/UBND-TH ngày 10 tháng 5 năm 2019",
])
def test_every_reference_variant_matches(cite):
    r = run(email(f"Thực hiện văn bản {cite} của UBND tỉnh, Sở báo cáo như sau"))
    assert r.state == MATCHED and r.unit == "so-khdt"
    assert [(m.report, m.period) for m in r.matches] == [("760-ha-tang", None)]
    assert any(e.step == "directive" and e.text and "760" in e.text for e in r.evidence)


def test_own_number_is_not_an_answer():
    r = run(email("UBND HUYỆN\nSố: 760/BC-UBND\nBáo cáo tình hình chung", sender="ubndtamduong@laichau.gov.vn",
                  auth=[PASS.replace("skhdt", "ubndtamduong")]))
    assert r.state == REVIEW and not r.matches


def test_same_number_other_date_does_not_match():
    r = run(email("Thực hiện Văn bản số 760/UBND-TH ngày 12/3/2018"))
    assert r.state == REVIEW
    assert any("khác ngày" in e.decision for e in r.evidence)


def test_message_with_two_reports_counts_for_both():
    doc = email("Kính gửi Văn phòng", subject="Gửi báo cáo theo CV 924/UBND-TH",
                attachments={"BC KT-XH 6 thang.pdf": "BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI",
                             "BC von DTC.pdf": "BÁO CÁO VỐN ĐẦU TƯ CÔNG"})
    r = run(doc, datetime(2019, 6, 4, 9, 0, tzinfo=TZ))
    assert r.state == MATCHED
    assert sorted(m.report for m in r.matches) == ["924-ktxh-6t", "924-von-dtc-6t"]


def test_keyword_in_the_title_wins_over_a_mention_in_the_body():
    body = ("BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI 6 THÁNG ĐẦU NĂM 2019\nThực hiện Văn bản số "
            "924/UBND-TH ngày 29/5/2019 ..." + " nội dung" * 200 + " trong đó vốn đầu tư công đạt 45%")
    r = run(email(body, subject="Báo cáo KT-XH"), datetime(2019, 6, 4, tzinfo=TZ))
    assert [m.report for m in r.matches] == ["924-ktxh-6t"]


def test_forged_dmarc_fail_goes_to_review_and_counts_for_no_one():
    fail = PASS.replace("dmarc=pass", "dmarc=fail").replace("dkim=pass", "dkim=fail")
    r = run(email("Thực hiện Văn bản số 760/UBND-TH", auth=[fail]))
    assert r.state == REVIEW and "DMARC fail" in r.reason and "laichau.gov.vn" in r.reason


def test_a_pass_from_another_authserv_id_is_ignored():
    r = run(email("Thực hiện Văn bản số 760/UBND-TH", auth=[PASS.replace(AUTH, "mx.evil.example")]))
    assert r.state == REVIEW and AUTH in r.reason


def test_the_topmost_header_of_our_server_decides():
    forged_below = PASS                                   # added by the sender, below ours
    ours = PASS.replace("dmarc=pass", "dmarc=fail")
    r = run(email("Thực hiện Văn bản số 760/UBND-TH", auth=[ours, forged_below]))
    assert r.state == REVIEW


def test_personal_mailbox_goes_to_review_with_a_suggestion():
    r = run(email("Sở Kế hoạch và Đầu tư thực hiện Văn bản số 760/UBND-TH",
                  sender="nguyenvana@gmail.com", auth=[PASS.replace("laichau.gov.vn", "gmail.com")]))
    assert r.state == REVIEW and "Gmail" in r.reason and r.unit is None
    assert r.suggested_unit == "so-khdt"


def test_laws_and_unknown_directives_do_not_match():
    r = run(email("Căn cứ Nghị định số 09/2019/NĐ-CP ngày 24/01/2019 và văn bản 123/UBND-TH"))
    assert r.state == REVIEW and "09/2019/NĐ-CP" in r.reason and not r.matches


def test_edxml_response_for_wins():
    doc = Document(kind="edxml", organ_id="000.07.31.H30", subject="Báo cáo",
                   response_for=[ResponseFor("760/UBND-TH", date(2019, 5, 10))],
                   parts=[TextPart("subject", "Báo cáo"),
                          TextPart("edxml:Content", "Theo văn bản 924/UBND-TH")]).analyse()
    r = run(doc)
    assert r.state == MATCHED and r.unit == "so-khdt" and r.matches[0].report == "760-ha-tang"


def test_unknown_gateway_organ_goes_to_review():
    doc = Document(kind="edxml", organ_id="000.99.99.H99",
                   response_for=[ResponseFor("760/UBND-TH", date(2019, 5, 10))],
                   parts=[TextPart("subject", "x")]).analyse()
    assert run(doc).state == REVIEW


@pytest.mark.parametrize("text,period", [
    ("báo cáo tình hình kinh tế - xã hội quý II/2019", "2019-Q2"),
    ("báo cáo tình hình kinh tế - xã hội Quý 2/2019", "2019-Q2"),
    ("báo cáo kinh tế - xã hội quý 3 năm 2019", "2019-Q3"),       # early submission
])
def test_quarterly_period_from_text(text, period):
    r = run(email(f"Thực hiện Kế hoạch số 876/KH-UBND. {text}", subject=text),
            datetime(2019, 6, 25, tzinfo=TZ))
    assert [(m.report, m.period) for m in r.matches] == [("ktxh-quy", period)]


def test_quarterly_period_without_text_is_the_nearest_deadline():
    r = run(email("Thực hiện Kế hoạch số 876/KH-UBND, gửi báo cáo kinh tế - xã hội"),
            datetime(2019, 7, 8, tzinfo=TZ))
    assert r.matches[0].period == "2019-Q2"                       # due 3/7, not 3/10
    assert any("có hạn gần" in e.decision for e in r.evidence)


def test_unit_not_asked_for_a_report_goes_to_review():
    # bdbp is excluded from the KT-XH report of 924
    auth = PASS.replace("skhdt", "bdbp")
    r = run(email("Báo cáo kinh tế - xã hội theo Văn bản 924/UBND-TH", subject="Báo cáo KT-XH",
                  sender="bdbp@laichau.gov.vn", auth=[auth]), datetime(2019, 6, 4, tzinfo=TZ))
    assert r.state == REVIEW and "bdbp" in r.reason


def test_ignore_rules():
    r = run(email("x", subject="Tự động trả lời: đi vắng"))
    assert r.state == "ignored"


def test_auth_results_parser():
    serv, results = parse_auth_results(
        "mail.laichau.gov.vn (Postfix); dkim=pass (2048-bit key) header.d=laichau.gov.vn "
        "header.s=mail; dmarc=pass (p=reject) header.from=laichau.gov.vn")
    assert serv == "mail.laichau.gov.vn"
    assert ("dmarc", "pass", {"header.from": "laichau.gov.vn"}) in results


# -- the evidence as a type --------------------------------------------------------------------

def test_the_stored_evidence_reads_back_as_the_same_result():
    r = run(email("Thực hiện văn bản 760/UBND-TH ngày 10/5/2019, Sở báo cáo như sau"))
    stored = r.dumps()
    back = read_evidence(stored)
    assert back == r and back.to_json() == json.loads(stored)
    assert set(json.loads(stored)) == {          # the receipts JSON's keys, unchanged
        "state", "reason", "unit", "suggested_unit", "trusted", "matches", "evidence", "signature",
        "suggested_directive", "letter", "asked_until", "revokes"}


def test_a_row_stored_by_an_older_version_loads():
    """Rows written before letters, near misses, revocations and signer units existed."""
    old = {"state": "review", "reason": "người gửi chưa được xác thực", "unit": "so-tc",
           "trusted": False, "matches": [{"report": "760-ha-tang", "period": None, "confidence": 0.9}],
           "evidence": [{"step": "unit", "decision": "so-tc theo địa chỉ người gửi", "location": "From"}],
           "signature": {"status": "valid", "signer": "Nguyễn Văn A", "organization": "Sở Tài chính"}}
    back = read_evidence(json.dumps(old, ensure_ascii=False))
    assert back.matches[0].report == "760-ha-tang" and back.evidence[0].text is None
    assert back.signature is not None and back.signature.valid and back.signature.unit is None
    assert back.letter is None and back.revokes is None
    assert read_evidence(None).matches == [] and read_evidence("{not json").state == ""
