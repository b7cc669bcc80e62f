"""Messages from files: .eml, mbox, Maildir folders and edXML drops.

Receipt time, as the SPEC orders: a Maildir file's delivery time from its name (else its
modification time); an edXML's latest TraceHeader timestamp (else mtime). For loose .eml and
mbox (backfill), the topmost ``Received:`` header — the time our own server received it — else
the mbox ``From `` line, else the file's modification time. Never the sender's ``Date:``.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import mailbox
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ingestd.errors import ParseError, SourceError
from ingestd.read.edxml import looks_like_edxml, parse_tree, trace_time


@dataclass(frozen=True)
class Incoming:
    raw: bytes
    received_at: datetime          # aware
    ref: str                       # where it came from (file name, UID, ...)


@dataclass(frozen=True)
class Broken:
    ref: str
    reason: str


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def received_header_time(raw: bytes) -> datetime | None:
    try:
        msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
            raw[:262144])
    except Exception:  # noqa: BLE001
        return None
    for value in msg.get_all("Received") or []:
        stamp = str(value).rsplit(";", 1)
        if len(stamp) == 2:
            try:
                dt = email.utils.parsedate_to_datetime(stamp[1].strip())
            except (TypeError, ValueError, IndexError):
                continue
            if dt.tzinfo is not None:
                return dt
    return None


def edxml_time(raw: bytes, tz: ZoneInfo) -> datetime | None:
    try:
        return trace_time(parse_tree(raw), tz)
    except ParseError:
        return None


def read_eml(path: Path, tz: ZoneInfo) -> Incoming:
    raw = path.read_bytes()
    if looks_like_edxml(raw):
        return Incoming(raw, edxml_time(raw, tz) or _mtime(path), path.name)
    return Incoming(raw, received_header_time(raw) or _mtime(path), path.name)


_MAILDIR_TIME = re.compile(r"^(\d{9,11})(?:\.(?:M(\d{1,6}))?)?")


def maildir_time(name: str, path: Path) -> datetime:
    m = _MAILDIR_TIME.match(name)
    if m:
        micro = int(m.group(2)) if m.group(2) else 0
        return datetime.fromtimestamp(int(m.group(1)) + micro / 1e6, UTC)
    return _mtime(path)


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def maildir_files(path: Path) -> Iterator[tuple[str, Path]]:
    """(unique name, file) for every message in new/ and cur/, oldest first."""
    entries = []
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        with os.scandir(folder) as it:
            for e in it:
                if e.is_file() and not e.name.startswith("."):
                    entries.append((e.name.split(":", 1)[0], Path(e.path)))
    entries.sort()
    yield from entries


def iter_maildir(path: Path, skip: set[str] | None = None) -> Iterator[Incoming | Broken]:
    if not is_maildir(path):
        raise SourceError(f"{path} is not a Maildir (it needs cur/ and new/ folders)")
    for unique, file in maildir_files(path):
        if skip and unique in skip:
            continue
        try:
            yield Incoming(file.read_bytes(), maildir_time(file.name, file), unique)
        except OSError as exc:
            yield Broken(str(file), f"cannot read: {exc.strerror}")


def _mbox_from_time(line: str) -> datetime | None:
    parts = line.split(None, 2)
    if len(parts) < 3:
        return None
    try:
        dt = datetime.strptime(" ".join(parts[2].split()[:5]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC)


def iter_mbox(path: Path) -> Iterator[Incoming | Broken]:
    try:
        box = mailbox.mbox(str(path), create=False)
    except (OSError, mailbox.Error) as exc:
        yield Broken(str(path), f"cannot open mbox: {exc}")
        return
    try:
        for i, key in enumerate(box.iterkeys()):
            try:
                msg = box.get_message(key)
                raw = box.get_bytes(key)
            except Exception as exc:  # noqa: BLE001 - one broken entry, the rest goes on
                yield Broken(f"{path.name}#{i + 1}", f"cannot read entry: {exc}")
                continue
            when = (received_header_time(raw) or _mbox_from_time("From " + msg.get_from())
                    or _mtime(path))
            yield Incoming(raw, when, f"{path.name}#{i + 1}")
    finally:
        box.close()


def looks_like_mbox(path: Path) -> bool:
    if path.suffix.lower() in (".mbox", ".mbx"):
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def iter_paths(paths: list[Path], tz: ZoneInfo) -> Iterator[Incoming | Broken]:
    """Everything under the given paths: Maildirs, mbox files, .eml and edXML files."""
    for path in paths:
        if not path.exists():
            yield Broken(str(path), "no such file or folder")
        elif is_maildir(path):
            yield from iter_maildir(path)
        elif path.is_dir():
            children = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            yield from iter_paths(children, tz)
        elif looks_like_mbox(path):
            yield from iter_mbox(path)
        else:
            try:
                yield read_eml(path, tz)
            except OSError as exc:
                yield Broken(str(path), f"cannot read: {exc.strerror}")
