"""The incoming register as users see it: receipts as JSON objects (the CLI's ``receipts``
and ``unmatched``, the console's API), and the evidence ``explain`` prints. One place, so the
CLI, the console and the API say the same thing."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ingestd.evidence import SignatureVerdict, read_evidence
from ingestd.read.document import Document
from ingestd.services import Services
from ingestd.store.db import from_db
from ingestd.store.ids import rid
from ingestd.store.models import Assignment, Receipt
from ingestd.vocabulary import ACTION_VI, REVIEW_STATES, STATE_VI, STEP_VI

__all__ = ["ACTION_VI", "REVIEW_STATES", "STATE_VI", "decision_line", "explain_lines",
           "receipt_dicts"]




def _iso(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def _signature_json(s: SignatureVerdict | None) -> dict[str, str | None] | None:
    return asdict(s) if s else None


def receipt_dict(r: Receipt, matches: list[dict[str, str | None]], tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": rid(r.id or 0), "source": r.source, "message_id": r.message_id,
        "sha256": r.sha256, "received_at": _iso(from_db(r.received_at), tz),
        "sender": r.sender, "subject": r.subject, "own_number": r.own_number, "unit": r.unit,
        "matches": matches, "state": r.state, "reason": r.reason,
        "signature": _signature_json(read_evidence(r.evidence).signature),
    }


def receipt_dicts(svc: Services, rows: list[Receipt], suggested: bool = False) -> list[dict[str, Any]]:
    """The receipts JSON of the contract; a clerk's active assignment stands for the
    engine's matches. ``suggested`` adds ``suggested_unit`` (the review queue)."""
    ids = [r.id for r in rows if r.id is not None]
    found = svc.store.matches_of(ids)
    assigned: dict[int, list[dict[str, str | None]]] = {}
    for a in svc.store.decisions.of_receipts(ids):
        if a.receipt_id is not None and a.active and a.action == "assign":
            assigned.setdefault(a.receipt_id, []).append({"report": a.report, "period": a.period})
    out = []
    for r in rows:
        d = receipt_dict(r, assigned.get(r.id or 0) or [
            {"report": m.report, "period": m.period} for m in found.get(r.id or 0, [])],
            svc.settings.timezone)
        if suggested:
            d["suggested_unit"] = read_evidence(r.evidence).suggested_unit
        out.append(d)
    return out


def decision_line(a: Assignment, tz: ZoneInfo) -> str:
    what = ACTION_VI[a.action]
    target = " ".join(x for x in (a.unit, a.report, a.period or "") if x).strip()
    if a.action == "extend" and a.extended_until:
        target += f" đến {a.extended_until:%d/%m/%Y}"
    line = (f"{what} bởi {a.actor} lúc {from_db(a.created_at).astimezone(tz):%d/%m/%Y %H:%M}"
            f"{': ' + target if target else ''}{' — ' + a.reason if a.reason else ''}")
    if not a.active and a.undone_at:
        line += (f" (đã hoàn tác bởi {a.undone_by} lúc "
                 f"{from_db(a.undone_at).astimezone(tz):%d/%m/%Y %H:%M}"
                 f"{': ' + a.undo_reason if a.undo_reason else ''})")
    return line


def explain_lines(r: Receipt, assignments: list[Assignment], tz: ZoneInfo) -> list[str]:
    """What ``ingestd explain`` prints: the receipt, the references found, every decision of the
    engine with its evidence, and every clerk's decision."""
    received = from_db(r.received_at).astimezone(tz)
    lines = [f"Biên nhận {rid(r.id or 0)}  ({r.source}, {r.source_ref or ''})",
             f"  Nhận lúc:    {received:%d/%m/%Y %H:%M:%S} (thời điểm hệ thống nhận)",
             f"  Date gốc:    {r.date_header or '-'} (do người gửi ghi, không dùng để tính hạn)",
             f"  Người gửi:   {r.sender or '-'}",
             f"  Trích yếu:   {r.subject or '-'}",
             f"  Số của văn bản: {r.own_number or '-'}",
             f"  Message-ID:  {r.message_id or '-'}",
             f"  sha256:      {r.sha256}",
             f"  Trạng thái:  {STATE_VI.get(r.state, r.state)}" + (f" — {r.reason}" if r.reason else "")]
    if r.document:
        doc = Document.from_json(r.document)
        if doc.references:
            lines.append("  Số văn bản được dẫn chiếu:")
            for ref in doc.references:
                dated = f" ngày {ref.date:%d/%m/%Y}" if ref.date else ""
                lines.append(f"    - {ref.doc}{dated}  [{ref.location}] «{ref.snippet}»")
        if doc.periods:
            lines.append("  Kỳ báo cáo nêu trong văn bản: " +
                         ", ".join(sorted({p.label for p in doc.periods})))
    ev = read_evidence(r.evidence)
    if ev.evidence:
        lines.append("  Quyết định và căn cứ:")
        for e in ev.evidence:
            where = f" [{e.location}]" if e.location else ""
            text = f" «{e.text}»" if e.text else ""
            lines.append(f"    {STEP_VI.get(e.step, e.step):>8}: {e.decision}{where}{text}")
    if ev.matches:
        lines.append("  Tính cho: " + ", ".join(
            m.report + (f" kỳ {m.period}" if m.period else "")
            + f" (độ tin cậy {m.confidence:.0%})" for m in ev.matches))
    for a in assignments:
        lines.append(f"  [{a.id}] " + decision_line(a, tz))
    return lines
