"""web, user: the console and its accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ingestd.cli.base import Parser, UsageError, command, parse_at
from ingestd.cli.output import table, write

if TYPE_CHECKING:
    from ingestd.config import Settings


@command("web")
def web(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.web.app import create_app
    from ingestd.web.server import serve

    at = parse_at(args.at, settings.timezone) if args.at else None
    serve(create_app(settings, at), settings.web, args.host or settings.web.host,
          args.port or settings.web.port)
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        try:
            return args.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"không đọc được {args.password_file}: {exc.strerror}") from None
    if not sys.stdin.isatty():
        raise UsageError("không có màn hình để hỏi mật khẩu: dùng --password-file TỆP")
    first = getpass.getpass("Mật khẩu: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise UsageError("hai lần nhập mật khẩu không khớp")
    return first


@command("user")
def user(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.services import open_services
    from ingestd.store.accounts import Accounts

    with open_services(settings, rules_required=False) as svc:
        accounts = Accounts(svc.store)
        if args.action == "add":
            accounts.add(args.name, args.role, _password(args))
            write(f"Đã tạo tài khoản {args.name.lower()} ({args.role}).")
        elif args.action == "passwd":
            accounts.set_password(args.name, _password(args))
            write(f"Đã đổi mật khẩu của {args.name}; các phiên đăng nhập cũ đã kết thúc.")
        elif args.action == "disable":
            accounts.disable(args.name)
            write(f"Đã khóa tài khoản {args.name}; các phiên đăng nhập đã kết thúc.")
        elif args.action == "enable":
            accounts.enable(args.name)
            write(f"Đã mở lại tài khoản {args.name}.")
        elif args.action == "role":
            accounts.set_role(args.name, args.role)
            write(f"Tài khoản {args.name} nay có vai trò {args.role}.")
        else:
            rows = [[u.name, u.role, "đã khóa" if u.disabled else "đang dùng"]
                    for u in accounts.users()]
            write(table(["Tên", "Vai trò", "Tình trạng"], rows) if rows else "Chưa có tài khoản nào.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    s = sub.add_parser("web", help="the web console for clerks and leaders")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--at", help="show the data as of this moment (demos, audits)")
    s = sub.add_parser("user", help="accounts of the web console")
    us = s.add_subparsers(dest="action", required=True, parser_class=Parser)
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
