"""Letters that cite a directive but are not the report it asks for: a request for more time
(xin gia hạn), a question (xin ý kiến), an automatic reply. Told by the trích yếu (subject, an
edXML's Subject) and the opening sentence. Pure."""

from __future__ import annotations

import re
from datetime import date

from ingestd.read.document import Document
from ingestd.read.vntext import fold

EXTENSION = "extension"
_KINDS = [
    (EXTENSION, re.compile(r"\bxin (?:duoc )?gia han\b|\bde nghi gia han\b"),
     "thư xin gia hạn thời gian báo cáo, không phải báo cáo"),
    ("question", re.compile(r"\bxin y kien\b|\bde nghi (?:cho )?y kien\b|\bxin huong dan\b"),
     "thư xin ý kiến, hướng dẫn, không phải báo cáo"),
    ("auto-reply", re.compile(r"^(?:re:\s*)?(?:tu dong tra loi|tra loi tu dong|auto[- ]?reply|"
                              r"automatic reply|out of (?:the )?office)"),
     "thư trả lời tự động, không phải báo cáo"),
]
_OPENING = 400
_UNTIL = re.compile(r"gia han (?:thoi gian \w+ \w+ )?(?:den|toi|den het) (?:het )?(?:ngay )?"
                    r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d{2})")


def letter_kind(doc: Document) -> tuple[str, str] | None:
    """(kind, what to tell the clerk) for a letter that is not a report, else None. The
    subject decides first (``V/v xin gia hạn thời gian báo cáo``); a subject that calls the
    letter a report (``Báo cáo …``) makes it one; else the opening of the body."""
    subject = fold(doc.subject or "").strip()
    for kind, pattern, words in _KINDS:
        if pattern.search(subject):
            return kind, words
    if "bao cao" in subject:
        return None
    opening = " ".join(fold(p.text[:_OPENING]) for p in doc.parts
                       if p.location in ("body", "edxml:Content") or p.location.endswith("#p1"))
    for kind, pattern, words in _KINDS:
        if kind != "auto-reply" and pattern.search(opening):
            return kind, words
    return None


def asked_until(doc: Document) -> date | None:
    """The day a request for more time asks for (``xin gia hạn đến ngày 10/7/2019``), so the
    clerk grants it in one click; None when the letter names none."""
    for p in doc.parts:
        m = _UNTIL.search(fold(p.text[:4000]))
        if m:
            try:
                return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                continue
    return None
