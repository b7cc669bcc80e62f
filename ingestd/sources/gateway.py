"""The e-document gateway's drop folder (edXML packages written by the gateway client).

Each settled file is stored, then moved to processed/ (or failed/ with a .reason.txt beside
it). The receipt time is the latest trace hop written by a trusted organ (the gateway's own,
see ``trace_time``), else the file's modification time, written by our gateway client when it
received the package -- never a timestamp the sending unit wrote itself.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ingestd.errors import ParseError, SourceError
from ingestd.logs import get_logger
from ingestd.read.edxml import parse_tree, trace_time
from ingestd.sources.base import Broken, Incoming, Item, Stored
from ingestd.sources.gateway_config import GatewayInbox
from ingestd.sources.keys import source_key
from ingestd.store.ids import rid
from ingestd.store.repo import Store

log = get_logger("ingestd.sources")
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


def _move(path: Path, target: Path) -> bool:
    """Move a settled file; False when it is gone already: another node sharing this folder
    and the database stored the same file and settled it first (the store has it once, by its
    hash), which is not a fault."""
    try:
        os.replace(path, target)
    except FileNotFoundError:
        if os.path.lexists(path):          # the file is there: processed/ or failed/ is not
            raise
        log.info("gateway file already settled by another node", file=path.name)
        return False
    return True


def _move_failed(path: Path, folder: Path, reason: str) -> None:
    """To failed/ with a .reason.txt beside it. A link is moved as a link: its target is
    never touched."""
    target = _unique(folder / path.name)
    if not _move(path, target):
        return
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")


def poller(src: GatewayInbox, settings: Any, store: Store) -> GatewayFolder:
    return GatewayFolder(src, settings.timezone, settings.limits.max_message_bytes)


class GatewayFolder:
    health = True

    def __init__(self, src: GatewayInbox, tz: ZoneInfo, max_bytes: int):
        self.src, self.tz, self.max_bytes = src, tz, max_bytes
        self.key = source_key("gateway", src.name)
        self.inbox = src.path
        self.processed, self.failed = self.inbox / "processed", self.inbox / "failed"
        self._malformed: dict[str, str] = {}        # ref -> why the package cannot be parsed

    def batches(self) -> Iterator[list[Item]]:
        if not self.inbox.is_dir():
            raise SourceError(f"gateway folder {self.inbox} does not exist")
        self.processed.mkdir(exist_ok=True)
        self.failed.mkdir(exist_ok=True)
        now = time.time()
        for path in sorted(self.inbox.iterdir()):
            if (path.name.startswith(".") or path.name in ("processed", "failed")
                    or path.suffix.lower() not in _SUFFIXES
                    or not _settled(path, self.src.settle_seconds, now)):
                continue
            yield [self._item(path)]      # one file a batch: each is moved once it is stored

    def _item(self, path: Path) -> Item:
        from ingestd.sources.files import Refused, read_regular

        try:
            raw = read_regular(path, max_bytes=max(self.max_bytes, 1) * 4)
        except Refused as exc:
            return Broken(path.name, str(exc))
        received = None
        if len(raw) <= self.max_bytes:
            try:
                received = trace_time(parse_tree(raw), self.tz, self.src.trusted_organ_ids or None)
            except ParseError as exc:
                self._malformed[path.name] = str(exc)
        if received is None:
            received = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
        return Incoming(raw, received, path.name)

    def settle(self, stored: list[Stored]) -> None:
        for item, added in stored:
            path = self.inbox / item.ref
            if isinstance(item, Broken):
                _move_failed(path, self.failed, item.reason)
                log.warning("gateway file refused: moved to failed/", source=self.key,
                            ref=item.ref, reason=item.reason)
            elif added is None:
                continue                   # not stored: the file stays for the next poll
            elif item.ref in self._malformed:
                reason = self._malformed.pop(item.ref)
                _move_failed(path, self.failed, f"{reason}\nreceipt: {rid(added.id)}")
                log.warning("edXML malformed: moved to failed/", source=self.key, ref=item.ref,
                            reason=reason, receipt=rid(added.id))
            else:
                _move(path, _unique(self.processed / item.ref))
