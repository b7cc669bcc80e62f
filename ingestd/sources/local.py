"""Sources that need no server: a Maildir the local MTA delivers to, and the e-document
gateway's drop folder (edxml-dir)."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from ingestd.config import GatewayInbox, MaildirSource
from ingestd.errors import ParseError, SourceError
from ingestd.read.edxml import parse_tree, trace_time
from ingestd.sources.files import Incoming, Refused, iter_maildir, read_regular
from ingestd.sources.intake import IngestSummary, store_incoming, store_one
from ingestd.store.repo import Store, rid

log = structlog.get_logger("ingestd.sources")


@dataclass
class PollResult:
    new: int = 0
    already: int = 0
    failed: int = 0


def poll_maildir(src: MaildirSource, store: Store) -> PollResult:
    key = f"maildir:{src.name}"
    if not src.path.is_dir():
        raise SourceError(f"Maildir {src.path} does not exist")
    summary = store_incoming(store, key, iter_maildir(src.path, skip=store.source_refs(key)))
    return PollResult(summary.new, summary.already, len(summary.failed))


_SUFFIXES = (".edxml", ".xml")


def _unique(target: Path) -> Path:
    if not target.exists():
        return target
    stem, suffix = target.stem, target.suffix
    for i in range(1, 10000):
        candidate = target.with_name(f"{stem}.{i}{suffix}")
        if not candidate.exists():
            return candidate
    raise SourceError(f"too many files named {target.name}")


def _settled(path: Path, settle: float, now: float) -> bool:
    """A file still being written (recent mtime) is left for the next poll."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return True                     # refused at once, with its reason
    return now - st.st_mtime >= settle and st.st_size > 0


def _move_failed(path: Path, folder: Path, reason: str) -> None:
    """To failed/ with a .reason.txt beside it. A link is moved as a link: its target is
    never touched."""
    target = _unique(folder / path.name)
    os.replace(path, target)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")


def poll_gateway(src: GatewayInbox, store: Store, tz: ZoneInfo, max_bytes: int) -> PollResult:
    """Store each settled edXML drop, then move it to processed/ (or failed/ + reason).

    The receipt time is the latest trace hop written by a trusted organ (the gateway's own, see
    ``trace_time``), else the file's modification time, written by our gateway client when it
    received the package -- never a timestamp the sending unit wrote itself."""
    key = f"gateway:{src.name}"
    inbox = src.path
    if not inbox.is_dir():
        raise SourceError(f"gateway folder {inbox} does not exist")
    processed, failed = inbox / "processed", inbox / "failed"
    processed.mkdir(exist_ok=True)
    failed.mkdir(exist_ok=True)
    summary = IngestSummary()
    now = time.time()
    for path in sorted(inbox.iterdir()):
        if (path.name.startswith(".") or path.name in ("processed", "failed")
                or path.suffix.lower() not in _SUFFIXES
                or not _settled(path, src.settle_seconds, now)):
            continue
        try:
            raw = read_regular(path, max_bytes=max(max_bytes, 1) * 4)
        except Refused as exc:
            _move_failed(path, failed, str(exc))
            summary.failed.append((path.name, str(exc)))
            log.warning("gateway file refused: moved to failed/", source=key, ref=path.name,
                        reason=str(exc))
            continue
        reason = None
        received = None
        if len(raw) <= max_bytes:
            try:
                received = trace_time(parse_tree(raw), tz, src.trusted_organ_ids or None)
            except ParseError as exc:
                reason = str(exc)
        if received is None:
            received = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
        added = store_one(store, key, Incoming(raw, received, path.name), summary)
        if added is None:
            continue                   # not stored: the file stays for the next poll
        if reason:
            _move_failed(path, failed, f"{reason}\nreceipt: {rid(added.id)}")
            summary.failed.append((path.name, reason))
            log.warning("edXML malformed: moved to failed/", source=key, ref=path.name,
                        reason=reason, receipt=rid(added.id))
        else:
            os.replace(path, _unique(processed / path.name))
    return PollResult(summary.new, summary.already, len(summary.failed))
