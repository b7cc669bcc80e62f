"""report quarter."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ingestd.cli.base import Parser, UsageError, command, parse_at
from ingestd.cli.output import table, write

if TYPE_CHECKING:
    from ingestd.config import Settings


@command("report")
def report(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.reports.compliance import quarter_range
    from ingestd.reports.quarterly import build, render
    from ingestd.services import open_services

    if args.quarter:
        try:
            start, end = quarter_range(args.quarter)
        except ValueError:
            raise UsageError(f'"{args.quarter}" không phải quý; viết ví dụ 2019-Q2') from None
        label = args.quarter
    elif args.date_from and args.date_to:
        try:
            start, end = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
        except ValueError:
            raise UsageError("--from/--to là ngày dạng 2019-04-01") from None
        label = f"{start}..{end}"
    else:
        raise UsageError("ghi quý (2019-Q2) hoặc --from và --to")
    at = parse_at(args.at, settings.timezone)
    with open_services(settings) as svc:
        c = build(svc, start, end, label, at)
        files = render(svc, c, at)
        sent = None
        if args.send:
            from ingestd.notify.quarterly_job import quarterly_job

            if not svc.settings.quarterly.to:
                raise UsageError("chưa cấu hình [quarterly_report] to: không biết gửi cho ai")
            sent = quarterly_job(svc, at, quarter=(label, start, end))
    out = args.out or Path(f"bao-cao-che-do-bao-cao-{label.replace('..', '_')}.docx")
    out.write_bytes(files.docx)
    written = [str(out)]
    if args.csv:
        args.csv.write_bytes(files.csv)
        written.append(str(args.csv))
    if args.xlsx:
        args.xlsx.write_bytes(files.xlsx)
        written.append(str(args.xlsx))
    rows = [[u.rank or "-", u.name, u.due, u.on_time, u.late, u.missing,
             f"{100 * u.on_time_rate:.0f}%" if u.on_time_rate is not None else "-",
             "-" if u.score is None else f"{u.score:g}"] for u in c.units]
    write(table(["Hạng", "Đơn vị", "Phải gửi", "Đúng hạn", "Chậm", "Không gửi", "Tỷ lệ", "Điểm"],
                rows))
    write("\nĐã ghi: " + ", ".join(written))
    if args.send:
        write(f"Đã gửi báo cáo {label} tới " + ", ".join(settings.quarterly.to) if sent else
              f"Báo cáo {label} đã được gửi trước đó (hoặc không có báo cáo nào đến hạn): không "
              "gửi lại.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    s = sub.add_parser("report", help="compliance reports")
    rs = s.add_subparsers(dest="kind", required=True, parser_class=Parser)
    q = rs.add_parser("quarter", help="quarterly compliance report")
    q.add_argument("quarter", nargs="?", help="e.g. 2019-Q2")
    q.add_argument("--from", dest="date_from")
    q.add_argument("--to", dest="date_to")
    q.add_argument("--at")
    q.add_argument("--out", type=Path)
    q.add_argument("--csv", type=Path)
    q.add_argument("--xlsx", type=Path)
    q.add_argument("--send", action="store_true", help="mail it to [quarterly_report] to")
