"""Find Vietnamese document numbers, their dates, the report's own number and period phrases.

Pure functions over text. Every item keeps where it was found and the text around it, so the
matcher can show its evidence. Matching is done on the folded text (no diacritics, lower
case), which has the same length as the original, so snippets come from the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ingestd.read.vntext import fold

_LETTERS = r"A-Za-zĐđÐ&\u00c0-\u1ef9"
# A number starts after a non-word character, or glued to the words that announce one:
# "sốCV924/UBND-TH", "số760/UBND-TH", "theoVB760/UBND-TH" (folded: so, cv, vb).
_START = r"(?:(?<![\d/\w])|(?<=so)|(?<=so:)|(?<=cv)|(?<=vb)|(?<=[a-z])(?=(?:cv|vb)\s*\d))"
_NUMBER = re.compile(
    rf"{_START}(?:(?:cv|vb)\s*(?:so\s*:?\s*)?)?(?P<num>\d{{1,5}})\s*/\s*"
    rf"(?:(?P<year>(?:19|20)\d{{2}})\s*/\s*)?"
    rf"(?P<notation>[{_LETTERS}][{_LETTERS}]{{0,9}}(?:\s*-\s*[{_LETTERS}0-9][{_LETTERS}0-9]{{0,11}}){{0,4}})",
    re.IGNORECASE)
_DATE_NUMERIC = re.compile(
    r"^\s*[,(]?\s*(?:ngay\s*:?\s*)?(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d{2})")
_DATE_WORDS = re.compile(
    r"^\s*[,(]?\s*(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+((?:19|20)\d{2})")
_OWN_PREFIX = re.compile(r"(?:^|\n|\|)[ \t*]*so\s*:[ \t*]*$")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER = re.compile(r"\bquy\s+(iv|i{1,3}|[1-4])\s*(?:/|-|\s+nam\s+|\s+)\s*((?:19|20)\d{2})\b")
_HALF = re.compile(r"\b(?:0?6|sau)\s+thang\s+(dau|cuoi)\s+nam(?:\s*(?:/|nam)?\s*((?:19|20)\d{2}))?\b")
_MONTH = re.compile(r"\bthang\s+(\d{1,2})\s*(?:/|-|\s+nam\s+)\s*((?:19|20)\d{2})\b")
_YEAR = re.compile(r"(?<!dau )(?<!cuoi )\bnam\s+((?:19|20)\d{2})\b")
_FULL_DATE = re.compile(r"\bngay\s+\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+(?:19|20)\d{2}")


@dataclass(frozen=True)
class DocNumber:
    """A document number: number + notation (+ year for legal documents)."""

    number: int
    notation: str          # as written, cleaned of spaces
    year: int | None = None

    @property
    def key(self) -> str:
        """Canonical form for comparison: 760/UBND-TH, 9/2019/ND-CP."""
        notation = fold(self.notation).upper().replace(" ", "")
        notation = re.sub(r"-+", "-", notation)
        return f"{self.number}/{self.year}/{notation}" if self.year else f"{self.number}/{notation}"

    def __str__(self) -> str:
        num = f"{self.number:02d}"
        return f"{num}/{self.year}/{self.notation}" if self.year else f"{num}/{self.notation}"


@dataclass(frozen=True)
class Ref:
    """A document number found in text."""

    doc: DocNumber
    date: date | None
    location: str
    snippet: str
    own: bool = False


@dataclass(frozen=True)
class PeriodRef:
    label: str             # 2019-Q2, 2019-H1, 2019-05, 2019; "?-H1" when the year is not written
    location: str
    snippet: str


def parse_number(text: str) -> DocNumber | None:
    """Parse one document number as an admin writes it in rules (``760/UBND-TH``)."""
    m = _NUMBER.search(text.strip())
    if not m:
        return None
    return _doc(m, text)


def _doc(m: re.Match[str], original: str) -> DocNumber:
    raw = original[m.start("notation"):m.end("notation")]
    notation = re.sub(r"\s*[-–—]\s*", "-", raw).replace(" ", "").replace("Ð", "Đ")
    year = int(m.group("year")) if m.group("year") else None
    return DocNumber(int(m.group("num")), notation, year)


def _snippet(text: str, start: int, end: int, width: int = 50) -> str:
    s = max(0, start - width)
    e = min(len(text), end + width)
    return " ".join(text[s:e].split())


def _date_after(folded: str, pos: int) -> date | None:
    tail = folded[pos:pos + 40]
    m = _DATE_NUMERIC.match(tail) or _DATE_WORDS.match(tail)
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def find_numbers(text: str, location: str) -> list[Ref]:
    """Every document number in ``text``; the one after ``Số:`` at a line start is ``own``."""
    folded = fold(text)
    out = []
    for m in _NUMBER.finditer(folded):
        doc = _doc(m, text)
        before = folded[max(0, m.start() - 20):m.start()]
        own = bool(_OWN_PREFIX.search(before))
        out.append(Ref(doc, _date_after(folded, m.end()), location,
                       _snippet(text, m.start(), m.end()), own))
    return out


def find_periods(text: str, location: str) -> list[PeriodRef]:
    folded = _FULL_DATE.sub(lambda m: " " * len(m.group(0)), fold(text))
    found: list[tuple[int, int, str]] = []
    for m in _QUARTER.finditer(folded):
        q = _ROMAN.get(m.group(1)) or int(m.group(1))
        found.append((m.start(), m.end(), f"{m.group(2)}-Q{q}"))
    for m in _HALF.finditer(folded):
        half = "H1" if m.group(1) == "dau" else "H2"
        found.append((m.start(), m.end(), f"{m.group(2) or '?'}-{half}"))
    for m in _MONTH.finditer(folded):
        month = int(m.group(1))
        if 1 <= month <= 12:
            found.append((m.start(), m.end(), f"{m.group(2)}-{month:02d}"))
    taken = [(s, e) for s, e, _ in found]
    for m in _YEAR.finditer(folded):
        if not any(s <= m.start() < e for s, e in taken):
            found.append((m.start(), m.end(), m.group(1)))
    found.sort()
    return [PeriodRef(label, location, _snippet(text, s, e)) for s, e, label in found]
