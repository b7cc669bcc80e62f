"""A Maildir the local MTA delivers to. Messages stay where they are (the MTA and mail clients
own the folder); one already stored is known by its unique name and not read again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ingestd.errors import SourceError
from ingestd.sources.base import Item, Stored, batched
from ingestd.sources.files import iter_maildir
from ingestd.sources.keys import source_key
from ingestd.sources.maildir_config import MaildirSource
from ingestd.store.repo import Store


def poller(src: MaildirSource, settings: Any, store: Store) -> MaildirFolder:
    return MaildirFolder(src, store)


class MaildirFolder:
    health = True

    def __init__(self, src: MaildirSource, store: Store):
        self.src, self.store = src, store
        self.key = source_key("maildir", src.name)

    def batches(self) -> Iterator[list[Item]]:
        if not self.src.path.is_dir():
            raise SourceError(f"Maildir {self.src.path} does not exist")
        return batched(iter_maildir(self.src.path, skip=self.store.source_refs(self.key)))

    def settle(self, stored: list[Stored]) -> None:
        return None                 # an unstored message has no row: it is offered again
