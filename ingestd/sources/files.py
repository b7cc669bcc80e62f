"""Messages from files: .eml, mbox, Maildir folders and edXML drops (``import``; the Maildir
reader is also the ``maildir`` source's).

Receipt time, as the SPEC orders: a Maildir file's delivery time from its name (else its
modification time); an edXML's latest TraceHeader timestamp (else mtime). For loose .eml and
mbox (backfill), the topmost ``Received:`` header — the time our own server received it — else
the mbox ``From `` line, else the file's modification time. Never the sender's ``Date:``.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import errno
import mailbox
import os
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ingestd.errors import ParseError, SourceError
from ingestd.read.edxml import looks_like_edxml, parse_tree, trace_time
from ingestd.sources.base import Broken, Incoming
from ingestd.sources.intake import ItemsSource

MAX_FILE_BYTES = 256 * 1024 * 1024     # a larger "message" is refused, not read into memory


class Refused(Exception):
    """A path that is not read: a link out of a source folder, a FIFO or device, too large.
    The message says why, in words for the person who runs ``import``."""


def read_regular(path: Path, follow: bool = False, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file. Never follows a symbolic link unless ``follow`` (a path
    the user named on the command line); never blocks on a FIFO; never reads a device."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("là liên kết tượng trưng (symlink): không đọc theo liên kết ra ngoài "
                          "thư mục nguồn") from None
        raise Refused(f"không đọc được: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused("không phải tệp thông thường (FIFO, thiết bị hoặc socket): bỏ qua")
        if st.st_size > max_bytes:
            raise Refused(f"tệp {st.st_size} byte, lớn hơn giới hạn {max_bytes} byte: bỏ qua")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise Refused(f"tệp lớn hơn giới hạn {max_bytes} byte: bỏ qua")
        return data
    except OSError as exc:
        raise Refused(f"không đọc được: {exc.strerror}") from None
    finally:
        os.close(fd)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.lstat().st_mtime, UTC)


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


def edxml_time(raw: bytes, tz: ZoneInfo, trusted: frozenset[str] | None = None,
               max_bytes: int | None = None) -> datetime | None:
    """The receipt time the gateway wrote into a package (see ``trace_time``), or None."""
    if max_bytes is not None and len(raw) > max_bytes:
        return None
    try:
        return trace_time(parse_tree(raw), tz, trusted)
    except ParseError:
        return None


def read_eml(path: Path, tz: ZoneInfo, follow: bool = False) -> Incoming:
    raw = read_regular(path, follow=follow)
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
    """(unique name, file) for every message in new/ and cur/, oldest first (the listing is
    kept as strings: a year's Maildir is tens of thousands of names)."""
    entries: list[tuple[str, str]] = []
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        with os.scandir(folder) as it:
            for e in it:      # links and special files too: read_regular refuses them aloud
                if not e.name.startswith(".") and not e.is_dir(follow_symlinks=False):
                    entries.append((e.name.split(":", 1)[0], e.path))
    entries.sort()
    for unique, file in entries:
        yield unique, Path(file)


def iter_maildir(path: Path, skip: set[str] | None = None) -> Iterator[Incoming | Broken]:
    if not is_maildir(path):
        raise SourceError(f"{path} is not a Maildir (it needs cur/ and new/ folders)")
    for unique, file in maildir_files(path):
        if skip and unique in skip:
            continue
        try:
            yield Incoming(read_regular(file), maildir_time(file.name, file), unique)
        except Refused as exc:
            yield Broken(str(file), str(exc))


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
        if not stat.S_ISREG(path.stat().st_mode):
            raise Refused("không phải tệp thông thường (FIFO, thiết bị hoặc socket): bỏ qua")
        box = mailbox.mbox(str(path), create=False)
    except Refused as exc:
        yield Broken(str(path), str(exc))
        return
    except (OSError, mailbox.Error) as exc:
        yield Broken(str(path), f"không mở được hộp thư mbox: {exc}")
        return
    try:
        for i, key in enumerate(box.iterkeys()):
            try:
                msg = box.get_message(key)
                raw = box.get_bytes(key)
            except Exception as exc:  # noqa: BLE001 - one broken entry, the rest goes on
                yield Broken(f"{path.name}#{i + 1}", f"không đọc được thư trong mbox: {exc}")
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
        with path.open("rb") as fh:      # a regular file: iter_paths checked
            return fh.read(5) == b"From "
    except OSError:
        return False


def iter_paths(paths: list[Path], tz: ZoneInfo, named: bool = True) -> Iterator[Incoming | Broken]:
    """Everything under the given paths: Maildirs, mbox files, .eml and edXML files. A path
    named on the command line may be a link; inside a folder, links are not followed."""
    for path in paths:
        if not named and path.is_symlink():
            yield Broken(str(path), "là liên kết tượng trưng (symlink): không đọc theo liên kết "
                                    "ra ngoài thư mục nguồn")
        elif not path.exists():
            yield Broken(str(path), "không có tệp hoặc thư mục này")
        elif is_maildir(path):
            yield from iter_maildir(path)
        elif path.is_dir():
            children = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            yield from iter_paths(children, tz, named=False)
        elif not path.is_file():
            yield Broken(str(path), "không phải tệp thông thường (FIFO, thiết bị hoặc socket): "
                                    "bỏ qua")
        elif looks_like_mbox(path):
            yield from iter_mbox(path)
        else:
            try:
                yield read_eml(path, tz, follow=named)
            except Refused as exc:
                yield Broken(str(path), str(exc))


class FileTree(ItemsSource):
    """The source of ``import``: .eml, mbox, Maildir and edXML files named on the command line
    (nothing to settle: a second import stores nothing new)."""

    def __init__(self, paths: list[Path], tz: ZoneInfo):
        super().__init__("import", iter_paths(paths, tz))
