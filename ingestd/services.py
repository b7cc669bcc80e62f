"""Wiring: build the objects a command needs from Settings. Nothing here is global."""

from __future__ import annotations

from dataclasses import dataclass

from ingestd.calendar import WorkCalendar
from ingestd.config import Settings
from ingestd.rules import Rulebook, load_rules
from ingestd.store.blobs import BlobStore
from ingestd.store.repo import Store


@dataclass
class Services:
    settings: Settings
    rules: Rulebook
    calendar: WorkCalendar
    store: Store

    def close(self) -> None:
        self.store.close()


def open_services(settings: Settings, rules: Rulebook | None = None) -> Services:
    rules = rules or load_rules(settings.rules_dir)
    store = Store(settings.database_url, BlobStore(settings.store_dir))
    return Services(settings, rules, WorkCalendar(settings.timezone, rules.calendar), store)
