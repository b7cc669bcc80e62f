"""remind, digest."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ingestd.cli.base import command, parse_at
from ingestd.cli.output import local, table, to_json, write

if TYPE_CHECKING:
    from ingestd.config import Settings


@command("remind")
def remind(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.notify.jobs import plan_reminders, run_reminders
    from ingestd.services import open_services

    at = parse_at(args.at, settings.timezone)
    with open_services(settings) as svc:
        planned = plan_reminders(svc, at)
        sent = None if args.dry_run else run_reminders(svc, at)
    rows = [{"unit": r.unit, "report": r.report, "period": r.period, "step": r.step,
             "to": list(r.to), "cc": list(r.cc), "subject": subject} for r, subject in planned]
    if args.format == "json":
        write(to_json(rows))
        return 0
    if not rows:
        write(f"Không có thư nhắc việc nào đến hạn lúc {local(at, settings.timezone)}.")
    else:
        write(table(["Đơn vị", "Báo cáo", "Kỳ", "Bước", "Gửi tới", "Đồng gửi"],
                    [[r["unit"], r["report"], r["period"] or "", r["step"], ", ".join(r["to"]),
                      ", ".join(r["cc"])] for r in rows]))
        verb = "sẽ được gửi (chạy thử, chưa gửi)" if args.dry_run else f"đến hạn; đã gửi {sent}"
        write(f"\n{len(rows)} thư nhắc việc {verb}.")
    return 0


@command("digest")
def digest(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.notify.digest import build_digest
    from ingestd.notify.jobs import run_digest
    from ingestd.services import open_services

    at = parse_at(args.at, settings.timezone)
    with open_services(settings) as svc:
        if args.send:
            queued = run_digest(svc, at, force=True)
            write("Đã gửi bản tin ngày." if queued else
                  "Bản tin của ngày này đã được gửi trước đó (hoặc chưa cấu hình [digest] to).")
            return 0
        d = build_digest(svc, at)
    if args.out:
        args.out.write_text(d.html, encoding="utf-8")
        write(f"Đã ghi bản tin HTML vào {args.out}")
    write(f"Tiêu đề: {d.subject}\n\n{d.text}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    s = sub.add_parser("remind", help="send (or show) reminders due now")
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("--at")
    s.add_argument("--format", choices=["table", "json"], default="table")
    s = sub.add_parser("digest", help="the daily digest for staff")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--send", action="store_true")
    g.add_argument("--preview", action="store_true")
    s.add_argument("--at")
    s.add_argument("--out", type=Path, help="with --preview: write the HTML here")
