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
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ingestd.read.number_vote import (
    DIGITS,
    NUMBER_IN_READING,
    digits_in_reading,
    notation_in_reading,
    number_in_reading,
    number_key,
    vote,
)

OCR_LOCATION = re.compile(r"#ocr(\d{1,3})$")
MAX_PIXELS = 40_000_000          # a bigger image is scaled down before OCR (decompression bombs)


@lru_cache(maxsize=1)
def _models() -> tuple[str, ...]:
    """The language models the installed Tesseract has (none when it is not installed)."""
    exe = shutil.which("tesseract")
    if not exe:
        return ()
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(out.stdout.split())


def available() -> bool:
    """Tesseract with the Vietnamese model is installed."""
    return "vie" in _models()


def ocr_confidence(location: str) -> int | None:
    m = OCR_LOCATION.search(location)
    return int(m.group(1)) if m else None


def _digits_model() -> str:
    """``eng`` when installed (Debian's tesseract-ocr brings it), else the Vietnamese model."""
    return "eng" if "eng" in _models() else "vie"


def _tesseract_words(image: Any, config: str = "", lang: str = "vie"
                     ) -> tuple[str, float, dict[str, list[Any]]]:
    """(text with its line breaks, mean word confidence, Tesseract's word table)."""
    import pytesseract

    # Debian's Tesseract is built with OpenMP, whose threads spin and wait on each other: on
    # the 2-core machine one page took 1.8 s with them and 0.3 s without (tesseract-ocr/
    # tesseract#3109). The reader process is Tesseract's only caller; an operator's own
    # setting is kept.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    if image.width * image.height > MAX_PIXELS:
        scale = (MAX_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    data = pytesseract.image_to_data(image, lang=lang, config=config,
                                     output_type=pytesseract.Output.DICT)
    confidences = [float(c) for w, c in zip(data["text"], data["conf"]) if w.strip() and float(c) >= 0]
    text = _joined(data, data["text"])
    return text, (sum(confidences) / len(confidences) if confidences else 0.0), data


PASS_1, PASS_2 = "lượt 1", "lượt 2 (khử nhiễu, nhị phân hóa)"
AGREED = "số đọc lại nhiều cách, lấy cách đọc đa số"
HANDWRITTEN = "số viết tay đọc riêng"
_NUMBER_CHARS = "0123456789/-ABCDEFGHIJKLMNOPQRSTUVWXYZĐ"


def read_page(image: Any, good_enough: Callable[[str], bool] = lambda text: False,
              ) -> tuple[str, float, str]:
    """(text, confidence, which pass read it) of a scan or a photo of a page.

    Pass 1 prepares the page the way OCR pipelines do before Tesseract: the red channel with
    the seal's ink divided out (``_without_seal``; black and blue ink stay dark), its grain
    smoothed as strongly as it is measured (``_denoised``), scaled up to about 250 dpi (phone
    photos are 70-100 dpi; Tesseract wants letters 20-30 px high), the background flattened (a
    dark photo with light falling off to one side becomes evenly white), the skew corrected (a
    projection-profile estimate). When its text is not ``good_enough`` (the caller's test:
    the numbers it needs are not there), pass 2 also binarises adaptively (a local
    threshold); the pass whose text is good enough, else the one with more document numbers,
    else the more confident one, is kept.

    In each pass every document number is read again on its own several ways
    (``_agreed_numbers``) and the reading most of them agree on is kept: the header's ``Số:``
    line (also when the page's text found no number there: under a seal's ring, blurred) and
    each number in the text. A number written by hand in a pen's blue into the ``Số:`` line
    is read on its own first (``_handwritten_number``)."""
    prepared = prepare(image)
    first = _read_pass(prepared, prepared.flat, PASS_1)
    if good_enough(first[0]):
        return first
    second = _read_pass(prepared, prepared.binarised(), PASS_2)
    if good_enough(second[0]) or (_numbers(second[0]), second[1]) > (_numbers(first[0]), first[1]):
        return second
    return first


def _read_pass(prepared: Prepared, page: Any, how: str) -> tuple[str, float, str]:
    _, confidence, words = _tesseract_words(page)
    # a dash read as another mark is a dash again before a number is cut out and voted on
    words["text"] = [mend_dashes(w) for w in words["text"]]
    text = _joined(words, words["text"])
    box = _number_box(prepared, words)
    hand = _handwritten_number(prepared, box) if box else None
    if hand:
        return f"{hand}\n{text}", confidence, f"{how}, {HANDWRITTEN}"
    own, text, changed = _agreed_numbers(prepared, text, words, box)
    if own:
        text = f"{own}\n{text}"
    if changed:
        how = f"{how}; {AGREED}: {'; '.join(changed)}"
    return text, confidence, how


_SLIPPED_DASH = re.compile(r"(\d{1,5}/[A-ZĐ]{1,8})[.:,_~](?=[A-ZĐ]{2,})"     # 1180/BC:UBND
                           r"|(\d{1,5})[.:,_~](?=[A-ZĐ]{1,6}/[A-ZĐ])")         # 512.TB/TU


def mend_dashes(text: str) -> str:
    """A notation's dash that OCR read as another small mark (``1180/BC:UBND``,
    ``285/BC.SYT``, ``512.TB/TU``) is a dash again. Only in recognised text, and only between
    the parts of a number: digits, slash, capitals."""
    return _SLIPPED_DASH.sub(lambda m: (m.group(1) or m.group(2)) + "-", text)


Box = tuple[int, int, int, int]


def _number_box(prepared: Prepared, words: dict[str, list[Any]]) -> Box | None:
    """Where the number on the header's ``Số: …`` line is on the prepared page (from
    Tesseract's words): from just after ``Số:`` to the middle of the page. When ``Số:`` itself
    was not read (a seal's ring through it), the first word near the header's left margin
    that looks like a number (digits and a slash or dash, ``/BC-…``). None when neither is
    there."""
    from ingestd.read.vntext import fold

    width, height = prepared.flat.width, prepared.flat.height
    header = [i for i, word in enumerate(words["text"]) if word.strip()
              and words["top"][i] < height * 0.4 and words["left"][i] < width * 0.4]
    for i in header:
        w = words["text"][i].strip()
        # "Số:" — not "SỞ" (sở, a department: the first word of the unit's name above it)
        if words["word_num"][i] == 1 and re.match(r"^so\s*:?$", fold(w)) and "ở" not in w.lower():
            return _line_box(prepared, words, i, words["left"][i] + words["width"][i])
    for i in header:       # right after where "Số:" stands: near the left margin, in the header
        if (_NUMBER_LIKE.search(words["text"][i]) and words["left"][i] < width * 0.25
                and words["top"][i] < height * 0.25):
            return _line_box(prepared, words, i, words["left"][i])
    return None


_NUMBER_LIKE = re.compile(r"\d{1,5}\s*[/-]\s*[A-ZĐ]|[/-][A-ZĐ]{2,}")


def _line_box(prepared: Prepared, words: dict[str, list[Any]], i: int, x: int) -> Box:
    y, h = words["top"][i], words["height"][i]
    return (max(0, x - h // 3), max(0, y - h), int(prepared.flat.width * 0.48),
            min(prepared.flat.height, y + 2 * h))


_LINE_CHARS = {"eng": "0123456789/-ABCDEFGHIJKLMNOPQRSTUVWXYZ", "vie": _NUMBER_CHARS}
SHEET_SCALES = (1.0, 0.8, 0.6)    # each number is read at these sizes, as is and binarised
MAX_REREAD = 8                    # numbers on a page read again; the rest stay as the page read them


def _agreed_numbers(prepared: Prepared, text: str, words: dict[str, list[Any]], box: Box | None,
                    ) -> tuple[str | None, str, list[str]]:
    """Every document number on the page read again on its own several ways, and the reading
    most of them agree on kept (``_reread``): at 70 dpi one preparation reads a 3 as 5, 8 or
    9 and the others do not, so no single reading is trusted. The page's own reading counts
    as one vote and wins a tie. Returns (a ``Số: …`` line when the number agreed on for the
    ``Số:`` line is not what the page's text takes as its own, the page's text with each
    number as agreed -- and without the page's own misreading of the ``Số:`` number, which
    would pass for a cited one --, what was changed and by how many readings)."""
    from ingestd.read.refs import find_numbers

    page_own = next((str(r.doc) for r in find_numbers(text, "") if r.own), None)
    numbered = _number_words(prepared, words)
    on_own_line = [t for t in numbered if box and _inside(t[1], box)]
    targets = [t for t in numbered if t not in on_own_line][:MAX_REREAD]
    boxes = ([box] if box else []) + [b for _, b, _ in targets]
    if not boxes:
        return None, text, []
    readings = _reread(prepared, boxes)
    changed, own = [], None
    if box:
        agreed = vote(([number_in_reading(page_own) or page_own] if page_own else []) + readings.pop(0))
        if agreed and (page_own is None or agreed[0].key != number_key(page_own)):
            own = f"Số: {agreed[0]}"
            changed.append(f"«Số:» {agreed[0]} ({agreed[1]})")
    texts = list(words["text"])
    if own:          # what the page made of the own number is no other document's number
        for i, _, _ in on_own_line:
            texts[i] = ""
    for (i, _, read), found in zip(targets, readings):
        # the page's reading votes as the letters it stands for ("8C" is BC), but the text is
        # mended whenever what it says is not what was agreed
        agreed = vote([number_in_reading(read) or read] + found)
        if agreed and agreed[0].key != number_key(read):
            texts[i] = texts[i].replace(read, str(agreed[0]), 1)
            changed.append(f"{read} → {agreed[0]} ({agreed[1]})")
    return own, _joined(words, texts), changed


def _number_words(prepared: Prepared, words: dict[str, list[Any]]) -> list[tuple[int, Box, str]]:
    """The words of the page's text that hold a document number: each word's index, its box
    and the number as the page read it."""
    out = []
    for i, word in enumerate(words["text"]):
        if m := NUMBER_IN_READING.search(word):
            x, y, w, h = words["left"][i], words["top"][i], words["width"][i], words["height"][i]
            # a few pixels either side, never into the next word (read as one more letter)
            out.append((i, (max(0, x - h // 6), max(0, y - h // 2),
                            min(prepared.flat.width, x + w + h // 6),
                            min(prepared.flat.height, y + h + h // 2)), m.group(0)))
    return out


def _inside(inner: Box, outer: Box) -> bool:
    middle = (inner[1] + inner[3]) / 2
    return outer[1] <= middle <= outer[3] and inner[0] >= outer[0] - 5


def _reread(prepared: Prepared, boxes: list[Box]) -> list[list[str]]:
    """Each box of the page read several ways (``_read_crops``) as lines of number characters."""
    return _read_crops([prepared.grey[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes],
                       _LINE_CHARS, number_in_reading)


def _read_crops(crops: list[Any], chars: dict[str, str],
                reading: Callable[[str], str | None]) -> list[list[str]]:
    """Each crop read several ways: as it is and binarised (Otsu), at its size and smaller
    (``SHEET_SCALES``), by Tesseract's English model and the Vietnamese one (which knows Đ;
    each misreads other pages), each with its characters (``chars``); what ``reading`` makes of each
    line read, when it makes something. All of it is one sheet, the variants one under
    another with white between, so each model reads everything in one run."""
    import bisect

    from PIL import Image

    sheet, rows = _sheet(crops)
    starts = [top for top, _ in rows]
    found: list[list[str]] = [[] for _ in crops]
    for lang in dict.fromkeys((_digits_model(), "vie")):
        _, _, data = _tesseract_words(Image.fromarray(sheet), "--psm 6 -c tessedit_char_whitelist="
                                      f"{chars[lang]}", lang)
        # one reading a line Tesseract saw in a row (a crop may hold a sliver of the next line)
        per_line: dict[tuple[int, int, int, int], list[tuple[int, str]]] = {}
        for i, word in enumerate(data["text"]):
            if word.strip() and float(data["conf"][i]) >= 0:
                row = bisect.bisect_right(starts, data["top"][i] + data["height"][i] // 2) - 1
                line = (row, data["block_num"][i], data["par_num"][i], data["line_num"][i])
                per_line.setdefault(line, []).append((data["left"][i], word))
        for (row, *_), line_words in sorted(per_line.items()):
            read = reading("".join(w for _, w in sorted(line_words)))
            if read and row >= 0:
                found[rows[row][1]].append(read)
    return found


def _sheet(crops: list[Any]) -> tuple[Any, list[tuple[int, int]]]:
    """The crops, each as it is and binarised (Otsu), at each of ``SHEET_SCALES``, one under
    another with white between; and each row's top with the crop it shows."""
    import cv2
    import numpy as np

    variants = []
    for k, crop in enumerate(crops):
        for scale in SHEET_SCALES:
            sized = crop if scale == 1.0 else cv2.resize(crop, None, fx=scale, fy=scale,
                                                          interpolation=cv2.INTER_AREA)
            _, otsu = cv2.threshold(cv2.GaussianBlur(sized, (3, 3), 0), 0, 255,
                                    cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            variants += [(sized, k), (otsu, k)]
    width = max(v.shape[1] for v, _ in variants) + 40
    parts, rows, top = [], [], 0
    for v, k in variants:
        part = np.full((v.shape[0] + 40, width), 255, np.uint8)
        part[20:20 + v.shape[0], 20:20 + v.shape[1]] = v
        parts.append(part)
        rows.append((top, k))
        top += part.shape[0]
    return np.vstack(parts), rows


def _joined(words: dict[str, list[Any]], texts: list[str]) -> str:
    """Tesseract's words as text, a line of the page a line."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    for i, word in enumerate(texts):
        if word.strip() and float(words["conf"][i]) >= 0:
            key = (words["block_num"][i], words["par_num"][i], words["line_num"][i])
            lines.setdefault(key, []).append(word)
    return "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))


def _handwritten_number(prepared: Prepared, box: Box) -> str | None:
    """A number written by hand in blue or violet ink into the typed blank (``Số:    /BC-…``,
    as the văn thư numbers a document when it is issued): the ink is told from the typed black
    by its colour, so the digits and the typed notation are read apart, each several ways
    (``_read_crops``) and by vote — the digits alone, on the ink only, as lines of digits;
    the notation with the handwriting taken out. None when the line holds no such ink (a
    typed number is read as it is)."""
    ink = prepared.pen
    if ink is None:
        return None
    x0, y0, x1, y1 = box
    strokes = ink[y0:y1, x0:x1]
    if int((strokes < 128).sum()) < 40 * prepared.scale ** 2:     # a few specks: no number
        return None
    import cv2
    import numpy as np

    ys, xs = np.nonzero(strokes < 128)
    pad = int(15 * prepared.scale / 3) + 1
    only = strokes[max(0, ys.min() - pad):ys.max() + pad, max(0, xs.min() - pad):xs.max() + pad]
    only = cv2.copyMakeBorder(only, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)
    typed = prepared.grey[y0:y1, x0:x1].copy()
    grown = cv2.erode(strokes, np.ones((5, 5), np.uint8))      # the strokes' pale edges too
    typed[grown < 128] = 255
    typed = typed[:, xs.min():]                # from the handwriting on: not "Số:" before it
    [digits], [notations] = (_read_crops([only], DIGITS, digits_in_reading),
                             _read_crops([typed], _LINE_CHARS, notation_in_reading))
    if not digits:                             # blue that is not a number: read as typed
        return None
    number = max(digits, key=digits.count)     # the first of the most frequent
    agreed = vote([f"{number}/{n}" for n in notations])
    return f"Số: {agreed[0]}" if agreed else None


def _numbers(text: str) -> int:
    from ingestd.read.refs import find_numbers

    return len(find_numbers(text, ""))


def has_own_and_cited(text: str) -> bool:
    """The text gives what matching needs from a report's first page: its own number (after
    ``Số:``) and another document's number (the directive it answers) -- not its own number
    again, read where ``Số:`` was not."""
    from ingestd.read.refs import find_numbers

    refs = find_numbers(text, "")
    own = {r.doc.key for r in refs if r.own}
    return bool(own) and any(not r.own and r.doc.key not in own for r in refs)


class Prepared:
    """One page, prepared once: ``flat`` (pass 1), ``binarised()`` (pass 2, on demand)."""

    TARGET_WIDTH = 2100           # ≈ 250 dpi across an A4 page

    def __init__(self, image: Any):
        import cv2
        import numpy as np

        rgb = np.asarray(image.convert("RGB")).astype(np.int16)
        red, seal = _without_seal(rgb)
        red = _denoised(red)
        # a pen's blue or violet ink (the hand-written number): blue well above red and green
        pen = rgb[:, :, 2] - np.maximum(rgb[:, :, 0], rgb[:, :, 1]) > 50
        rows, cols = red.shape
        # up to about 250 dpi, never past what Tesseract is given whole (its words' boxes are
        # then this page's: the numbers are cut out of it by them)
        scale = min(4.0, max(1.0, self.TARGET_WIDTH / cols), (MAX_PIXELS / (rows * cols)) ** 0.5)
        ink = np.where(pen, 0, 255).astype(np.uint8) if pen.sum() > 30 else None
        if abs(scale - 1) > 0.05:
            how = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
            red = cv2.resize(red, None, fx=scale, fy=scale, interpolation=how)
            if ink is not None:
                ink = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=how)
        self.scale = scale
        flat = _flatten(red)
        if seal is not None:     # near a seal, what is left of its rings is lighter than ink
            seal = cv2.resize(seal, (flat.shape[1], flat.shape[0]), interpolation=cv2.INTER_NEAREST)
            flat[(seal > 0) & (flat > 150)] = 255
        angle = skew_angle(flat)
        self.grey = _rotate(flat, angle)
        self.pen = None if ink is None else _rotate(ink, angle)     # None: no pen on the page
        from PIL import Image

        self.flat = Image.fromarray(self.grey)

    def binarised(self) -> Any:
        import cv2
        from PIL import Image

        page = cv2.medianBlur(self.grey, 3)
        block = int(31 * max(1.0, self.scale / 2)) | 1
        page = cv2.adaptiveThreshold(page, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C,
                                     cv2.THRESH_BINARY, block, 15)
        return Image.fromarray(page)


def prepare(image: Any) -> Prepared:
    return Prepared(image)


def _without_seal(rgb: Any) -> tuple[Any, Any]:
    """The red channel with a seal's ink taken out, and where the seals are (a mask; None
    when the page has none). Seal ink is translucent: it multiplies
    what is under it by the ink's colour, so in the red channel a seal pixel is what lies
    beneath times the ink's red. Dividing by that brings paper back to white and leaves a
    letter the seal crosses as dark as it was (painting the seal white would cut the letter:
    a "B" under a ring reads "H"). The ink's red is read off the page (its most saturated
    pixels): a fresh red pad and a dark crimson one are both taken out. What JPEG leaves along
    the ring (specks) is smoothed away (non-local means) around each seal only: the same
    smoothing over a whole noisy scan thins its letters, and over a 300 dpi page costs a
    second."""
    import cv2
    import numpy as np

    red = rgb[:, :, 0]
    excess = red - np.maximum(rgb[:, :, 1], rgb[:, :, 2])
    seal = (red > 60) & (excess > 40)
    if seal.sum() < 50:
        return red.astype(np.uint8), None
    pure = red[seal & (excess > 80)]
    ink = float(np.percentile(pure, 90)) if pure.size > 50 else 205.0
    lifted = np.where(seal, np.minimum(255, red * (255.0 / max(ink, 60.0))), red).astype(np.uint8)
    near = cv2.dilate(seal.astype(np.uint8), np.ones((9, 9), np.uint8))
    count, _, boxes, _ = cv2.connectedComponentsWithStats(near)
    rows, cols = lifted.shape
    out = lifted.copy()
    for x, y, w, h, _area in boxes[1:count]:
        y0, y1, x0, x1 = max(0, y - 16), min(rows, y + h + 16), max(0, x - 16), min(cols, x + w + 16)
        mask = near[y0:y1, x0:x1] > 0                               # with the search's margin
        out[y0:y1, x0:x1][mask] = cv2.fastNlMeansDenoising(lifted[y0:y1, x0:x1], None, 8, 7, 21)[mask]
    return out, near


def noise_level(grey: Any) -> float:
    """The standard deviation of the grain on the paper (0-255 scale): a robust estimate (the
    median absolute deviation) of what a slight blur takes away, on the lighter half of the
    page, where there is no ink. About 0 for a scan or a clean photo; 5-10 for a phone's
    sensor noise in poor light."""
    import cv2
    import numpy as np

    page = grey.astype(np.float32)
    grain = page - cv2.GaussianBlur(page, (0, 0), 2)
    smooth = cv2.GaussianBlur(page, (0, 0), 3)
    paper = grain[smooth >= np.percentile(smooth, 50)]
    return float(1.4826 * np.median(np.abs(paper - np.median(paper))))


def _denoised(grey: Any) -> Any:
    """The page with its grain smoothed away (non-local means, as strong as the grain
    measured), before it is scaled up: scaled first, each grain becomes a blob Tesseract
    takes for ink. A page without grain is left as it is (smoothing thins thin letters)."""
    import cv2

    sigma = noise_level(grey)
    if sigma < 2.0:
        return grey
    return cv2.fastNlMeansDenoising(grey, None, min(20.0, 1.35 * sigma), 7, 21)


def _background_divided(grey: Any) -> Any:
    """Divided by the background (a wide median of the page): uneven light and dark photos
    become white paper with dark letters."""
    import cv2

    small = cv2.resize(grey, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    k = max(15, int(min(small.shape) / 12)) | 1
    background = cv2.medianBlur(small, k)
    background = cv2.resize(background, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(grey, background, scale=255)


def _flatten(grey: Any) -> Any:
    """The background divided out, and paper (with what is left of a seal's rings) white."""
    flat = _background_divided(grey)
    flat[flat > 175] = 255
    return flat


def skew_angle(grey: Any) -> float:
    """The angle (degrees, counter-clockwise) that makes the text lines horizontal: the one
    whose row profile of ink is the most peaked, searched over ±7° on a small copy."""
    import cv2
    import numpy as np

    small = cv2.resize(grey, None, fx=600 / grey.shape[1], fy=600 / grey.shape[1],
                       interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    h, w = ink.shape
    centre = (w / 2, h / 2)

    def peaked(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rows = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    best = max(np.arange(-7, 7.01, 0.5), key=peaked)
    return float(max(np.arange(best - 0.5, best + 0.51, 0.1), key=peaked))


def _rotate(grey: Any, angle: float) -> Any:
    """The page turned by ``angle`` degrees (its skew corrected), paper at the corners."""
    import cv2

    if abs(angle) < 0.2:
        return grey
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)


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
