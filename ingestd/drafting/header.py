"""The header block of a document in the Decree 30 layout: issuer (top left), number
(``Số:``), place and date (top right), and the summary (``V/v …``, or the kind of document in
capitals and the line under it). Columns may come interleaved (a text PDF, OCR) or one after
the other (DOCX, OCR's blocks): every item is searched for, never taken by position."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ingestd.drafting.found import Found, quote_of
from ingestd.read.refs import find_numbers
from ingestd.read.vntext import fold
from ingestd.rules.model import name_key

_MOTTO = re.compile(r"cong\s+hoa\s+xa\s+hoi\s+chu\s+nghia\s+viet\s+nam|doc\s+lap\s*[-–—]\s*tu\s+do\s*"
                    r"[-–—]\s*hanh\s+phuc|dang\s+cong\s+san\s+viet\s+nam")
_PLACE_DATE = re.compile(r"(?:,|^|\s)\s*ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+((?:19|20)\d{2})")
_PLACE_DATE_NUM = re.compile(r",\s*ngay\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*((?:19|20)\d{2})")
_SUMMARY = re.compile(r"^\s*(?:v/v|v\.v|vv|ve viec)\b[\s:.]*")
_KINDS = ["ke hoach", "chi thi", "quyet dinh", "thong bao", "cong dien", "huong dan", "chuong trinh",
          "quy dinh", "nghi quyet", "ket luan"]
_KIND_LINE = re.compile(rf"^\s*({'|'.join(_KINDS)})\s*$")
_BODY_START = re.compile(r"^\s*(?:kinh\s+gui|can\s+cu|thuc\s+hien|theo|de\s|nham|ubnd\s+tinh|uy\s+ban)")
_NUMBER_LINE = re.compile(r"^\s*so\s*:")


@dataclass
class Header:
    number: Found[str] | None = None
    date: Found[date] | None = None
    issuer: Found[str] | None = None
    title: Found[str] | None = None
    end: int = 0                   # line index where the body may begin


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def read_header(text: str, known_issuers: tuple[str, ...] = ()) -> Header:
    lines = _lines(text)
    out = Header()
    head = lines[:40]
    number_at = None
    for i, line in enumerate(head):
        refs = [r for r in find_numbers(line, "header") if r.own]
        if refs and out.number is None:
            out.number = Found(str(refs[0].doc), quote_of(line))
            number_at = i
    for line in head:
        folded = fold(line).lower()
        m = _PLACE_DATE.search(folded) or _PLACE_DATE_NUM.search(folded)
        if m and not folded.lstrip().startswith(("can cu", "theo", "thuc hien")):
            try:
                out.date = Found(date(int(m.group(3)), int(m.group(2)), int(m.group(1))), quote_of(line))
                break
            except ValueError:
                continue
    out.issuer = _issuer(head[: number_at if number_at is not None else 6], known_issuers)
    out.title, out.end = _title(lines, number_at or 0)
    return out


def _issuer(lines: list[str], known: tuple[str, ...]) -> Found[str] | None:
    """The issuing body: the header lines above ``Số:`` without the national motto, in the
    case names are written in (a directive the rules already know it by: that spelling)."""
    words: list[str] = []
    quote: list[str] = []
    for line in lines:
        folded = fold(line).lower()
        kept = line
        for m in reversed(list(_MOTTO.finditer(folded))):
            kept = kept[:m.start()] + kept[m.end():]
        kept = kept.strip(" -–_|*")
        if kept and not _PLACE_DATE.search(fold(kept).lower()):
            words.append(kept)
            quote.append(line.strip())
    if not words:
        return None
    raw = " ".join(" ".join(words).split())
    for name in known:
        if _issuer_key(name) == _issuer_key(raw):
            return Found(name, " / ".join(quote))
    return Found(_sentence_case(raw), " / ".join(quote))


def _issuer_key(name: str) -> str:
    key = name_key(name)
    return key.replace("uy ban nhan dan", "ubnd").replace("hoi dong nhan dan", "hdnd")


def _sentence_case(raw: str) -> str:
    """"ỦY BAN NHÂN DÂN TỈNH ĐIỆN BIÊN" → "Ủy ban nhân dân tỉnh Điện Biên": lower case, the first
    word and the place's name (after tỉnh, huyện, …) capitalised."""
    if raw != raw.upper():
        return raw
    lower = raw.lower()
    folded = fold(lower)
    out = lower[:1].upper() + lower[1:]
    m = re.search(r"\b(?:(?:tinh|huyen|thanh|thi|dang)\s+uy|thanh pho|tinh|huyen|xa|phuong|thi xa"
                  r"|quan)\s+(?!uy\b)(?=\S)", folded)
    if m:
        place = " ".join(w[:1].upper() + w[1:] for w in out[m.end():].split())
        out = out[:m.end()] + place
    return out


def _title(lines: list[str], after: int) -> tuple[Found[str] | None, int]:
    """``V/v …`` with the lines it wraps onto, else the kind in capitals and its subject."""
    for i in range(after, min(len(lines), after + 25)):
        folded = fold(lines[i]).lower()
        m = _SUMMARY.match(folded)
        kind = _KIND_LINE.match(folded)
        if m:
            parts = [lines[i][m.end():].strip()]
            j = i + 1
            while j < len(lines) and len(parts) < 4 and _continues(lines[j]):
                parts.append(lines[j].strip())
                j += 1
            body = " ".join(" ".join(parts).split())
            return Found(f"V/v {body}", quote_of(lines[i] + " " + " ".join(parts[1:]))), j
        if kind and lines[i].strip().isupper():
            parts = []
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            while j < len(lines) and len(parts) < 4 and _continues(lines[j]):
                parts.append(lines[j].strip())
                j += 1
            subject = " ".join(" ".join(parts).split())
            kind_name = lines[i].strip().capitalize()
            title = f"{kind_name} {subject[:1].lower() + subject[1:]}" if subject else kind_name
            return Found(title, quote_of(lines[i] + " " + subject)), j
    return None, after + 1


def _continues(line: str) -> bool:
    """A wrapped summary goes on until a blank line, the address or the body."""
    folded = fold(line).lower()
    return bool(line.strip()) and not _BODY_START.match(folded) and not _MOTTO.search(folded) \
        and not _PLACE_DATE.search(folded) and not _NUMBER_LINE.match(folded) \
        and not line.strip().startswith("-")
