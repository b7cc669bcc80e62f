"""The streaming path for very large messages reads what the parsed-tree path reads: the same
references, attachments (mail-parser's names and rule) and text, on the sample province and on
the e-mail corpora of cpython and mail-parser -- forced onto small messages here, since it
normally starts at 8 MB. Its memory is measured by bench/large_message.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestd.read import mime_stream, read_message
from ingestd.read.attachments import extract
from ingestd.read.limits import ReadLimits
from ingestd.testing import Mail, make_docx, make_pdf, make_zip

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
SAMPLE = sorted((ROOT / "samples" / "laichau-2019" / "Maildir" / "cur").iterdir())
CITE = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019"


def both(raw: bytes, monkeypatch):
    monkeypatch.setattr(mime_stream, "STREAM_ABOVE_BYTES", 10**12)
    tree = read_message(raw, ReadLimits(), extract_fn=extract)
    monkeypatch.setattr(mime_stream, "STREAM_ABOVE_BYTES", 0)
    streamed = read_message(raw, ReadLimits(), extract_fn=extract)
    return tree, streamed


def seen(doc) -> tuple:
    return ([r.doc.key for r in doc.references], doc.attachments, doc.own_number, doc.sender,
            doc.subject)


def text(doc) -> list[tuple[str, str]]:
    return sorted((p.location, p.text.strip()) for p in doc.parts)


@pytest.mark.parametrize("path", SAMPLE, ids=[p.name[:20] for p in SAMPLE])
def test_the_sample_province_reads_the_same_streamed(path, monkeypatch):
    tree, streamed = both(path.read_bytes(), monkeypatch)
    assert seen(streamed) == seen(tree) and text(streamed) == text(tree)


def test_corpora_mail_reads_the_same_streamed(monkeypatch):
    files = sorted((CORPORA / "cpython").glob("*.eml")) + sorted(
        (CORPORA / "mailparser").glob("*.eml"))
    assert len(files) >= 60, f"expected the cpython and mail-parser corpora under {CORPORA}"
    same = 0
    for path in files:
        tree, streamed = both(path.read_bytes(), monkeypatch)
        assert [r.doc.key for r in streamed.references] == [r.doc.key for r in tree.references]
        assert (streamed.sender, streamed.subject) == (tree.sender, tree.subject), path.name
        same += seen(streamed) == seen(tree) and text(streamed) == text(tree)
    print(f"{same} of {len(files)} read identically")
    # malformed messages where two parsers may disagree: nested multiparts reusing their
    # parent's boundary (cpython's msg_38 and msg_39; RFC 2046 forbids it), a broken DSN and
    # an Outlook binary body (mail-parser's) -- at most these four, never about the references
    assert same >= len(files) - 4, same


def test_nested_forwarded_and_encoded_parts(monkeypatch):
    inner = Mail("skhdt@laichau.gov.vn", "BC", CITE,
                 attachments=[("bc.pdf", make_pdf([["Số: 12/BC-SKHĐT", CITE]]))]).build()
    raw = Mail("vanthu@laichau.gov.vn", "Fwd: BC", "Chuyển tiếp",
               attachments=[("Hồ sơ báo cáo.zip", make_zip({"bc.docx": make_docx(
                   [("UBND", "Số: 7/BC-UBND")], [CITE])})),
                            ("fwd.eml", inner)]).build()
    tree, streamed = both(raw, monkeypatch)
    assert seen(streamed) == seen(tree) and text(streamed) == text(tree)
    assert "Hồ sơ báo cáo.zip" in streamed.attachments


def test_when_mail_parser_fails_the_standard_parser_reads_the_same(monkeypatch):
    """mail-parser raising on a message is a note, not a loss: the standard parser reads it,
    with mail-parser's rule for what is an attachment."""
    from ingestd.read import mime

    raws = [p.read_bytes() for p in SAMPLE]
    expected = [read_message(r, ReadLimits(), extract_fn=extract) for r in raws]

    def broken(_raw):
        raise ValueError("mail-parser cannot parse this")

    monkeypatch.setattr(mime.mailparser, "parse_from_bytes", broken)
    for raw, want in zip(raws, expected):
        got = read_message(raw, ReadLimits(), extract_fn=extract)
        assert seen(got) == seen(want) and text(got) == text(want)
        assert any("mail-parser lỗi (ValueError)" in p.reason for p in got.problems)
