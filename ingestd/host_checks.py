"""What ``check`` and ``health`` can tell about the machine: whether OCR can run, and how the
mail server in front of ingestd treats Authentication-Results headers (when its configuration
files are on this machine and readable). Findings are Vietnamese sentences; nothing here is an
error — ingestd reads only the headers above our own Received line in any case."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

from ingestd.config import Settings


def ocr_warning(settings: Settings) -> str | None:
    if not settings.limits.ocr:
        return None
    exe = shutil.which("tesseract")
    if exe is None:
        return ("[reading] ocr đang bật nhưng máy chưa cài Tesseract: mọi bản scan và ảnh chụp sẽ vào "
                "hàng chờ xem xét — cài: apt-get install tesseract-ocr tesseract-ocr-vie")
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        langs = ""
    if "vie" not in langs.split():
        return ("[reading] ocr đang bật nhưng Tesseract chưa có dữ liệu tiếng Việt: bản scan sẽ đọc "
                "sai dấu hoặc vào hàng chờ — cài: apt-get install tesseract-ocr-vie")
    return None


def _conf(path: Path) -> dict[str, str] | None:
    """``Key value`` lines of an OpenDKIM/OpenDMARC configuration file, keys lower-cased."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition(" ")
            out[key.lower()] = value.strip()
    return out


def _main_cf(path: Path) -> dict[str, str] | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    out: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[:1].isspace() and key:
            out[key] += " " + line.strip()
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        out[key] = value.strip()
    return out


def _yes(value: str | None) -> bool:
    return (value or "").lower() in ("yes", "true", "1", "on")


def _socket_key(socket: str) -> str:
    """OpenDKIM's ``inet:8891@localhost`` and Postfix's ``inet:localhost:8891`` as one key."""
    s = socket.strip().lower()
    if s.startswith("inet:") and "@" in s:
        return f"inet:{s[5:].partition('@')[0]}"
    if s.startswith("inet:"):
        return f"inet:{s.rsplit(':', 1)[-1]}"
    return s.removeprefix("unix:").removeprefix("local:")


def _named(host: str, names: set[str]) -> bool:
    """``host`` is one of OpenDKIM's dataset ``names``: a full host name, or under a
    ``.domain`` entry."""
    return host in names or any(n.startswith(".") and host.endswith(n) for n in names)


def mta_notes(authserv_ids: tuple[str, ...], root: Path = Path("/"),
              hostname: str | None = None) -> list[str]:
    """How this machine's Postfix, OpenDKIM and OpenDMARC treat incoming Authentication-Results
    that claim our authserv-id — when their files are here and readable."""
    dkim = _conf(root / "etc/opendkim.conf")
    dmarc = _conf(root / "etc/opendmarc.conf")
    postfix = _main_cf(root / "etc/postfix/main.cf")
    if dkim is None and dmarc is None and postfix is None:
        return []
    notes, stripped = [], []
    if dkim is not None:
        if _yes(dkim.get("removearall")):
            # it removes the headers of the names in RemoveARFrom, by default this machine's
            named = {n.lower() for n in re.split(r"[,\s]+", dkim.get("removearfrom", "")) if n}
            named = named or {(hostname or socket.getfqdn()).lower()}
            if any(_named(i.lower(), named) for i in authserv_ids):
                stripped.append("OpenDKIM RemoveARAll yes")
            else:
                notes.append(f"OpenDKIM RemoveARAll yes chỉ xóa tiêu đề của {', '.join(sorted(named))}"
                             f" (RemoveARFrom, mặc định là tên máy này): thêm RemoveARFrom "
                             f"{authserv_ids[0] if authserv_ids else '<authserv-id>'}")
        ident = dkim.get("authservid")
        if ident and authserv_ids and ident.lower() not in authserv_ids:
            notes.append(f"OpenDKIM ghi kết quả với AuthservID {ident}, không phải {', '.join(authserv_ids)} "
                         "của [trust] authserv_id: ingestd sẽ không đọc kết quả của nó")
    if postfix is not None:
        checks = postfix.get("header_checks", "")
        table = checks.split(":", 1)[-1].strip() if checks else ""
        if table:
            try:
                rules = (root / table.lstrip("/")).read_text(encoding="utf-8", errors="replace")
            except OSError:
                rules = ""
            if re.search(r"authentication-results.*\b(IGNORE|REJECT)\b", rules, re.I):
                stripped.append(f"Postfix header_checks ({table})")
        if dkim is not None and dmarc is not None:
            milters = [_socket_key(m) for m in re.split(r"[,\s]+", postfix.get("smtpd_milters", "")) if m]
            k, d = _socket_key(dkim.get("socket", "")), _socket_key(dmarc.get("socket", ""))
            if k in milters and d in milters and milters.index(k) > milters.index(d):
                notes.append("Postfix smtpd_milters gọi OpenDMARC trước OpenDKIM: OpenDMARC sẽ đọc cả "
                             "kết quả giả mạo chưa bị xóa — đặt OpenDKIM trước")
    if dmarc is not None and not _yes(dmarc.get("spfignoreresults")):
        notes.append("OpenDMARC chưa đặt SPFIgnoreResults true: nó tin kết quả SPF có sẵn trong thư "
                     "(người gửi có thể viết sẵn spf=pass)")
    elif dmarc is not None and not _yes(dmarc.get("spfselfvalidate")):
        notes.append("OpenDMARC bỏ qua kết quả SPF có sẵn nhưng không tự kiểm tra SPF (SPFSelfValidate "
                     "true): DMARC chỉ dựa vào DKIM")
    if stripped:
        notes.insert(0, "Máy chủ thư xóa Authentication-Results đến: " + "; ".join(stripped))
    else:
        notes.insert(0, "Máy chủ thư không xóa Authentication-Results đến (RemoveARAll, header_checks): "
                        "ingestd chỉ đọc các tiêu đề nằm trên dòng Received của máy chủ thư cơ quan, "
                        "nên vẫn an toàn, nhưng nên bật theo README")
    return notes
