"""The hostile-input corpus: every case is a raw message (or edXML drop) and its expected
outcome. Small cases are committed under tests/corpus/hostile/ (run this script to rewrite
them); large ones (bombs, 30 MB) are built at test time by the same builders.

    .venv/bin/python tests/corpus/make_hostile.py        # rewrite the small committed files
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]

from hostile import (  # noqa: E402
    BILLION_LAUGHS,
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

from ingestd.testing import Mail, auth_results, make_docx, make_edxml, make_pdf, make_xlsx, make_zip  # noqa: E402

AUTH = auth_results("mail.laichau.gov.vn", "laichau.gov.vn")
CITE = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh"
HEAD = (f"Authentication-Results: {AUTH}\r\nFrom: skhdt@laichau.gov.vn\r\n"
        "To: vanthu@laichau.gov.vn\r\n").encode()


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], bytes]
    states: tuple[str, ...]          # acceptable outcomes
    says: str = ""                   # in the reason or in a recorded problem
    large: bool = False              # built at test time, not committed


def report(*attachments: tuple[str, bytes], body: str = CITE, mid: str | None = None) -> bytes:
    return Mail("skhdt@laichau.gov.vn", "Báo cáo thực hiện 760/UBND-TH", body,
                message_id=mid, auth=[AUTH], attachments=list(attachments)).build()


def raw(headers: str, body: bytes = b"") -> bytes:
    return HEAD + headers.encode() + b"\r\n" + body


def _many_parts(n: int) -> bytes:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(n))
    return raw('Subject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n',
               parts + b"--b--\r\n")


def _b64word(text: str) -> str:
    import base64

    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def _plain(headers: str, body: str, auth: str = AUTH) -> bytes:
    """A one-part message whose headers are written as given (no generator tidying them)."""
    return (f"Authentication-Results: {auth}\r\n{headers}MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
            "\r\n").encode() + body.encode()


def _comma_name() -> bytes:
    from email.headerregistry import Address
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Authentication-Results"] = AUTH
    msg["From"] = Address("Sở Văn hóa, Thể thao và Du lịch", "svhttdl", "laichau.gov.vn")
    msg["Subject"] = "Báo cáo"
    msg.set_content(CITE)
    return bytes(msg)


def _raw_subject(encoding: str) -> bytes:
    from ingestd.testing import encode_cp1258

    subject = "Sở KH&ĐT báo cáo theo Văn bản số 760/UBND-TH"
    data = subject.encode() if encoding == "utf-8" else encode_cp1258(subject)
    return (f"Authentication-Results: {AUTH}\r\nFrom: skhdt@laichau.gov.vn\r\n").encode() + \
        b"Subject: " + data + b"\r\nContent-Type: text/plain\r\n\r\nKinh gui UBND tinh.\r\n"


def _huge_edxml() -> bytes:
    return _edxml(attachments=[("bc.zip", b"\0" * (40 << 20))])     # ~54 MB once in base64


def _edxml(**kw) -> bytes:  # type: ignore[no-untyped-def]
    args = dict(organ_id="000.07.31.H30", organ_name="Sở KH&ĐT", code_number="1",
                code_notation="BC-SKHĐT", subject="Báo cáo", content=CITE,
                response_for=[("760/UBND-TH", "2019/05/10")], timestamps=["2019/05/17 09:00:00"])
    args.update(kw)
    return make_edxml(**args)


CASES: list[Case] = [
    Case("truncated-mime", lambda: report(("bc.pdf", make_pdf([[CITE]])))[:-900],
         ("matched", "review")),
    Case("missing-boundary", lambda: raw("Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: "
                                         "multipart/mixed\r\n", f"--x\r\n\r\n{CITE}\r\n--x--".encode()),
         ("matched", "review"), "lỗi cấu trúc MIME"),
    Case("boundary-2000-chars", lambda: raw(
        f'Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{"b" * 2000}"\r\n',
        f"--{'b' * 2000}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{CITE}\r\n--{'b' * 2000}--\r\n".encode()),
         ("matched",)),
    Case("mime-200-deep", lambda: mime_nested(200), ("review", "matched"), "lồng nhau quá"),
    Case("header-5mb", lambda: raw("Subject: x\r\nX-Junk: " + "a" * (5 << 20) + "\r\n",
                                   CITE.encode()), ("matched",), large=True),
    Case("invalid-base64", lambda: raw("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                       "Content-Transfer-Encoding: base64\r\n", b"!!!not base64***"),
         ("review",)),
    Case("invalid-quoted-printable", lambda: raw(
        "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
        "quoted-printable\r\n", b"=ZZ=4 Th=E1=BB=B1c hi=E1=BB=87n V=C4=83n b=E1=BA=A3n s=E1=BB=91 "
        b"760/UBND-TH =XX"), ("matched",)),
    Case("undeclared-8bit-1258", lambda: Mail("skhdt@laichau.gov.vn", "BC", CITE, auth=[AUTH],
                                              charset="undeclared-1258").build(), ("matched",)),
    Case("wrong-charset-label", lambda: raw("Subject: x\r\nContent-Type: text/plain; "
                                            "charset=iso-8859-1\r\n", CITE.encode()), ("matched",)),
    Case("unknown-charset", lambda: raw("Subject: x\r\nContent-Type: text/plain; charset=x-klingon\r\n",
                                        CITE.encode()), ("matched",)),
    Case("rfc2047-garbage", lambda: raw("Subject: =?utf-8?B?####?= =?bogus?Q?x?= =?utf-8?Q?=ZZ?=\r\n",
                                        CITE.encode()), ("matched",)),
    Case("encoded-crlf-subject", lambda: raw("Subject: =?utf-8?Q?B=C3=A1o_c=C3=A1o=0D=0ABcc:_evil@x.example?=\r\n",
                                             CITE.encode()), ("matched",)),
    Case("no-message-id", lambda: report(), ("matched",)),
    Case("empty-message", lambda: b"", ("review",), "thư không có địa chỉ người gửi"),
    Case("headers-only", lambda: raw("Subject: Báo cáo\r\n"), ("review",)),
    Case("binary-garbage", lambda: random.Random(7).randbytes(20000), ("review",)),
    Case("nul-bytes", lambda: raw("Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n",
                                  ("\0" * 50 + CITE + "\0" * 50).encode()), ("matched",)),
    Case("from-garbage", lambda: b"From: <<<>>>@@@\r\nSubject: x\r\n\r\n" + CITE.encode(),
         ("review",)),
    Case("long-line-5mb", lambda: raw("Subject: x\r\n", CITE.encode() + b" " + b"x" * (5 << 20)),
         ("matched",), large=True),
    Case("html-10k-nested-divs", lambda: raw("Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n",
                                             ("<div>" * 10000 + CITE + "</div>" * 10000
                                              + "<script>alert(1)</script>").encode()), ("matched",)),
    Case("mime-10000-parts", lambda: _many_parts(10000), ("review",), "phần MIME"),
    Case("zip-bomb-declared", lambda: report(("hoso.zip", zip_lying_sizes())), ("matched",), "bom nén"),
    Case("zip-bomb-real", lambda: report(("hoso.zip", zip_bomb_real(200 << 20))), ("matched",),
         "bom nén", large=True),
    Case("nested-zips", lambda: report(("hoso.zip", nested_zip(20))), ("matched",), "lồng nhau quá"),
    Case("zip-dotdot-paths", lambda: report(("hoso.zip", make_zip({"../../../etc/cron.d/x.txt": CITE.encode(),
                                                                    "/abs/path.txt": b"x"}))), ("matched",)),
    Case("encrypted-pdf", lambda: report(("bc.pdf", encrypted_pdf(CITE))), ("matched",), "PDF có mật khẩu"),
    Case("pdf-busy-loop", lambda: report(("bc.pdf", pdf_with_stream(b"0 0 m 1 1 l S\n" * 6_000_000, flate=True))),
         ("matched",), "dừng đọc", large=True),
    Case("pdf-decompression-bomb", lambda: report(("bc.pdf", pdf_with_stream(b"", flate=False).replace(
        b"<< /Length 0 >>\nstream\n\nendstream", b"<< /Length %d /Filter /FlateDecode >>\nstream\n"
        % len(z := zeros_deflated(3 << 30)) + z + b"\nendstream"))), ("matched",), "bộ nhớ", large=True),
    Case("image-only-pdf", lambda: report(("scan.pdf", make_pdf([[" "]]))), ("matched",), "nhận dạng chữ (OCR)"),
    Case("scanned-only-message", lambda: Mail("skhdt@laichau.gov.vn", "Gửi báo cáo", "", auth=[AUTH],
                                              attachments=[("scan.pdf", make_pdf([[" "]]))]).build(),
         ("review",), "nhận dạng chữ (OCR)"),
    Case("not-a-pdf", lambda: report(("bc.pdf", b"<html>not a pdf</html>")), ("matched",), "không đọc được pdf"),
    Case("docx-entity-bomb", lambda: report(("bc.docx", office_with_bomb(make_docx([], ["x"]), "word/document.xml"))),
         ("matched",)),
    Case("xlsx-entity-bomb", lambda: report(("b.xlsx", office_with_bomb(make_xlsx([["a"]]), "xl/worksheets/sheet1.xml"))),
         ("matched",), "không đọc được xlsx"),
    Case("macro-document", lambda: report(("bc.docm", macro_enabled(make_docx([], [CITE])))), ("matched",), "có macro"),
    Case("corrupt-docx", lambda: report(("bc.docx", make_docx([], [CITE])[:3000])), ("matched",), "docx"),
    Case("corrupt-xlsx", lambda: report(("b.xlsx", make_xlsx([[CITE]])[:2000])), ("matched",), "xlsx"),
    Case("unknown-attachment", lambda: report(("data.bin", random.Random(3).randbytes(5000))), ("matched",),
         "loại tệp không đọc được"),
    Case("attachment-30mb", lambda: report(("big.pdf", b"%PDF-1.4\n" + b"0" * (31 << 20))), ("matched",),
         "vượt giới hạn", large=True),
    Case("malformed-forward", lambda: raw('Subject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; '
                                          'boundary="o"\r\n', (f"--o\r\nContent-Type: text/plain\r\n\r\n{CITE}\r\n"
                                          "--o\r\nContent-Type: message/rfc822\r\n\r\nFrom: \x00\x01\r\n"
                                          "Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--o--\r\n").encode()),
         ("matched",)),
    Case("edxml-external-entity", lambda: (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM '
                                           b'"file:///etc/passwd">]>\n<edXML:edXML xmlns:edXML="urn:x">'
                                           b"<edXML:MessageHeader><edXML:Subject>&e;</edXML:Subject>"
                                           b"</edXML:MessageHeader></edXML:edXML>"),
         ("failed",), "không cho phép DTD và entity"),
    Case("edxml-entity-bomb", lambda: BILLION_LAUGHS + b"<edXML><MessageHeader>&lol9;</MessageHeader></edXML>",
         ("failed",), "không cho phép DTD và entity"),
    Case("edxml-impossible-dates", lambda: _edxml(response_for=[("760/UBND-TH", "2019/02/31")],
                                                  timestamps=["2019/13/45 25:61:61"]),
         ("matched", "review"), "ngày không hợp lệ"),
    Case("edxml-not-well-formed", lambda: b"<?xml version='1.0'?><edXML><MessageHeader>", ("failed",),
         "không phải XML hợp lệ"),
    Case("edxml-bad-base64", lambda: _edxml().replace(b"</AttachmentEncoded>",
                                                      b"<Attachment><AttachmentName>a.zip</AttachmentName>"
                                                      b"<ContentTransferEncoded>@@@###</ContentTransferEncoded>"
                                                      b"</Attachment></AttachmentEncoded>"),
         ("matched",), "base64 hỏng"),
    # -- the ledger no one can game: forged senders, misread headers, glued references
    Case("forged-encoded-from", lambda: _plain(f"From: {_b64word('skhdt@laichau.gov.vn')} "
                                               "<attacker@evil.example>\r\nSubject: Báo cáo\r\n", CITE,
                                               "mail.laichau.gov.vn; dmarc=pass"),
         ("review",), "evil.example"),
    Case("dmarc-pass-without-header-from", lambda: _plain("From: skhdt@laichau.gov.vn\r\nSubject: BC\r\n",
                                                          CITE, "mail.laichau.gov.vn; dmarc=pass"),
         ("review",), "header.from"),
    Case("comma-in-encoded-name", _comma_name, ("matched",)),
    Case("folded-encoded-subject", lambda: _plain("From: skhdt@laichau.gov.vn\r\nSubject: "
                                                  f"{_b64word('Báo cáo thực hiện Văn bản số')}\r\n"
                                                  " 760/UBND-TH\r\n", "Kính gửi UBND tỉnh."),
         ("matched",)),
    Case("raw-utf8-subject", lambda: _raw_subject("utf-8"), ("matched",)),
    Case("raw-cp1258-subject", lambda: _raw_subject("cp1258"), ("matched",)),
    Case("glued-reference", lambda: _plain("From: skhdt@laichau.gov.vn\r\nSubject: BC\r\n",
                                           "Thực hiện Văn bản sốCV760/UBND-TH của UBND tỉnh"),
         ("matched",)),
    Case("nul-in-date-and-message-id", lambda: _plain("From: skhdt@laichau.gov.vn\r\nSubject: BC\r\n"
                                                      "Message-ID: <a\x00b@laichau.gov.vn>\r\n"
                                                      "Date: Mon, 20 May\x00 2019\r\n", CITE),
         ("matched",)),
    Case("mime-1000-deep", lambda: mime_nested(1000), ("review",), "lồng nhau quá sâu"),
    Case("attachments-over-the-cap", lambda: report(*[(f"phu-luc-{i}.txt", b"x") for i in range(60)]),
         ("matched",), "tệp đính kèm"),
    Case("edxml-over-the-size-limit", _huge_edxml, ("failed",), "vượt giới hạn", large=True),
]


def main() -> None:
    out = HERE / "hostile"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.eml"):
        old.unlink()
    lines = ["# name | accepted states | what the reason or a problem says | file"]
    for case in CASES:
        name = f"{case.name}.eml"
        if not case.large:
            (out / name).write_bytes(case.build())
        lines.append(f"{case.name} | {','.join(case.states)} | {case.says} | "
                     f"{name if not case.large else '(built at test time)'}")
    (out / "MANIFEST.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(CASES)} cases; {sum(not c.large for c in CASES)} written to {out}")


if __name__ == "__main__":
    main()
