"""config.toml -> one frozen, typed ``Settings`` object. Passed down; never global.

Secrets are never in the file nor in ``Settings``: only the name of an environment variable or
of a file that holds them, read at the moment of connecting (``Secret.reveal``).
"""

from __future__ import annotations

import email.utils
import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingestd.config_values import Secret, secret_of, security_of
from ingestd.errors import ConfigError
from ingestd.read.limits import PDF_TEXT_ENGINES, ReadLimits
from ingestd.sender_trust import Trust
from ingestd.sources.gateway_config import GatewayInbox
from ingestd.sources.imap_config import ImapAccount
from ingestd.sources.kinds import kinds
from ingestd.sources.maildir_config import MaildirSource
from ingestd.tomlfile import Table, TomlFile

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str | None
    password: Secret
    from_addr: str
    timeout_seconds: int = 30
    max_per_run: int = 200
    retry_seconds: int = 60     # first retry after a temporary failure; doubles, capped at 1 h


@dataclass(frozen=True)
class DigestSettings:
    time: str = "07:30"
    to: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuarterlySettings:
    day: int = 5            # working day of the month after a quarter on which it is generated
    to: tuple[str, ...] = ()
    issuer: str = "UBND TỈNH"          # the header block of the DOCX
    office: str = "VĂN PHÒNG"
    place: str = ""


@dataclass(frozen=True)
class OfficeSettings:
    """Who the Office is: every province-specific text of reminders, the digest and the
    quarterly report comes from here (``[office]``), never from the code or the templates."""

    province: str = ""                   # e.g. Hà Giang
    issuer: str = "UBND TỈNH"            # e.g. UBND TỈNH HÀ GIANG (the header block)
    office: str = "VĂN PHÒNG"
    name: str = "Văn phòng UBND tỉnh"    # how letters name the Office in a sentence
    place: str = ""                      # e.g. Hà Giang (", ngày ... tháng ...")
    legal_basis: str = ""                # the document that orders the tracking (Chỉ thị số ...)
    signer_title: tuple[str, ...] = ("KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG")
    signer_name: str = ""
    number_notation: str = "BC-VP"
    recipients: tuple[str, ...] = ("- Lãnh đạo UBND tỉnh;", "- Ban Thi đua – Khen thưởng;",
                                   "- Các cơ quan, đơn vị;", "- Lưu: VT.")

    def missing(self) -> list[str]:
        """Keys an admin should fill for documents that name the province and its basis."""
        return [k for k in ("province", "place", "legal_basis")
                if not getattr(self, k)] + (["issuer"] if self.issuer == "UBND TỈNH" else [])


@dataclass(frozen=True)
class AcknowledgeSettings:
    """``[acknowledge]``: a biên nhận mail to the unit when its report is counted."""

    enabled: bool = False
    to_sender: bool = True        # the verified sender; else (and for clerks' assignments) remind_to
    within_days: int = 3          # only receipts this recent (a backfill sends nothing)


@dataclass(frozen=True)
class WebSettings:
    """The web console (``ingestd web``)."""

    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""                      # https://... when behind a proxy: cookies Secure
    session_hours: float = 12.0
    trusted_proxy: tuple[str, ...] = ()     # addresses whose user header is believed
    proxy_user_header: str = "X-Remote-User"
    login_attempts: int = 5                 # failed logins per name within login_window
    login_window_minutes: int = 15
    header_timeout_seconds: float = 10.0    # a request's headers must arrive within this
    body_timeout_seconds: float = 30.0      # ... and its body within this after them


@dataclass(frozen=True)
class Settings:
    config_path: Path
    timezone: ZoneInfo
    rules_dir: Path
    database_url: str
    store_dir: Path
    outbox_dir: Path
    imap: tuple[ImapAccount, ...] = ()
    gateways: tuple[GatewayInbox, ...] = ()
    maildirs: tuple[MaildirSource, ...] = ()
    smtp: SmtpSettings | None = None
    digest: DigestSettings = field(default_factory=DigestSettings)
    quarterly: QuarterlySettings = field(default_factory=QuarterlySettings)
    authserv_id: str | None = None          # the first of trust.authserv_ids
    trust: Trust = field(default_factory=Trust)
    limits: ReadLimits = field(default_factory=ReadLimits)
    web: WebSettings = field(default_factory=WebSettings)
    office: OfficeSettings = field(default_factory=OfficeSettings)
    acknowledge: AcknowledgeSettings = field(default_factory=AcknowledgeSettings)
    heartbeat_minutes: int = 30
    workers: int = 2
    from_address: str = "Văn phòng UBND tỉnh <vanthu@localhost>"

    @property
    def base_dir(self) -> Path:
        return self.config_path.parent

    @property
    def has_outgoing(self) -> bool:
        """An IMAP folder or gateway folder of what the Office sends is configured."""
        return any(getattr(e, "outgoing", False) for k in kinds() for e in getattr(self, k.field))


def default_config_path() -> Path:
    return Path(os.environ.get("INGESTD_CONFIG", "config.toml"))


def _addresses(t: Table, key: str, values: list[str]) -> tuple[str, ...]:
    """Mail addresses go into headers: one line each, and an address in each."""
    for v in values:
        if "\r" in v or "\n" in v:
            t.problem(key, f"{key} = {v!r} có dấu xuống dòng (line break)", "viết mỗi địa chỉ trên một dòng")
        elif "@" not in email.utils.parseaddr(v)[1]:
            t.problem(key, f'{key} = "{v}" không phải địa chỉ thư điện tử',
                      'viết ví dụ "tonghop@example.gov.vn" hoặc "Tên <tonghop@example.gov.vn>"')
    return tuple(values)


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate config.toml. Raises ``ConfigError`` listing every problem."""
    path = (path or default_config_path()).resolve()
    tf = TomlFile.load(path)
    if tf.data is None:
        raise ConfigError(tf.problems)
    base = path.parent
    top = Table(tf, (), tf.data, {
        "timezone", "rules_dir", "database_url", "store_dir", "outbox_dir", *(k.name for k in kinds()),
        "smtp", "digest", "trust", "reading", "heartbeat_minutes", "workers",
        "quarterly_report", "from_address", "web", "office", "acknowledge", "signatures"})

    tzname = top.get("timezone", str, "Asia/Ho_Chi_Minh")
    try:
        tz = ZoneInfo(tzname)
    except (ZoneInfoNotFoundError, ValueError):
        top.problem("timezone", f'múi giờ không hợp lệ "{tzname}"', 'dùng ví dụ "Asia/Ho_Chi_Minh"')
        tz = ZoneInfo("Asia/Ho_Chi_Minh")

    db = top.get("database_url", str, "sqlite:///var/ingestd.db")
    if not re.match(r"^(sqlite|postgresql(\+psycopg)?)://", db):
        top.problem("database_url", f'database_url = "{db}" không được hỗ trợ',
                    'dùng "sqlite:///var/ingestd.db" hoặc "postgresql+psycopg://user@host/db"')
    database_url = _resolve_sqlite(db, base)

    names: set[str] = set()

    def unique_name(t: Table, kind: str) -> str:
        name = t.get("name", str, required=True) or f"{kind}?"
        if name in names:
            t.problem("name", f'tên nguồn "{name}" bị dùng hai lần', "mỗi nguồn cần một tên riêng")
        names.add(name)
        return name

    entries: dict[str, list[object]] = {}
    for kind in kinds():
        entries[kind.field] = []
        for i, raw in enumerate(top.tables(kind.name)):
            t = Table(tf, (kind.name, i), raw, set(kind.allowed))
            entries[kind.field].append(kind.parse(t, unique_name(t, kind.name), base))

    smtp = None
    if "smtp" in tf.data:
        t = Table(tf, ("smtp",), tf.data["smtp"], {
            "host", "port", "security", "username", "password_env", "password_file", "from",
            "timeout_seconds", "max_per_run", "retry_seconds"})
        host = t.get("host", str, required=True) or ""
        sec = security_of(t, host)
        from_addr = t.get("from", str, required=True) or ""
        if from_addr:
            _addresses(t, "from", [from_addr])
        smtp = SmtpSettings(
            host=host, port=t.get("port", int, {"tls": 465, "starttls": 587}.get(sec, 25)),
            security=sec, username=t.get("username", str), password=secret_of(t, base),
            from_addr=from_addr, timeout_seconds=t.get("timeout_seconds", int, 30),
            max_per_run=t.get("max_per_run", int, 200),
            retry_seconds=max(1, t.get("retry_seconds", int, 60)))

    digest = DigestSettings()
    if "digest" in tf.data:
        t = Table(tf, ("digest",), tf.data["digest"], {"time", "to"})
        time = t.get("time", str, "07:30")
        if not _TIME.match(time):
            t.problem("time", f'time = "{time}" không phải giờ trong ngày', 'viết dạng "07:30"')
            time = "07:30"
        digest = DigestSettings(time=time, to=_addresses(t, "to", t.str_list("to")))

    quarterly = QuarterlySettings()
    if "quarterly_report" in tf.data:
        t = Table(tf, ("quarterly_report",), tf.data["quarterly_report"],
                  {"day", "to", "issuer", "office", "place"})
        day = t.get("day", int, 5)
        if not 1 <= day <= 20:
            t.problem("day", f"day = {day} không phải ngày làm việc trong tháng", "dùng 1..20")
        quarterly = QuarterlySettings(day=day, to=_addresses(t, "to", t.str_list("to")),
                                      issuer=t.get("issuer", str, "UBND TỈNH"),
                                      office=t.get("office", str, "VĂN PHÒNG"),
                                      place=t.get("place", str, ""))

    trust = Trust()
    if "trust" in tf.data:
        t = Table(tf, ("trust",), tf.data["trust"], {"authserv_id", "received_hops"})
        raw_ids = tf.data["trust"].get("authserv_id")       # type: ignore[union-attr]
        ids = t.str_list("authserv_id") if isinstance(raw_ids, list) else [t.get("authserv_id", str) or ""]
        hops = t.get("received_hops", int, 1)
        if not 1 <= hops <= 5:
            t.problem("received_hops", f"received_hops = {hops} không hợp lệ",
                      "số tiêu đề Received do máy chủ thư của cơ quan thêm vào: 1 (Postfix giao "
                      "thẳng vào Maildir) hoặc 2 (thêm Dovecot LMTP)")
            hops = 1
        trust = Trust(tuple(i.strip().lower() for i in ids if i and i.strip()), hops)
    authserv = trust.authserv_ids[0] if trust.authserv_ids else None

    limits = ReadLimits()
    if "reading" in tf.data:
        fields = [k for k in ReadLimits.__dataclass_fields__ if k != "trust_roots"]
        t = Table(tf, ("reading",), tf.data["reading"], set(fields))
        values = {}
        for key in fields:
            default = getattr(limits, key)
            v = t.get(key, type(default), default) if not isinstance(default, float) else float(
                t.get(key, (int, float), default))  # type: ignore[arg-type]
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v <= 0:
                t.problem(key, f"{key} phải lớn hơn 0")
                v = default
            values[key] = v
        if values["pdf_text"] not in PDF_TEXT_ENGINES:
            t.problem("pdf_text", f"pdf_text = {values['pdf_text']!r} không hợp lệ — viết "
                                  + " hoặc ".join(f'"{e}"' for e in PDF_TEXT_ENGINES))
            values["pdf_text"] = ReadLimits.pdf_text
        limits = ReadLimits(**values)

    web = WebSettings()
    if "web" in tf.data:
        t = Table(tf, ("web",), tf.data["web"], set(WebSettings.__dataclass_fields__))
        base_url = t.get("base_url", str, "")
        if base_url and not re.match(r"^https?://[^\s/]+", base_url):
            t.problem("base_url", f'base_url = "{base_url}" không phải địa chỉ web',
                      'viết ví dụ "https://ingestd.example.gov.vn"')
        proxies = t.str_list("trusted_proxy")
        for p in proxies:
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError:
                t.problem("trusted_proxy", f'"{p}" không phải địa chỉ IP hoặc dải mạng',
                          'viết ví dụ ["127.0.0.1"]')
        web = WebSettings(
            host=t.get("host", str, "127.0.0.1"), port=t.get("port", int, 8080),
            base_url=base_url.rstrip("/"), session_hours=float(t.get("session_hours", (int, float), 12)),
            trusted_proxy=tuple(proxies),
            proxy_user_header=t.get("proxy_user_header", str, "X-Remote-User"),
            login_attempts=max(1, t.get("login_attempts", int, 5)),
            login_window_minutes=max(1, t.get("login_window_minutes", int, 15)),
            header_timeout_seconds=max(0.5, float(t.get("header_timeout_seconds", (int, float), 10))),
            body_timeout_seconds=max(0.5, float(t.get("body_timeout_seconds", (int, float), 30))))

    if "signatures" in tf.data:
        t = Table(tf, ("signatures",), tf.data["signatures"], {"roots"})
        limits = replace(limits, trust_roots=_trust_roots(t, base, t.str_list("roots")))
    office = _office(tf, quarterly)
    acknowledge = AcknowledgeSettings()
    if "acknowledge" in tf.data:
        t = Table(tf, ("acknowledge",), tf.data["acknowledge"], {"enabled", "to_sender", "within_days"})
        acknowledge = AcknowledgeSettings(t.get("enabled", bool, False), t.get("to_sender", bool, True),
                                          max(1, t.get("within_days", int, 3)))
    from_address = top.get("from_address", str, "Văn phòng UBND tỉnh <vanthu@localhost>")
    _addresses(top, "from_address", [from_address])
    if tf.problems:
        raise ConfigError(tf.problems)
    return Settings(
        config_path=path, timezone=tz,
        rules_dir=base / top.get("rules_dir", str, "rules"),
        database_url=database_url,
        store_dir=base / top.get("store_dir", str, "var/store"),
        outbox_dir=base / top.get("outbox_dir", str, "var/outbox"),
        **{field: tuple(values) for field, values in entries.items()},  # type: ignore[arg-type]
        smtp=smtp,
        digest=digest, quarterly=quarterly, authserv_id=authserv, trust=trust, limits=limits, web=web,
        office=office, acknowledge=acknowledge,
        heartbeat_minutes=top.get("heartbeat_minutes", int, 30),
        from_address=smtp.from_addr if smtp else from_address,
        workers=max(1, top.get("workers", int, min(4, os.cpu_count() or 1))))



def _trust_roots(t: Table, base: Path, patterns: list[str]) -> tuple[bytes, ...]:
    """The pinned roots for digital signatures: PEM or DER files (globs, relative to the
    config). The operating system's store is never used."""
    from cryptography import x509

    out: list[bytes] = []
    for pattern in patterns:
        files = sorted(base.glob(pattern)) if not Path(pattern).is_absolute() else sorted(
            Path(pattern).parent.glob(Path(pattern).name))
        if not files:
            t.problem("roots", f'roots: "{pattern}" không khớp tệp nào', "kiểm tra đường dẫn",
                      pattern)
        for f in files:
            data = f.read_bytes()
            try:
                certs = (x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data
                         else [x509.load_der_x509_certificate(data)])
            except ValueError:
                t.problem("roots", f"{f.name} không phải chứng thư số (PEM hoặc DER)",
                          "dùng tệp .pem của chứng thư gốc", pattern)
                continue
            from cryptography.hazmat.primitives.serialization import Encoding

            out.extend(c.public_bytes(Encoding.DER) for c in certs)
    return tuple(out)


def _office(tf: TomlFile, quarterly: QuarterlySettings) -> OfficeSettings:
    """``[office]``; the older ``[quarterly_report] issuer/office/place`` still count."""
    d = replace(OfficeSettings(), issuer=quarterly.issuer, office=quarterly.office,
                place=quarterly.place)
    assert tf.data is not None
    if "office" not in tf.data:
        return d
    keys = set(OfficeSettings.__dataclass_fields__)
    t = Table(tf, ("office",), tf.data["office"], keys)
    values: dict[str, object] = {}
    for key in keys:
        default = getattr(d, key)
        if isinstance(default, tuple):
            raw = t.data.get(key)
            lines = [raw] if isinstance(raw, str) else t.str_list(key, list(default))
            values[key] = tuple(line for part in lines for line in str(part).split("\n"))
        else:
            value = t.get(key, str, default)
            if "\n" in value or "\r" in value:
                t.problem(key, f"{key} có dấu xuống dòng", "viết trên một dòng")
            values[key] = value
    return OfficeSettings(**values)  # type: ignore[arg-type]


def _resolve_sqlite(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix):]).resolve())
    return url
