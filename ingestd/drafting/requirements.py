"""Each requirement to report in a directive's body, or each row of a table of periodic
reports: the sentence that asks for it, who is asked, its title, its deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ingestd.drafting.deadlines import Deadline, frequency, read_deadline
from ingestd.drafting.found import quote_of
from ingestd.drafting.recipients import Names
from ingestd.read.vntext import fold

_ITEM = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[a-zđ]\s*\)|[-–+•])\s*")
_TOP_ITEM = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[IVX]{1,4}\s*[.)])\s")
_REPORT = re.compile(r"\bbao\s+cao\b")
_AFTER_REPORT = re.compile(
    r"^\s*(?:(?:ve|cho|gui|len)\s+)?(?:(?:chu\s+tich|thuong\s+truc)\s+)?(?:(?:ubnd|uy\s+ban\s+nhan\s+dan)\s+tinh"
    r"|tinh\s+uy|ban\s+thuong\s+vu\s+tinh\s+uy)\s*(?:\([^)]*\)\s*)?[,:]?\s*"
    r"|^\s*(?:dinh\s+ky\s+)?(?:(?:hang|hanh)\s+(?:thang|quy|nam|0?6\s+thang)\s*,?\s*)"
    r"|^\s*(?:ve\s+|:\s*)")
# A comma ends the title only before the delivery ("…, gửi về …", "…, trước ngày …"): titles
# have commas of their own ("phòng, chống thiên tai", "thu, chi ngân sách").
_TITLE_STOP = re.compile(
    r"\s*[;(:]|,(?=\s*(?:gui|truoc|cham|trong|de|dinh|hang|ke|qua|ve|bao\s+cao)\b)|\s+(?:gui|ve\s+(?:so|ubnd|uy\s+ban|van\s+phong)|qua\s+(?:so|van\s+phong)|truoc\b"
    r"|cham\s+nhat|trong\s+thoi\s+han|trong\s+vong|dinh\s+ky|(?:hang|hanh)\s+(?:thang|quy|nam)"
    r"|de\s+(?:tong\s+hop|ubnd|uy\s+ban|bao\s+cao)|cho\s+(?:ubnd|uy\s+ban)|ke\s+tu)\b|\.\s|\.$")
_GENERIC_PHRASES = re.compile(
    r"\b(?:tinh hinh|ket qua|thuc hien|trien khai|cong tac|nhiem vu|giai phap|chi dao|dieu hanh"
    r"|tren dia ban(?: tinh)?|ke hoach|phuong huong|muc tieu|chuong trinh|dinh ky|so ket|tong ket"
    r"|tien do|bao cao|hang (?:thang|quy|nam)|(?:0?6|sau) thang (?:dau|cuoi) nam|quy [iv]+|nam \d{4}"
    r"|thang \d{1,2}|mot so)\b")
_GENERIC = set("""viec ve cac nhung cua va trong nam thang quy dau cuoi tinh theo cho voi tai den tu
nay do la duoc co sau i ii iii iv lan thu""".split())


@dataclass
class Requirement:
    sentence: str                           # the words that ask for the report
    title: str
    units: list[str] = field(default_factory=list)
    units_quote: str = ""
    deadline: Deadline | None = None
    keywords: list[str] = field(default_factory=list)
    from_table: bool = False


def body_lines(lines: list[str], start: int) -> tuple[list[str], str | None, str | None]:
    """The body (after the header and ``Kính gửi``, before ``Nơi nhận``), and the text of the
    ``Kính gửi`` and ``Nơi nhận`` blocks."""
    kinh_gui, noi_nhan = None, None
    body_start, body_end = start, len(lines)
    for i, line in enumerate(lines):
        folded = fold(line).lower()
        m = re.match(r"^\s*kinh\s+gui\s*[:.]?", folded)
        if m and kinh_gui is None:
            block, j = _block(lines, i, m.end())
            kinh_gui, body_start = block, max(body_start, j)
        m = re.match(r"^\s*noi\s+nhan\s*[:.]?", folded)
        if m:
            noi_nhan, _ = _block(lines, i, m.end())
            body_end = i
            break
    return lines[body_start:body_end], kinh_gui, noi_nhan


def _block(lines: list[str], i: int, label_end: int) -> tuple[str, int]:
    """The rest of the label's line and the list items under it."""
    first = _drop_signature(lines[i][label_end:].strip())
    out = [first] if first else []
    j = i + 1
    while j < len(lines):
        line = lines[j].strip()
        if not line:
            if out:
                break
            j += 1
            continue
        if re.match(r"^[-–+•*]", line) or (out and not out[-1].rstrip().endswith((";", ".")) and
                                           len(out) < 12 and not _looks_like_body(line)):
            out.append(_drop_signature(line))
            j += 1
            continue
        break
    return "\n".join(out), j


def _looks_like_body(line: str) -> bool:
    folded = fold(line).lower()
    return bool(re.match(r"^\s*(?:can cu|thuc hien|de |nham |theo |ubnd tinh|uy ban nhan dan tinh"
                         r"|chu tich)", folded)) or len(line) > 90


def _drop_signature(line: str) -> str:
    """The signature block stands beside ``Nơi nhận`` (TM. ỦY BAN NHÂN DÂN, KT. CHỦ TỊCH): its
    capitals at the end of a line are not a recipient."""
    if re.match(r"^\s*(?:TM|KT|Q|TL|TUQ|T/M)\.?\s+[A-ZĐ\u00c0-\u1ef8]", line):
        return ""
    return re.sub(r"\s+(?:TM\.|KT\.|Q\.|TL\.|TUQ\.)?\s*[A-ZĐ\u00c0-\u1ef8 .]{6,}$", "", line)


def paragraphs(lines: list[str]) -> list[str]:
    """Lines joined into paragraphs: a paragraph ends at a blank line, before an item marker
    (1., a), -) and after a line that ends a sentence or opens a list (., :, ;)."""
    out: list[str] = []
    cur: list[str] = []
    row = False
    for line in lines:
        text = line.strip()
        row = bool("|" in line or _table_row(line, in_table=row) or _TABLE_HEAD.match(fold(line).lower()))
        if not text or _ITEM.match(line) or row:
            if cur:
                out.append(" ".join(cur))
            cur = [text] if text else []
            if row:
                out.append(text)
                cur = []
            continue
        cur.append(text)
        if text.endswith((".", ":", ";")):
            out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return [p for p in out if p]


def _pieces(text: str, signed: date | None) -> list[tuple[int, int, Deadline | None]]:
    """``text`` cut before every "báo cáo" that begins a requirement with its own deadline."""
    folded = fold(text).lower()
    starts = [m.start() for m in _REPORT.finditer(folded)]
    if len(starts) < 2:
        return [(0, len(text), read_deadline(text, signed))]
    bounds = [0, *starts[1:], len(text)]
    cuts = []
    for s, e in zip(bounds, bounds[1:], strict=False):
        cuts.append([s, e, read_deadline(text[s:e], signed)])
    merged: list[list] = []
    pending = None
    for cut in cuts:
        if pending is not None:
            cut[0] = pending
            pending = None
        if cut[2] is None:
            pending = cut[0]
            continue
        merged.append(cut)
    if pending is not None:
        if merged:
            merged[-1][1] = len(text)
        else:
            merged.append([0, len(text), None])
    return [(s, e, d) for s, e, d in merged]


def _title(piece: str) -> str:
    folded = fold(piece).lower()
    m = _REPORT.search(folded)
    if m is None:
        return ""
    pos = m.end()
    for _ in range(3):
        after = _AFTER_REPORT.match(folded[pos:])
        if not after or after.end() == 0:
            break
        pos += after.end()
    stop = _TITLE_STOP.search(folded, pos)
    end = stop.start() if stop else len(piece)
    words = " ".join(piece[pos:end].split())
    return f"Báo cáo {words}" if len(words.split()) >= 2 else ""


def requirements(lines: list[str], names: Names, signed: date | None,
                 recipients: list[str]) -> list[Requirement]:
    out: list[Requirement] = []
    heading: tuple[list[str], str] = ([], "")
    columns: dict[str, int] = {}              # a table's columns, from its header row
    in_table = False
    for para in paragraphs(lines):
        folded = fold(para).lower()
        in_table = "|" in para or _table_row(para, in_table) or bool(_TABLE_HEAD.match(folded))
        if in_table:
            row = _row(para, names, signed, columns)
            if row is not None:
                out.append(row)
            continue
        if _TOP_ITEM.match(para):
            heading = ([], "")
        if para.rstrip().endswith(":") and not _REPORT.search(folded):
            refs, _ = names.resolve(para)
            if refs:
                heading = (refs, quote_of(para))
            continue
        if not _REPORT.search(folded):
            continue
        subject_end = _REPORT.search(folded).start()  # type: ignore[union-attr]
        own, _ = names.resolve(para[:subject_end]) if subject_end else ([], [])
        for s, e, deadline in _pieces(para, signed):
            piece = para[s:e]
            if deadline is None and frequency(piece) is None:
                continue
            units, quote = (own, quote_of(para[:subject_end])) if own else heading
            out.append(Requirement(sentence=quote_of(piece, width=240), title=_title(piece),
                                   units=list(units or recipients), units_quote=quote,
                                   deadline=deadline))
    _keywords(out)
    return out


# -- a table of periodic reports --------------------------------------------------------------

_HEAD = {"title": re.compile(r"ten\s+bao\s+cao|noi\s+dung"),
         "units": re.compile(r"co\s+quan|don\s+vi"),
         "every": re.compile(r"tan\s+suat|ky\s+bao\s+cao|dinh\s+ky"),
         "due": re.compile(r"thoi\s+han|thoi\s+gian")}
_ROW_START = re.compile(r"^\s*\d{1,3}\s*[.)_,:]?\s+\S")   # OCR reads "1." as "1_" or "1,"
# In a PDF table's row read as a line, the frequency cell stands right before the deadline's.
_ROW_CELLS = re.compile(r"(?:\b(?:hang|dinh\s*ky)\s*(?:thang|quy|nam)|\b(?:0?6|sau)\s*thang"
                        r"|\bthang|\bquy|\bnam)"
                        r"[\s—–_-]+(?P<due>(?:truoc\s*|cham\s*nhat\s*)?ngay\s*\d{1,2}\b)")


_TABLE_HEAD = re.compile(r"^\s*(?:stt|tt)\b.*\bten\s*bao\s*cao")


def _table_row(para: str, in_table: bool = False) -> bool:
    """A line of a table read as text; inside a table, OCR may have lost the row's number."""
    folded = fold(para).lower()
    starts = bool(_ROW_START.match(para)) or (in_table and folded.lstrip(" _-.").startswith("bao cao"))
    return starts and _REPORT.search(folded) is not None and bool(_ROW_CELLS.search(folded))


def _row(para: str, names: Names, signed: date | None,
         columns: dict[str, int]) -> Requirement | None:
    """One table row: ``STT | Tên báo cáo | Cơ quan thực hiện | Tần suất | Thời hạn`` (cells
    from DOCX) or the same words in a line of a PDF's table."""
    cells = [c.strip() for c in para.split("|")] if "|" in para else None
    if cells is not None:
        folded = [fold(c).lower() for c in cells]
        heads = {k: next((i for i, c in enumerate(folded) if p.search(c) and len(c) < 40), None)
                 for k, p in _HEAD.items()}
        if heads["title"] is not None and heads["due"] is not None:
            columns.clear()
            columns.update({k: v for k, v in heads.items() if v is not None})
            return None
        if not columns or len(cells) <= max(columns.values()):
            return None
        title = cells[columns["title"]]
        who = cells[columns["units"]] if "units" in columns else ""
        how = cells[columns["every"]] if "every" in columns else ""
        due = cells[columns["due"]]
    else:
        title, who, how, due = _split_row(para, names)
    if not title:
        return None
    found = frequency(how, cell=True) or frequency(how) or frequency(due)
    every = found[0] if found else None
    deadline = read_deadline(due, signed, cell=True, every=every)
    units, _ = names.resolve(who)
    title = re.sub(r"^[\W_]*(?:\d{1,3}(?!\d))?[\W_]*", "", title)
    if fold(title).lower().startswith("bao cao "):        # OCR: "Bảo cao", "Báo cao"
        title = "Báo cáo" + title[7:]
    return Requirement(sentence=quote_of(para.replace("|", " | "), width=240),
                       title=title[:1].upper() + title[1:], units=units, units_quote=quote_of(who),
                       deadline=deadline, from_table=True)


def _split_row(para: str, names: Names) -> tuple[str, str, str, str]:
    """A row of a PDF's table, read as one line: the title runs up to the first unit or group
    named, then come the frequency and the deadline."""
    cells = _ROW_CELLS.search(fold(para).lower())
    if not cells:
        return "", "", "", ""
    title_and_who = para[:cells.start()]
    words = title_and_who.split()
    before, cut = names.words_before(title_and_who), len(words)
    counted = 0                               # name_key drops a lone "-": count words only
    for i, w in enumerate(words):
        if counted == before:
            cut = i
            break
        counted += any(c.isalnum() for c in w)
    return (" ".join(words[:cut]), " ".join(words[cut:]),
            para[cells.start():cells.start("due")], para[cells.start("due"):])


# -- keywords ---------------------------------------------------------------------------------

def _chunks(title: str) -> list[str]:
    """The runs of content words in a title, as written (generic phrases, generic words,
    numbers and punctuation cut them; "kinh tế - xã hội" stays whole)."""
    folded = fold(title).lower()
    cut = _GENERIC_PHRASES.sub(lambda m: "|" * len(m.group(0)), folded)
    out, cur = [], []
    for m in re.finditer(r"[^\s|,;:()/.]+|\|+|[,;:()/.]", cut):
        word, orig = m.group(0), title[m.start():m.end()]
        if word.startswith("|") or word in _GENERIC or word.isdigit() or word in ",;:()/.":
            if cur:
                out.append(" ".join(cur).strip(" -"))
            cur = []
        else:
            cur.append(orig)
    if cur:
        out.append(" ".join(cur).strip(" -"))
    return [c for c in out if len(c) > 3]


def _keywords(reqs: list[Requirement]) -> None:
    """Words that tell a directive's reports apart: the longest runs of content words of each
    title that no other report's title has."""
    if len(reqs) < 2:
        for r in reqs:
            r.keywords = [c for c in sorted(_chunks(r.title), key=len, reverse=True)
                          if len(c.split()) >= 2][:1]
        return
    for r in reqs:
        others = " ".join(fold(o.title).lower() for o in reqs if o is not r)
        mine = sorted(_chunks(r.title), key=lambda c: -len(c))
        unique = [c for c in mine if fold(c).lower() not in others]
        r.keywords = (unique or mine)[:2]
