"""Values several config tables share: where a password lives (``Secret``), and the
connection security a server is reached with (plain text only to loopback)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from ingestd.errors import ConfigError, Problem
from ingestd.tomlfile import Table

SECURITY = ["tls", "starttls", "none"]


@dataclass(frozen=True)
class Secret:
    """Where a password lives. ``repr`` never shows the value."""

    env: str | None = None
    file: Path | None = None

    def reveal(self) -> str | None:
        if self.env:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError([Problem("environment", None,
                                           f"biến môi trường {self.env} chưa được đặt",
                                           f"đặt {self.env}=... hoặc dùng password_file")])
            return value
        if self.file:
            try:
                return self.file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError([Problem(str(self.file), None,
                                           f"không đọc được tệp mật khẩu: {exc.strerror}",
                                           "kiểm tra đường dẫn và quyền đọc của người dùng chạy dịch vụ")]
                                  ) from None
        return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_of(t: Table, base: Path) -> Secret:
    env = t.get("password_env", str)
    pfile = t.get("password_file", str)
    if "password" in t.data:
        t.problem("password", "không ghi mật khẩu trong config.toml",
                  "dùng password_env = \"TEN_BIEN\" hoặc password_file = \"/etc/ingestd/x.pass\"")
    if env and pfile:
        t.problem("password_file", "ghi password_env hoặc password_file, không ghi cả hai")
    return Secret(env=env, file=(base / pfile) if pfile else None)


def security_of(t: Table, host: str | None) -> str:
    sec = t.choice("security", SECURITY, default="tls") or "tls"
    if sec == "none" and host and not is_loopback(host):
        t.problem("security", f'security = "none" gửi mật khẩu không mã hóa tới {host}',
                  'dùng "tls" hoặc "starttls"; "none" chỉ dùng cho 127.0.0.1/localhost')
    return sec
