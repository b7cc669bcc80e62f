"""Delivering mail: SMTP (TLS / STARTTLS / plain on loopback) or .eml files in outbox_dir."""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import tempfile
from pathlib import Path
from typing import Protocol

from ingestd.config import SmtpSettings
from ingestd.errors import DeliveryError, TransientDeliveryError


class Transport(Protocol):
    name: str

    def send(self, raw: bytes, sender: str, recipients: list[str], key: str) -> None:
        """Deliver or raise TransientDeliveryError (retry later) / DeliveryError (give up)."""


class SmtpTransport:
    name = "smtp"

    def __init__(self, settings: SmtpSettings):
        self.s = settings

    def send(self, raw: bytes, sender: str, recipients: list[str], key: str) -> None:
        s = self.s
        try:
            if s.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            with client:
                client.ehlo()
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                password = s.password.reveal()
                if s.username and password:
                    client.login(s.username, password)
                refused = client.sendmail(sender, recipients, raw)
                if refused and len(refused) == len(recipients):
                    raise DeliveryError(f"every recipient refused: {refused}")
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code} {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TransientDeliveryError(text) from None
            raise DeliveryError(text) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = {c for c, _ in exc.recipients.values()}
            err = TransientDeliveryError if all(400 <= c < 500 for c in codes) else DeliveryError
            raise err(f"recipients refused: {exc.recipients}") from None
        except OSError as exc:     # refused, reset, timed out, disconnected (SMTPException)
            raise TransientDeliveryError(f"SMTP {s.host}:{s.port}: {exc}") from None


class FileTransport:
    """Without [smtp]: every message becomes ``outbox_dir/<key>.eml`` (written atomically)."""

    name = "file"

    def __init__(self, folder: Path):
        self.folder = folder

    def path_for(self, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
        return self.folder / f"{safe}.eml"

    def send(self, raw: bytes, sender: str, recipients: list[str], key: str) -> None:
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path_for(key))
        except OSError as exc:     # disk full, read-only, permissions: retried like SMTP
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            raise TransientDeliveryError(f"cannot write to {self.folder}: "
                                         f"{exc.strerror or exc}") from None


def transport_for(smtp: SmtpSettings | None, outbox_dir: Path) -> Transport:
    return SmtpTransport(smtp) if smtp else FileTransport(outbox_dir)
