"""check, import, reprocess."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ingestd.cli.base import command
from ingestd.cli.output import write
from ingestd.vocabulary import STATE_VI

if TYPE_CHECKING:
    from ingestd.config import Settings


def config_warnings(settings: Settings) -> list[str]:
    """What is not an error but will bite later: a password that cannot be read when the daemon
    connects, an [office] that leaves letters and reports without the province's names."""
    out = []
    secrets = [(f"[[imap]] {a.name}", a.password) for a in settings.imap]
    if settings.smtp:
        secrets.append(("[smtp]", settings.smtp.password))
    for where, secret in secrets:
        if secret.env and secret.env not in os.environ:
            out.append(f"{where}: biến môi trường {secret.env} chưa được đặt (mật khẩu) — đặt nó "
                       "trong EnvironmentFile của systemd hoặc dùng password_file")
        if secret.file and not os.access(secret.file, os.R_OK):
            out.append(f"{where}: không đọc được tệp mật khẩu {secret.file} — kiểm tra đường dẫn "
                       "và quyền đọc của người dùng chạy dịch vụ")
    from ingestd.host_checks import mta_notes, ocr_warning

    ocr = ocr_warning(settings)
    if ocr:
        out.append(ocr)
    out.extend(mta_notes(settings.trust.authserv_ids))
    missing = settings.office.missing()
    if missing:
        out.append(f"{settings.config_path.name} [office]: chưa khai báo {', '.join(missing)} — "
                   "thư nhắc việc và báo cáo quý sẽ thiếu tên tỉnh, căn cứ hoặc người ký")
    return out


@command("check")
def check(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.match import date_like_keywords
    from ingestd.rules import load_rules

    book = load_rules(settings.rules_dir)   # raises RulesError with every problem
    reports = sum(len(d.reports) for d in book.directives)
    write(f"OK: {settings.config_path.name} và thư mục rules hợp lệ — {len(book.units)} đơn vị, "
          f"{len(book.directives)} văn bản chỉ đạo, {reports} báo cáo.")
    for warning in config_warnings(settings):
        write("Cảnh báo: " + warning)
    for rep, kw in date_like_keywords(book):
        write(f'Cảnh báo: {rep.file}: báo cáo {rep.id} có từ khóa "{kw}" chỉ gồm ngày, tháng, '
              "năm: nó cũng khớp với dòng ngày tháng của mọi văn bản — hãy dùng từ khóa trong "
              "tên báo cáo")
    return 0


class _Progress:
    """A rich progress bar on a terminal; a line every 100 items otherwise."""

    def __init__(self) -> None:
        self.n = 0
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
            self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                TextColumn("{task.completed} thư"), TimeElapsedColumn(),
                                transient=True)
            self.task = self.bar.add_task("Đang nhập", total=None)

    def __enter__(self) -> _Progress:
        if self.bar:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar:
            self.bar.__exit__(*exc)

    def step(self, ref: str) -> None:
        self.n += 1
        if self.bar:
            self.bar.update(self.task, advance=1, description=f"Đang nhập {ref[-40:]}")
        elif self.n % 100 == 0:
            sys.stderr.write(f"  {self.n} thư đã xử lý\n")


@command("import")
def import_(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.pipeline import process_pending
    from ingestd.services import open_services
    from ingestd.sources.files import FileTree
    from ingestd.sources.intake import store_incoming

    with open_services(settings) as svc:
        with _Progress() as progress:
            summary = store_incoming(svc.store, FileTree(args.paths, settings.timezone),
                                     progress.step)
        processed = process_pending(svc)
    write(f"Nhập xong: {summary.new} mới, {summary.already} đã có, "
          f"{len(summary.failed)} lỗi.")
    if processed.processed:
        states = ", ".join(f"{n} {STATE_VI.get(s, s)}" for s, n in
                           sorted(processed.by_state.items()))
        write(f"Đã đọc và đối chiếu {processed.processed} thư: {states}.")
    for ref, reason in summary.failed:
        write(f"  lỗi: {ref}: {reason}")
    return 1 if summary.failed and not (summary.new or summary.already) else 0


@command("reprocess")
def reprocess_cmd(args: argparse.Namespace, settings: Settings) -> int:
    from ingestd.pipeline import process_pending, reprocess
    from ingestd.services import open_services

    with open_services(settings) as svc:
        pending = process_pending(svc)
        result = reprocess(svc, reread=args.reread)
    states = ", ".join(f"{n} {STATE_VI.get(s, s)}" for s, n in sorted(result.by_state.items()))
    write(f"Đã đối chiếu lại {result.processed + pending.processed} thư: {states or '0'}.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """This module's sub-commands and their arguments."""
    sub.add_parser("check", help="validate config and rules")
    s = sub.add_parser("import", help="store and process .eml, mbox, Maildir, edXML files")
    s.add_argument("paths", nargs="+", type=Path)
    s = sub.add_parser("reprocess", help="re-match all stored receipts with the current rules")
    s.add_argument("--reread", action="store_true", help="read the raw messages again too")
