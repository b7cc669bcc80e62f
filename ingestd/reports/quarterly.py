"""The quarterly compliance report (the tracking that the province's directive orders): a
DOCX in the form of a Vietnamese administrative report that a clerk can edit and sign, with a
chart; CSV (UTF-8 with BOM, for Excel) and XLSX of the per-unit scores for the rewards board;
and the daemon job that makes and mails it after each quarter. Every province-specific text
comes from ``[office]``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ingestd.notify.render import date_vi, period_vi
from ingestd.read.vntext import nfc
from ingestd.reports.compliance import Compliance, UnitCompliance, compliance, did_not, did_well
from ingestd.rules.model import Scoring
from ingestd.services import Services
from ingestd.statusview import compute

_WIDTHS_CM = (1.0, 5.6, 1.3, 1.3, 1.6, 1.3, 1.4, 1.2, 1.3)   # 16 cm between the margins
COLUMNS = ["Xếp hạng", "Mã đơn vị", "Đơn vị", "Nhóm", "Phải gửi", "Đúng hạn", "Chậm",
           "Tổng số ngày chậm", "Chậm nhiều nhất (ngày)", "Không gửi", "Chưa đến hạn", "Miễn",
           "Tỷ lệ đúng hạn (%)", "Điểm"]


def build(svc: Services, start: date, end: date, label: str, at: datetime) -> Compliance:
    since = datetime.combine(start, datetime.min.time(), tzinfo=svc.settings.timezone)
    statuses = compute(svc, at, since=since - timedelta(days=1))
    return compliance(svc.rules, statuses, start, end, label, svc.settings.timezone)


def _row(u: UnitCompliance) -> list[object]:
    rate = round(100 * u.on_time_rate, 1) if u.on_time_rate is not None else ""
    return [u.rank or "", u.unit, u.name, u.group, u.due, u.on_time, u.late, u.days_late_total,
            u.days_late_worst, u.missing, u.pending, u.exempt, rate,
            u.score if u.score is not None else ""]


def to_csv(c: Compliance) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for u in c.units:
        w.writerow(_row(u))
    return nfc(buf.getvalue()).encode("utf-8-sig")


def to_xlsx(c: Compliance) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"Điểm {c.label}"[:31]
    ws.append([f"KẾT QUẢ THỰC HIỆN CHẾ ĐỘ BÁO CÁO {_range_vi(c).upper()}"])
    ws.append([])
    ws.append(COLUMNS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for u in c.units:
        ws.append(_row(u))
    for col, width in zip("ABCDEFGHIJKLMN", (8, 14, 48, 28, 9, 9, 8, 10, 10, 9, 10, 7, 11, 8)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _label(name: str, width: int = 44) -> str:
    """A bar label that keeps both ends: "Ban Quản lý dự án đầu tư xây dựng các công trình
    giao thông" and "... dân dụng và công nghiệp" stay apart once shortened."""
    if len(name) <= width:
        return name
    head = width // 2 - 1
    return name[:head].rstrip() + " … " + name[-(width - head - 3):].lstrip()


def chart_png(c: Compliance, scoring: Scoring | None = None) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    units = [u for u in c.units if u.on_time_rate is not None]
    units.sort(key=lambda u: (u.on_time_rate or 0, u.name))
    height = max(3.0, 0.28 * len(units) + 1.2)
    fig, ax = plt.subplots(figsize=(7.5, height), dpi=110)
    rates = [100 * (u.on_time_rate or 0) for u in units]
    s = scoring or Scoring()
    colours = ["#2e7d32" if r >= s.good_from else "#f9a825" if r >= s.poor_below else "#c62828"
               for r in rates]
    labels = [_label(u.name) for u in units]
    # a unit at 0 % still gets a visible sliver, in its colour
    ax.barh(range(len(units)), [max(r, 0.6) for r in rates], color=colours)
    ax.set_yticks(range(len(units)), labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Tỷ lệ báo cáo gửi đúng hạn (%)")
    ax.set_title(f"Tỷ lệ gửi báo cáo đúng hạn {_range_vi(c)}", fontsize=11)
    ax.tick_params(axis="y", labelsize=7)
    for y, r in enumerate(rates):
        inside = r > 88
        ax.text(r - 1 if inside else r + 1, y, f"{r:.0f}%", va="center", fontsize=7,
                ha="right" if inside else "left", color="white" if inside else "black")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _range_vi(c: Compliance) -> str:
    if c.label and c.label[5:6] == "Q":
        return period_vi(c.label)
    return f"từ {date_vi(c.start)} đến {date_vi(c.end)}"


@dataclass
class QuarterlyFiles:
    docx: bytes
    csv: bytes
    xlsx: bytes
    compliance: Compliance


def render(svc: Services, c: Compliance, at: datetime) -> QuarterlyFiles:
    return QuarterlyFiles(to_docx(svc, c, at), to_csv(c), to_xlsx(c), c)


def to_docx(svc: Services, c: Compliance, at: datetime) -> bytes:
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    office = svc.settings.office
    local = at.astimezone(svc.settings.timezone)
    d = docx.Document()
    style = d.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    for section in d.sections:
        section.left_margin, section.right_margin = Cm(3), Cm(2)
        section.top_margin, section.bottom_margin = Cm(2), Cm(2)

    def para(text: str = "", bold: bool = False, italic: bool = False, align=None, size=None,
             container=None):  # type: ignore[no-untyped-def]
        p = (container or d).add_paragraph()
        run = p.add_run(nfc(text))
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
        if align is not None:
            p.alignment = align
        return p

    center = WD_ALIGN_PARAGRAPH.CENTER
    head = d.add_table(rows=1, cols=2)
    left, right = head.rows[0].cells
    left.paragraphs[0].text = ""
    para(office.issuer, align=center, size=12, container=left)
    para(office.office, bold=True, align=center, size=12, container=left)
    para(f"Số:        /{office.number_notation}", align=center, size=13, container=left)
    para("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align=center, size=12, container=right)
    para("Độc lập - Tự do - Hạnh phúc", bold=True, align=center, size=13, container=right)
    place = f"{office.place}, " if office.place else ""
    para(f"{place}ngày {local.day} tháng {local.month} năm {local.year}", italic=True,
         align=center, size=13, container=right)
    for cell in (left, right):
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)

    para()
    para("BÁO CÁO", bold=True, align=center, size=14)
    para(f"Kết quả thực hiện chế độ thông tin, báo cáo {_range_vi(c)}", bold=True, align=center)
    if office.legal_basis:
        para(f"(theo {office.legal_basis})", italic=True, align=center, size=12)

    t = c.totals
    directives = sorted({s.directive for s in c.reports})
    para("I. TÌNH HÌNH CHUNG", bold=True)
    para(f"Trong {_range_vi(c)} ({date_vi(c.start)} – {date_vi(c.end)}), có {len(directives)} văn "
         f"bản chỉ đạo với {len(c.reports)} yêu cầu báo cáo đến hạn, tổng cộng {t['due']} lượt "
         f"báo cáo phải gửi. Kết quả: {t['on_time']} lượt gửi đúng hạn, {t['late']} lượt gửi "
         f"chậm, {t['missing']} lượt không gửi"
         + (f", {t['exempt']} lượt được miễn" if t["exempt"] else "")
         + (f"; {t['pending']} lượt chưa đến hạn" if t["pending"] else "") + ".")
    for s in c.reports:
        due = s.due.astimezone(svc.settings.timezone)
        period = f" {period_vi(s.period)}" if s.period else ""
        para(f"- Văn bản số {s.directive}: {s.title}{period} (hạn {date_vi(due)}): "
             f"{s.received}/{len(s.cells)} đơn vị đã gửi, trong đó {s.count('late')} đơn vị gửi chậm.",
             size=12)

    para("II. KẾT QUẢ THEO ĐƠN VỊ", bold=True)
    para("Điểm = 100 × (số báo cáo đúng hạn + "
         f"{svc.rules.scoring.late_weight:g} × số báo cáo chậm) / số báo cáo phải gửi, trừ "
         f"{svc.rules.scoring.late_day_penalty:g} điểm cho mỗi ngày chậm (tối đa "
         f"{svc.rules.scoring.max_day_penalty:g} điểm).", italic=True, size=12)
    groups: dict[str, list[UnitCompliance]] = {}
    for u in c.units:
        groups.setdefault(u.group or "Khác", []).append(u)
    headers = ["STT", "Đơn vị", "Phải gửi", "Đúng hạn", "Chậm (ngày chậm)", "Không gửi",
               "Tỷ lệ đúng hạn", "Điểm", "Xếp hạng"]
    for gi, (group, members) in enumerate(groups.items(), start=1):
        para(f"{gi}. {group}", bold=True, size=12)
        table = d.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, headers):
            cell.text = ""
            r = cell.paragraphs[0].add_run(text)
            r.bold, r.font.size = True, Pt(10)
        for i, u in enumerate(members, start=1):
            rate = f"{100 * u.on_time_rate:.0f}%" if u.on_time_rate is not None else "-"
            late = f"{u.late} ({u.days_late_total})" if u.late else "0"
            values = [i, u.name, u.due, u.on_time, late, u.missing, rate,
                      "-" if u.score is None else f"{u.score:g}", u.rank or "-"]
            for cell, value in zip(table.add_row().cells, values):
                cell.text = ""
                cell.paragraphs[0].add_run(nfc(str(value))).font.size = Pt(10)
        table.autofit = False
        for column, width in zip(table.columns, _WIDTHS_CM):
            column.width = Cm(width)          # the grid: what LibreOffice and Word lay out by
        for row in table.rows:
            for cell, width in zip(row.cells, _WIDTHS_CM):
                cell.width = Cm(width)
    para()
    d.add_picture(io.BytesIO(chart_png(c, svc.rules.scoring)), width=Cm(15.5))
    d.paragraphs[-1].alignment = center

    s = svc.rules.scoring
    para("III. ĐÁNH GIÁ", bold=True)
    good = did_well(c, s)
    poor = did_not(c, s)
    para(f"1. Các đơn vị thực hiện tốt chế độ báo cáo (điểm từ {s.good_from:g}, không thiếu báo "
         f"cáo): " + (", ".join(u.name for u in good) if good else "không có") + ".")
    para(f"2. Các đơn vị thực hiện chưa tốt (điểm dưới {s.poor_below:g} hoặc còn báo cáo không "
         "gửi):" + ("" if poor else " không có."))
    for u in poor:
        items = []
        if u.missing_items:
            items.append("không gửi: " + "; ".join(u.missing_items))
        if u.late_items:
            items.append("gửi chậm: " + "; ".join(u.late_items))
        para(f"- {u.name}: " + "; ".join(items) + ".", size=12)

    para("IV. ĐỀ XUẤT", bold=True)
    basis = f" theo {office.legal_basis}" if office.legal_basis else ""
    para("Đề nghị Thủ trưởng các cơ quan, đơn vị và Chủ tịch UBND các huyện, thành phố chấn "
         f"chỉnh việc thực hiện chế độ thông tin, báo cáo{basis}; đề nghị Ban Thi đua – Khen "
         "thưởng sử dụng kết quả trên làm một tiêu chí đánh giá, xếp loại thi đua năm.")

    para()
    sign = d.add_table(rows=1, cols=2)
    left, right = sign.rows[0].cells
    left.paragraphs[0].add_run("Nơi nhận:").bold = True
    for line in office.recipients:
        para(line, size=11, container=left)
    titles = office.signer_title or ("",)
    right.paragraphs[0].add_run(titles[0]).bold = True
    right.paragraphs[0].alignment = center
    for line in titles[1:]:
        para(line, bold=True, align=center, container=right)
    for _ in range(4):
        para(container=right)
    if office.signer_name:
        para(office.signer_name, bold=True, align=center, container=right)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def due_date(svc: Services, quarter_end: date) -> date:
    """The ``day``-th working day of the month after the quarter."""
    first = quarter_end + timedelta(days=1)
    day = svc.calendar.roll_forward(first)
    return svc.calendar.add_working_days(day, svc.settings.quarterly.day - 1)


def last_quarter(svc: Services, at: datetime) -> tuple[str, date, date]:
    """The quarter that ended before ``at``: (label, first day, last day)."""
    local = at.astimezone(svc.settings.timezone).date()
    end = date(local.year, ((local.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
    return f"{end.year}-Q{(end.month - 1) // 3 + 1}", date(end.year, end.month - 2, 1), end


def quarterly_job(svc: Services, at: datetime, transport=None,  # type: ignore[no-untyped-def]
                  quarter: tuple[str, date, date] | None = None) -> str | None:
    """Build and mail the report of ``quarter`` once (key ``quarterly:LABEL``). Without one
    (the daemon), the quarter that ended, and only from the configured working day of the
    following month. Returns the label when it was queued now."""
    from ingestd.notify.jobs import enqueue_mail, send_outbox
    from ingestd.store.outbox_repo import OutboxRepo

    q = svc.settings.quarterly
    if not q.to:
        return None
    if quarter is None:
        quarter = last_quarter(svc, at)
        if at.astimezone(svc.settings.timezone).date() < due_date(svc, quarter[2]):
            return None
    label, start, end = quarter
    key = f"quarterly:{label}"
    repo = OutboxRepo(svc.store)
    if repo.exists(key):
        send_outbox(svc, at, transport, kinds=("report",))
        return None
    c = build(svc, start, end, label, at)
    if not c.reports:
        return None                     # nothing was due that quarter: nothing to report
    files = render(svc, c, at)
    subject = f"Báo cáo kết quả thực hiện chế độ thông tin, báo cáo {period_vi(label)}"
    text = (f"Kính gửi: Lãnh đạo Văn phòng\n\nVăn phòng (bộ phận tổng hợp) gửi kèm dự thảo báo cáo "
            f"kết quả thực hiện chế độ thông tin, báo cáo {period_vi(label)} và bảng điểm của các "
            "đơn vị (CSV, XLSX) để xem xét, ký ban hành và gửi Ban Thi đua – Khen thưởng.\n")
    name = f"bao-cao-che-do-bao-cao-{label}"
    enqueue_mail(svc, key, "report", list(q.to), [], subject, text, None, at, [
        (f"{name}.docx", files.docx,
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (f"{name}.csv", files.csv, "text/csv"),
        (f"{name}.xlsx", files.xlsx,
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
    send_outbox(svc, at, transport, kinds=("report",))
    return label
