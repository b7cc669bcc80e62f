"""Reading real-looking Vietnamese report mail: every variant yields the right references, own
number, period and unit hints; wrong numbers are not invented."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from ingestd.config import ReadLimits
from ingestd.read import read_message
from ingestd.read.attachments import extract
from ingestd.read.vntext import fold
from ingestd.testing import Mail, header_block, make_docx, make_edxml, make_pdf, make_xlsx, make_zip

LIMITS = ReadLimits()
CITE = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh Lai Châu"
HEADER = header_block("Sở Kế hoạch và Đầu tư", "125/BC-SKHĐT", "Lai Châu, ngày 17 tháng 5 năm 2019")


def read(raw: bytes, limits: ReadLimits = LIMITS):
    return read_message(raw, limits, extract_fn=extract)   # in-process: faster, same code


def keys(doc) -> list[str]:
    return [r.doc.key for r in doc.references]


def test_utf8_body():
    doc = read(Mail("skhdt@laichau.gov.vn", "Báo cáo quý II/2019", f"Số: 125/BC-SKHĐT\n{CITE}").build())
    assert keys(doc) == ["760/UBND-TH"] and doc.own_number == "125/BC-SKHĐT"
    assert doc.references[0].date.isoformat() == "2019-05-10"
    assert [p.label for p in doc.periods] == ["2019-Q2"]
    assert doc.sender == "skhdt@laichau.gov.vn"


@pytest.mark.parametrize("charset", ["windows-1258", "undeclared-1258"])
def test_windows_1258_with_combining_marks(charset):
    doc = read(Mail("a@laichau.gov.vn", "BC", f"{CITE}\nKính gửi: Văn phòng", charset=charset).build())
    body = next(p.text for p in doc.parts if p.location == "body")
    assert "Thực hiện Văn bản số 760/UBND-TH" in body          # NFC, not decomposed
    assert keys(doc) == ["760/UBND-TH"]


def test_wrong_charset_label():
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "a@b.vn", "x"
    msg.set_content(CITE)
    raw = msg.as_bytes().replace(b"utf-8", b"iso-8859-1").replace(b"base64", b"8bit")
    body = CITE.encode("utf-8")
    raw = raw.split(b"\n\n", 1)[0] + b"\n\n" + body
    doc = read(raw)
    assert CITE in next(p.text for p in doc.parts if p.location == "body")


def test_rfc2047_subject_and_rfc2231_attachment_name():
    pdf = make_pdf([["Số: 125/BC-SKHĐT", CITE]])
    m = Mail("a@laichau.gov.vn", "Báo cáo thực hiện Văn bản 760/UBND-TH", "",
             attachments=[("Báo cáo số 125 (bản ký số).pdf", pdf)])
    doc = read(m.build())
    assert doc.subject == "Báo cáo thực hiện Văn bản 760/UBND-TH"
    assert doc.attachments == ["Báo cáo số 125 (bản ký số).pdf"]
    assert any(p.location == "attachment:Báo cáo số 125 (bản ký số).pdf#p1" for p in doc.parts)


def test_html_only_body():
    msg = EmailMessage()
    msg["From"], msg["Subject"] = "a@b.vn", "x"
    msg.set_content(f"<html><body><p>{CITE}</p><script>var x='999/XX-YY';</script></body></html>",
                    subtype="html")
    doc = read(msg.as_bytes())
    assert keys(doc) == ["760/UBND-TH"]


def test_forwarded_message_is_read():
    inner = Mail("skhdt@laichau.gov.vn", "Báo cáo", CITE).build()
    outer = EmailMessage()
    outer["From"], outer["Subject"] = "vanthu@laichau.gov.vn", "Fwd: Báo cáo"
    outer.set_content("Chuyển tiếp")
    outer.add_attachment(email.message_from_bytes(inner, policy=email.policy.default))
    doc = read(outer.as_bytes())
    assert "760/UBND-TH" in keys(doc)


def test_pdf_first_pages_only_by_default():
    pdf = make_pdf([["BÁO CÁO", "Số: 125/BC-SKHĐT"], ["Phụ lục", CITE]])
    m = Mail("a@b.vn", "BC", "", attachments=[("bc.pdf", pdf)])
    assert keys(read(m.build())) == []
    doc = read(m.build(), ReadLimits(pdf_pages=2))
    assert keys(doc) == ["760/UBND-TH"]
    assert doc.references[0].location == "attachment:bc.pdf#p2"


def test_docx_header_table_text_and_header_part():
    data = make_docx(HEADER, ["BÁO CÁO KẾT QUẢ", CITE])
    got = extract("bc.docx", data, LIMITS)
    text = "\n".join(p.text for p in got.parts)
    assert "Số: 125/BC-SKHĐT" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    doc = read(Mail("a@b.vn", "BC", "", attachments=[("bc.docx", data)]).build())
    assert doc.own_number == "125/BC-SKHĐT" and keys(doc) == ["760/UBND-TH"]


def test_docx_text_box_and_page_header():
    import io

    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "Số: 77/BC-UBND"
    p = d.add_paragraph()
    box = parse_xml(
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:textbox><w:txbxContent><w:p><w:r>'
        f"<w:t>{CITE}</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></w:r>")
    p._p.append(box)
    buf = io.BytesIO()
    d.save(buf)
    doc = read(Mail("a@b.vn", "BC", "", attachments=[("bc.docx", buf.getvalue())]).build())
    assert keys(doc) == ["760/UBND-TH"] and doc.own_number == "77/BC-UBND"


def test_tcvn3_docx_is_converted():
    data = make_docx(HEADER, ["BÁO CÁO KẾT QUẢ", CITE], legacy_font=".VnTime")
    doc = read(Mail("a@b.vn", "BC", "", attachments=[("bc.docx", data)]).build())
    assert "tcvn3" in doc.legacy_encodings
    assert keys(doc) == ["760/UBND-TH"]
    assert "thực hiện văn bản số" in " ".join(p.text for p in doc.parts).lower()


def test_xlsx_and_nested_zip():
    xlsx = make_xlsx([["Số: 9/BC-STC"], [CITE], ["STT", "Chỉ tiêu"], [1, "Vốn"]])
    inner = make_zip({"bieu.xlsx": xlsx})
    outer = make_zip({"../../etc/passwd.zip": inner})
    doc = read(Mail("a@b.vn", "BC", "", attachments=[("hoso.zip", outer)]).build())
    assert keys(doc) == ["760/UBND-TH"] and doc.own_number == "09/BC-STC"   # Decree 30: numbers below 10 take a leading zero
    locations = [p.location for p in doc.parts if "bieu" in p.location]
    assert locations and all(".." not in loc for loc in locations)


def test_scanned_pdf_is_flagged_not_silently_empty():
    doc = read(Mail("a@b.vn", "BC", "", attachments=[("scan.pdf", make_pdf([[" "]]))]).build())
    assert any("nhận dạng chữ (OCR)" in p.reason for p in doc.problems)
    assert doc.unreadable


def test_legacy_doc_without_text_is_reported():
    fake_doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    doc = read(Mail("a@b.vn", "BC", "x", attachments=[("bc.doc", fake_doc)]).build())
    assert any("tệp .doc cũ" in p.reason for p in doc.problems)


def test_edxml_fields_and_attachments():
    pdf = make_pdf([["Số: 15/BC-SGDĐT", "Báo cáo kinh tế - xã hội 6 tháng đầu năm 2019"]])
    raw = make_edxml("000.15.31.H30", "Sở Giáo dục và Đào tạo", "15", "BC-SGDĐT",
                     "Báo cáo KT-XH 6 tháng đầu năm 2019", "Nội dung & ghi chú",
                     [("924/UBND-TH", "2019/05/29")], ["2019/06/04 09:00:00", "04/06/2019 09:05:00"],
                     [("baocao.zip", make_zip({"baocao.pdf": pdf}))])
    doc = read(raw)
    assert doc.kind == "edxml" and doc.organ_id == "000.15.31.H30"
    assert doc.own_number == "15/BC-SGDĐT"
    assert [(r.code, r.date.isoformat()) for r in doc.response_for] == [("924/UBND-TH", "2019-05-29")]
    assert any(p.location.startswith("attachment:baocao.zip/baocao.pdf") for p in doc.parts)
    assert [p.label for p in doc.periods][:1] == ["2019-H1"]


def test_edxml_element_order_and_day_first_dates():
    raw = make_edxml("000.15.31.H30", "X", "1", "BC-X", "S", "C", [("760/UBND-TH", "10/05/2019")],
                     ["04/06/2019 09:00:00"])
    # move ResponseFor before Subject: vendors order elements differently
    text = raw.decode()
    rf_start, rf_end = text.index("<edXML:ResponseFor>"), text.index("</edXML:ResponseFor>") + 20
    rf = text[rf_start:rf_end]
    text = text[:rf_start] + text[rf_end:]
    text = text.replace("<edXML:MessageHeader>", "<edXML:MessageHeader>" + rf)
    doc = read(text.encode())
    assert doc.response_for[0].date.isoformat() == "2019-05-10"


def test_message_without_message_id_or_body():
    doc = read(b"From: a@b.vn\r\nSubject: \r\n\r\n")
    assert doc.message_id is None and doc.unreadable


def test_json_round_trip_keeps_refs():
    from ingestd.read.document import Document

    doc = read(Mail("a@b.vn", "BC quý II/2019", f"Số: 1/BC-X\n{CITE}").build())
    again = Document.from_json(doc.to_json())
    assert keys(again) == keys(doc) and again.own_number == doc.own_number
    assert [p.label for p in again.periods] == ["2019-Q2"]


def test_diacritics_folding_of_attachment_text():
    data = make_docx(HEADER, ["Thuc hien Van ban so 760/UBND-TH ngay 10/5/2019"])
    doc = read(Mail("a@b.vn", "BC", "", attachments=[("bc.docx", data)]).build())
    assert keys(doc) == ["760/UBND-TH"]
    assert fold("Đầu tư") == "dau tu"


def test_base64_garbage_attachment_is_recorded():
    m = Mail("a@b.vn", "BC", CITE, attachments=[("x.pdf", b"%PDF-1.4 broken")]).build()
    doc = read(m)
    assert keys(doc) == ["760/UBND-TH"]
    assert any(p.location == "attachment:x.pdf" for p in doc.problems)


def test_legacy_doc_is_read_with_antiword():
    """A Word 97 file (made once with LibreOffice, committed): antiword turns it into text."""
    from pathlib import Path

    data = (Path(__file__).parent / "corpus" / "legacy" / "bao-cao.doc").read_bytes()
    doc = read(Mail("ubndtamduong@laichau.gov.vn", "Báo cáo", "",
                    attachments=[("bao-cao.doc", data)]).build())
    assert keys(doc) == ["760/UBND-TH"] and doc.own_number == "45/BC-UBND"
    assert not doc.problems or all("legacy" not in p.reason for p in doc.problems)


def test_large_message_is_streamed_and_read():
    """Above 8 MB there is no parsed tree (memory: read/mime_stream.py); attachments are still
    read."""
    from ingestd.read import mime_stream

    pdf = make_pdf([["Số: 9/BC-STC", CITE]])
    filler = bytes(range(256)) * (40 * 1024)                   # 10 MB of binary
    raw = Mail("a@b.vn", "Báo cáo", "x", attachments=[("bc.pdf", pdf), ("phu-luc.bin", filler)]).build()
    assert len(raw) > mime_stream.STREAM_ABOVE_BYTES
    doc = read(raw)
    assert keys(doc) == ["760/UBND-TH"] and doc.own_number == "09/BC-STC"
    assert doc.attachments == ["bc.pdf", "phu-luc.bin"]
    assert not any("mail-parser failed" in p.reason for p in doc.problems)
