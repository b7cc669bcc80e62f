"""The folded words matching compares: keywords against a document's text."""

from __future__ import annotations

import re

from ingestd.read.vntext import fold
from ingestd.rules.model import Report, Rulebook

_FULL_DATE = re.compile(r"\bngay\s*\d{1,2}\s*thang\s*\d{1,2}\s*nam\s*\d{4}|"
                        r"\b\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}\b")
_DATE_WORDS = {"ngay", "thang", "nam"}


def words_of(text: str) -> str:
    """Folded words for keyword search. Full dates are taken out first: the keyword "tháng 11"
    must not be found in "ngày 26 tháng 11 năm 2026" at the top of every letter."""
    return " " + re.sub(r"[^0-9a-z]+", " ", _FULL_DATE.sub(" ", fold(text))) + " "


def date_like_keywords(book: Rulebook) -> list[tuple[Report, str]]:
    """Keywords made only of date words and numbers ("tháng 11", "năm 2019"): they also match
    the date lines that every letter carries, so they tell reports apart badly."""
    out = []
    for directive in book.directives:
        for rep in directive.reports:
            for kw in rep.keywords:
                words = words_of(kw).split()
                if words and all(w in _DATE_WORDS or w.isdigit() for w in words):
                    out.append((rep, kw))
    return out
