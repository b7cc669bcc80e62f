"""Reading a stored message: e-mail or edXML, attachments in killable children."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache

from ingestd.errors import ParseError
from ingestd.read.attachments import Extracted, extract, kind_of
from ingestd.read.document import Document, PartProblem
from ingestd.read.edxml import looks_like_edxml, read_edxml
from ingestd.read.guard import guarded_extract
from ingestd.read.limits import ReadLimits
from ingestd.read.mime import read_email
from ingestd.read.sandbox import SandboxCrash, SandboxTimeout, run_limited


@lru_cache(maxsize=1)
def _warm() -> None:
    """Import the parsers once in the parent: forked children then inherit them instead of
    importing pdfminer, python-docx and openpyxl again for every attachment (~40 ms each)."""
    import docx  # noqa: F401
    import openpyxl  # noqa: F401
    import pdfminer.converter  # noqa: F401
    import pdfminer.high_level  # noqa: F401
    import pdfminer.layout  # noqa: F401
    import pdfminer.pdfdocument  # noqa: F401
    import pypdfium2  # noqa: F401


def sandboxed_extract(name: str, data: bytes, limits: ReadLimits) -> Extracted:
    """Extract an attachment in a killable child with the configured time and memory limits.
    A PDF that kills its reader under PDFium (which aborts when memory runs out) is given to
    pdfminer.six in a fresh child, whose MemoryError or text is a clear answer."""
    _warm()
    started = time.monotonic()
    try:
        return run_limited(extract, (name, data, limits), limits.attachment_seconds,
                           limits.worker_memory_mb)
    except SandboxTimeout as exc:
        return Extracted(problems=[PartProblem(f"attachment:{name}", f"dừng đọc: {exc}")])
    except SandboxCrash as exc:
        left = limits.attachment_seconds - (time.monotonic() - started)
        if kind_of(name, data) != "pdf" or limits.pdf_text == "pdfminer" or left < 1:
            return Extracted(problems=[PartProblem(f"attachment:{name}", f"đọc lỗi: {exc}")])
    return sandboxed_extract(name, data, replace(limits, pdf_text="pdfminer",
                                                 attachment_seconds=left))


def read_message(raw: bytes, limits: ReadLimits, extract_fn=sandboxed_extract) -> Document:
    """Read a stored message (e-mail or edXML). Never raises for bad input: problems are
    recorded on the Document; an edXML that is not XML gives a Document with a problem."""
    if looks_like_edxml(raw):
        try:
            return read_edxml(raw, limits, extract_fn)
        except ParseError as exc:
            return Document(kind="edxml", problems=[PartProblem("edxml", str(exc))])
    return read_email(raw, limits, extract_fn)


__all__ = ["Document", "guarded_extract", "read_message", "sandboxed_extract"]
