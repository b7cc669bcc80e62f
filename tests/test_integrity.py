"""A unit must not be able to improve its own record: forged senders, backdated packages,
misread headers and references (issue: a ledger no one can game). Pure reading and matching
with plain values; the file-system and daemon cases are in test_integrity_io.py."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestd.calendar import WorkCalendar
from ingestd.config import ReadLimits
from ingestd.match import MATCHED, REVIEW, date_like_keywords, match
from ingestd.read import read_message
from ingestd.read.attachments import Extracted
from ingestd.read.document import Document, TextPart
from ingestd.read.edxml import parse_tree, trace_time
from ingestd.rules import load_rules
from ingestd.sender_trust import org_domain, sender_trust
from ingestd.testing import auth_results, encode_cp1258, make_edxml

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BOOK = load_rules(Path(__file__).resolve().parent.parent / "rules")
CAL = WorkCalendar(TZ, BOOK.calendar)
AUTHSERV = "mail.laichau.gov.vn"
PASS = auth_results(AUTHSERV, "laichau.gov.vn")
WHEN = datetime(2019, 5, 17, 15, 20, tzinfo=TZ)
CITE = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh"


def b64word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def raw_mail(headers: list[str], body: str = CITE) -> bytes:
    head = "\r\n".join(headers)
    return (head + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n").encode("utf-8", "surrogateescape") \
        + body.encode("utf-8")


def read(raw: bytes) -> Document:
    return read_message(raw, ReadLimits(), extract_fn=lambda n, d, lim: Extracted())


def run(raw: bytes, when: datetime = WHEN, via_gateway: bool = False):
    return match(read(raw), BOOK, CAL, when, AUTHSERV, via_gateway=via_gateway)


# -- 1. forged senders ------------------------------------------------------------------------

def test_encoded_official_address_in_the_display_name_is_not_the_sender():
    forged = raw_mail([f"Authentication-Results: {AUTHSERV}; dmarc=pass",
                       f"From: {b64word('skhdt@laichau.gov.vn')} <attacker@evil.example>",
                       "Subject: Báo cáo 760/UBND-TH"])
    doc = read(forged)
    assert doc.sender == "attacker@evil.example"
    assert doc.sender_name == "skhdt@laichau.gov.vn"
    r = run(forged)
    assert r.state == REVIEW and r.unit is None and "evil.example" in r.reason


def test_dmarc_pass_without_header_from_is_not_aligned():
    doc = Document(kind="email", sender="skhdt@laichau.gov.vn",
                   auth_results=[f"{AUTHSERV}; dmarc=pass"])
    trusted, why = sender_trust(doc, AUTHSERV)
    assert not trusted and "không ghi header.from" in why


def test_dmarc_pass_for_another_domain_is_not_trusted():
    doc = Document(kind="email", sender="skhdt@laichau.gov.vn",
                   auth_results=[f"{AUTHSERV}; dmarc=pass header.from=evil.example"])
    assert sender_trust(doc, AUTHSERV)[0] is False


@pytest.mark.parametrize("signer,ok", [
    ("laichau.gov.vn", True),           # the From address's own domain
    ("mail.laichau.gov.vn", False),     # relaxed alignment no longer names a unit (strict)
    ("gov.vn", False),                  # a public suffix aligns with nothing
    ("evil-laichau.gov.vn", False),
    ("laichau.gov.vn.evil.example", False),
])
def test_dkim_identifies_only_the_from_domain_itself(signer, ok):
    doc = Document(kind="email", sender="skhdt@laichau.gov.vn",
                   auth_results=[f"{AUTHSERV}; dkim=pass header.d={signer}; dmarc=none"])
    assert sender_trust(doc, AUTHSERV)[0] is ok


def test_org_domain_from_the_public_suffix_list():
    assert org_domain("skhdt.laichau.gov.vn") == "laichau.gov.vn"
    assert org_domain("gov.vn") is None


def test_unparseable_authentication_results_trust_nothing():
    doc = Document(kind="email", sender="skhdt@laichau.gov.vn",
                   auth_results=[f"{AUTHSERV}; ;;; dmarc"])
    assert sender_trust(doc, AUTHSERV)[0] is False


@pytest.mark.parametrize("name,address,unit", [
    ("Sở Văn hóa, Thể thao và Du lịch", "svhttdl@laichau.gov.vn", "so-vhttdl"),
    ("UBND huyện Tam Đường, tỉnh Lai Châu", "tamduong@laichau.gov.vn", "h-tam-duong"),
])
def test_a_comma_inside_an_encoded_display_name_keeps_the_address(name, address, unit):
    if BOOK.unit_by_email(address) is None:
        address = next(u.emails[0] for u in BOOK.units.values() if u.id == unit)
    msg = EmailMessage()               # written by Python's own generator, as clients do
    msg["Authentication-Results"] = PASS
    msg["From"] = Address(name, *address.split("@"))
    msg["Subject"] = "Báo cáo"
    msg.set_content(CITE)
    doc = read(bytes(msg))
    assert doc.sender == address and doc.sender_name == name
    r = run(bytes(msg))
    assert r.state == MATCHED and r.unit == unit


# -- 2. the receipt time a sender writes is not believed ---------------------------------------

def test_only_the_receiving_hop_is_believed():
    own = make_edxml("000.07.31.H30", "Sở KH&ĐT", "1", "BC-SKHĐT", "Báo cáo", CITE,
                     [("760/UBND-TH", "2019/05/10")], ["2019/05/01 08:00:00"])
    assert trace_time(parse_tree(own), TZ) is None          # the sender's own stamp only
    delivered = make_edxml("000.07.31.H30", "Sở KH&ĐT", "1", "BC-SKHĐT", "Báo cáo", CITE,
                           [("760/UBND-TH", "2019/05/10")],
                           ["2019/05/01 08:00:00", "2019/06/25 10:00:00"],
                           to_organ=("000.00.00.H30", "UBND tỉnh"))
    assert trace_time(parse_tree(delivered), TZ) == datetime(2019, 6, 25, 10, tzinfo=TZ)
    # a list of trusted organs replaces the default
    assert trace_time(parse_tree(delivered), TZ, frozenset({"000.99.99.H30"})) is None
    assert trace_time(parse_tree(delivered), TZ, frozenset({"000.07.31.H30"})) == \
        datetime(2019, 5, 1, 8, tzinfo=TZ)


def test_a_receipt_dated_before_its_directive_goes_to_review():
    raw = make_edxml("000.07.31.H30", "Sở KH&ĐT", "1", "BC-SKHĐT", "Báo cáo", CITE,
                     [("760/UBND-TH", "2019/05/10")], ["2019/05/01 08:00:00"])
    r = run(raw, when=datetime(2019, 5, 1, 8, tzinfo=TZ), via_gateway=True)
    assert r.state == REVIEW and "trước ngày ban hành" in r.reason


def test_an_edxml_not_delivered_by_the_gateway_is_not_trusted():
    raw = make_edxml("000.07.31.H30", "Sở KH&ĐT", "1", "BC-SKHĐT", "Báo cáo", CITE,
                     [("760/UBND-TH", "2019/05/10")], ["2019/05/17 08:00:00"])
    assert run(raw, via_gateway=True).state == MATCHED
    r = run(raw, via_gateway=False)
    assert r.state == REVIEW and r.unit == "so-khdt" and "trục liên thông" in r.reason


# -- 9, 10. headers and references that were misread ------------------------------------------

def test_folded_subject_keeps_the_space_before_plain_text():
    raw = raw_mail([f"Authentication-Results: {PASS}", "From: skhdt@laichau.gov.vn",
                    f"Subject: {b64word('Báo cáo thực hiện Văn bản số')}\r\n 760/UBND-TH"],
                   body="Kính gửi UBND tỉnh.")
    doc = read(raw)
    assert doc.subject == "Báo cáo thực hiện Văn bản số 760/UBND-TH"
    assert run(raw).state == MATCHED


@pytest.mark.parametrize("encoding", ["utf-8", "cp1258"])
def test_raw_8bit_subject_is_decoded(encoding):
    subject = "Sở KH&ĐT báo cáo theo Văn bản số 760/UBND-TH"
    head = (f"Authentication-Results: {PASS}\r\nFrom: skhdt@laichau.gov.vn\r\n").encode() + \
        b"Subject: " + (subject.encode() if encoding == "utf-8" else encode_cp1258(subject)) + b"\r\nContent-Type: text/plain\r\n\r\nKinh gui.\r\n"
    doc = read(head)
    assert doc.subject == subject
    assert run(head).state == MATCHED


@pytest.mark.parametrize("text", ["Văn bản sốCV760/UBND-TH", "theoVB760/UBND-TH", "số760/UBND-TH"])
def test_a_reference_glued_to_the_word_before_is_found(text):
    raw = raw_mail([f"Authentication-Results: {PASS}", "From: skhdt@laichau.gov.vn",
                    "Subject: Báo cáo"], body=f"Thực hiện {text} của UBND tỉnh")
    assert [r.doc.key for r in read(raw).references] == ["760/UBND-TH"]


# -- 11. a keyword in a date line --------------------------------------------------------------

def _book_with_date_keyword():
    d924 = next(d for d in BOOK.directives if d.number == "924/UBND-TH")
    reports = tuple(replace(r, keywords=(*r.keywords, "tháng 6")) if "von" in r.id else r
                    for r in d924.reports)
    return replace(BOOK, directives=tuple(replace(d924, reports=reports) if d is d924 else d
                                          for d in BOOK.directives))


def test_a_keyword_in_the_date_line_does_not_add_a_second_report():
    book = _book_with_date_keyword()
    doc = Document(kind="email", sender="skhdt@laichau.gov.vn", auth_results=[PASS],
                   subject="Báo cáo tình hình kinh tế - xã hội 6 tháng đầu năm 2019",
                   parts=[TextPart("subject", "Báo cáo tình hình kinh tế - xã hội 6 tháng đầu năm 2019"),
                          TextPart("body", "Lai Châu, ngày 03 tháng 6 năm 2019\nThực hiện Văn "
                                           "bản số 924/UBND-TH ngày 29/5/2019 của UBND tỉnh")]).analyse()
    r = match(doc, book, CAL, datetime(2019, 6, 3, 9, tzinfo=TZ), AUTHSERV)
    assert r.state == MATCHED and [m.report for m in r.matches] == ["924-ktxh-6t"]


def test_date_like_keywords_are_reported():
    found = date_like_keywords(_book_with_date_keyword())
    assert [(rep.id, kw) for rep, kw in found] == [("924-von-dtc-6t", "tháng 6")]
    assert date_like_keywords(BOOK) == []
