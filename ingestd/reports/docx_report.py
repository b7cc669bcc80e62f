"""The quarterly report as a DOCX in the state format of administrative documents (Nghị định
30/2020/NĐ-CP, Phụ lục I): A4, margins 20/20/30/15 mm, Times New Roman; the two-column header
(issuing body and Số on the left, the national motto on one line on the right, a short rule
under each); body 14 pt, justified; page numbers centred at the top from page 2; tables whose
header row repeats on every page and whose rows do not split; the signature block kept whole.

A province that keeps its own layout puts ``rules/templates/quarterly.docx`` (a docxtpl
template, see README) in its rules folder; this module is the packaged layout."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from ingestd.read.vntext import nfc
from ingestd.reports.compliance import Compliance, UnitCompliance, did_not, did_well
from ingestd.services import Services
from ingestd.vocabulary import date_vi

# Widths in cm of the per-unit table (16 cm of text width): every header word fits its column
HEADERS = ["TT", "Đơn vị", "Phải gửi", "Đúng hạn", "Chậm (ngày)", "Không gửi", "Tỷ lệ đúng hạn",
           "Điểm", "Xếp hạng"]
WIDTHS_CM = (1.0, 4.5, 1.4, 1.5, 1.7, 1.6, 1.6, 1.3, 1.4)
BODY_PT, TABLE_PT, TABLE_HEAD_PT = 14, 11, 10


def _xml(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(k), v)
    return el


def _rule(container: Any, indent_cm: float) -> None:
    """A short horizontal rule on its own line (an empty 2 pt paragraph with a bottom border,
    shortened by indents), so the text above keeps its full width."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    paragraph = container.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), Pt(2)
    paragraph.add_run("").font.size = Pt(2)
    ppr = paragraph._p.get_or_add_pPr()
    borders = _xml("w:pBdr")
    borders.append(_xml("w:bottom", **{"w:val": "single", "w:sz": "6", "w:space": "1",
                                       "w:color": "000000"}))
    ppr.append(borders)
    paragraph.paragraph_format.left_indent = Cm(indent_cm)
    paragraph.paragraph_format.right_indent = Cm(indent_cm)


def _page_number_header(section: Any) -> None:
    """PAGE centred at the top, from the second page on (the first has none)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section.different_first_page_header_footer = True
    p = section.header.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run()
    for tag, attrs in (("w:fldChar", {"w:fldCharType": "begin"}),
                       ("w:instrText", {}), ("w:fldChar", {"w:fldCharType": "end"})):
        el = _xml(tag, **attrs)
        if tag == "w:instrText":
            el.text = "PAGE"
        run._r.append(el)


def _keep_rows(table: Any, repeat_header: bool = True) -> None:
    """No row splits across a page; the first row repeats on every page of the table."""
    for i, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(_xml("w:cantSplit"))
        if i == 0 and repeat_header:
            trpr.append(_xml("w:tblHeader"))


def _chart_height_cm(png: bytes, width_cm: float) -> float:
    """The height the chart takes at ``width_cm`` (PNG header: width and height in pixels)."""
    w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return width_cm * h / w if w else width_cm


def to_docx(svc: Services, c: Compliance, at: datetime, chart: bytes, range_vi: str) -> bytes:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    office = svc.settings.office
    scoring = svc.rules.scoring
    local = at.astimezone(svc.settings.timezone)
    d = docx.Document()
    normal = d.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_after = Pt(4)
    for section in d.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
        section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
        _page_number_header(section)
    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY

    def para(text: str = "", bold: bool = False, italic: bool = False, align: Any = justify,
             size: float = BODY_PT, container: Any = None, indent: bool = False) -> Any:
        p = (container or d).add_paragraph()
        run = p.add_run(nfc(text))
        run.bold, run.italic = bold, italic
        run.font.size = Pt(size)
        p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Cm(1.0)
        return p

    # -- the header block: two columns, 6 + 10.5 cm ----------------------------------------
    head = d.add_table(rows=1, cols=2)
    head.autofit = False
    left, right = head.rows[0].cells
    for cell, column, width in ((left, head.columns[0], 6.0), (right, head.columns[1], 10.5)):
        cell.width = column.width = Cm(width)     # the grid is what LibreOffice and Word lay out by
    para(office.issuer, align=center, size=12, container=left)
    para(office.office, bold=True, align=center, size=12, container=left)
    _rule(left, 2.0)
    para(f"Số:      /{office.number_notation}", align=center, size=13, container=left)
    para("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align=center, size=12, container=right)
    para("Độc lập - Tự do - Hạnh phúc", bold=True, align=center, size=13, container=right)
    _rule(right, 2.1)
    place = f"{office.place}, " if office.place else ""
    para(f"{place}ngày {local.day:02d} tháng {local.month:02d} năm {local.year}", italic=True,
         align=center, size=13, container=right)
    for cell in (left, right):
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)

    para()
    para("BÁO CÁO", bold=True, align=center)
    para(f"Kết quả thực hiện chế độ thông tin, báo cáo {range_vi}", bold=True, align=center)
    if office.legal_basis:
        para(f"(theo {office.legal_basis})", italic=True, align=center)

    # -- I. the general situation ------------------------------------------------------------
    t = c.totals
    directives = sorted({s.directive for s in c.reports})
    span = f"{date_vi(c.start)} – {date_vi(c.end)}"
    when = (f"Trong {range_vi} ({span})" if c.label and c.label[5:6] == "Q"
            else f"Trong thời gian {range_vi}")
    para("I. TÌNH HÌNH CHUNG", bold=True)
    para(f"{when}, có {len(directives)} văn bản chỉ đạo với {len(c.reports)} yêu cầu báo cáo "
         f"đến hạn, tổng cộng {t['due']} lượt báo cáo phải gửi. Kết quả: {t['on_time']} lượt "
         f"gửi đúng hạn, {t['late']} lượt gửi chậm, {t['missing']} lượt không gửi"
         + (f", {t['exempt']} lượt được miễn" if t["exempt"] else "")
         + (f"; {t['pending']} lượt chưa đến hạn" if t["pending"] else "") + ".", indent=True)
    for s in c.reports:
        due = s.due.astimezone(svc.settings.timezone)
        period = f" kỳ {s.period}" if s.period else ""
        para(f"- Văn bản số {s.directive}: {s.title}{period} (hạn {date_vi(due)}): "
             f"{s.received}/{len(s.cells)} đơn vị đã gửi, trong đó {s.count('late')} đơn vị gửi "
             "chậm.", indent=True)

    # -- II. per unit ---------------------------------------------------------------------------
    para("II. KẾT QUẢ THEO ĐƠN VỊ", bold=True)
    para(f"Điểm = 100 × (số báo cáo đúng hạn + {scoring.late_weight:g} × số báo cáo chậm) / số "
         f"báo cáo phải gửi, trừ {scoring.late_day_penalty:g} điểm cho mỗi ngày chậm (tối đa "
         f"{scoring.max_day_penalty:g} điểm).", italic=True, indent=True)
    groups: dict[str, list[UnitCompliance]] = {}
    for u in c.units:
        groups.setdefault(u.group or "Khác", []).append(u)
    for gi, (group, members) in enumerate(groups.items(), start=1):
        para(f"{gi}. {group}", bold=True)
        table = d.add_table(rows=1, cols=len(HEADERS))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        rows = [HEADERS] + [[
            i, u.name, u.due, u.on_time, f"{u.late} ({u.days_late_total})" if u.late else "0",
            u.missing, f"{100 * u.on_time_rate:.0f}%" if u.on_time_rate is not None else "-",
            "-" if u.score is None else f"{u.score:g}", u.rank or "-"]
            for i, u in enumerate(members, start=1)]
        for r, values in enumerate(rows):
            cells = table.rows[0].cells if r == 0 else table.add_row().cells
            for col, (cell, value) in enumerate(zip(cells, values)):
                cell.width = Cm(WIDTHS_CM[col])
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT if (col == 1 and r) else center
                run = p.add_run(nfc(str(value)))
                run.font.size = Pt(TABLE_HEAD_PT if r == 0 else TABLE_PT)
                run.bold = r == 0
        for column, width in zip(table.columns, WIDTHS_CM):
            column.width = Cm(width)
        _keep_rows(table)
    para()
    d.add_picture(io.BytesIO(chart), height=Cm(min(16.0, _chart_height_cm(chart, 15.5))))
    d.paragraphs[-1].alignment = center

    # -- III. assessment, IV. proposals ----------------------------------------------------------
    para("III. ĐÁNH GIÁ", bold=True)
    good, poor = did_well(c, scoring), did_not(c, scoring)
    para(f"1. Các đơn vị thực hiện tốt chế độ báo cáo (điểm từ {scoring.good_from:g}, không "
         "thiếu báo cáo): " + (", ".join(u.name for u in good) if good else "không có") + ".",
         indent=True)
    para(f"2. Các đơn vị thực hiện chưa tốt (điểm dưới {scoring.poor_below:g} hoặc còn báo cáo "
         "không gửi):" + ("" if poor else " không có."), indent=True)
    for u in poor:
        items = []
        if u.missing_items:
            items.append("không gửi: " + "; ".join(u.missing_items))
        if u.late_items:
            items.append("gửi chậm: " + "; ".join(u.late_items))
        para(f"- {u.name}: " + "; ".join(items) + ".", indent=True)
    extended = [u for u in c.units if u.extended_items]
    if extended:
        para("3. Các đơn vị được gia hạn (tính theo hạn mới): " + "; ".join(
            f"{u.name} — {', '.join(u.extended_items)}" for u in extended) + ".", indent=True)
    para("IV. ĐỀ XUẤT", bold=True)
    basis = f" theo {office.legal_basis}" if office.legal_basis else ""
    para("Đề nghị Thủ trưởng các cơ quan, đơn vị và Chủ tịch UBND các huyện, thành phố chấn "
         f"chỉnh việc thực hiện chế độ thông tin, báo cáo{basis}; đề nghị Ban Thi đua – Khen "
         "thưởng sử dụng kết quả trên làm một tiêu chí đánh giá, xếp loại thi đua năm.",
         indent=True)

    # -- recipients and signature, kept together ---------------------------------------------------
    sign = d.add_table(rows=1, cols=2)
    sign.autofit = False
    left, right = sign.rows[0].cells
    for cell, column, width in ((left, sign.columns[0], 8.0), (right, sign.columns[1], 8.5)):
        cell.width = column.width = Cm(width)
    _keep_rows(sign, repeat_header=False)          # one row that may not split across pages
    first = left.paragraphs[0]
    nr = first.add_run("Nơi nhận:")
    nr.bold, nr.italic, nr.font.size = True, True, Pt(12)
    for line in office.recipients:
        para(line, align=WD_ALIGN_PARAGRAPH.LEFT, size=11, container=left)
    titles = office.signer_title or ("",)
    head_run = right.paragraphs[0].add_run(nfc(titles[0]))
    head_run.bold, head_run.font.size = True, Pt(13)
    right.paragraphs[0].alignment = center
    for line in titles[1:]:
        para(line, bold=True, align=center, size=13, container=right)
    for _ in range(4):
        para(container=right, size=13)
    if office.signer_name:
        para(office.signer_name, bold=True, align=center, size=13, container=right)
    for p in d.paragraphs[-2:]:                    # the proposal stays with the signature
        p.paragraph_format.keep_with_next = True
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()

