"""receipts, unmatched, explain, assign."""

from __future__ import annotations

import argparse
import getpass
import os

from ingestd import review
from ingestd.cli.main import UsageError, command, parse_at
from ingestd.cli.output import table, to_csv, to_json, write
from ingestd.config import Settings
from ingestd.registerview import REVIEW_STATES, decision_line, explain_lines, receipt_dicts
from ingestd.services import Services, open_services
from ingestd.store.models import Receipt
from ingestd.store.repo import parse_rid, rid
from ingestd.vocabulary import ReceiptState


def _rows(svc: Services, rows: list[Receipt], suggested: bool = False) -> list[dict]:
    return receipt_dicts(svc, rows, suggested)


_HEAD = ["Mã", "Nhận lúc", "Nguồn", "Người gửi", "Trích yếu", "Số", "Đơn vị", "Trạng thái"]


def _table_row(d: dict, svc: Services) -> list[str]:
    when = d["received_at"][:16].replace("T", " ") if d["received_at"] else ""
    state = d["state"] + (f" ({d['reason']})" if d["reason"] and d["state"] != ReceiptState.MATCHED else "")
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
        rows = _rows(svc, svc.store.receipts(states=REVIEW_STATES), suggested=True)
    finally:
        svc.close()
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
        write("\n".join(explain_lines(r, svc.store.assignments(r.id), settings.timezone)))
    finally:
        svc.close()
    return 0


def _actor(args: argparse.Namespace) -> str:
    if getattr(args, "by", None):
        return str(args.by)
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
        if args.exempt:
            if not args.report or not args.reason:
                raise UsageError("--exempt cần --report và --reason")
            review.exempt(svc, args.unit, args.report, args.reason, _actor(args), args.period,
                          parse_rid(args.receipt) if args.receipt else None)
            write(f"Đã miễn {args.unit} cho {args.report} {args.period or '(mọi kỳ)'}: "
                  f"{args.reason}")
            return 0
        if not args.receipt:
            raise UsageError("ghi mã biên nhận cần gán, ví dụ ingestd assign r-000123 --unit so-khdt")
        receipt_id = parse_rid(args.receipt)
        for a in review.assign(svc, receipt_id, args.unit, _actor(args), args.report,
                               args.period, args.reason):
            write(f"Đã gán {rid(receipt_id)} cho {a.unit}: {a.report} {a.period or ''}".rstrip())
    finally:
        svc.close()
    return 0


@command("ignore")
def ignore(args: argparse.Namespace, settings: Settings) -> int:
    svc = open_services(settings)
    try:
        receipt_id = parse_rid(args.receipt)
        review.ignore(svc, receipt_id, args.reason, _actor(args))
    finally:
        svc.close()
    write(f"Đã bỏ qua {rid(receipt_id)}: {args.reason}")
    return 0


@command("unassign")
def unassign(args: argparse.Namespace, settings: Settings) -> int:
    svc = open_services(settings)
    try:
        undone = review.unassign(svc, _actor(args), parse_rid(args.receipt) if args.receipt
                                 else None, args.unit, args.report, args.period, args.reason)
        for a in undone:
            write(f"Đã hoàn tác: {decision_line(a, settings.timezone)}")
    finally:
        svc.close()
    return 0
