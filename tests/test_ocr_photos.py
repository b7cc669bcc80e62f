"""Phone photos at the edge of what OCR reads (bench/ocr.py measures the shares): a 72 dpi photo
that is noisy, blurred, dark, turned and saved at JPEG q40; a seal whose ring crosses the
``Số:`` line. Every document number on such a page is read again several ways and the reading
most of them agree on is kept, and the evidence says so."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from ingestd.config import ReadLimits
from ingestd.read import ocr, read_message, sandboxed_extract
from ingestd.read.number_vote import number_in_reading, vote
from ingestd.read.refs import parse_number
from ingestd.testing import Mail, PhotoDefects, make_photo

POOR = PhotoDefects(dpi=72, blur=0.7, noise=12, dark=0.5, rotate=2.5, jpeg=40)


@pytest.fixture(autouse=True)
def _tesseract():
    if not ocr.available():
        pytest.fail("tesseract-ocr-vie is missing (./scripts/test installs it)")


def page(issuer: str, short: str, cited: str, defects: PhotoDefects, seed: int,
         place: str = "Lai Châu") -> tuple[bytes, str]:
    """A report's first page photographed: its own number drawn from the seed, as bench/ocr.py
    draws them."""
    rng = random.Random(seed)
    own = f"{rng.randint(10, 1999)}/BC-{short}"
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    body = ["BÁO CÁO", f"Kết quả thực hiện Văn bản số {cited} ngày {day}/{month}/2025 của UBND tỉnh",
            "về tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội trên địa bàn"]
    if defects.handwritten:                   # its digits written by hand into the blank
        defects = replace(defects, handwritten=own.partition("/")[0])
    return make_photo(issuer, own, body, defects, seed=seed, place=place), own


def read(photo: bytes):
    raw = Mail("a@laichau.gov.vn", "Gửi báo cáo", "", attachments=[("anh-chup.jpg", photo)]).build()
    return read_message(raw, ReadLimits(), extract_fn=sandboxed_extract)


@pytest.mark.parametrize("issuer, short, cited, seed, place", [
    ("Sở Giao thông vận tải", "SGTVT", "08/CT-UBND", 3, "Điện Biên"),     # the page read 407
    ("UBND huyện Than Uyên", "UBND", "760/UBND-TH", 10, "Lai Châu"),      # ... 260/UBND-TH
    ("Sở Y tế", "SYT", "1235/UBND-VX", 1, "Hà Giang"),                    # ... 1235/UBND-VXN
])
def test_a_poor_photo_gives_both_numbers_exactly(issuer, short, cited, seed, place):
    photo, own = page(issuer, short, cited, POOR, seed, place)
    doc = read(photo)
    assert doc.own_number and parse_number(doc.own_number).key == parse_number(own).key, doc.own_number
    assert parse_number(cited).key in {r.doc.key for r in doc.references}
    assert any("số đọc lại nhiều cách, lấy cách đọc đa số" in p.reason and "lần đọc khớp" in p.reason
               for p in doc.problems), [p.reason for p in doc.problems]


@pytest.mark.parametrize("issuer, short, seed", [("Sở Tài chính", "STC", 13),              # read 240
                                                  ("Sở Nông nghiệp và Môi trường", "SNNMT", 23)])  # 19024
def test_a_number_written_by_hand_is_read_by_vote(issuer, short, seed):
    """One reading of the hand-written digits took a 5 for a 2, another found a digit too many;
    the typed notation lost its B in one: each is read several ways and voted on."""
    photo, own = page(issuer, short, "08/CT-UBND", PhotoDefects(dpi=80, handwritten="x"), seed,
                      "Điện Biên")
    assert read(photo).own_number == own


def test_what_a_seal_leaves_round_the_number_line_does_not_hide_it():
    """The ring's remains next to ``Số:`` once made Tesseract take the line for marks."""
    photo, own = page("Sở Nông nghiệp và Môi trường", "SNNMT", "29-NQ/TW",
                      PhotoDefects(dpi=80, seal=True), 15)
    doc = read(photo)
    assert doc.own_number == own
    assert "29-NQ/TW" in {r.doc.key for r in doc.references}


def test_a_seal_ring_through_the_number_on_a_poor_photo_still_gives_the_directive():
    """Beyond what is read exactly (bench/ocr.py's last row): the ring cuts the digits of the
    report's own number, but the directive it answers is read, and that is what counts it."""
    photo, _ = page("Sở Y tế", "SYT", "1235/UBND-VX", replace(POOR, seal=True), 1,
                    place="Hà Giang")
    assert "1235/UBND-VX" in {r.doc.key for r in read(photo).references}


# -- the vote, on plain readings -------------------------------------------------------------------

def test_the_number_most_readings_give_wins():
    number, how = vote(["1759/BC-SKHDT", "1739/BC-SKHDT", "1739/BC-SKHĐT", "1749/BC-SKHDT"])
    assert str(number) == "1739/BC-SKHĐT" and how == "2/4 lần đọc khớp"


def test_number_and_notation_are_voted_on_apart():
    """One reading lost a digit, another misread a letter, a third lost the dash: each agrees
    with the rest on what it got right."""
    number, _ = vote(["497/BE-SGTVT", "97/BC-SGTVT", "497/BCSGTVT", "497/BC-SGTVT", "1397/BC-SGTVT"])
    assert str(number) == "497/BC-SGTVT"


def test_in_a_tie_the_page_reading_stays():
    number, _ = vote(["285/BC-SYT", "283/BC-SYT"])
    assert str(number) == "285/BC-SYT"


@pytest.mark.parametrize("row, number", [("S1180/8C-UBND", "1180/BC-UBND"), ("Số:958/BC-SYT", "958/BC-SYT"),
                                         ("512-TB/TU", "512-TB/TU"), ("ngày 14/3/2021", None),
                                         ("2671/UBND-KTN", "2671/UBND-KTN")])
def test_a_reading_of_a_number(row, number):
    """A digit where a code's letters are is the letter it looks like; a date is no number."""
    assert number_in_reading(row) == number


def test_grain_is_measured_and_only_grainy_pages_are_smoothed():
    rng = np.random.default_rng(1)
    page = np.full((400, 300), 250, np.uint8)
    page[100:110, 40:260] = 20                                        # a line of ink
    grainy = np.clip(page + rng.normal(0, 10, page.shape), 0, 255).astype(np.uint8)
    assert ocr.noise_level(page) < 1 and ocr.noise_level(grainy) > 5
    assert ocr._denoised(page) is page
    assert ocr.noise_level(ocr._denoised(grainy)) < ocr.noise_level(grainy) / 2


def test_a_number_the_page_read_with_a_digit_for_a_letter_is_mended_in_the_text(monkeypatch):
    """The page read ``1180/8C-UBND`` and the readings of that word agree it is
    ``1180/BC-UBND``: the text, which matching reads, says what was agreed."""
    from types import SimpleNamespace

    words = {"text": ["Văn", "bản", "1180/8C-UBND"], "conf": [90, 90, 90], "block_num": [1, 1, 1],
             "par_num": [1, 1, 1], "line_num": [1, 1, 1], "word_num": [1, 2, 3],
             "left": [100, 200, 300], "top": [900, 900, 900], "width": [80, 80, 300], "height": [30, 30, 30]}
    page = SimpleNamespace(flat=SimpleNamespace(width=2100, height=2970))
    monkeypatch.setattr(ocr, "_reread", lambda prepared, boxes: [["1180/BC-UBND", "1180/BC-UBND"]])
    own, text, changed = ocr._agreed_numbers(page, "Văn bản 1180/8C-UBND", words, None)
    assert own is None and text == "Văn bản 1180/BC-UBND"
    assert changed == ["1180/8C-UBND → 1180/BC-UBND (3/3 lần đọc khớp)"]


def test_a_page_too_big_for_tesseract_is_prepared_small_enough(monkeypatch):
    """Tesseract is given the prepared page whole, never shrunk behind the reader's back: the
    boxes of its words are where the numbers are cut out of that same page."""
    from PIL import Image

    monkeypatch.setattr(ocr, "MAX_PIXELS", 1_000_000)
    prepared = ocr.prepare(Image.new("RGB", (1500, 2100), "white"))
    assert prepared.flat.width * prepared.flat.height <= 1_000_000
    assert prepared.grey.shape == (prepared.flat.height, prepared.flat.width)


def test_the_pages_misreading_of_its_own_number_is_not_a_cited_one(monkeypatch):
    """``Số:`` read as ``Só.`` and the number as ``1!80/BC-UBND``: the line agreed on gives the
    own number, and ``80/BC-UBND`` is not left in the text to pass for a directive it cites."""
    from types import SimpleNamespace

    from ingestd.read.refs import find_numbers

    words = {"text": ["Só.", "1!80/BC-UBND", "Văn", "bản", "760/UBND-TH"], "conf": [60, 60, 90, 90, 90],
             "block_num": [1, 1, 2, 2, 2], "par_num": [1, 1, 1, 1, 1], "line_num": [1, 1, 1, 1, 1],
             "word_num": [1, 2, 1, 2, 3], "left": [130, 200, 130, 230, 330], "top": [270, 270, 560, 560, 560],
             "width": [60, 300, 80, 80, 300], "height": [34, 34, 34, 34, 34]}
    page = SimpleNamespace(flat=SimpleNamespace(width=2100, height=2970), grey=None)
    text = ocr._joined(words, words["text"])
    box = ocr._number_box(page, words)
    assert box is not None
    monkeypatch.setattr(ocr, "_reread", lambda prepared, boxes: [["1180/BC-UBND"] * 3, ["760/UBND-TH"] * 3])
    own, text, _ = ocr._agreed_numbers(page, text, words, box)
    refs = find_numbers(f"{own}\n{text}", "")
    assert [str(r.doc) for r in refs if r.own] == ["1180/BC-UBND"]
    assert [str(r.doc) for r in refs if not r.own] == ["760/UBND-TH"]
