"""Building outgoing messages. Rule text (unit names, titles) is data: a CR or LF in anything
that goes into a header is refused, so no header can be injected."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from ingestd.errors import DeliveryError


def safe_header(value: str, what: str) -> str:
    if "\r" in value or "\n" in value or "\0" in value:
        raise DeliveryError(f"{what} contains a line break; refusing to build a header from it")
    return " ".join(value.split())


def message_id_for(key: str, from_addr: str) -> str:
    domain = parseaddr(from_addr)[1].rsplit("@", 1)[-1] or "ingestd.local"
    return f"<ingestd.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build(from_addr: str, to: list[str], cc: list[str], subject: str, text: str,
          html: str | None, message_id: str, date: datetime,
          attachments: list[tuple[str, bytes, str]] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = safe_header(from_addr, "from")
    msg["To"] = ", ".join(safe_header(a, "recipient") for a in to)
    if cc:
        msg["Cc"] = ", ".join(safe_header(a, "recipient") for a in cc)
    msg["Subject"] = safe_header(subject, "subject")
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(date)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Mailer"] = "ingestd"
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, data, ctype in attachments or []:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg

