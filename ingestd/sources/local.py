"""Sources that need no server: a Maildir the local MTA delivers to, and the e-document
gateway's drop folder (edxml-dir)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from ingestd.config import GatewayInbox, MaildirSource
from ingestd.errors import ParseError, SourceError
from ingestd.read.edxml import parse_tree, trace_time
from ingestd.sources.files import Incoming, iter_maildir
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
    known = store.source_refs(key)
    result = PollResult()
    for item in iter_maildir(src.path, skip=known):
        if not isinstance(item, Incoming):
            result.failed += 1
            log.warning("maildir file unreadable", source=key, ref=item.ref, reason=item.reason)
            continue
        added = store.add_raw(key, item.raw, item.received_at, item.ref)
        if added.created:
            result.new += 1
            log.info("stored", receipt=rid(added.id), source=key, ref=item.ref)
        else:
            result.already += 1
    return result


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
        st = path.stat()
    except FileNotFoundError:
        return False
    return now - st.st_mtime >= settle and st.st_size > 0


def poll_gateway(src: GatewayInbox, store: Store, tz: ZoneInfo) -> PollResult:
    """Store each settled edXML drop, then move it to processed/ (or failed/ + reason)."""
    key = f"gateway:{src.name}"
    inbox = src.path
    if not inbox.is_dir():
        raise SourceError(f"gateway folder {inbox} does not exist")
    processed, failed = inbox / "processed", inbox / "failed"
    processed.mkdir(exist_ok=True)
    failed.mkdir(exist_ok=True)
    result = PollResult()
    now = time.time()
    for path in sorted(inbox.iterdir()):
        if (not path.is_file() or path.name.startswith(".") or path.suffix.lower()
                not in _SUFFIXES or not _settled(path, src.settle_seconds, now)):
            continue
        raw = path.read_bytes()
        reason = None
        try:
            received = trace_time(parse_tree(raw), tz)
        except ParseError as exc:
            received, reason = None, str(exc)
        if received is None:
            received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        added = store.add_raw(key, raw, received, path.name)   # raw stored before the move
        if added.created:
            result.new += 1
            log.info("stored", receipt=rid(added.id), source=key, ref=path.name)
        else:
            result.already += 1
        if reason:
            target = _unique(failed / path.name)
            os.replace(path, target)
            target.with_name(target.name + ".reason.txt").write_text(
                f"{reason}\nreceipt: {rid(added.id)}\n", encoding="utf-8")
            result.failed += 1
            log.warning("edXML malformed: moved to failed/", source=key, ref=path.name,
                        reason=reason, receipt=rid(added.id))
        else:
            os.replace(path, _unique(processed / path.name))
    return result
