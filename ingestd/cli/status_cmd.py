"""status."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from ingestd.cli.base import UsageError, command, parse_at
from ingestd.cli.output import local, table, to_csv, to_json, write

if TYPE_CHECKING:
    from ingestd.config import Settings
    from ingestd.ledger import ReportStatus
    from ingestd.services import Services


@command("status")
def status(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.calendar import parse_period
    from ingestd.errors import NotFoundError
    from ingestd.services import open_services
    from ingestd.statusview import as_json, compute

    tz = settings.timezone
    at = parse_at(args.at, tz)
    with open_services(settings) as svc:
        if args.report and args.report not in svc.rules.reports:
            raise NotFoundError(f'không có báo cáo "{args.report}"; các báo cáo: '
                                + ", ".join(sorted(svc.rules.reports)))
        if args.period and parse_period(args.period) is None:
            raise UsageError(f'--period "{args.period}" không phải kỳ báo cáo; viết ví dụ '
                             "2019-Q2, 2019-H1, 2019-05 hoặc 2019")
        statuses = compute(svc, at, args.report, args.period)
        names = {u.id: u.name for u in svc.rules.units.values()}
        if args.format == "json":
            write(to_json(as_json(statuses, at, svc)))
            return 0
        if args.format == "csv":
            rows = [[s.directive, s.report, s.period or "", s.due.astimezone(tz).isoformat(),
                     c.unit, names.get(c.unit, ""), c.status,
                     c.received_at.astimezone(tz).isoformat() if c.received_at else "",
                     c.days_late, c.receipt or "", c.amendments]
                    for s in statuses for c in s.cells]
            write(to_csv(["directive", "report", "period", "due", "unit", "unit_name", "status",
                          "received_at", "days_late", "receipt", "amendments"], rows))
            return 0
        print_status(svc, at, statuses, units_table=bool(args.report))
        return 0


def print_status(svc: Services, at: datetime, statuses: list[ReportStatus] | None = None,
                 units_table: bool = False) -> None:
    from ingestd.statusview import STATUS_VI, compute, due_vi, summary_vi

    tz = svc.settings.timezone
    statuses = compute(svc, at) if statuses is None else statuses
    names = {u.id: u.name for u in svc.rules.units.values()}
    directives = {d.number: d for d in svc.rules.directives}
    out = [f"Tình hình gửi báo cáo tại {at.astimezone(tz):%d/%m/%Y %H:%M} ({tz.key})"]
    current = None
    for s in statuses:
        if s.directive != current:
            current = s.directive
            d = directives[s.directive]
            out.append(f"\nVăn bản số {d.number} ngày {d.date:%d/%m/%Y} — {d.title}")
        period = f" kỳ {s.period}" if s.period else ""
        out.append(f"  {s.report}{period} (hạn {due_vi(s, svc)}): {summary_vi(s)}")
        if units_table:
            out.append(table(
                ["Đơn vị", "Tên", "Trạng thái", "Nhận lúc", "Chậm (ngày)", "Biên nhận", "Bổ sung"],
                [[c.unit, names.get(c.unit, ""), STATUS_VI[c.status]
                  + (f" ({c.reason})" if c.reason else ""), local(c.received_at, tz),
                  c.days_late or "", c.receipt or "", c.amendments or ""] for c in s.cells]))
    if not statuses:
        out.append("Chưa có báo cáo nào trong quy tắc.")
    write("\n".join(out))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    s = sub.add_parser("status", help="who has reported, per directive and report")
    s.add_argument("--report")
    s.add_argument("--period")
    s.add_argument("--at")
    s.add_argument("--format", choices=["table", "json", "csv"], default="table")
