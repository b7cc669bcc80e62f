"""What several OCR readings of one document number agree on: pure functions of the
readings' text, no image. ``ocr`` reads a number several ways and asks ``vote`` which reading
to keep."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from ingestd.read.refs import DocNumber, parse_number
from ingestd.read.vntext import fold

# digits, then a slash or dash and a notation with at least one letter (not a date: 14/3/2021)
NUMBER_IN_READING = re.compile(r"(\d{1,5})([/-](?=[A-ZĐ0-9/-]*[A-ZĐ])[A-ZĐ0-9/-]*[A-ZĐ0-9])")
DIGITS = {"eng": "0123456789", "vie": "0123456789"}
_AS_LETTER = str.maketrans("8051", "BOSI")


def number_key(number: str) -> str | None:
    parsed = parse_number(number)
    return parsed.key if parsed else None


def vote(readings: list[str]) -> tuple[DocNumber, str] | None:
    """(the number most readings give, "k/n lần đọc khớp"). The number and the notation are
    voted on apart, the notation by its letters (``BCSGTVT`` and ``BC-SGTVT`` agree on them):
    one reading that loses a digit and another that misreads a letter still agree with the
    rest on what each got right. The first reading wins a tie; of the readings that give the
    winner, the last is shown (the Vietnamese model's, with its Đ)."""
    numbers = [d for n in readings if (d := parse_number(n))]
    if not numbers:
        return None

    def numeral(d: DocNumber) -> tuple[int, int | None, bool]:
        return d.number, d.year, d.party

    def letters(d: DocNumber) -> str:
        return re.sub(r"[^A-Z0-9]", "", fold(d.notation).upper())

    number = Counter(numeral(d) for d in numbers).most_common(1)[0][0]
    notation = Counter(letters(d) for d in numbers).most_common(1)[0][0]
    # where the dashes stand, as most of the readings with those letters put them; in a tie
    # the one with more (OCR loses a thin dash far more often than it makes one up)
    forms = Counter(fold(d.notation).upper() for d in numbers if letters(d) == notation)
    written = max(forms, key=lambda f: (forms[f], len(re.findall(r"[/-]", f))))
    both = [d for d in numbers if numeral(d) == number and fold(d.notation).upper() == written]
    if both:
        return both[-1], f"{len(both)}/{len(readings)} lần đọc khớp"
    shown = replace(next(d for d in numbers if numeral(d) == number),
                    notation=next(d.notation for d in numbers if fold(d.notation).upper() == written))
    return shown, f"số và ký hiệu khớp riêng trong {len(readings)} lần đọc"


def number_in_reading(row: str) -> str | None:
    """The number in one reading; a digit where the document type's or organ's letters are
    (``8C`` for ``BC``) is the letter it looks like: those codes are letters."""
    m = NUMBER_IN_READING.search(row.replace(" ", ""))
    return m.group(1) + _as_letters(m.group(2)) if m else None


def _as_letters(notation: str) -> str:
    """Each part of a notation that has a letter, with digits that look like letters as them."""
    return "".join(p.translate(_AS_LETTER) if re.search(r"[A-ZĐ]", p) else p
                   for p in re.split(r"([/-])", notation))


def digits_in_reading(row: str) -> str | None:
    return row if re.fullmatch(r"\d{1,5}", row) else None


def notation_in_reading(row: str) -> str | None:
    """The typed notation after the slash (a digit written over the slash may have taken it
    along), a digit where its letters stand being the letter it looks like."""
    m = re.search(r"[A-ZĐ0-9][A-ZĐ0-9-]*[A-ZĐ0-9]", row.partition("/")[2] or row)
    return _as_letters(m.group(0)) if m and re.search(r"[A-ZĐ]", m.group(0)) else None
