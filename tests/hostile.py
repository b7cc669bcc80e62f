"""Builders for hostile inputs (kept small on disk: bombs are made at test time)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def pdf_with_stream(stream: bytes, flate: bool = False) -> bytes:
    if flate:
        stream = zlib.compress(stream, 9)
    head = b"<< /Length %d%s >>\nstream\n" % (len(stream), b" /Filter /FlateDecode" if flate else b"")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            head + stream + b"\nendstream"]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def zeros_deflated(total: int) -> bytes:
    """zlib stream of ``total`` zero bytes, made without holding them in memory."""
    c = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    out = [c.compress(chunk) for _ in range(total >> 20)]
    return b"".join(out) + c.flush()


def zip_bomb_real(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("zeros.txt", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(size >> 20):
                fh.write(chunk)
    return buf.getvalue()


def zip_lying_sizes(declared: int = 3 << 30) -> bytes:
    """A tiny zip whose central directory declares gigabytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("baocao.pdf", b"%PDF-1.4 tiny")
    data = bytearray(buf.getvalue())
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, min(declared, 0xFFFFFFFE))
    return bytes(data)


def nested_zip(depth: int) -> bytes:
    data = b"Thuc hien Van ban so 760/UBND-TH"
    name = "core.txt"
    for i in range(depth):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(name, data)
        data, name = buf.getvalue(), f"level{i}.zip"
    return data


BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b"]>\n")


def office_with_bomb(data: bytes, member: str) -> bytes:
    """Replace one XML part of a DOCX/XLSX with a billion-laughs version of itself."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == member:
                body = content.split(b"?>", 1)[-1]
                tag_end = body.index(b">") + 1
                content = BILLION_LAUGHS + body[:tag_end] + b"&lol9;" + body[tag_end:]
            out.writestr(info, content)
    return buf.getvalue()


def mime_nested(depth: int) -> bytes:
    lines = [b"From: a@laichau.gov.vn", b"Subject: deep", b"MIME-Version: 1.0"]
    for i in range(depth):
        lines += [b'Content-Type: multipart/mixed; boundary="b%d"' % i, b"", b"--b%d" % i]
    lines += [b"Content-Type: text/plain", b"", b"Thuc hien Van ban so 760/UBND-TH", b""]
    for i in reversed(range(depth)):
        lines += [b"--b%d--" % i]
    return b"\r\n".join(lines) + b"\r\n"


def macro_enabled(docx_bytes: bytes) -> bytes:
    """The same document declared as macro-enabled (.docm)."""
    src = zipfile.ZipFile(io.BytesIO(docx_bytes))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main+xml",
                                    b"ms-word.document.macroEnabled.main+xml")
            out.writestr(info, data)
    return buf.getvalue()


def encrypted_pdf(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt="mat-khau")
    c.drawString(50, 800, text)
    c.showPage()
    c.save()
    return buf.getvalue()
