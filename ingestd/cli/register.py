"""receipts, unmatched, explain, assign."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import TYPE_CHECKING

from ingestd.cli.base import UsageError, command, parse_at
from ingestd.cli.output import table, to_csv, to_json, write
from ingestd.vocabulary import ReceiptState

if TYPE_CHECKING:
    from ingestd.config import Settings
    from ingestd.services import Services
    from ingestd.store.models import Receipt


def _rows(svc: Services, rows: list[Receipt], suggested: bool = False) -> list[dict]:
    from ingestd.registerview import receipt_dicts

    return receipt_dicts(svc, rows, suggested)


_HEAD = ["Mã", "Nhận lúc", "Nguồn", "Người gửi", "Trích yếu", "Số", "Đơn vị", "Trạng thái"]


def _table_row(d: dict, svc: Services) -> list[str]:
    when = d["received_at"][:16].replace("T", " ") if d["received_at"] else ""
    state = d["state"] + (f" ({d['reason']})" if d["reason"] and d["state"] != ReceiptState.MATCHED else "")
    return [d["id"], when, d["source"], d["sender"] or "", d["subject"] or "",
            d["own_number"] or "", d["unit"] or "", state]


@command("receipts")
def receipts(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.services import open_services

    with open_services(settings, rules_required=False) as svc:
        since = parse_at(args.since, settings.timezone, "--since").replace(
            hour=0, minute=0, second=0) if args.since else None
        rows = _rows(svc, svc.store.receipts(since, (args.state,) if args.state else None))
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
    from ingestd.registerview import REVIEW_STATES
    from ingestd.services import open_services

    with open_services(settings, rules_required=False) as svc:
        rows = _rows(svc, svc.store.receipts(states=REVIEW_STATES), suggested=True)
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
    from ingestd.registerview import explain_lines
    from ingestd.services import open_services
    from ingestd.store.ids import parse_rid

    with open_services(settings, rules_required=False) as svc:
        r = svc.store.get(parse_rid(args.receipt))
        write("\n".join(explain_lines(r, svc.store.decisions.all(r.id), settings.timezone)))
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
    from ingestd import review
    from ingestd.services import open_services
    from ingestd.store.ids import parse_rid, rid

    with open_services(settings) as svc:
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
    return 0


@command("extend")
def extend(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd import moments, review
    from ingestd.services import open_services
    from ingestd.store.ids import parse_rid

    try:
        until = moments.parse_day(args.until, "--until")
    except moments.MomentError as exc:
        raise UsageError(str(exc)) from None
    with open_services(settings) as svc:
        review.extend(svc, args.unit, args.report, until, args.reason or "", _actor(args),
                      args.period, parse_rid(args.receipt) if args.receipt else None)
        write(f"Đã gia hạn {args.report} {args.period or ''} cho {args.unit} đến hết ngày "
              f"{until:%d/%m/%Y} (lùi sang ngày làm việc sau nếu là ngày nghỉ): {args.reason}"
              .replace("  ", " "))
    return 0


@command("ignore")
def ignore(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd import review
    from ingestd.services import open_services
    from ingestd.store.ids import parse_rid, rid

    with open_services(settings) as svc:
        receipt_id = parse_rid(args.receipt)
        review.ignore(svc, receipt_id, args.reason, _actor(args))
    write(f"Đã bỏ qua {rid(receipt_id)}: {args.reason}")
    return 0


@command("unassign")
def unassign(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd import review
    from ingestd.registerview import decision_line
    from ingestd.services import open_services
    from ingestd.store.ids import parse_rid

    with open_services(settings) as svc:
        undone = review.unassign(svc, _actor(args), parse_rid(args.receipt) if args.receipt
                                 else None, args.unit, args.report, args.period, args.reason)
        for a in undone:
            write(f"Đã hoàn tác: {decision_line(a, settings.timezone)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    s = sub.add_parser("receipts", help="the incoming register (sổ văn bản đến)")
    s.add_argument("--since")
    s.add_argument("--state", choices=[s.value for s in ReceiptState])
    s.add_argument("--format", choices=["table", "json", "csv"], default="table")
    s = sub.add_parser("unmatched", help="receipts waiting for review")
    s.add_argument("--format", choices=["table", "json"], default="table")
    s = sub.add_parser("explain", help="why a receipt was (not) matched")
    s.add_argument("receipt")
    s = sub.add_parser("assign", help="accept a review item, or exempt a unit")
    s.add_argument("receipt", nargs="?", help="receipt id (optional with --exempt)")
    s.add_argument("--unit", required=True)
    s.add_argument("--report")
    s.add_argument("--period")
    s.add_argument("--exempt", action="store_true")
    s.add_argument("--reason")
    s.add_argument("--by", help="who decides (default: the login name)")
    s = sub.add_parser("unassign", help="undo a clerk's decision (or an exemption)")
    s.add_argument("receipt", nargs="?", help="receipt id; or --unit and --report for an exemption")
    s.add_argument("--unit")
    s.add_argument("--report")
    s.add_argument("--period")
    s.add_argument("--reason")
    s.add_argument("--by", help="who decides (default: the login name)")
    s = sub.add_parser("extend", help="give a unit more time for a report (gia hạn)")
    s.add_argument("receipt", nargs="?", help="the letter that asked for it (settles it)")
    s.add_argument("--unit", required=True)
    s.add_argument("--report", required=True)
    s.add_argument("--period")
    s.add_argument("--until", required=True, help="the new deadline: the end of that day")
    s.add_argument("--reason", required=True)
    s.add_argument("--by", help="who decides (default: the login name)")
    s = sub.add_parser("ignore", help="not a report: keep it in the register, count it for nothing")
    s.add_argument("receipt")
    s.add_argument("--reason", required=True)
    s.add_argument("--by", help="who decides (default: the login name)")
