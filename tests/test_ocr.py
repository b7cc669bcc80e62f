"""Scanned and photographed reports are read by OCR (Tesseract, Vietnamese) on their first
page, through the real sandbox; what rests on OCR is marked with its confidence, and a match
that rests on low-confidence OCR alone goes to review with the recognised text shown."""

from __future__ import annotations

import pytest

from ingestd.config import ReadLimits
from ingestd.read import read_message, sandboxed_extract
from ingestd.read.ocr import available
from ingestd.testing import Mail, auth_results, make_scan

AUTH = auth_results("mail.laichau.gov.vn", "laichau.gov.vn")
REPORT = ["UBND HUYỆN THAN UYÊN", "Số: 152/BC-UBND", "BÁO CÁO",
          "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh Lai Châu,",
          "UBND huyện Than Uyên báo cáo tình hình thực hiện như sau:"]


@pytest.fixture(autouse=True)
def _tesseract():
    if not available():
        pytest.fail("tesseract-ocr with the Vietnamese model is missing (./scripts/test installs "
                    "tesseract-ocr and tesseract-ocr-vie)")


def scanned_mail(name: str, data: bytes) -> bytes:
    return Mail("ubndthanuyen@laichau.gov.vn", "Gửi văn bản", "Kính gửi Văn phòng UBND tỉnh.",
                auth=[AUTH], attachments=[(name, data)]).build()


def test_a_scanned_pdf_is_read_by_ocr():
    doc = read_message(scanned_mail("scan0001.pdf", make_scan(REPORT)), ReadLimits(),
                       extract_fn=sandboxed_extract)
    ocr_parts = [p for p in doc.parts if "#ocr" in p.location]
    assert ocr_parts, [p.reason for p in doc.problems]
    assert int(ocr_parts[0].location.rsplit("#ocr", 1)[1]) >= 60
    assert [r.doc.key for r in doc.references] == ["760/UBND-TH"]
    assert doc.own_number == "152/BC-UBND"
    assert any("đã đọc bằng nhận dạng chữ (OCR, lượt 1), độ tin cậy" in p.reason for p in doc.problems)


def test_a_scanned_report_citing_a_directive_is_matched_without_a_clerk(project, cli, tmp_path):
    (tmp_path / "scan.eml").write_bytes(scanned_mail("scan0001.pdf", make_scan(REPORT, skew=0.8)))
    (tmp_path / "photo.eml").write_bytes(scanned_mail(
        "anh-chup.jpg", make_scan(REPORT, fmt="JPEG", jpeg_quality=70)))
    code, out, err = cli(project, "import", str(tmp_path / "scan.eml"), str(tmp_path / "photo.eml"))
    assert code == 0, err
    rows = cli.json(project, "receipts")
    assert [r["state"] for r in rows] == ["matched", "matched"], [r["reason"] for r in rows]
    assert all(r["unit"] == "h-than-uyen" and r["matches"][0]["report"] == "760-ha-tang" for r in rows)
    code, out, _ = cli(project, "explain", rows[0]["id"])
    assert "#ocr" in out and "độ tin cậy" in out


def test_a_match_on_low_confidence_ocr_goes_to_review(project, cli, tmp_path):
    project.write_rule("matching.toml", "[policy]\nocr_min_confidence = 99.5\n")
    (tmp_path / "scan.eml").write_bytes(scanned_mail("scan0001.pdf", make_scan(REPORT)))
    cli(project, "import", str(tmp_path / "scan.eml"))
    [row] = cli.json(project, "unmatched")
    assert "nhận dạng chữ (OCR)" in row["reason"] and "dưới ngưỡng 99.5%" in row["reason"]
    assert "760/UBND-TH" in row["reason"]                     # the recognised text is shown


def test_ocr_can_be_switched_off():
    doc = read_message(scanned_mail("scan0001.pdf", make_scan(REPORT)), ReadLimits(ocr=False),
                       extract_fn=sandboxed_extract)
    assert not doc.references
    assert any("ocr = false" in p.reason for p in doc.problems)
