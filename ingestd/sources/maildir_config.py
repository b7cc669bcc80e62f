"""A Maildir's settings (``[[maildir]]``, where the local MTA delivers): its parse function and
its kind of source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingestd.sources.keys import SourceKind, source_key
from ingestd.tomlfile import Table


@dataclass(frozen=True)
class MaildirSource:
    name: str
    path: Path


def parse(t: Table, name: str, base: Path) -> MaildirSource:
    return MaildirSource(name, base / (t.get("path", str, required=True) or "."))


KIND = SourceKind(
    name="maildir", field="maildirs", parse=parse, allowed=frozenset({"name", "path"}),
    keys=lambda m: [source_key("maildir", m.name)],
    poller="ingestd.sources.maildir:poller")
