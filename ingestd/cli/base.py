"""What every command module shares, and nothing heavy: the parser class, the usage error,
the registry of handlers, ``--at``. Importing a command module must cost almost nothing, so
``ingestd --help`` answers at once; a handler imports what it needs when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

Handler = Callable[[argparse.Namespace, Any], int]
COMMANDS: dict[str, Handler] = {}


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def command(name: str) -> Callable[[Handler], Handler]:
    """Register the handler of sub-command ``name`` (its parser is made by the module's
    ``register``)."""
    def deco(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn
    return deco


def parse_at(text: str | None, tz: ZoneInfo, flag: str = "--at") -> datetime:
    """--at: an ISO datetime (local time when no offset) or a date (the end of that day)."""
    from ingestd import moments

    if not text:
        return datetime.now(tz)
    try:
        return moments.parse_at(text, tz, flag)
    except moments.MomentError as exc:
        raise UsageError(str(exc)) from None
