"""A province's own layout of the quarterly report: ``rules/templates/quarterly.docx``, a Word
document with docxtpl (Jinja2) tags, filled with the context below (documented in the README).
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

from ingestd.errors import IngestdError
from ingestd.reports.compliance import Compliance, did_not, did_well
from ingestd.services import Services
from ingestd.vocabulary import date_vi


def context(svc: Services, c: Compliance, at: datetime, range_vi: str) -> dict[str, Any]:
    office, scoring = svc.settings.office, svc.rules.scoring
    local = at.astimezone(svc.settings.timezone)
    groups: dict[str, list[dict[str, Any]]] = {}
    for u in c.units:
        groups.setdefault(u.group or "Khác", []).append({
            "name": u.name, "due": u.due, "on_time": u.on_time, "late": u.late,
            "days_late": u.days_late_total, "missing": u.missing,
            "rate": f"{100 * u.on_time_rate:.0f}%" if u.on_time_rate is not None else "-",
            "score": "-" if u.score is None else f"{u.score:g}", "rank": u.rank or "-"})
    return {
        "office": office, "range": range_vi, "start": date_vi(c.start), "end": date_vi(c.end),
        "date_line": (f"{office.place}, " if office.place else "")
        + f"ngày {local.day:02d} tháng {local.month:02d} năm {local.year}",
        "totals": c.totals, "scoring": scoring,
        "reports": [{"directive": s.directive, "title": s.title, "period": s.period,
                     "due": date_vi(s.due.astimezone(svc.settings.timezone)),
                     "received": s.received, "expected": len(s.cells), "late": s.count("late")}
                    for s in c.reports],
        "groups": [{"name": g, "units": us} for g, us in groups.items()],
        "good": [u.name for u in did_well(c, scoring)],
        "poor": [{"name": u.name, "missing": u.missing_items, "late": u.late_items}
                 for u in did_not(c, scoring)],
    }


def from_template(path: Path, svc: Services, c: Compliance, at: datetime, chart: bytes,
                  range_vi: str) -> bytes:
    from docx.shared import Cm
    from docxtpl import DocxTemplate, InlineImage

    try:
        tpl = DocxTemplate(str(path))
        ctx = context(svc, c, at, range_vi)
        ctx["chart"] = InlineImage(tpl, io.BytesIO(chart), width=Cm(15.5))
        tpl.render(ctx, autoescape=True)
    except Exception as exc:  # noqa: BLE001 - a broken template is the admin's to fix: say where
        raise IngestdError(f"mẫu báo cáo {path} không dùng được: {type(exc).__name__}: {exc} — "
                           "sửa mẫu (thẻ {{ … }} của docxtpl) hoặc xóa để dùng mẫu có sẵn") from None
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()
