"""The quarterly compliance report (the tracking that the province's directive orders): a
DOCX in the form of a Vietnamese administrative report that a clerk can edit and sign, with a
chart; CSV (UTF-8 with BOM, for Excel) and XLSX of the per-unit scores for the rewards board;
and the daemon job that makes and mails it after each quarter. Every province-specific text
comes from ``[office]``."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ingestd.cells import csv_text, xlsx_row
from ingestd.read.vntext import nfc
from ingestd.reports.compliance import Compliance, UnitCompliance, compliance
from ingestd.rules.model import Scoring
from ingestd.services import Services
from ingestd.statusview import Ledger, ledger_at
from ingestd.vocabulary import date_vi, period_vi

COLUMNS = ["Xếp hạng", "Mã đơn vị", "Đơn vị", "Nhóm", "Phải gửi", "Đúng hạn", "Chậm",
           "Tổng số ngày chậm", "Chậm nhiều nhất (ngày)", "Không gửi", "Chưa đến hạn", "Miễn",
           "Tỷ lệ đúng hạn (%)", "Điểm"]


def build(svc: Services, start: date, end: date, label: str, at: datetime,
          ledger: Ledger | None = None) -> Compliance:
    since = datetime.combine(start, datetime.min.time(), tzinfo=svc.settings.timezone)
    statuses = ledger_at(svc, at, ledger).statuses(since=since - timedelta(days=1))
    return compliance(svc.rules, statuses, start, end, label, svc.settings.timezone)


def _row(u: UnitCompliance) -> list[object]:
    rate = round(100 * u.on_time_rate, 1) if u.on_time_rate is not None else ""
    return [u.rank or "", u.unit, u.name, u.group, u.due, u.on_time, u.late, u.days_late_total,
            u.days_late_worst, u.missing, u.pending, u.exempt, rate,
            u.score if u.score is not None else ""]


def to_csv(c: Compliance) -> bytes:
    return nfc(csv_text(COLUMNS, (_row(u) for u in c.units))).encode("utf-8-sig")


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
        ws.append(xlsx_row(ws, _row(u)))
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
    height = max(3.0, 0.2 * len(units) + 1.2)
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
    """The province's own template (``rules/templates/quarterly.docx``, docxtpl) when it has
    one, else the packaged layout in the state format."""
    chart = chart_png(c, svc.rules.scoring)
    template = svc.settings.rules_dir / "templates" / "quarterly.docx"
    if template.is_file():
        from ingestd.reports.docx_template import from_template

        return from_template(template, svc, c, at, chart, _range_vi(c))
    from ingestd.reports.docx_report import to_docx as packaged

    return packaged(svc, c, at, chart, _range_vi(c))
