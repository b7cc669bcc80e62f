"""A corpus of directives in the Decree 30 layout, for the drafting tests and benchmark: each
case is the directive's content (number, date, recipients, reports and their deadlines in the
forms offices write them) with the values a correct draft has, and renderers to DOCX, a text
PDF, a scanned page and a phone photo. Built from a seed, against a rules folder's units.

Test helper (needs reportlab, python-docx and Pillow, the test extra). Long because it is test
data: 32 directives' words and the values a correct draft has."""

from __future__ import annotations

import io
import random
import textwrap
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from ingestd.drafting.deadlines import VIETNAM
from ingestd.testing import FONT_PATHS, PhotoDefects, degrade

TITLES = [
    "kết quả thực hiện nhiệm vụ phát triển kinh tế - xã hội", "tình hình giải ngân vốn đầu tư công",
    "công tác cải cách hành chính", "kết quả xây dựng nông thôn mới",
    "tình hình thu, chi ngân sách nhà nước", "công tác phòng, chống thiên tai",
    "kết quả chuyển đổi số", "tình hình bảo đảm an toàn thực phẩm",
    "công tác phòng cháy, chữa cháy", "kết quả thực hiện Đề án 06",
    "tình hình sắp xếp đơn vị hành chính", "công tác giảm nghèo bền vững",
    "kết quả tiếp công dân, giải quyết khiếu nại, tố cáo", "công tác bảo vệ môi trường",
    "tình hình phát triển doanh nghiệp", "công tác đào tạo nghề cho lao động nông thôn",
]
DESTINATIONS = ["Sở Kế hoạch và Đầu tư", "Văn phòng UBND tỉnh", "UBND tỉnh (qua Sở Nội vụ)",
                "Sở Tài chính"]
# (form, how it is written) — {d} a date, {h} an hour, {n} a count; the value a draft reads
FORMS = ["truoc", "cham-nhat", "cham-nhat-la", "gio", "gio-h", "ngay-lam-viec", "ngay-lich",
         "thang", "thang-sau", "quy-sau", "quy-cuoi", "sau-thang", "nam", "nam-sau"]


@dataclass
class ReportCase:
    title: str
    form: str
    subject: list[str] = field(default_factory=list)      # unit ids named in the sentence
    due: date | datetime | None = None
    due_working_days: int | None = None
    every: str | None = None
    due_day: int | None = None
    due_month: str = "last"
    sentence: str = ""


@dataclass
class DirectiveCase:
    name: str
    number: str
    signed: date
    issuer_lines: tuple[str, str]
    issuer: str
    kind: str                     # CV (V/v …, Kính gửi) | KH | CT | QD (a table of reports)
    title: str
    recipients: list[str]         # "@group" or unit ids, as the draft should resolve them
    recipient_lines: list[str]
    reports: list[ReportCase]
    place: str
    party: bool = False

    def expected(self) -> dict[str, object]:
        """The values a correct draft has, field by field (each report: title, deadline, units)."""
        out: dict[str, object] = {"number": self.number, "date": self.signed}
        if self.kind != "QD":
            out["recipients"] = sorted(self.recipients)
        for i, r in enumerate(self.reports):
            out[f"report{i + 1}.title"] = f"Báo cáo {r.title}"
            out[f"report{i + 1}.deadline"] = _deadline_of(r)
            out[f"report{i + 1}.units"] = sorted(r.subject or self.recipients)
        return out

    # -- the document's lines ----------------------------------------------------------------
    def header_rows(self) -> list[tuple[str, str]]:
        motto = ("ĐẢNG CỘNG SẢN VIỆT NAM", "") if self.party else (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
        d = self.signed
        when = f"{self.place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"
        rows = [(self.issuer_lines[0], motto[0]), (self.issuer_lines[1], motto[1]),
                (f"Số: {self.number}", when)]
        if self.kind == "CV":
            rows += [(line, "") for line in textwrap.wrap(self.title, 38)]
        return rows

    def body_lines(self, width: int = 86) -> list[str]:
        out: list[str] = []
        if self.kind != "CV":
            out += ["", {"KH": "KẾ HOẠCH", "CT": "CHỈ THỊ", "QD": "QUYẾT ĐỊNH"}[self.kind]]
            out += textwrap.wrap(self.title, 70)
        out.append("")
        if self.kind == "CV":
            if len(self.recipient_lines) == 1:
                out.append(f"Kính gửi: {self.recipient_lines[0]}.")
            else:
                out.append("Kính gửi:")
                out += [f"- {r}{';' if i < len(self.recipient_lines) - 1 else '.'}"
                        for i, r in enumerate(self.recipient_lines)]
            out.append("")
        intro = ("Thực hiện chỉ đạo của Thường trực Tỉnh ủy, để có cơ sở tổng hợp, báo cáo theo "
                 "quy định, yêu cầu các cơ quan, đơn vị thực hiện các nội dung sau:")
        out += textwrap.wrap(intro, width)
        if self.kind == "QD":
            out += textwrap.wrap("Điều 1. Ban hành Danh mục báo cáo định kỳ như sau:", width)
            return out
        for i, r in enumerate(self.reports):
            out += textwrap.wrap(f"{i + 1}. {r.sentence}", width)
        return out

    def table_rows(self, unit_names: dict[str, str]) -> list[list[str]]:
        if self.kind != "QD":
            return []
        rows = [["STT", "Tên báo cáo", "Cơ quan thực hiện", "Tần suất", "Thời hạn"]]
        freq = {"month": "Hằng tháng", "quarter": "Hằng quý", "half-year": "6 tháng", "year": "Hằng năm"}
        for i, r in enumerate(self.reports):
            who = ", ".join(unit_names[u] for u in r.subject)
            rows.append([str(i + 1), f"Báo cáo {r.title}", who, freq[r.every or "month"],
                         r.sentence])
        return rows

    def closing_lines(self) -> list[tuple[str, str]]:
        rows = [("Nơi nhận:", "TM. ỦY BAN NHÂN DÂN" if not self.party else "T/M BAN THƯỜNG VỤ"),
                ("- Như trên;", "KT. CHỦ TỊCH" if not self.party else "PHÓ BÍ THƯ"),
                ("- TT Tỉnh ủy, TT HĐND tỉnh;", "PHÓ CHỦ TỊCH" if not self.party else ""),
                ("- Lưu: VT, TH.", "")]
        if self.kind != "CV":          # no Kính gửi: who is asked stands in Nơi nhận
            rows[2:2] = [(f"- {r};", "") for r in self.recipient_lines]
        return rows


def _deadline_of(r: ReportCase) -> tuple[object, ...]:
    if r.every:
        return ("every", r.every, r.due_day, r.due_month)
    if r.due_working_days is not None:
        return ("working", r.due_working_days)
    return ("due", r.due.isoformat() if r.due else None)


def _write_deadline(rng: random.Random, r: ReportCase, signed: date, cell: bool) -> str:
    d = signed + timedelta(days=rng.randint(8, 40))
    form = r.form
    if form == "truoc":
        r.due = d
        return f"trước ngày {d.day:02d}/{d.month:02d}/{d.year}"
    if form == "cham-nhat":
        r.due = d
        return f"chậm nhất ngày {d.day} tháng {d.month} năm {d.year}"
    if form == "cham-nhat-la":
        r.due = d
        return f"chậm nhất là ngày {d.day}/{d.month}/{d.year}"
    if form in ("gio", "gio-h"):
        hour = rng.choice([9, 10, 14, 16, 17])
        r.due = datetime.combine(d, time(hour, 0 if form == "gio" else 30), VIETNAM)
        clock = f"{hour} giờ 00" if form == "gio" else f"{hour}h30"
        return f"trước {clock} ngày {d.day}/{d.month}/{d.year}"
    if form == "ngay-lam-viec":
        r.due_working_days = rng.choice([3, 5, 7, 10])
        return f"trong thời hạn {r.due_working_days:02d} ngày làm việc kể từ ngày ký"
    if form == "ngay-lich":
        n = rng.choice([10, 15, 20])
        r.due = signed + timedelta(days=n)
        return f"trong thời hạn {n} ngày kể từ ngày ký văn bản này"
    periodic = {"thang": ("month", 18, "last", "hằng tháng", "trước ngày 18 hằng tháng"),
                "thang-sau": ("month", 5, "next", "hằng tháng", "trước ngày 05 của tháng sau"),
                "quy-sau": ("quarter", 5, "next", "hằng quý", "trước ngày 05 của tháng đầu quý sau"),
                "quy-cuoi": ("quarter", 20, "last", "hằng quý", "trước ngày 20 của tháng cuối quý"),
                "sau-thang": ("half-year", 15, "last", "6 tháng",
                              "trước ngày 15 tháng 6 và ngày 15 tháng 12 hằng năm"),
                "nam": ("year", 15, "last", "hằng năm", "trước ngày 15 tháng 12"),
                "nam-sau": ("year", 10, "next", "hằng năm", "trước ngày 10 tháng 01 năm sau")}
    r.every, r.due_day, r.due_month, how, when = periodic[form]
    if cell:
        return when[:1].upper() + when[1:]
    return f"định kỳ {how}|{when}"


def _sentence(r: ReportCase, rng: random.Random, deadline: str, names: dict[str, str]) -> str:
    subject = ", ".join(names[u] for u in r.subject)
    dest = rng.choice(DESTINATIONS)
    if "|" in deadline:                   # periodic: "Định kỳ hằng quý, X báo cáo … trước …"
        how, when = deadline.split("|")
        who = f"{subject} " if subject else "các cơ quan, đơn vị "
        return f"{how[:1].upper() + how[1:]}, {who}báo cáo {r.title} gửi về {dest} {when}."
    if subject:
        return f"{subject} báo cáo {r.title}, gửi về {dest} {deadline} để tổng hợp."
    verb = rng.choice(["Báo cáo", "Xây dựng báo cáo", "Khẩn trương báo cáo"])
    return f"{verb} {r.title}, gửi về {dest} {deadline} để tổng hợp, báo cáo UBND tỉnh."


def corpus(units: dict[str, object], groups: dict[str, str], province: str, n: int = 32,
           seed: int = 7) -> list[DirectiveCase]:
    """``n`` directives of the province's People's Committee over ``units`` (id → Unit) and
    ``groups`` (id → name)."""
    rng = random.Random(seed)
    names = {uid: u.name for uid, u in units.items()}  # type: ignore[attr-defined]
    alive = sorted(uid for uid, u in units.items() if u.valid_until is None)  # type: ignore[attr-defined]
    cases = []
    for i in range(n):
        kind = "QD" if i % 11 == 5 else ("KH" if i % 7 == 3 else ("CT" if i % 9 == 4 else "CV"))
        party = i % 13 == 6 and kind == "CV"
        signed = date(2025, 1, 1) + timedelta(days=rng.randint(0, 700))
        num = rng.randint(1, 2400)
        if party:
            number, issuer_lines = f"{num}-CV/TU", (f"TỈNH ỦY {province.upper()}", "*")
            issuer = f"Tỉnh ủy {province}"
        else:
            notation = {"CV": rng.choice(["UBND-TH", "UBND-KT", "UBND-VX", "UBND-NC"]),
                        "KH": "KH-UBND", "CT": "CT-UBND", "QD": "QĐ-UBND"}[kind]
            number = f"{num:02d}/{notation}"
            issuer_lines = ("ỦY BAN NHÂN DÂN", f"TỈNH {province.upper()}")
            issuer = f"Ủy ban nhân dân tỉnh {province}"
        # recipients: groups, named units, or both
        style = i % 4
        gids = list(groups)
        if style == 0:
            recipients = [f"@{g}" for g in gids]
            lines = [groups[g] for g in gids]
        elif style == 1:
            chosen = rng.sample(alive, 3)
            recipients, lines = chosen, [names[u] for u in chosen]
        elif style == 2:
            recipients, lines = [f"@{gids[0]}"], [groups[gids[0]]]
        else:
            chosen = rng.sample(alive, 2)
            recipients = [f"@{gids[-1]}", *chosen]
            lines = [groups[gids[-1]], *(names[u] for u in chosen)]
        count = 3 if kind == "QD" else rng.choice([1, 2, 2, 3])
        titles = rng.sample(TITLES, count)
        reports = []
        for j, title in enumerate(titles):
            if kind == "QD":
                form = rng.choice(["thang", "quy-sau", "quy-cuoi", "sau-thang", "nam", "nam-sau"])
            else:
                form = FORMS[(i * 3 + j) % len(FORMS)]
            r = ReportCase(title, form)
            if kind == "QD" or (j == 1 and i % 3 == 0):
                r.subject = rng.sample(alive, rng.choice([1, 2]))
            deadline = _write_deadline(rng, r, signed, cell=kind == "QD")
            r.sentence = deadline if kind == "QD" else _sentence(r, rng, deadline, names)
            reports.append(r)
        title = {"CV": f"V/v báo cáo {titles[0]}",
                 "KH": f"Triển khai thực hiện {titles[0]} năm {signed.year}",
                 "CT": f"Về việc tăng cường {titles[0]}",
                 "QD": "Ban hành Danh mục báo cáo định kỳ của UBND tỉnh"}[kind]
        if kind == "QD":
            recipients = []
        cases.append(DirectiveCase(f"d{i + 1:02d}-{kind.lower()}", number, signed, issuer_lines,
                                   issuer, kind, title, recipients, lines, reports, province, party))
    return cases


# -- renderers ---------------------------------------------------------------------------------

def to_docx(case: DirectiveCase, unit_names: dict[str, str]) -> bytes:
    import docx

    d = docx.Document()
    head = case.header_rows()
    table = d.add_table(rows=len(head), cols=2)
    for i, (left, right) in enumerate(head):
        table.cell(i, 0).paragraphs[0].add_run(left)
        table.cell(i, 1).paragraphs[0].add_run(right)
    for line in _paragraph_text(case.body_lines()):
        d.add_paragraph(line)
    rows = case.table_rows(unit_names)
    if rows:
        t = d.add_table(rows=len(rows), cols=len(rows[0]))
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                t.cell(i, j).paragraphs[0].add_run(cell)
    foot = d.add_table(rows=len(case.closing_lines()), cols=2)
    for i, (left, right) in enumerate(case.closing_lines()):
        foot.cell(i, 0).paragraphs[0].add_run(left)
        foot.cell(i, 1).paragraphs[0].add_run(right)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _paragraph_text(lines: list[str]) -> list[str]:
    """Wrapped lines back into paragraphs (a DOCX paragraph is not wrapped by hand)."""
    out: list[str] = []
    for line in lines:
        starts = not line or line[:2].rstrip(".").isdigit() or line.startswith(("-", "Kính", "Thực", "Điều"))
        if out and out[-1] and not starts and not out[-1].isupper():
            out[-1] += " " + line
        else:
            out.append(line)
    return out


def _layout(case: DirectiveCase, unit_names: dict[str, str], width: int
            ) -> list[tuple[str, str] | str | list[str]]:
    """The page as rows: (left, right) in the header and footer, a line of the body, a
    table's row as a list of cells."""
    rows: list[tuple[str, str] | str | list[str]] = list(case.header_rows())
    rows += case.body_lines(width)
    for row in case.table_rows(unit_names):
        rows.append(row)
    rows.append("")
    rows += case.closing_lines()
    return rows


def to_pdf(case: DirectiveCase, unit_names: dict[str, str]) -> bytes:
    """A text PDF as an office exports it: two columns in the header and footer, a table drawn
    cell by cell."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = next(p for p in FONT_PATHS if p.exists())
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(font)))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    y = 800
    c.setFont("DejaVu", 10)
    for row in _layout(case, unit_names, 92):
        if isinstance(row, tuple):
            c.drawString(45, y, row[0])
            c.drawString(300, y, row[1])
        elif isinstance(row, list):
            c.setFont("DejaVu", 7)
            for x, cell in zip((45, 65, 250, 390, 440), row, strict=False):
                c.drawString(x, y, cell)
            c.setFont("DejaVu", 10)
        else:
            c.drawString(45, y, row)
        y -= 14
        if y < 40:
            c.showPage()
            c.setFont("DejaVu", 10)
            y = 800
    c.showPage()
    c.save()
    return buf.getvalue()


def page_image(case: DirectiveCase, unit_names: dict[str, str]) -> object:
    """The page, sharp, at 200 dpi (a PIL image), with the seal and the signature's ink."""
    from PIL import Image, ImageDraw, ImageFont

    dejavu = "/usr/share/fonts/truetype/dejavu/"
    page = Image.new("RGB", (1654, 2339), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(dejavu + "DejaVuSerif.ttf", 29)
    small = ImageFont.truetype(dejavu + "DejaVuSerif.ttf", 21)
    y = 110
    for row in _layout(case, unit_names, 84):
        if isinstance(row, tuple):
            draw.text((110, y), row[0], font=font, fill="black")
            draw.text((860, y), row[1], font=font, fill="black")
        elif isinstance(row, list):    # a table wide enough for each row on one line
            size = 21
            while size > 12 and sum(draw.textlength(c, font=small) + 28 for c in row) > 1460:
                size -= 1
                small = ImageFont.truetype(dejavu + "DejaVuSerif.ttf", size)
            x = 110.0
            for cell in row:
                draw.text((x, y + 6), cell, font=small, fill="black")
                x += draw.textlength(cell, font=small) + 28
            small = ImageFont.truetype(dejavu + "DejaVuSerif.ttf", 21)
        else:
            draw.text((110, y), row, font=font, fill="black")
        y += 46
    return page


def to_scan(case: DirectiveCase, unit_names: dict[str, str], seed: int = 1) -> bytes:
    """A scanner's PDF of the page: image only, a slight skew and a little speckle."""
    from PIL import Image

    rng = random.Random(seed)
    page = page_image(case, unit_names)
    page = page.rotate(rng.uniform(-1.2, 1.2), fillcolor="white", resample=Image.BICUBIC)  # type: ignore[attr-defined]
    out = io.BytesIO()
    page.save(out, "PDF", resolution=200)  # type: ignore[attr-defined]
    return out.getvalue()


PHOTO_DEFECTS = [PhotoDefects(dpi=150, blur=0.6, noise=8, jpeg=70, rotate=1.5),
                 PhotoDefects(dpi=130, dark=0.4, noise=6, rotate=-2),
                 PhotoDefects(dpi=160, blur=0.8, jpeg=60),
                 PhotoDefects(dpi=140, noise=10, rotate=2.5, dark=0.3)]


def to_photo(case: DirectiveCase, unit_names: dict[str, str], seed: int = 1) -> bytes:
    return degrade(page_image(case, unit_names), PHOTO_DEFECTS[seed % len(PHOTO_DEFECTS)], seed)


RENDERERS = {"docx": (to_docx, "directive.docx"), "pdf": (to_pdf, "directive.pdf"),
             "scan": (to_scan, "scan.pdf"), "photo": (to_photo, "photo.jpg")}


def drafted_values(draft: object) -> dict[str, object]:
    """The same fields as ``DirectiveCase.expected`` from a ``DirectiveDraft``."""
    from ingestd.drafting.draft import DirectiveDraft

    assert isinstance(draft, DirectiveDraft)
    out: dict[str, object] = {"number": draft.number.value if draft.number else None,
                              "date": draft.date.value if draft.date else None,
                              "recipients": sorted(draft.recipients.refs)}
    for i, req in enumerate(draft.reports):
        d = req.deadline
        if d is None:
            value: tuple[object, ...] = ("none",)
        elif d.every:
            value = ("every", d.every, d.due_day, d.due_month)
        elif d.due_working_days is not None:
            value = ("working", d.due_working_days)
        else:
            value = ("due", d.due.isoformat() if d.due else None)
        out[f"report{i + 1}.title"] = req.title
        out[f"report{i + 1}.deadline"] = value
        out[f"report{i + 1}.units"] = sorted(req.units)
    return out


def score(case: DirectiveCase, draft: object) -> dict[str, bool]:
    """Each expected field: right or not. A report the draft did not find, or found twice
    (an extra report counts as one wrong field), is wrong."""
    got = drafted_values(draft)
    out = {k: got.get(k) == v for k, v in case.expected().items()}
    extra = sum(1 for k in got if k.endswith(".deadline") and k not in out)
    for i in range(extra):
        out[f"extra{i + 1}"] = False
    return out
