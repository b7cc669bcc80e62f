"""Hostile attachments and messages finish within their limits with a clear reason, and the
rest of the message is still read. These go through the real sandbox (a killable child)."""

from __future__ import annotations

import time

from hostile import (
    encrypted_pdf,
    macro_enabled,
    mime_nested,
    nested_zip,
    office_with_bomb,
    pdf_with_stream,
    zeros_deflated,
    zip_bomb_real,
    zip_lying_sizes,
)

from ingestd.config import ReadLimits
from ingestd.read import read_message, sandboxed_extract
from ingestd.read.attachments import decode_text
from ingestd.testing import Mail, make_docx, make_xlsx

CITE = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019"


def read_with(attachment: tuple[str, bytes], limits: ReadLimits = ReadLimits()):
    raw = Mail("a@laichau.gov.vn", "BC", CITE, attachments=[attachment]).build()
    started = time.monotonic()
    doc = read_message(raw, limits, extract_fn=sandboxed_extract)
    return doc, time.monotonic() - started


def reasons(doc) -> str:
    return " | ".join(p.reason for p in doc.problems)


def still_read(doc) -> bool:
    return [r.doc.key for r in doc.references] == ["760/UBND-TH"]


def test_zip_bomb_declaring_gigabytes():
    doc, took = read_with(("hoso.zip", zip_lying_sizes()))
    assert "bom nén" in reasons(doc) and still_read(doc) and took < 10


def test_zip_bomb_that_really_expands():
    bomb = zip_bomb_real(64 << 20)                  # 64 MiB of zeros in ~64 KiB
    assert len(bomb) < 200_000
    doc, took = read_with(("hoso.zip", bomb), ReadLimits(max_decompressed_bytes=8 << 20))
    assert "bom nén" in reasons(doc) and still_read(doc) and took < 10


def test_nested_zips_stop_at_the_limit():
    doc, took = read_with(("hoso.zip", nested_zip(20)))
    assert "lồng nhau quá 8 lớp" in reasons(doc) and took < 10


def test_mime_nested_200_deep():
    started = time.monotonic()
    doc = read_message(mime_nested(200), ReadLimits(), extract_fn=sandboxed_extract)
    assert time.monotonic() - started < 10
    assert "lồng nhau quá" in reasons(doc)


def test_pdf_that_keeps_pdfminer_busy_is_stopped():
    ops = b"0 0 m 1 1 l S\n" * 1_500_000             # 21 MB of drawing, 60 KB compressed
    pdf = pdf_with_stream(ops, flate=True)
    assert len(pdf) < 200_000
    doc, took = read_with(("bc.pdf", pdf), ReadLimits(attachment_seconds=2))
    assert "dừng đọc: quá 2 giây" in reasons(doc)
    assert still_read(doc) and took < 8


def test_pdf_decompression_bomb_hits_the_memory_limit():
    pdf = pdf_with_stream(b"", flate=False).replace(
        b"<< /Length 0 >>\nstream\n\nendstream",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z := zeros_deflated(1 << 30))
        + z + b"\nendstream")
    doc, took = read_with(("bc.pdf", pdf), ReadLimits(worker_memory_mb=300, attachment_seconds=30))
    assert "cần nhiều bộ nhớ hơn giới hạn 300 MB" in reasons(doc)
    assert still_read(doc) and took < 40


def test_entity_bomb_in_docx_does_not_expand():
    docx = office_with_bomb(make_docx([], ["Báo cáo", CITE]), "word/document.xml")
    doc, took = read_with(("bc.docx", docx))
    assert took < 10 and still_read(doc)
    assert "lollol" not in " ".join(p.text for p in doc.parts)


def test_entity_bomb_in_xlsx_is_refused():
    xlsx = office_with_bomb(make_xlsx([["a"]]), "xl/worksheets/sheet1.xml")
    doc, took = read_with(("bieu.xlsx", xlsx))
    assert took < 10 and still_read(doc)
    assert any(p.location == "attachment:bieu.xlsx" and "không đọc được xlsx" in p.reason
               for p in doc.problems)


def test_edxml_with_external_entity_is_refused():
    raw = (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
           b'<edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:MessageHeader>'
           b"<edXML:Subject>&xxe;</edXML:Subject></edXML:MessageHeader></edXML:edXML>")
    doc = read_message(raw, ReadLimits())
    assert "không cho phép DTD và entity" in reasons(doc)
    assert "root:" not in doc.subject


def test_encrypted_pdf():
    doc, _ = read_with(("bc.pdf", encrypted_pdf("760/UBND-TH")))
    assert "PDF có mật khẩu" in reasons(doc) and still_read(doc)


def test_macro_enabled_document_is_read_without_running_anything():
    doc, _ = read_with(("bc.docm", macro_enabled(make_docx([], ["Số: 5/BC-X", CITE]))))
    assert "văn bản có macro" in reasons(doc)
    assert any(p.location.startswith("attachment:bc.docm") for p in doc.parts)


def test_a_charset_label_with_a_nul_in_it_is_read_as_utf8():
    """A header's charset is the sender's text: ``charset="\\x00utf-8"`` names no codec (and
    makes Python's decode raise ValueError, not LookupError); the part is read all the same."""
    raw = ("From: a@laichau.gov.vn\r\nSubject: BC\r\nMIME-Version: 1.0\r\n"
           'Content-Type: text/plain; charset="\x00utf-8"\r\n\r\n'
           f"{CITE}\r\n").encode()
    doc = read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)
    assert still_read(doc)
    assert decode_text("Sở Y tế".encode(), "\x00utf-8") == "Sở Y tế"
