"""A directive's rules drafted from its text, and the TOML an admin confirms.

The TOML always parses: a value that was found is written with a comment quoting the words it
came from; one that was not is a commented ``# TODO`` line, and ``check`` names what is left."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from ingestd.drafting.deadlines import Deadline
from ingestd.drafting.found import Found
from ingestd.drafting.header import read_header
from ingestd.drafting.recipients import Names, Recipients, read_recipients
from ingestd.drafting.requirements import Requirement, body_lines, requirements
from ingestd.read.refs import parse_number
from ingestd.read.vntext import fold, nfc
from ingestd.rules.model import Rulebook


@dataclass
class DirectiveDraft:
    number: Found[str] | None
    date: Found[date] | None
    issuer: Found[str] | None
    title: Found[str] | None
    recipients: Recipients
    reports: list[Requirement] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)          # one report id per report

    @property
    def file_name(self) -> str:
        """``760-UBND-TH-2019.toml``: the number as a file name (never a path)."""
        raw = self.number.value if self.number else "chua-ro-so"
        plain = "".join(c for c in unicodedata.normalize("NFD", raw.replace("Đ", "D").replace("đ", "d"))
                        if not unicodedata.combining(c))
        stem = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")[:60] or "chua-ro-so"
        year = f"-{self.date.value.year}" if self.date else ""
        return f"{stem}{year}.toml"


def draft_directive(text: str, book: Rulebook) -> DirectiveDraft:
    text = nfc(text)
    lines = text.splitlines()
    known = tuple(dict.fromkeys(d.issuer for d in book.directives if d.issuer))
    header = read_header(text, known)
    body, kinh_gui, noi_nhan = body_lines(lines, header.end)
    names = Names(book)
    recipients = read_recipients(kinh_gui, noi_nhan, names)
    signed = header.date.value if header.date else None
    reqs = requirements(body, names, signed, recipients.refs)
    for req in reqs:
        if not req.title and header.title:
            req.title = "Báo cáo " + re.sub(r"^V/v\s+", "", header.title.value)
    draft = DirectiveDraft(header.number, header.date, header.issuer, header.title, recipients, reqs)
    draft.ids = _ids(draft, book)
    return draft


def _slug(text: str, words: int = 5) -> str:
    parts = re.sub(r"[^a-z0-9]+", " ", fold(text).lower().replace("đ", "d")).split()
    return "-".join(parts[:words])


def _ids(draft: DirectiveDraft, book: Rulebook) -> list[str]:
    taken = set(book.reports)
    doc = parse_number(draft.number.value) if draft.number else None
    prefix = str(doc.number) if doc else "bc"
    out = []
    for req in draft.reports:
        words = req.keywords[0] if req.keywords else re.sub(r"^Báo cáo\s+", "", req.title)
        base = f"{prefix}-{_slug(words, 4)}".strip("-") or prefix
        rid, n = base, 2
        while rid in taken:
            rid, n = f"{base}-{n}", n + 1
        taken.add(rid)
        out.append(rid)
    return out


# -- TOML ---------------------------------------------------------------------------------------

def _s(value: str) -> str:
    """A TOML basic string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " else " " for c in escaped) + '"'


def _comment(text: str) -> str:
    return " ".join(text.split()).replace("\n", " ")


def _value(v: object) -> str:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_s(x) for x in v) + "]"
    return _s(str(v))


def _line(key: str, value: object, quote: str, note: str = "") -> list[str]:
    out = [f"{key} = {_value(value)}"]
    said = f'  # «{_comment(quote)}»' if quote else ""
    if note:
        said += f" — {_comment(note)}" if said else f"  # {_comment(note)}"
    out[0] += said
    return out


def _todo(key: str, example: str, seen: str = "") -> list[str]:
    line = f"# TODO {key} = {example}"
    if seen:
        line += f'   # thấy: «{_comment(seen)}»'
    return [line]


def to_toml(draft: DirectiveDraft, source: str = "") -> str:
    """The draft as a rules/directives/*.toml file."""
    out = ["# Bản nháp do ingestd soạn từ văn bản" + (f" {_comment(source)}" if source else "") + ".",
           "# Kiểm tra từng giá trị với văn bản; sửa các dòng # TODO rồi chạy: ingestd check",
           "", "[directive]"]
    for key, found, example in (("number", draft.number, '"123/UBND-TH"'),
                                ("date", draft.date, "2026-01-31"),
                                ("issuer", draft.issuer, '"UBND tỉnh …"'),
                                ("title", draft.title, '"V/v …"')):
        out += _line(key, found.value, found.quote) if found else _todo(key, example)
    if draft.recipients.quote:
        out.append(f"# Nơi gửi: «{_comment(draft.recipients.quote)}»")
    for seen in draft.recipients.unresolved:
        out += _todo("units", '["ma-don-vi"]  (không nhận ra đơn vị/nhóm)', seen)
    if not draft.reports:
        out += ["", "# TODO: không tìm thấy yêu cầu báo cáo nào có thời hạn trong văn bản.",
                "# [[report]]", '# id = "…"', '# title = "Báo cáo …"', '# units = ["@nhom"]',
                "# due = 2026-01-31"]
    for rid, req in zip(draft.ids, draft.reports, strict=True):
        out += ["", f"# «{_comment(req.sentence)}»", "[[report]]"]
        out += _line("id", rid, "")
        out += _line("title", req.title or "Báo cáo", "")
        d = req.deadline
        out += _line("kind", _kind(req), "")
        if req.units:
            out += _line("units", req.units, req.units_quote or draft.recipients.quote)
        else:
            out += _todo("units", '["@nhom", "ma-don-vi"]', req.units_quote)
        out += _deadline(d)
        if req.keywords:
            out += _line("keywords", req.keywords, "")
    return "\n".join(out) + "\n"


def _kind(req: Requirement) -> str:
    if req.deadline and req.deadline.every:
        return "dinh-ky"
    return "chuyen-de" if "chuyen de" in fold(req.title).lower() else "dot-xuat"


def _deadline(d: Deadline | None) -> list[str]:
    if d is None:
        return _todo("due", "2026-01-31  (hoặc due_working_days = 5)")
    if d.every:
        out = _line("every", d.every, d.quote)
        out += _line("due_day", d.due_day, d.quote) if d.due_day else _todo("due_day", "18")
        out += _line("due_month", d.due_month, "", "last: tháng cuối kỳ; next: tháng sau kỳ")
        out += _line("start", d.start, "", d.note) if d.start else _todo("start", "2026-01-01")
        return out
    if d.due_working_days is not None:
        return _line("due_working_days", d.due_working_days, d.quote)
    return _line("due", d.due, d.quote, d.note)
