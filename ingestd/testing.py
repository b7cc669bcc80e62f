"""Builders for realistic Vietnamese report messages and files, for tests, the bundled sample
mailbox and the benchmark corpus. PDFs need reportlab and a DejaVu font (test extra)."""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from ingestd.read.legacy import encode_cp1258, encode_tcvn3

FONT_PATHS = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              Path("/usr/share/fonts/TTF/DejaVuSans.ttf")]


def header_block(issuer: str, own_number: str, place_date: str) -> list[tuple[str, str]]:
    """The two-column header of a Vietnamese administrative document, row by row."""
    return [(issuer.upper(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
            ("", "Độc lập - Tự do - Hạnh phúc"),
            (f"Số: {own_number}", place_date)]


def make_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with real text; each page a list of lines."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = next((p for p in FONT_PATHS if p.exists()), None)
    if font is None:
        raise RuntimeError("DejaVuSans.ttf not found: apt-get install fonts-dejavu-core")
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(font)))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for lines in pages:
        c.setFont("DejaVu", 11)
        y = 800
        for line in lines:
            c.drawString(50, y, line)
            y -= 16
            if y < 40:
                break
        c.showPage()
    c.save()
    return buf.getvalue()


def make_docx(header: list[tuple[str, str]], paragraphs: list[str],
              legacy_font: str | None = None) -> bytes:
    """A DOCX with the header as a two-column table; with ``legacy_font`` (.VnTime) the text
    is written in TCVN3 bytes under that font, as old documents are."""
    import docx

    d = docx.Document()
    conv = encode_tcvn3 if legacy_font else (lambda s: s)
    table = d.add_table(rows=len(header), cols=2)
    for i, (left, right) in enumerate(header):
        for j, text in enumerate((left, right)):
            run = table.cell(i, j).paragraphs[0].add_run(conv(text))
            if legacy_font:
                run.font.name = legacy_font
    for text in paragraphs:
        run = d.add_paragraph().add_run(conv(text))
        if legacy_font:
            run.font.name = legacy_font
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def make_xlsx(rows: list[list[object]], title: str = "Biểu 01") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title[:31]
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def auth_results(authserv: str, domain: str, dmarc: str = "pass") -> str:
    spf = "pass" if dmarc == "pass" else "fail"
    return (f"{authserv}; spf={spf} smtp.mailfrom=vanthu@{domain}; "
            f"dkim={'pass' if dmarc == 'pass' else 'none'} header.d={domain}; "
            f"dmarc={dmarc} header.from={domain}")


@dataclass
class Mail:
    sender: str
    subject: str
    body: str = ""
    sender_name: str = ""
    to: str = "vanthu@laichau.gov.vn"
    message_id: str | None = None
    date: datetime | None = None
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    charset: str = "utf-8"          # utf-8 | windows-1258 | undeclared-1258
    html: bool = False

    def build(self) -> bytes:
        msg = EmailMessage()
        for value in self.auth:
            msg["Authentication-Results"] = value
        msg["From"] = f"{self.sender_name} <{self.sender}>" if self.sender_name else self.sender
        msg["To"] = self.to
        msg["Subject"] = self.subject
        if self.message_id:
            msg["Message-ID"] = f"<{self.message_id}>"
        if self.date:
            msg["Date"] = format_datetime(self.date)
        msg["MIME-Version"] = "1.0"
        if self.charset == "utf-8":
            if self.html:
                msg.set_content(self.body)
                msg.add_alternative("<html><body><p>" + self.body.replace("\n", "<br>")
                                    + "</p></body></html>", subtype="html")
            else:
                msg.set_content(self.body)
        for name, data in self.attachments:
            maintype, subtype = _ctype(name)
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        # One line per header (RFC 5322 allows 998): Python's folder of long encoded words
        # drops the space at a fold, which would corrupt the test data, not the reader.
        raw = msg.as_bytes(policy=msg.policy.clone(max_line_length=998))
        if self.charset != "utf-8":
            raw = self._legacy(raw)
        return raw

    def _legacy(self, head: bytes) -> bytes:
        label = "; charset=windows-1258" if self.charset == "windows-1258" else ""
        text = head.split(b"\n\n", 1)[0].decode("ascii", "replace")
        lines = [ln for ln in text.split("\n") if not ln.lower().startswith(
            ("content-type", "content-transfer-encoding", " boundary", "\tboundary"))]
        lines += [f"Content-Type: text/plain{label}", "Content-Transfer-Encoding: 8bit"]
        return "\n".join(lines).encode("ascii") + b"\n\n" + encode_cp1258(self.body)


def _ctype(name: str) -> tuple[str, str]:
    ext = name.rsplit(".", 1)[-1].lower()
    return {
        "pdf": ("application", "pdf"),
        "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "zip": ("application", "zip"),
        "doc": ("application", "msword"),
    }.get(ext, ("application", "octet-stream"))


def make_edxml(organ_id: str, organ_name: str, code_number: str, code_notation: str,
               subject: str, content: str, response_for: list[tuple[str, str]],
               timestamps: list[str], attachments: list[tuple[str, bytes]] | None = None,
               document_id: str | None = None, to_organ: tuple[str, str] | None = None) -> bytes:
    """An edXML (QCVN 102:2016) message. ``response_for``: (code, yyyy/MM/dd).
    ``timestamps``: trace hops by the sender; with ``to_organ`` (OrganId, OrganName) the last
    hop is the receiving organ's, as the gateway writes it on delivery."""
    from xml.sax.saxutils import escape

    ns = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
    subject, content, organ_name = escape(subject), escape(content), escape(organ_name)
    rf = "".join(f"<edXML:ResponseFor><edXML:OrganId>000.00.00.H30</edXML:OrganId>"
                 f"<edXML:Code>{code}</edXML:Code><edXML:PromulgationDate>{d}"
                 f"</edXML:PromulgationDate></edXML:ResponseFor>" for code, d in response_for)
    hops = [(to_organ[0] if to_organ and i == len(timestamps) - 1 else organ_id, t)
            for i, t in enumerate(timestamps)]
    traces = "".join(f"<edXML:TraceHeader><edXML:OrganId>{o}</edXML:OrganId>"
                     f"<edXML:Timestamp>{t}</edXML:Timestamp></edXML:TraceHeader>"
                     for o, t in hops)
    to = (f"<edXML:To><edXML:OrganId>{to_organ[0]}</edXML:OrganId><edXML:OrganName>"
          f"{escape(to_organ[1])}</edXML:OrganName></edXML:To>" if to_organ else "")
    atts = "".join(f"<Attachment><ContentId>{i}</ContentId><AttachmentName>{escape(n)}</AttachmentName>"
                   f"<ContentType>application/octet-stream</ContentType><ContentTransferEncoded>"
                   f"{base64.b64encode(b).decode()}</ContentTransferEncoded></Attachment>"
                   for i, (n, b) in enumerate(attachments or []))
    header = (f"<edXML:MessageHeader><edXML:Subject>{subject}</edXML:Subject>"
              f"<edXML:From><edXML:OrganId>{organ_id}</edXML:OrganId><edXML:OrganName>"
              f"{organ_name}</edXML:OrganName></edXML:From>{to}"
              f"<edXML:Code><edXML:CodeNumber>{code_number}</edXML:CodeNumber>"
              f"<edXML:CodeNotation>{code_notation}</edXML:CodeNotation></edXML:Code>"
              f"<edXML:DocumentId>{document_id or organ_id + ',' + code_number}"
              f"</edXML:DocumentId><edXML:Content>{content}</edXML:Content>{rf}"
              f"</edXML:MessageHeader><edXML:TraceHeaderList>{traces}</edXML:TraceHeaderList>")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML:edXML xmlns:edXML="{ns}">'
           f"<edXML:edXMLEnvelope><edXML:edXMLHeader>{header}</edXML:edXMLHeader>"
           f"</edXML:edXMLEnvelope><AttachmentEncoded>{atts}</AttachmentEncoded></edXML:edXML>")
    return xml.encode("utf-8")


def make_scan(lines: list[str], dpi: int = 200, stamp: bool = True, skew: float = 0.0,
              jpeg_quality: int | None = None, noise: float = 0.0, seed: int = 1,
              fmt: str = "PDF") -> bytes:
    """A scanned report page: the lines drawn on A4 at ``dpi`` (DejaVu Serif, the first two as
    the header block), optionally a red stamp over the text, a slight skew, speckle noise and
    JPEG artefacts. ``fmt``: "PDF" (image only, no text layer), "JPEG" or "PNG"."""
    import io
    import random

    from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

    scale = dpi / 200
    width, height = int(1654 * scale), int(2339 * scale)
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    regular = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", int(32 * scale))
    bold = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", int(32 * scale))
    y = int(150 * scale)
    for i, line in enumerate(lines):
        draw.text((int(170 * scale), y), line, font=bold if i in (0, 2) else regular, fill="black")
        y += int(62 * scale)
    if stamp:                 # seal ink is translucent: it darkens the text under it, never hides it
        seal = Image.new("RGB", (width, height), "white")
        ink = ImageDraw.Draw(seal)
        cx, cy, r = int(1000 * scale), int(300 * scale), int(150 * scale)
        ink.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(200, 30, 30), width=int(10 * scale))
        ink.text((cx - int(100 * scale), cy - int(20 * scale)), "ĐÃ KÝ", font=bold, fill=(200, 30, 30))
        img = ImageChops.multiply(img, seal)
    if noise:
        rng = random.Random(seed)
        px = img.load()
        for _ in range(int(width * height * noise)):
            px[rng.randrange(width), rng.randrange(height)] = (0, 0, 0)
        img = img.filter(ImageFilter.MedianFilter(1))
    if skew:
        img = img.rotate(skew, expand=False, fillcolor="white", resample=Image.BICUBIC)
    if jpeg_quality:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=jpeg_quality)
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    out = io.BytesIO()
    img.save(out, fmt, **({"resolution": dpi} if fmt == "PDF" else {}))
    return out.getvalue()


@dataclass(frozen=True)
class PhotoDefects:
    """How a phone photo or a poor scan of a page differs from the page."""

    dpi: int = 80                   # effective resolution of the page in the picture
    blur: float = 0.0               # Gaussian blur radius, in pixels of the photo
    noise: float = 0.0              # standard deviation of sensor noise (0-255 scale)
    dark: float = 0.0               # 0..1: how much darker, with light falling off to one side
    rotate: float = 0.0             # degrees, counter-clockwise
    jpeg: int | None = None         # JPEG quality
    seal: bool = False              # a red seal (con dấu) over the header and the signature
    seal_ink: tuple[int, int, int] | None = None   # its colour; None: one of SEAL_INKS by seed
    handwritten: str | None = None  # the own number's digits written by hand in the blank


SEAL_INKS = ((205, 35, 35), (165, 20, 40), (225, 70, 40), (230, 120, 125))
"""Inks as seals come: fresh red, dark crimson, vermilion, a faded pad's pink."""


def make_photo(issuer: str, own_number: str, body: list[str], defects: PhotoDefects,
               seed: int = 1, place: str = "Thành phố") -> bytes:
    """A JPEG of an A4 page as an office sends it from a phone: the two-column header block
    (the own number typed, or its digits written by hand into ``Số:    /BC-…``), the title and
    the body, drawn sharp at 200 dpi and then degraded as ``defects`` says."""
    import random

    from PIL import Image, ImageChops, ImageDraw, ImageFont

    rng = random.Random(seed)
    dejavu = "/usr/share/fonts/truetype/dejavu/"
    width, height = 1654, 2339
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(dejavu + "DejaVuSerif.ttf", 34)
    bold = ImageFont.truetype(dejavu + "DejaVuSerif-Bold.ttf", 34)
    number, _, notation = own_number.partition("/")
    typed = f"Số: {own_number}" if not defects.handwritten else f"Số:{' ' * 14}/{notation}"
    rows = [(issuer.upper(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold),
            ("", "Độc lập - Tự do - Hạnh phúc", bold), (typed, f"{place}, ngày 20 tháng 5 năm 2019", font)]
    y = 150
    for left, right, f in rows:
        draw.text((130, y), left, font=f, fill="black")
        draw.text((830, y), right, font=f, fill="black")
        y += 60
    if defects.handwritten:          # blue ink, each digit slanted and jittered on its own
        hand = ImageFont.truetype(dejavu + "DejaVuSans-BoldOblique.ttf", 46)
        x = 215
        for ch in defects.handwritten:
            glyph = Image.new("L", (60, 70), 0)
            ImageDraw.Draw(glyph).text((6, 4), ch, font=hand, fill=255)
            glyph = glyph.rotate(rng.uniform(-12, 12), resample=Image.BICUBIC)
            page.paste((20, 40, 160), (x, y - 70 + rng.randint(-4, 4)), glyph)
            x += 32 + rng.randint(-3, 3)
    y += 50
    for i, line in enumerate(body):
        draw.text((130, y), line, font=bold if i == 0 else font, fill="black")
        y += 56
    if defects.seal:                 # seal ink is translucent: it darkens what is under it
        seal = Image.new("RGB", (width, height), "white")
        colour = defects.seal_ink or rng.choice(SEAL_INKS)
        legend = f"{issuer.upper()} · {place.upper()}"
        # the dấu treo over part of the issuer's name (its ring crosses the "Số:" line below),
        # and the seal over the signature
        for cx, cy in ((130 + rng.randint(20, 260), 167 + rng.randint(-20, 20)),
                       (1100 + rng.randint(-80, 80), y + 160)):
            draw_seal(seal, (cx, cy), colour, legend, ring=rng.randint(6, 12))
        page = ImageChops.multiply(page, seal)
    return degrade(page, defects, seed)


def draw_seal(canvas: object, centre: tuple[int, int], colour: tuple[int, int, int], legend: str,
              ring: int = 8, radius: int = 150) -> None:
    """A round seal (con dấu) as offices have them, on ``canvas`` (a PIL image, drawn into):
    an outer and an inner ring, the organisation's name in capitals running round the band
    between them over the top, a star in the middle and small stars at the bottom of the band."""
    import math

    from PIL import Image, ImageDraw, ImageFont

    draw = ImageDraw.Draw(canvas)  # type: ignore[arg-type]
    cx, cy = centre
    inner = int(radius * 0.7)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=colour, width=ring)
    draw.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), outline=colour, width=max(2, ring // 2))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 24)
    mid = (radius + inner) / 2
    span = min(300.0, 8.5 * len(legend))          # degrees of the band the legend fills, over the top
    for k, ch in enumerate(legend):
        angle = math.radians(90 + span / 2 - span * (k + 0.5) / len(legend))
        glyph = Image.new("L", (36, 36), 0)
        ImageDraw.Draw(glyph).text((18, 18), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(math.degrees(angle) - 90, resample=Image.BICUBIC)
        x, y = cx + mid * math.cos(angle), cy - mid * math.sin(angle)
        canvas.paste(colour, (int(x) - 18, int(y) - 18), glyph)  # type: ignore[attr-defined]

    def star(x: float, y: float, r: float) -> None:
        points = [(x + (r if i % 2 == 0 else r * 0.4) * math.cos(math.radians(90 + 36 * i)),
                   y - (r if i % 2 == 0 else r * 0.4) * math.sin(math.radians(90 + 36 * i)))
                  for i in range(10)]
        draw.polygon(points, fill=colour)

    star(cx, cy, inner * 0.45)
    for angle in (-90 - 40, -90 + 40):
        star(cx + mid * math.cos(math.radians(angle)), cy - mid * math.sin(math.radians(angle)), 9)


def degrade(page: object, defects: PhotoDefects, seed: int = 1) -> bytes:
    """A sharp 200 dpi page (a PIL image) as a phone photographs it: resolution, turn, blur,
    light falling off, sensor noise (drawn from ``seed``: the same photo every time), JPEG."""
    from PIL import Image, ImageChops, ImageEnhance, ImageFilter

    width, height = page.size  # type: ignore[attr-defined]
    scale = defects.dpi / 200
    img = page.resize((int(width * scale), int(height * scale)), Image.LANCZOS)  # type: ignore[attr-defined]
    if defects.rotate:
        img = img.rotate(defects.rotate, expand=True, fillcolor=(235, 235, 230), resample=Image.BICUBIC)
    if defects.blur:
        img = img.filter(ImageFilter.GaussianBlur(defects.blur))
    if defects.dark:
        img = ImageEnhance.Brightness(img).enhance(1 - 0.45 * defects.dark)
        shade = Image.linear_gradient("L").rotate(90).resize(img.size)     # light from one side
        shade = shade.point(lambda v: int(255 - defects.dark * 0.5 * v))
        img = ImageChops.multiply(img, Image.merge("RGB", (shade, shade, shade)))
    if defects.noise:
        import numpy as np

        rng = np.random.default_rng(seed)
        grain = rng.normal(128, defects.noise, (img.size[1], img.size[0])).clip(0, 255)
        grain = Image.fromarray(grain.astype(np.uint8)).convert("RGB")
        img = ImageChops.add(img, grain, scale=1.0, offset=-128)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=defects.jpeg or 88)
    return out.getvalue()


def make_scan_with_layer(lines: list[str], layer: str, **scan: object) -> bytes:
    """A scanner's PDF: the page as an image (``make_scan``) with the scanner's own,
    invisible text layer on top, as its built-in recognition wrote it (often garbage)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    png = make_scan(lines, fmt="PNG", **scan)  # type: ignore[arg-type]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=1)
    c.drawImage(ImageReader(io.BytesIO(png)), 0, 0, width=595, height=842)
    text = c.beginText(50, 800)
    text.setTextRenderMode(3)            # invisible, as OCR layers are
    text.setFont("Helvetica", 11)
    for line in layer.splitlines():
        text.textLine(line)
    c.drawText(text)
    c.showPage()
    c.save()
    return buf.getvalue()


def delivered(raw: bytes, received: str) -> bytes:
    """``raw`` as our own MTA delivers it: its ``Received:`` line on top of what the sender
    wrote, and the Authentication-Results of its milters above that line (OpenDKIM and
    OpenDMARC insert theirs at the top). The Authentication-Results ``raw`` carries are taken
    as our milters' (the builders in this module write them for that)."""
    nl = b"\r\n" if b"\r\n" in raw.partition(b"\n\n")[0] + b"\n" else b"\n"
    head, sep, body = raw.partition(nl + nl)
    lines = head.split(nl)
    fields: list[list[bytes]] = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    ours = [f for f in fields if f[0].lower().startswith(b"authentication-results:")]
    rest = [f for f in fields if not f[0].lower().startswith(b"authentication-results:")]
    out = [*ours, [f"Received: {received}".encode()], *rest]
    return nl.join(nl.join(f) for f in out) + sep + body
