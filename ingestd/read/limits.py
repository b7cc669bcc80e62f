"""What a reader may spend on one message: plain values, so the readers need nothing from
the configuration machinery (``config.load_settings`` builds one from ``[reading]`` and
``[signatures]``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on reading one message; a part over a bound is recorded with a reason."""

    pdf_pages: int = 1
    pdf_text: str = "pdfium"           # or "pdfminer": the library that reads a PDF's text layer
    max_message_bytes: int = 50 * 1024 * 1024
    max_attachment_bytes: int = 30 * 1024 * 1024
    max_decompressed_bytes: int = 100 * 1024 * 1024
    max_archive_entries: int = 200
    max_nesting: int = 8
    max_mime_parts: int = 500
    attachment_seconds: float = 20.0
    message_seconds: float = 60.0      # all attachments of one message together
    max_attachments: int = 50          # per message (ZIP entries count within their archive)
    worker_memory_mb: int = 768
    max_text_chars: int = 200_000
    ocr: bool = True                   # scans and photos: first page by Tesseract (Vietnamese)
    ocr_dpi: int = 200
    trust_roots: tuple[bytes, ...] = ()   # DER certificates from [signatures] roots


PDF_TEXT_ENGINES = ("pdfium", "pdfminer")

__all__ = ["PDF_TEXT_ENGINES", "ReadLimits"]
