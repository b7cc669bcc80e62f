"""Attachment text: PDF (first pages; PDFium, or pdfminer.six), DOCX (body, tables, headers,
text boxes), XLSX, ZIP (nested, bounded), legacy .doc via antiword when installed, plain text.

``extract`` is pure apart from the antiword call and runs inside the sandbox: it returns the
text parts found and the problems met, never raises for bad input. One module for every
attachment format on purpose: each reader is short, and the dispatch with its shared limits
(sizes, ZIP depth, the OCR pass of a text-less or garbage page) reads best in one place.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from ingestd.read import ocr
from ingestd.read.document import PartProblem, TextPart
from ingestd.read.legacy import to_unicode
from ingestd.read.limits import ReadLimits
from ingestd.read.refs import find_numbers
from ingestd.read.signatures import Signature
from ingestd.read.vntext import clean, reads_as_vietnamese

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Extracted:
    parts: list[TextPart] = field(default_factory=list)
    problems: list[PartProblem] = field(default_factory=list)
    legacy: list[str] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)


def kind_of(name: str, data: bytes) -> str:
    ext = PurePosixPath(name.lower()).suffix
    if data[:5] == b"%PDF-" or ext == ".pdf":
        return "pdf"
    if data[:4] == b"PK\x03\x04" or ext in (".zip", ".docx", ".docm", ".xlsx", ".xlsm"):
        if ext in (".docx", ".docm", ".dotx"):
            return "docx"
        if ext in (".xlsx", ".xlsm"):
            return "xlsx"
        return _sniff_zip(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "doc" if ext != ".xls" else "xls"
    if ext in (".txt", ".csv", ".htm", ".html", ".xml", ".edxml"):
        return "text"
    if ext in (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".gif", ".bmp"):
        return "image"
    return "other"


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return "zip"


def extract(name: str, data: bytes, limits: ReadLimits, depth: int = 0) -> Extracted:
    out = Extracted()
    loc = f"attachment:{name}"
    if len(data) > limits.max_attachment_bytes:
        out.problems.append(PartProblem(loc, f"tệp đính kèm {len(data)} byte, vượt giới hạn "
                                        f"{limits.max_attachment_bytes} byte: không đọc"))
        return out
    kind = kind_of(name, data)
    try:
        if kind == "pdf":
            _pdf(loc, data, limits, out)
        elif kind == "docx":
            _docx(loc, data, limits, out)
        elif kind == "xlsx":
            _xlsx(loc, data, limits, out)
        elif kind == "zip":
            _zip(loc, name, data, limits, depth, out)
        elif kind == "doc":
            _doc(loc, data, limits, out)
        elif kind == "text":
            _text(loc, data, out)
        elif kind == "image":
            _ocr(loc, limits, out, lambda: ocr.image(data), "ảnh chụp")
        else:
            out.problems.append(PartProblem(loc, f"loại tệp không đọc được ({kind})", blocking=False))
    except MemoryError:
        out.problems.append(PartProblem(loc, f"không đọc được {kind}: cần nhiều bộ nhớ hơn giới "
                                        f"hạn {limits.worker_memory_mb} MB (bom giải nén?)"))
    except Exception as exc:  # noqa: BLE001 - any parser failure is a reason, not a crash
        detail = " ".join(str(exc).split())[:200]
        out.problems.append(PartProblem(loc, f"không đọc được {kind}: {type(exc).__name__}: {detail}"))
    return out


def _add(out: Extracted, loc: str, text: str, font: str | None = None) -> None:
    text, enc = to_unicode(clean(text), font)
    if enc and enc not in out.legacy:
        out.legacy.append(enc)
    if text.strip():
        out.parts.append(TextPart(loc, clean(text)))


def decoded_as(data: bytes, label: str) -> str | None:
    """``data`` in the charset a sender named, or None: an unknown name, one that is no text
    encoding (``zlib``), one with a NUL in it, or bytes that are not in that charset."""
    try:
        return data.decode(label)
    except (LookupError, ValueError):        # UnicodeDecodeError is a ValueError
        return None


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Bytes of unknown or doubtful charset -> text: declared, UTF-8, windows-1258, latin-1."""
    for cs in ([declared] if declared else []) + ["utf-8", "cp1258"]:
        text = decoded_as(data, cs)
        if text is not None:
            return text
    return data.decode("latin-1")


def _text(loc: str, data: bytes, out: Extracted) -> None:
    _add(out, loc, decode_text(data[:1_000_000]))


# -- PDF ---------------------------------------------------------------------------------------

class PdfLocked(Exception):
    """The PDF needs a password to open."""


def pdf_pages_pdfium(data: bytes, pages: int) -> list[str]:
    """Text of the first ``pages`` pages with PDFium (C, through pypdfium2): ~4 ms a page where
    pdfminer.six spends ~50 ms laying out every glyph. The header block is all matching needs."""
    import pypdfium2

    try:
        doc = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise PdfLocked from None
        raise
    try:
        out = []
        for i in range(min(pages, len(doc))):
            page = doc[i]
            textpage = page.get_textpage()
            try:
                text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n")
                # PDFium writes a hyphen at a line's end as U+FFFE and drops the line break
                # ("1235/UBND-" + "VX" comes out as "1235/UBND\ufffeVX"): put both back
                out.append(text.replace("\ufffe", "-\n"))
            finally:
                textpage.close()
                page.close()
        return out
    finally:
        doc.close()


def pdf_pages_pdfminer(data: bytes, pages: int) -> list[str]:
    """Text of the first ``pages`` pages with pdfminer.six (pure Python, slower, lenient)."""
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        return extract_text(io.BytesIO(data), maxpages=pages).split("\f")[:pages]
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise PdfLocked from None


def _pdf_text(data: bytes, limits: ReadLimits) -> list[str]:
    """The configured engine first; a file PDFium refuses is given to pdfminer.six as well."""
    if limits.pdf_text == "pdfminer":
        return pdf_pages_pdfminer(data, limits.pdf_pages)
    try:
        return pdf_pages_pdfium(data, limits.pdf_pages)
    except PdfLocked:
        raise
    except Exception:  # noqa: BLE001 - PDFium refused the file: the other reader may not
        return pdf_pages_pdfminer(data, limits.pdf_pages)


def _pdf(loc: str, data: bytes, limits: ReadLimits, out: Extracted) -> None:
    try:
        pages = _pdf_text(data, limits)
    except PdfLocked:
        out.problems.append(PartProblem(loc, "PDF có mật khẩu: không đọc được"))
        return
    if b"/ByteRange" in data:               # signed: check every signature
        from ingestd.read.signatures import pdf_signatures

        out.signatures.extend(pdf_signatures(data, limits.trust_roots, loc))
    found = garbage = False
    for i, page in enumerate(pages, start=1):
        if not page.strip():
            continue
        if i == 1 and not usable_text_layer(page):
            garbage = True
            continue
        found = True
        _add(out, f"{loc}#p{i}", page)
    if garbage:
        out.problems.append(PartProblem(loc, "lớp chữ của trang 1 (do máy scan tự nhận dạng) không "
                                             "có số văn bản và không đọc được như tiếng Việt: bỏ "
                                             "qua, đọc lại trang bằng OCR", blocking=False))
    if garbage or not found:
        _ocr(loc, limits, out, lambda: ocr.first_page(data, limits.ocr_dpi),
             "PDF có lớp chữ hỏng" if garbage else "PDF không có lớp chữ (bản scan?)")


def usable_text_layer(text: str) -> bool:
    """A page's text layer is used when it names a document number or reads as Vietnamese;
    else it is a scanner's own garbage recognition, and the page is read as an image."""
    return reads_as_vietnamese(text) or bool(find_numbers(text, ""))   # the cheaper first


def _ocr(loc: str, limits: ReadLimits, out: Extracted, load: Any, what: str) -> None:
    """Read a scan's first page by OCR, marking the part as OCR with its confidence."""
    if not limits.ocr:
        out.problems.append(PartProblem(loc, f"{what}: cần nhận dạng chữ (OCR), đang tắt "
                                             "([reading] ocr = false)"))
        return
    if not ocr.available():
        out.problems.append(PartProblem(loc, f"{what}: cần nhận dạng chữ (OCR) nhưng máy chưa cài "
                                             "tesseract-ocr-vie"))
        return
    text, confidence, how = ocr.read_page(load(), ocr.has_own_and_cited)
    if not text.strip():
        out.problems.append(PartProblem(loc, f"{what}: nhận dạng chữ (OCR) không đọc được chữ nào"))
        return
    _add(out, f"{loc}#p1#ocr{confidence:.0f}", text)
    out.problems.append(PartProblem(loc, f"{what}: đã đọc bằng nhận dạng chữ (OCR, {how}), độ tin "
                                         f"cậy {confidence:.0f}%", blocking=False))


# -- DOCX --------------------------------------------------------------------------------------

def check_zip(data: bytes, limits: ReadLimits) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        return f"không phải tệp ZIP hợp lệ ({exc})"
    if len(infos) > limits.max_archive_entries * 10:
        return f"{len(infos)} phần trong tệp, vượt giới hạn"
    total = sum(i.file_size for i in infos)
    if total > limits.max_decompressed_bytes:
        return (f"khai {total} byte khi giải nén, vượt giới hạn "
                f"{limits.max_decompressed_bytes} byte (bom nén?)")
    return None


def _paragraph_lines(root: object) -> list[tuple[str, str | None]]:
    """Each w:p under ``root`` in document order (tables and text boxes included) as
    (text, font of its first run). Text of a nested text box belongs to its own paragraph."""
    lines = []
    for p in root.iter(f"{W}p"):  # type: ignore[attr-defined]
        texts, font = [], None
        for t in p.iter(f"{W}t", f"{W}tab", f"{W}br"):
            owner = t.getparent()
            while owner is not None and owner.tag != f"{W}p":
                owner = owner.getparent()
            if owner is not p:
                continue
            if t.tag == f"{W}t":
                texts.append(t.text or "")
                if font is None:
                    run = t.getparent()
                    rfonts = run.find(f"{W}rPr/{W}rFonts") if run is not None else None
                    if rfonts is not None:
                        font = rfonts.get(f"{W}ascii") or rfonts.get(f"{W}hAnsi")
            else:
                texts.append("\t" if t.tag == f"{W}tab" else "\n")
        lines.append(("".join(texts), font))
    return lines


def _docx(loc: str, data: bytes, limits: ReadLimits, out: Extracted) -> None:
    problem = check_zip(data, limits)
    if problem:
        out.problems.append(PartProblem(loc, problem))
        return
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    roots = []
    try:
        document = docx.Document(io.BytesIO(data))
        roots.append(("", document.element.body))
        for i, section in enumerate(document.sections):
            for label, hf in (("header", section.header), ("footer", section.footer)):
                if not hf.is_linked_to_previous or i == 0:
                    roots.append((f"#{label}", hf._element))
    except (ValueError, KeyError, PackageNotFoundError) as exc:
        if "macroEnabled" not in str(exc):
            raise
        out.problems.append(PartProblem(loc, "văn bản có macro: macro không bao giờ được chạy; "
                                        "đã đọc phần chữ", blocking=False))
        roots.append(("", _safe_xml(data, "word/document.xml")))
    for suffix, root in roots:
        lines = _paragraph_lines(root)
        legacy_font = next((f for _, f in lines if f and f.lower().startswith((".vn", "vni"))), None)
        text = "\n".join(t for t, _ in lines)
        _add(out, loc + suffix, text, legacy_font)


def _safe_xml(data: bytes, member: str) -> object:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read(member), parser)


# -- XLSX --------------------------------------------------------------------------------------

def _xlsx(loc: str, data: bytes, limits: ReadLimits, out: Extracted) -> None:
    problem = check_zip(data, limits)
    if problem:
        out.problems.append(PartProblem(loc, problem))
        return
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for ws in wb.worksheets[:20]:
            rows = []
            for row in ws.iter_rows(max_row=300, max_col=40, values_only=True):
                cells = [str(c) for c in row if c is not None and str(c).strip()]
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                _add(out, f"{loc}#{ws.title}", "\n".join(rows))
    finally:
        wb.close()


# -- ZIP ---------------------------------------------------------------------------------------

def _zip(loc: str, name: str, data: bytes, limits: ReadLimits, depth: int,
         out: Extracted) -> None:
    if depth >= limits.max_nesting:
        out.problems.append(PartProblem(loc, f"tệp nén lồng nhau quá {limits.max_nesting} "
                                        "lớp: các lớp trong không đọc"))
        return
    budget = limits.max_decompressed_bytes
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > limits.max_archive_entries:
            out.problems.append(PartProblem(loc, f"{len(infos)} tệp trong tệp nén; chỉ đọc "
                                            f"{limits.max_archive_entries} tệp đầu", blocking=False))
            infos = infos[:limits.max_archive_entries]
        for info in infos:
            inner = _entry_name(info.filename)
            iloc = f"{name}/{inner}"
            if info.flag_bits & 0x1:
                out.problems.append(PartProblem(f"attachment:{iloc}", "tệp trong tệp nén có mật khẩu"))
                continue
            if info.file_size > budget:
                out.problems.append(PartProblem(
                    f"attachment:{iloc}", f"khai {info.file_size} byte khi giải nén, vượt "
                    "giới hạn (bom nén?): không đọc"))
                continue
            try:
                with zf.open(info) as fh:
                    content = fh.read(budget + 1)
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
                out.problems.append(PartProblem(f"attachment:{iloc}", f"không giải nén được: {exc}"))
                continue
            if len(content) > budget:
                out.problems.append(PartProblem(f"attachment:{iloc}",
                                                "giải nén vượt giới hạn (bom nén?): không đọc"))
                continue
            budget -= len(content)
            sub = extract(iloc, content, limits, depth + 1)
            out.parts.extend(sub.parts)
            out.problems.extend(sub.problems)
            out.legacy.extend(e for e in sub.legacy if e not in out.legacy)


def _entry_name(raw: str) -> str:
    """An entry's name for display: path parts like ``..`` and drive letters dropped."""
    parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return "/".join(parts)[-200:] or "unnamed"


# -- legacy .doc -------------------------------------------------------------------------------

def _doc(loc: str, data: bytes, limits: ReadLimits, out: Extracted) -> None:
    antiword = shutil.which("antiword")
    if not antiword:
        out.problems.append(PartProblem(loc, "tệp .doc cũ: cần cài antiword để đọc"))
        return
    with tempfile.NamedTemporaryFile(suffix=".doc") as tmp:
        tmp.write(data)
        tmp.flush()
        try:
            res = subprocess.run([antiword, "-m", "UTF-8.txt", tmp.name], capture_output=True,
                                 timeout=limits.attachment_seconds, check=False)
        except subprocess.TimeoutExpired:
            out.problems.append(PartProblem(loc, "tệp .doc cũ: antiword chạy quá thời gian"))
            return
    if res.returncode != 0:
        out.problems.append(PartProblem(loc, "tệp .doc cũ: antiword không đọc được: "
                                        + res.stderr.decode("utf-8", "replace")[:200]))
        return
    _add(out, loc, res.stdout.decode("utf-8", "replace"))
