"""fetch, run, health."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ingestd.cli.base import UsageError, command, parse_at
from ingestd.cli.output import table, to_json, write
from ingestd.vocabulary import REVIEW_STATES

if TYPE_CHECKING:
    from ingestd.config import Settings


@command("fetch")
def fetch(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.daemon import Daemon

    with Daemon(settings) as daemon:
        stored, errors, processed = daemon.poll_and_process()
    write(f"Đã nhận {stored} thư mới, đã đọc và đối chiếu {processed} thư.")
    for e in errors:
        write(f"  lỗi nguồn: {e}")
    return 1 if errors and not stored else 0


@command("run")
def run(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.daemon import Daemon

    if args.at and not args.once:
        raise UsageError("--at goes with --once")
    daemon = Daemon(settings)
    if not args.once:
        return daemon.run_forever()
    at = parse_at(args.at, settings.timezone)
    with daemon:
        report = daemon.run_once(at)
        svc = daemon.svc
        digest = "đã gửi" if report.digest else "không gửi (đã gửi trước đó hoặc chưa cấu hình)"
        write(f"Chu kỳ lúc {at.astimezone(settings.timezone):%d/%m/%Y %H:%M}: nhận {report.stored} "
              f"thư mới, đọc và đối chiếu {report.processed} thư, gửi {report.reminders} thư "
              f"nhắc việc, {report.acks} biên nhận, bản tin ngày {digest}.")
        for e in report.errors:
            write(f"  lỗi nguồn: {e}")
        from ingestd.cli.status_cmd import print_status
        write("")
        print_status(svc, at, report.ledger.statuses() if report.ledger else None)
        if not settings.smtp:
            write(f"\nThư gửi đi được ghi vào {settings.outbox_dir}")
    return 0


@command("health")
def health(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.daemon_health import fault_line, fault_summary, source_health
    from ingestd.errors import RulesError
    from ingestd.rules import load_rules
    from ingestd.services import open_services
    from ingestd.store.outbox_repo import OutboxRepo

    with open_services(settings, rules_required=False) as svc:
        sources = source_health(svc)
        states = svc.store.count_by_state()
        outbox = OutboxRepo(svc.store).counts()
        faults = fault_summary(svc)
    try:
        load_rules(settings.rules_dir)
        rules: dict[str, object] = {"ok": True, "problems": []}
    except RulesError as exc:
        rules = {"ok": False, "problems": [str(p) for p in exc.problems]}
    from ingestd.host_checks import mta_notes, ocr_warning

    warnings = [w for w in (ocr_warning(settings),) if w] + mta_notes(settings.trust.authserv_ids)
    data = {"sources": sources, "backlog": states.get("new", 0), "warnings": warnings,
            "review": sum(states.get(s, 0) for s in REVIEW_STATES),
            "receipts": states, "outbox": outbox, "faults": faults, "rules": rules}
    if args.format == "json":
        write(to_json(data))
    else:
        write(table(["Nguồn", "Lần nhận cuối", "Tình trạng", "Lỗi gần nhất"],
                    [[s["source"], s["last_ok"] or "chưa lần nào",
                      "KHÔNG NHẬN ĐƯỢC THƯ" if s["stale"] else "bình thường",
                      s["last_error"] or ""] for s in sources]))
        line = f"\nChờ đọc: {data['backlog']} · chờ xem xét: {data['review']}"
        if outbox:
            line += " · hộp thư đi: " + ", ".join(f"{k} {v}" for k, v in sorted(outbox.items()))
        write(line)
        if fault_line(faults):
            write("SỰ CỐ: " + str(fault_line(faults)))
        for warning in warnings:
            write("Cảnh báo: " + warning)
        if not rules["ok"]:
            write(f"QUY TẮC CÓ LỖI ({len(rules['problems'])}): daemon vẫn dùng bộ quy tắc trước; "
                  "xem: ingestd check")
        if faults["quarantined"]:
            write(f"Đã cách ly {faults['quarantined']} thư làm hỏng trình đọc (xem: ingestd "
                  "unmatched)")
    return 1 if any(s["stale"] for s in sources) or faults["retrying"] or not rules["ok"] else 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    s = sub.add_parser("fetch", help="poll every source now and process what arrived")
    s.add_argument("--once", action="store_true", help="one pass (the default)")
    s = sub.add_parser("run", help="the daemon")
    s.add_argument("--once", action="store_true", help="one full cycle of every job, then exit")
    s.add_argument("--at", help="the moment to act as (with --once)")
    s = sub.add_parser("health", help="sources, backlog and review queue")
    s.add_argument("--format", choices=["table", "json"], default="table")
