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
# Each pattern first looks at the one character a number can start with: the lookbehinds of
# _START are then tried at a few positions of a page, not at every one (5× faster on a page).
_NUMBER = re.compile(
    rf"(?=[0-9cv]){_START}(?:(?:cv|vb)\s*(?:so\s*:?\s*)?)?(?P<num>\d{{1,5}})\s*/\s*"
    rf"(?:(?P<year>(?:19|20)\d{{2}})\s*/\s*)?"
    rf"(?P<notation>[{_LETTERS}][{_LETTERS}]{{0,9}}(?:\s*-\s*[{_LETTERS}0-9][{_LETTERS}0-9]{{0,11}}){{0,4}})",
    re.IGNORECASE)
# Party documents (văn bản của Đảng): number, hyphen, type, slash, issuer — 512-TB/TU,
# 29-NQ/TW, 01-HD/BTGTW, 35-KL/TW. The type is 1-4 letters (NQ, CT, TB, KL, HD, QĐ, QC, CTr).
_PARTY = re.compile(
    rf"(?=[0-9]){_START}(?P<num>\d{{1,5}})\s*[-–—]\s*(?P<type>[{_LETTERS}]{{1,4}})\s*/\s*"
    rf"(?P<issuer>[{_LETTERS}][{_LETTERS}0-9]{{0,9}}(?:\s*-\s*[{_LETTERS}0-9][{_LETTERS}0-9]{{0,11}}){{0,2}})",
    re.IGNORECASE)
_DATE_NUMERIC = re.compile(
    r"^\s*[,(]?\s*(?:ngay\s*:?\s*)?(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d{2})")
_DATE_WORDS = re.compile(
    r"^\s*[,(]?\s*(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+((?:19|20)\d{2})")
# "Số:" at a line's start, after at most a few marks (OCR reads a scan's specks as . _ ' ,)
_OWN_PREFIX = re.compile(r"(?:^|\n|\|)(?:[^\w\n]|_){0,4}so\s*:[ \t*]*$")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_QUARTER = re.compile(r"\bquy\s+(iv|i{1,3}|[1-4])\s*(?:/|-|\s+nam\s+|\s+)\s*((?:19|20)\d{2})\b")
_HALF = re.compile(r"\b(?:0?6|sau)\s+thang\s+(dau|cuoi)\s+nam(?:\s*(?:/|nam)?\s*((?:19|20)\d{2}))?\b")
_MONTH = re.compile(r"\bthang\s+(\d{1,2})\s*(?:/|-|\s+nam\s+)\s*((?:19|20)\d{2})\b")
# "tháng 6 và 6 tháng đầu năm 2026": the month takes the half-year's year
_MONTH_AND_HALF = re.compile(r"\bthang\s+(\d{1,2})\s+(?:va|,)\s+(?:0?6|sau)\s+thang\s+(?:dau|cuoi)\s+nam"
                             r"\s*(?:/|nam)?\s*((?:19|20)\d{2})\b")
_PLAN_BEFORE = re.compile(r"(?:phuong huong|ke hoach|nhiem vu)[\s,;:]*(?:va\s+)?$")
_YEAR = re.compile(r"(?<!dau )(?<!cuoi )\bnam\s+((?:19|20)\d{2})\b")
_FULL_DATE = re.compile(r"\bngay\s+\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+(?:19|20)\d{2}")


@dataclass(frozen=True)
class DocNumber:
    """A document number: number + notation (+ year for legal documents)."""

    number: int
    notation: str          # as written, cleaned of spaces; a Party number's "TB/TU"
    year: int | None = None
    party: bool = False    # 512-TB/TU: number and type joined by a hyphen

    @property
    def key(self) -> str:
        """Canonical form for comparison: 760/UBND-TH, 9/2019/ND-CP, 512-TB/TU. The number
        as a number (02/CĐ-UBND is 2/CĐ-UBND), the notation folded (no diacritics, upper)."""
        notation = fold(self.notation).upper().replace(" ", "")
        notation = re.sub(r"-+", "-", notation)
        if self.party:
            return f"{self.number}-{notation}"
        return f"{self.number}/{self.year}/{notation}" if self.year else f"{self.number}/{notation}"

    def __str__(self) -> str:
        num = f"{self.number:02d}"
        if self.party:
            return f"{num}-{self.notation}"
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
    plan: bool = False     # after "phương hướng", "kế hoạch", "nhiệm vụ": maybe the next period


def parse_number(text: str) -> DocNumber | None:
    """Parse one document number as an admin writes it in rules (``760/UBND-TH``,
    ``512-TB/TU``)."""
    text = text.strip()
    found = _matches(fold(text))
    return _doc(found[0], text) if found else None


def _matches(folded: str) -> list[re.Match[str]]:
    """Every number, State-style and Party-style, in the order they stand."""
    found = list(_NUMBER.finditer(folded))
    taken = [(m.start(), m.end()) for m in found]
    found += [m for m in _PARTY.finditer(folded)
              if not any(s < m.end() and m.start() < e for s, e in taken)]
    return sorted(found, key=lambda m: m.start())


_TITLE_WORD = re.compile(r"^[A-ZĐ\u00c0-\u1ef8][a-zđ\u00e0-\u1ef9]+$")


def _clean_notation(raw: str) -> str:
    """Spaces and dashes as Decree 30 writes them. A group that is a capitalised word
    (a place name in ``760/UBND-TH - Thành phố, ngày …``, where OCR or a table joins the next
    column with a dash) ends the notation: notations are upper-case codes."""
    groups = re.split(r"\s*[-–—]\s*", raw.strip())
    kept = groups[:1]
    for g in groups[1:]:
        if _TITLE_WORD.match(g.strip()):
            break
        kept.append(g)
    return "-".join(kept).replace(" ", "").replace("Ð", "Đ")


def _doc(m: re.Match[str], original: str) -> DocNumber:
    if m.re is _PARTY:
        kind = _clean_notation(original[m.start("type"):m.end("type")])
        issuer = _clean_notation(original[m.start("issuer"):m.end("issuer")])
        return DocNumber(int(m.group("num")), f"{kind}/{issuer}", party=True)
    notation = _clean_notation(original[m.start("notation"):m.end("notation")])
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


def find_numbers(text: str, location: str, folded: str | None = None) -> list[Ref]:
    """Every document number in ``text``; the one after ``Số:`` at a line start is ``own``.
    ``folded``: ``fold(text)`` when the caller has it."""
    folded = fold(text) if folded is None else folded
    out = []
    for m in _matches(folded):
        doc = _doc(m, text)
        before = folded[max(0, m.start() - 20):m.start()]
        own = bool(_OWN_PREFIX.search(before))
        out.append(Ref(doc, _date_after(folded, m.end()), location,
                       _snippet(text, m.start(), m.end()), own))
    return out


def find_periods(text: str, location: str, folded: str | None = None) -> list[PeriodRef]:
    folded = _FULL_DATE.sub(lambda m: " " * len(m.group(0)), fold(text) if folded is None else folded)
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
    for m in _MONTH_AND_HALF.finditer(folded):
        month = int(m.group(1))
        if 1 <= month <= 12:
            found.append((m.start(), m.start() + 5 + len(m.group(1)), f"{m.group(2)}-{month:02d}"))
    taken = [(s, e) for s, e, _ in found]
    for m in _YEAR.finditer(folded):
        if not any(s <= m.start() < e for s, e in taken):
            found.append((m.start(), m.end(), m.group(1)))
    found.sort()
    return [PeriodRef(label, location, _snippet(text, s, e),
                      bool(_PLAN_BEFORE.search(folded[max(0, s - 30):s])))
            for s, e, label in found]
