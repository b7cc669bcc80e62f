"""receipts, unmatched, explain, assign."""

from __future__ import annotations

import argparse
import getpass
import json
import os

from ingestd.calendar import parse_period
from ingestd.cli.main import UsageError, command, parse_at
from ingestd.cli.output import iso, local, table, to_csv, to_json, write
from ingestd.config import Settings
from ingestd.errors import NotFoundError
from ingestd.read.document import Document
from ingestd.services import Services, open_services
from ingestd.store.db import from_db, utcnow
from ingestd.store.models import Assignment, Receipt
from ingestd.store.repo import parse_rid, rid

REVIEW_STATES = ("review", "failed")


def receipt_dict(r: Receipt, matches: list[dict[str, str | None]], svc: Services) -> dict:
    return {
        "id": rid(r.id or 0), "source": r.source, "message_id": r.message_id,
        "sha256": r.sha256, "received_at": iso(from_db(r.received_at), svc.settings.timezone),
        "sender": r.sender, "subject": r.subject, "own_number": r.own_number, "unit": r.unit,
        "matches": matches, "state": r.state, "reason": r.reason,
    }


def _rows(svc: Services, rows: list[Receipt]) -> list[dict]:
    found = svc.store.matches_of([r.id for r in rows if r.id is not None])
    assigned: dict[int, list[dict[str, str | None]]] = {}
    for a in svc.store.assignments():
        if a.receipt_id is not None and not a.exempt:
            assigned.setdefault(a.receipt_id, []).append({"report": a.report, "period": a.period})
    return [receipt_dict(r, assigned.get(r.id or 0) or
                         [{"report": m.report, "period": m.period} for m in found.get(r.id or 0, [])],
                         svc) for r in rows]


_HEAD = ["Mã", "Nhận lúc", "Nguồn", "Người gửi", "Trích yếu", "Số", "Đơn vị", "Trạng thái"]


def _table_row(d: dict, svc: Services) -> list[str]:
    when = d["received_at"][:16].replace("T", " ") if d["received_at"] else ""
    state = d["state"] + (f" ({d['reason']})" if d["reason"] and d["state"] != "matched" else "")
    return [d["id"], when, d["source"], d["sender"] or "", d["subject"] or "",
            d["own_number"] or "", d["unit"] or "", state]


@command("receipts")
def receipts(args: argparse.Namespace, settings: Settings) -> int:
    svc = open_services(settings, rules_required=False)
    try:
        since = parse_at(args.since, settings.timezone, "--since").replace(
            hour=0, minute=0, second=0) if args.since else None
        rows = _rows(svc, svc.store.receipts(since, (args.state,) if args.state else None))
    finally:
        svc.close()
    if args.format == "json":
        write(to_json(rows))
    elif args.format == "csv":
        keys = ["id", "received_at", "source", "sender", "subject", "own_number", "unit",
                "state", "reason", "message_id", "sha256"]
        write(to_csv(keys + ["matches"], [[d[k] for k in keys] + [
            ";".join(f"{m['report']}@{m['period'] or ''}" for m in d["matches"])] for d in rows]))
    else:
        write(table(_HEAD, [_table_row(d, svc) for d in rows]) if rows else
              "Sổ văn bản đến chưa có thư nào.")
    return 0


@command("unmatched")
def unmatched(args: argparse.Namespace, settings: Settings) -> int:
    svc = open_services(settings, rules_required=False)
    try:
        queue = svc.store.receipts(states=REVIEW_STATES)
        rows = _rows(svc, queue)
    finally:
        svc.close()
    for d, r in zip(rows, queue):
        d["suggested_unit"] = json.loads(r.evidence or "{}").get("suggested_unit")
    if args.format == "json":
        write(to_json(rows))
    elif not rows:
        write("Không có thư nào chờ xem xét.")
    else:
        write(table(["Mã", "Nhận lúc", "Message-ID", "Người gửi", "Trích yếu", "Lý do"],
                    [[d["id"], (d["received_at"] or "")[:16].replace("T", " "),
                      d["message_id"] or "", d["sender"] or "", d["subject"] or "",
                      d["reason"] or ""] for d in rows]))
        write(f"\n{len(rows)} thư chờ xem xét. Xem chi tiết: ingestd explain MÃ; "
              "chấp nhận: ingestd assign MÃ --unit ĐƠN_VỊ [--report BÁO_CÁO]")
    return 0


@command("explain")
def explain(args: argparse.Namespace, settings: Settings) -> int:
    svc = open_services(settings, rules_required=False)
    try:
        r = svc.store.get(parse_rid(args.receipt))
        assignments = svc.store.assignments(r.id)
    finally:
        svc.close()
    tz = settings.timezone
    lines = [f"Biên nhận {rid(r.id or 0)}  ({r.source}, {r.source_ref or ''})",
             f"  Nhận lúc:    {local(from_db(r.received_at), tz, '%d/%m/%Y %H:%M:%S')} "
             "(thời điểm hệ thống nhận)",
             f"  Date gốc:    {r.date_header or '-'} (do người gửi ghi, không dùng để tính hạn)",
             f"  Người gửi:   {r.sender or '-'}",
             f"  Trích yếu:   {r.subject or '-'}",
             f"  Số của văn bản: {r.own_number or '-'}",
             f"  Message-ID:  {r.message_id or '-'}",
             f"  sha256:      {r.sha256}",
             f"  Trạng thái:  {r.state}" + (f" — {r.reason}" if r.reason else "")]
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
    ev = json.loads(r.evidence or "{}")
    if ev.get("evidence"):
        lines.append("  Quyết định và căn cứ:")
        for e in ev["evidence"]:
            where = f" [{e['location']}]" if e.get("location") else ""
            text = f" «{e['text']}»" if e.get("text") else ""
            lines.append(f"    {e['step']:>9}: {e['decision']}{where}{text}")
    if ev.get("matches"):
        lines.append("  Tính cho: " + ", ".join(
            f"{m['report']}" + (f" kỳ {m['period']}" if m["period"] else "")
            + f" (độ tin cậy {m['confidence']:.0%})" for m in ev["matches"]))
    for a in assignments:
        what = "miễn" if a.exempt else "gán"
        lines.append(f"  {what} bởi {a.actor} lúc {local(from_db(a.created_at), tz)}: {a.unit} "
                     f"{a.report} {a.period or ''} {a.reason or ''}".rstrip())
    write("\n".join(lines))
    return 0


def _actor() -> str:
    for var in ("SUDO_USER", "USER", "LOGNAME"):
        if os.environ.get(var):
            return os.environ[var]
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


@command("assign")
def assign(args: argparse.Namespace, settings: Settings) -> int:
    svc = open_services(settings)
    try:
        return _assign(args, svc)
    finally:
        svc.close()


def _assign(args: argparse.Namespace, svc: Services) -> int:
    book = svc.rules
    if args.unit not in book.units:
        raise NotFoundError(f'no unit "{args.unit}" in units.toml')
    if args.report and args.report not in book.reports:
        raise NotFoundError(f'no report "{args.report}" in the rules')
    if args.period and parse_period(args.period) is None:
        raise UsageError(f'--period "{args.period}" is not a period; write 2019-Q2, 2019-H1, '
                         "2019-05 or 2019")
    actor, now = _actor(), utcnow()
    if args.exempt:
        if not args.report or not args.reason:
            raise UsageError("--exempt needs --report and --reason")
        receipt_id = parse_rid(args.receipt) if args.receipt else None
        svc.store.add_assignment(Assignment(
            receipt_id=receipt_id, unit=args.unit, report=args.report, period=args.period,
            exempt=True, reason=args.reason, actor=actor, created_at=now))
        write(f"Đã miễn {args.unit} cho {args.report} {args.period or '(mọi kỳ)'}: {args.reason}")
        return 0
    if not args.receipt:
        raise UsageError("name the receipt to accept, e.g. ingestd assign r-000123 --unit so-khdt")
    r = svc.store.get(parse_rid(args.receipt))
    ev = json.loads(r.evidence or "{}")
    if args.report:
        targets = [(args.report, args.period or next(
            (m["period"] for m in ev.get("matches", []) if m["report"] == args.report), None))]
    else:
        targets = [(m["report"], args.period or m["period"]) for m in ev.get("matches", [])]
    if not targets:
        raise UsageError(f"{rid(r.id or 0)} matched no report; name one with --report")
    for report_id, period in targets:
        rep = book.reports[report_id]
        if rep.periodic and not period:
            raise UsageError(f"{report_id} is periodic; name the period with --period")
        if args.unit not in rep.units:
            raise UsageError(f"unit {args.unit} is not asked for {report_id}")
        svc.store.add_assignment(Assignment(
            receipt_id=r.id, unit=args.unit, report=report_id, period=period, exempt=False,
            reason=args.reason, actor=actor, created_at=now), mark_receipt="matched")
        write(f"Đã gán {rid(r.id or 0)} cho {args.unit}: {report_id} {period or ''}".rstrip())
    return 0

