"""Numbers as they are written (SPEC, "Numbers as they are written" and "Clarifications"):
Party numbers in rules, text, OCR and edXML; 02/CĐ-UBND is 2/CĐ-UBND; a written date picks the
year's directive; a notation broken across lines; a number OCR got one digit wrong goes to
review with the tracked directive suggested; a scanner's garbage text layer is read by OCR."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ingestd.calendar import WorkCalendar
from ingestd.config import ReadLimits
from ingestd.match import MATCHED, REVIEW, match
from ingestd.near_miss import one_confusable_apart
from ingestd.read import read_message, sandboxed_extract
from ingestd.read.document import Document, TextPart
from ingestd.read.ocr import available, mend_dashes
from ingestd.read.refs import find_numbers, parse_number
from ingestd.rules import load_rules
from ingestd.testing import (
    SEAL_INKS,
    Mail,
    PhotoDefects,
    auth_results,
    make_docx,
    make_edxml,
    make_pdf,
    make_photo,
    make_scan,
    make_scan_with_layer,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUTH = "mail.laichau.gov.vn"
PASS = auth_results(AUTH, "laichau.gov.vn")
WHEN = datetime(2024, 9, 20, 10, tzinfo=TZ)
PARTY = """\
[directive]
number = "512-TB/TU"
date = 2024-09-04
issuer = "Ban Thường vụ Tỉnh ủy"
title = "Thông báo kết luận về công tác cán bộ"

[[report]]
id = "512-tb"
title = "Báo cáo kết quả thực hiện Thông báo 512-TB/TU"
kind = "dot-xuat"
units = ["@so-nganh"]
due = 2024-09-30
"""
CD = """\
[directive]
number = "02/CĐ-UBND"
date = {day}
issuer = "UBND tỉnh"
title = "Công điện về ứng phó bão"

[[report]]
id = "cd-{year}"
title = "Báo cáo công tác ứng phó bão {year}"
kind = "dot-xuat"
units = ["@so-nganh"]
due = {due}
"""
NEAR = """\
[directive]
number = "1235/UBND-VX"
date = 2024-03-14
issuer = "UBND tỉnh"
title = "V/v phòng, chống dịch bệnh"

[[report]]
id = "1235-dich"
title = "Báo cáo công tác phòng, chống dịch"
kind = "dot-xuat"
units = ["@so-nganh"]
due = 2024-09-30
"""


@pytest.fixture
def book(project):
    project.write_rule("directives/512-TB-TU.toml", PARTY)
    project.write_rule("directives/02-CD-2023.toml", CD.format(day="2023-08-01", year=2023, due="2023-08-10"))
    project.write_rule("directives/02-CD-2024.toml", CD.format(day="2024-09-05", year=2024, due="2024-09-25"))
    project.write_rule("directives/1235-UBND-VX.toml", NEAR)
    return load_rules(project.rules)


def mail(body: str, when_subject: str = "Báo cáo") -> Document:
    return Document(kind="email", sender="skhdt@laichau.gov.vn", subject=when_subject,
                    auth_results=[PASS], parts=[TextPart("subject", when_subject),
                                                TextPart("body", body)]).analyse()


def run(doc: Document, book, when: datetime = WHEN):
    return match(doc, book, WorkCalendar(TZ, book.calendar), when, AUTH)


# -- Party numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,key", [("512-TB/TU", "512-TB/TU"), ("29-NQ/TW", "29-NQ/TW"),
                                      ("01-HD/BTGTW", "1-HD/BTGTW"), ("512 - TB/TU", "512-TB/TU"),
                                      ("19-CT/TW", "19-CT/TW"), ("35-KL/TW", "35-KL/TW")])
def test_party_numbers_parse(text, key):
    assert parse_number(text).key == key


def test_check_accepts_a_party_number_in_rules(project, cli, book):
    code, out, err = cli(project, "check")
    assert code == 0, out + err
    assert any(d.number == "512-TB/TU" and d.doc.party for d in book.directives)


@pytest.mark.parametrize("cite", ["Thông báo số 512-TB/TU ngày 04/9/2024 của Ban Thường vụ Tỉnh ủy",
                                  "thực hiện TB 512 - TB/TU", "Thông báo 512-TB/TU ngày 4 tháng 9 năm 2024"])
def test_a_party_number_in_text_matches(book, cite):
    r = run(mail(f"Sở Kế hoạch và Đầu tư báo cáo kết quả {cite} như sau"), book)
    assert r.state == MATCHED and [m.report for m in r.matches] == ["512-tb"], r.reason


def test_a_party_number_matches_only_with_its_notation(book):
    r = run(mail("Số: 512-BC/SKHĐT\nBáo cáo về Thông báo 512-TB/HU của Huyện ủy"), book)
    assert r.state == REVIEW and not r.matches


def test_a_party_number_from_the_gateway(book):
    raw = make_edxml("000.07.31.H30", "Sở Kế hoạch và Đầu tư", "125", "BC/SKHĐT", "Báo cáo",
                     "Báo cáo kết quả", [("512-TB/TU", "2024/09/04")], ["2024/09/20 10:00:00"])
    doc = read_message(raw, ReadLimits())
    assert doc.own_code == "125-BC/SKHĐT"
    assert [rf.code for rf in doc.response_for] == ["512-TB/TU"]
    r = match(doc, book, WorkCalendar(TZ), WHEN, AUTH, via_gateway=True)
    assert r.state == MATCHED and [m.report for m in r.matches] == ["512-tb"], r.reason


@pytest.fixture
def tesseract():
    if not available():
        pytest.fail("tesseract-ocr-vie is missing (./scripts/test installs it)")


def test_a_party_number_read_by_ocr_from_a_photo(book, tesseract):
    photo = make_photo("Sở Kế hoạch và Đầu tư", "125/BC-SKHĐT",
                       ["BÁO CÁO", "Kết quả thực hiện Thông báo số 512-TB/TU ngày 04/9/2024 của Ban Thường vụ",
                        "về công tác cán bộ"], PhotoDefects(dpi=80, rotate=2))
    raw = Mail("skhdt@laichau.gov.vn", "Gửi báo cáo", "", auth=[PASS],
               attachments=[("anh.jpg", photo)]).build()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert "512-TB/TU" in {r.doc.key for r in doc.references}
    assert run(doc, book).state == MATCHED


@pytest.mark.parametrize("own, seed", [("285/BC-SYT", 1), ("1285/BC-STC", 5), ("1634/BC-UBND", 6)])
def test_a_number_written_by_hand_into_the_blank_is_read(tesseract, own, seed):
    """The văn thư writes the number in blue ink into the typed ``Số:      /BC-…``: the digits
    are read apart from the typed notation, and the document takes that number as its own."""
    digits, _, _ = own.partition("/")
    photo = make_photo("Sở Y tế", own, ["BÁO CÁO", "Kết quả thực hiện Văn bản số 760/UBND-TH "
                                         "ngày 10/5/2019 của UBND tỉnh"],
                       PhotoDefects(dpi=80, handwritten=digits), seed=seed)
    raw = Mail("syt@laichau.gov.vn", "Gửi báo cáo", "", attachments=[("anh.jpg", photo)]).build()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert doc.own_number == own
    assert "760/UBND-TH" in {r.doc.key for r in doc.references}
    assert any("số viết tay đọc riêng" in p.reason for p in doc.problems)


def test_a_typed_number_is_not_taken_for_handwriting(tesseract):
    photo = make_photo("Sở Y tế", "285/BC-SYT", ["BÁO CÁO", "Thực hiện Văn bản số 760/UBND-TH"],
                       PhotoDefects(dpi=80), seed=1)
    raw = Mail("syt@laichau.gov.vn", "Gửi báo cáo", "", attachments=[("anh.jpg", photo)]).build()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert doc.own_number == "285/BC-SYT"
    assert not any("viết tay" in p.reason for p in doc.problems)


@pytest.mark.parametrize("ink", SEAL_INKS, ids=["red", "crimson", "vermilion", "faded"])
def test_a_seal_over_the_number_in_any_ink_leaves_the_number(tesseract, ink):
    """Seal ink is translucent: taken out of the red channel by its own colour, whatever the
    pad's colour, the letters it crosses stay whole."""
    photo = make_photo("Sở Y tế", "285/BC-SYT", ["BÁO CÁO", "Kết quả thực hiện Văn bản số 760/UBND-TH "
                                                 "ngày 10/5/2019 của UBND tỉnh"],
                       PhotoDefects(dpi=80, seal=True, seal_ink=ink), seed=2)
    raw = Mail("syt@laichau.gov.vn", "Gửi báo cáo", "", attachments=[("anh.jpg", photo)]).build()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert doc.own_number == "285/BC-SYT"
    assert "760/UBND-TH" in {r.doc.key for r in doc.references}


@pytest.mark.parametrize("read, meant", [("Số: 1180/BC:UBND", "Số: 1180/BC-UBND"),
                                         ("Số: 285/BC.SYT", "Số: 285/BC-SYT"),
                                         ("Thông báo 512.TB/TU", "Thông báo 512-TB/TU"),
                                         ("ngày 10.5.2019, tỷ lệ 3.5", "ngày 10.5.2019, tỷ lệ 3.5")])
def test_a_dash_ocr_read_as_another_mark_is_a_dash(read, meant):
    assert mend_dashes(read) == meant


# -- one number, many years -----------------------------------------------------------------------

def test_a_leading_zero_is_the_same_number():
    assert parse_number("02/CĐ-UBND").key == parse_number("2/CĐ-UBND").key == parse_number("2/CD-UBND").key


def test_a_written_date_picks_that_years_directive(book):
    r = run(mail("Thực hiện Công điện số 2/CĐ-UBND ngày 01/8/2023 của UBND tỉnh"), book)
    assert [m.report for m in r.matches] == ["cd-2023"]
    r = run(mail("Thực hiện Công điện số 02/CĐ-UBND ngày 05/9/2024 của UBND tỉnh"), book)
    assert [m.report for m in r.matches] == ["cd-2024"]
    r = run(mail("Thực hiện Công điện số 02/CĐ-UBND ngày 05/9/2022 của UBND tỉnh"), book)
    assert r.state == REVIEW and not r.matches               # that date is tracked by no directive


def test_without_a_date_the_nearest_directive_before_the_receipt(book):
    r = run(mail("Thực hiện Công điện số 02/CĐ-UBND của UBND tỉnh"), book)
    assert [m.report for m in r.matches] == ["cd-2024"]
    r = run(mail("Thực hiện Công điện số 02/CĐ-UBND của UBND tỉnh"), book,
            when=datetime(2023, 8, 5, 9, tzinfo=TZ))
    assert [m.report for m in r.matches] == ["cd-2023"]


# -- a notation broken across lines ---------------------------------------------------------------

BROKEN = ["SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "Số: 125/BC-SKHĐT", "BÁO CÁO",
          "Thực hiện Văn bản số 1235/UBND-", "VX ngày 14/3/2024 của UBND tỉnh, Sở báo cáo như sau"]


def test_a_broken_notation_in_plain_text():
    assert [r.doc.key for r in find_numbers("\n".join(BROKEN), "body")] == ["125/BC-SKHDT", "1235/UBND-VX"]


def test_a_broken_notation_in_a_pdf_text_layer_and_a_docx():
    raw = Mail("skhdt@laichau.gov.vn", "Gửi báo cáo", "", auth=[PASS], attachments=[
        ("bao-cao.pdf", make_pdf([BROKEN])),
        ("bao-cao.docx", make_docx([("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "")], BROKEN[2:]))]).build()
    doc = read_message(raw, ReadLimits())
    by_part = {p.location.split("#")[0]: {r.doc.key for r in find_numbers(p.text, "")} for p in doc.parts}
    assert "1235/UBND-VX" in by_part["attachment:bao-cao.pdf"]
    assert "1235/UBND-VX" in by_part["attachment:bao-cao.docx"]


def test_a_broken_notation_read_by_ocr(tesseract):
    raw = Mail("skhdt@laichau.gov.vn", "Gửi báo cáo", "", auth=[PASS],
               attachments=[("scan.pdf", make_scan(BROKEN))]).build()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert "1235/UBND-VX" in {r.doc.key for r in doc.references}


# -- near misses ----------------------------------------------------------------------------------

@pytest.mark.parametrize("a,b,near", [(1285, 1235, True), (7, 1, True), (960, 900, True), (56, 55, True),
                                      (1245, 1235, False), (1285, 1238, False), (123, 1235, False)])
def test_one_confusable_digit(a, b, near):
    assert one_confusable_apart(a, b) is near


def test_a_near_miss_goes_to_review_with_the_directive_suggested(book):
    r = run(mail("Thực hiện Văn bản số 1285/UBND-VX ngày 14/3/2024 của UBND tỉnh"), book)
    assert r.state == REVIEW and r.suggested_directive == "1235/UBND-VX"
    assert "có thể là 1235/UBND-VX" in r.reason
    assert [m.report for m in r.matches] == ["1235-dich"]        # what one click will count


@pytest.mark.parametrize("body", ["Thực hiện Văn bản số 1285/UBND-VX của UBND tỉnh",         # no date
                                  "Thực hiện Văn bản số 1285/UBND-VX ngày 15/3/2024",       # another day
                                  "Thực hiện Văn bản số 1285/UBND-KT ngày 14/3/2024",       # another notation
                                  "Thực hiện Văn bản số 1245/UBND-VX ngày 14/3/2024"])      # 4 is not 3
def test_what_is_not_a_near_miss(book, body):
    r = run(mail(body), book)
    assert r.state == REVIEW and r.suggested_directive is None and not r.matches


# -- a scanner's own text layer -----------------------------------------------------------------

GARBAGE = ("CONG Hcok xA HQI CHiJ NGHiA VIVT NAM\nDoc Iap - Tu do - Hanh phOc\nUBND HUYEN THAN UYEN\n"
           "S6: I52/BC-UBND BAO CAO Thuc hien Van ban s6 76O/UBND-TII ngay IO/5/2OI9 cua UBND tinh")
SCANNED = ["UBND HUYỆN THAN UYÊN", "Số: 152/BC-UBND", "BÁO CÁO",
           "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh Lai Châu"]


def test_a_garbage_text_layer_is_read_by_ocr_instead(tesseract):
    pdf = make_scan_with_layer(SCANNED, GARBAGE)
    raw = Mail("ubndthanuyen@laichau.gov.vn", "Gửi báo cáo", "", auth=[PASS],
               attachments=[("scan.pdf", pdf)]).build()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert "760/UBND-TH" in {r.doc.key for r in doc.references}
    assert doc.own_number == "152/BC-UBND"
    assert any("lớp chữ của trang 1" in p.reason for p in doc.problems)
    assert not any("Hcok" in p.text for p in doc.parts)


def test_a_good_text_layer_is_kept(tesseract):
    pdf = make_scan_with_layer(SCANNED, "\n".join(SCANNED))
    raw = Mail("ubndthanuyen@laichau.gov.vn", "Gửi báo cáo", "", attachments=[("scan.pdf", pdf)]).build()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert not [p for p in doc.parts if "#ocr" in p.location]
    assert "760/UBND-TH" in {r.doc.key for r in doc.references}
