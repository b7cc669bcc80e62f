"""An IMAP account's settings (``[[imap]]``): its parse function and its kind of source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingestd.config_values import Secret, secret_of, security_of
from ingestd.sources.keys import SourceKind, source_key
from ingestd.tomlfile import Table


@dataclass(frozen=True)
class ImapAccount:
    name: str
    host: str
    port: int
    security: str
    username: str
    password: Secret
    folders: tuple[str, ...] = ("INBOX",)
    after_fetch: str = "keep"
    poll_seconds: int = 60
    idle: bool = True
    timeout_seconds: int = 60
    batch_size: int = 50
    outgoing: bool = False      # the Office's own sent mail: read for directives, never receipts


def parse(t: Table, name: str, base: Path) -> ImapAccount:
    host = t.get("host", str, required=True) or ""
    sec = security_of(t, host)
    after = t.get("after_fetch", str, "keep")
    if after not in ("keep", "flag") and not after.startswith("move:"):
        t.problem("after_fetch", f'after_fetch = "{after}" không hợp lệ',
                  'dùng "keep", "flag" hoặc "move:TenThuMuc"')
    outgoing = t.get("outgoing", bool, False)
    if outgoing and after != "keep":
        t.problem("after_fetch", "thư mục thư đi (outgoing = true) chỉ được đọc, không đánh "
                  "dấu hay chuyển thư của Văn phòng", 'bỏ after_fetch hoặc đặt "keep"')
    return ImapAccount(
        name=name, host=host, port=t.get("port", int, 993 if sec == "tls" else 143),
        security=sec, username=t.get("username", str, required=True) or "",
        password=secret_of(t, base), folders=tuple(t.str_list("folders", ["INBOX"])),
        after_fetch=after, poll_seconds=max(1, t.get("poll_seconds", int, 60)),
        idle=t.get("idle", bool, True), timeout_seconds=t.get("timeout_seconds", int, 60),
        batch_size=max(1, t.get("batch_size", int, 50)), outgoing=outgoing)


def folder_key(account: ImapAccount, folder: str) -> str:
    """The source key of an IMAP folder (health, state, the register's ``source``)."""
    return source_key("imap", account.name, folder)


KIND = SourceKind(
    name="imap", field="imap", parse=parse,
    allowed=frozenset({"name", "host", "port", "security", "username", "password_env",
                       "password_file", "folders", "after_fetch", "poll_seconds", "idle",
                       "timeout_seconds", "batch_size", "outgoing"}),
    keys=lambda a: [folder_key(a, f) for f in a.folders],
    poller=None)          # each account has its watcher (sources.imap.ImapWatcher)
