"""OCR of scanned reports: Tesseract with the Vietnamese model (Debian ``tesseract-ocr`` and
``tesseract-ocr-vie``) through pytesseract, on the first page only -- where the header block
("Số: .../BC-...", "V/v ...") and the references ("Thực hiện Văn bản số ...") are. PDF pages
are rasterised with pypdfium2. Runs inside the reader sandbox like every other parser, so its
time and memory are bounded (tesseract is a child of the sandboxed process and inherits its
limits).

The text is returned with the mean confidence of its words (0-100). The location of an OCR part
says so (``attachment:scan.pdf#p1#ocr87``), so the evidence shows what rests on OCR and how
sure it was; matching sends a match that rests on low-confidence OCR alone to review.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from functools import lru_cache
from typing import Any

OCR_LOCATION = re.compile(r"#ocr(\d{1,3})$")
MAX_PIXELS = 40_000_000          # a bigger image is scaled down before OCR (decompression bombs)


@lru_cache(maxsize=1)
def available() -> bool:
    """Tesseract with the Vietnamese model is installed."""
    exe = shutil.which("tesseract")
    if not exe:
        return False
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return "vie" in out.stdout.split()


def ocr_confidence(location: str) -> int | None:
    m = OCR_LOCATION.search(location)
    return int(m.group(1)) if m else None


def recognise(image: Any) -> tuple[str, float]:
    """(text with its line breaks, mean word confidence) of a PIL image."""
    import pytesseract

    if image.width * image.height > MAX_PIXELS:
        scale = (MAX_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    data = pytesseract.image_to_data(_without_red(image), lang="vie",
                                     output_type=pytesseract.Output.DICT)
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences = []
    for i, word in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if not word.strip() or conf < 0:
            continue
        confidences.append(conf)
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        lines.setdefault(key, []).append(word)
    text = "\n".join(" ".join(words) for _, words in sorted(lines.items()))
    return text, (sum(confidences) / len(confidences) if confidences else 0.0)


def _without_red(image: Any) -> Any:
    """Grey levels from the red channel: a red seal (con dấu) over the text turns almost white
    while black and blue ink stay dark, so the stamp stops hiding the number under it."""
    red = image.convert("RGB").getchannel("R")
    return red.point(lambda v: 255 if v > 150 else v)


def first_page(pdf: bytes, dpi: int) -> Any:
    """The first page of a PDF as a PIL image at ``dpi``."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(pdf)
    try:
        page = doc[0]
        return page.render(scale=dpi / 72).to_pil()
    finally:
        doc.close()


def image(data: bytes) -> Any:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 4
    img = Image.open(io.BytesIO(data))
    img.load()
    return img
