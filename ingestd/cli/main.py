"""`ingestd` command line: one sub-command per user action. Errors become messages and exit
codes (0 ok, 1 user error, 2 usage); a traceback is never the interface."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from ingestd import __version__, moments
from ingestd.config import Settings, default_config_path, load_settings
from ingestd.errors import ConfigError, IngestdError
from ingestd.logs import configure
from ingestd.vocabulary import ReceiptState

Handler = Callable[[argparse.Namespace, Settings], int]
_COMMANDS: dict[str, Handler] = {}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def parse_at(text: str | None, tz: ZoneInfo, flag: str = "--at") -> datetime:
    """--at: an ISO datetime (local time when no offset) or a date (the end of that day)."""
    if not text:
        return datetime.now(tz)
    try:
        return moments.parse_at(text, tz, flag)
    except moments.MomentError as exc:
        raise UsageError(str(exc)) from None


def command(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        _COMMANDS[name] = fn
        return fn
    return deco


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ingestd", description="Theo dõi việc gửi báo cáo theo văn bản chỉ đạo.")
    p.add_argument("--version", action="version", version=f"ingestd {__version__}")
    p.add_argument("--config", type=Path, default=None,
                   help="config.toml (default: $INGESTD_CONFIG or ./config.toml)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("check", help="validate config and rules")
    s = sub.add_parser("import", help="store and process .eml, mbox, Maildir, edXML files")
    s.add_argument("paths", nargs="+", type=Path)
    s = sub.add_parser("fetch", help="poll every source now and process what arrived")
    s.add_argument("--once", action="store_true", help="one pass (the default)")
    s = sub.add_parser("run", help="the daemon")
    s.add_argument("--once", action="store_true", help="one full cycle of every job, then exit")
    s.add_argument("--at", help="the moment to act as (with --once)")
    s = sub.add_parser("status", help="who has reported, per directive and report")
    s.add_argument("--report")
    s.add_argument("--period")
    s.add_argument("--at")
    s.add_argument("--format", choices=["table", "json", "csv"], default="table")
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
    s = sub.add_parser("ignore", help="not a report: keep it in the register, count it for nothing")
    s.add_argument("receipt")
    s.add_argument("--reason", required=True)
    s.add_argument("--by", help="who decides (default: the login name)")
    s = sub.add_parser("reprocess", help="re-match all stored receipts with the current rules")
    s.add_argument("--reread", action="store_true", help="read the raw messages again too")
    s = sub.add_parser("health", help="sources, backlog and review queue")
    s.add_argument("--format", choices=["table", "json"], default="table")
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
    s = sub.add_parser("web", help="the web console for clerks and leaders")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--at", help="show the data as of this moment (demos, audits)")
    s = sub.add_parser("user", help="accounts of the web console")
    us = s.add_subparsers(dest="action", required=True, parser_class=_Parser)
    u = us.add_parser("add", help="create an account")
    u.add_argument("name")
    u.add_argument("--role", choices=["viewer", "clerk", "admin"], required=True)
    u.add_argument("--password-file", type=Path)
    u = us.add_parser("passwd", help="set a new password (ends the account's sessions)")
    u.add_argument("name")
    u.add_argument("--password-file", type=Path)
    u = us.add_parser("disable", help="lock an account (ends its sessions)")
    u.add_argument("name")
    u = us.add_parser("enable", help="unlock an account")
    u.add_argument("name")
    u = us.add_parser("role", help="change an account's role")
    u.add_argument("name")
    u.add_argument("role", choices=["viewer", "clerk", "admin"])
    us.add_parser("list", help="every account")
    s = sub.add_parser("report", help="compliance reports")
    rs = s.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    q = rs.add_parser("quarter", help="quarterly compliance report")
    q.add_argument("quarter", nargs="?", help="e.g. 2019-Q2")
    q.add_argument("--from", dest="date_from")
    q.add_argument("--to", dest="date_to")
    q.add_argument("--at")
    q.add_argument("--out", type=Path)
    q.add_argument("--csv", type=Path)
    q.add_argument("--xlsx", type=Path)
    q.add_argument("--send", action="store_true", help="mail it to [quarterly_report] to")
    return p


def main(argv: list[str] | None = None) -> int:
    from ingestd.cli import commands  # noqa: F401 - registers the handlers

    args = build_parser().parse_args(argv)
    level = "INFO" if args.verbose or (args.command == "run" and not args.once) else "WARNING"
    configure(level)
    log = structlog.get_logger("ingestd.cli")
    try:
        settings = load_settings(args.config or default_config_path())
        return _COMMANDS[args.command](args, settings)
    except ConfigError as exc:
        sys.stderr.write(f"{len(exc.problems)} lỗi cần sửa:\n")
        for p in exc.problems:
            sys.stderr.write(f"  {p}\n")
        return 1
    except UsageError as exc:
        sys.stderr.write(f"ingestd {args.command}: {exc}\n")
        return 2
    except IngestdError as exc:
        sys.stderr.write(f"ingestd {args.command}: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: a short message, details in the log
        log.error("internal error", command=args.command, exc_info=True)
        sys.stderr.write(f"ingestd {args.command}: internal error: {type(exc).__name__}: {exc}\n"
                         "Please report it with the log above.\n")
        return 1
