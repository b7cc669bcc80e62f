"""Wiring: build the objects a command needs from Settings. Nothing here is global."""

from __future__ import annotations

from dataclasses import dataclass

from ingestd.calendar import WorkCalendar
from ingestd.config import Settings
from ingestd.errors import RulesError
from ingestd.logs import get_logger
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

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_services(settings: Settings, rules: Rulebook | None = None,
                  rules_required: bool = True) -> Services:
    """``rules_required=False`` is for commands that only read the register (receipts,
    explain, health): they keep working while an admin is fixing a broken rules file."""
    if rules is None:
        try:
            rules = load_rules(settings.rules_dir)
        except RulesError as exc:
            if rules_required:
                raise
            get_logger("ingestd").warning(
                "rules have errors; showing the register only", problems=len(exc.problems))
            rules = Rulebook(units={}, groups={}, directives=())
    store = Store(settings.database_url, BlobStore(settings.store_dir))
    return Services(settings, rules, WorkCalendar(settings.timezone, rules.calendar), store)
