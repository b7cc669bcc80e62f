"""The error hierarchy. The CLI maps these to exit codes; nothing else is shown to users."""

from __future__ import annotations

from dataclasses import dataclass


class IngestdError(Exception):
    """Base of every error a user may see. The message says what is wrong and what to do."""


@dataclass(frozen=True)
class Problem:
    """One finding in a config or rules file."""

    file: str
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class ConfigError(IngestdError):
    """config.toml is wrong; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RulesError(ConfigError):
    """rules/*.toml are wrong; carries every problem found."""


class SourceError(IngestdError):
    """A mail source (IMAP, Maildir, gateway, file) failed."""


class TransientSourceError(SourceError):
    """A source failed in a way that a retry may fix (network, server restart)."""


class ParseError(IngestdError):
    """A message or attachment could not be read."""


class DeliveryError(IngestdError):
    """Outgoing mail could not be delivered."""


class TransientDeliveryError(DeliveryError):
    """Delivery failed in a way that a retry may fix (4xx, connection refused)."""


class NotFoundError(IngestdError):
    """A receipt, unit, report or period named on the command line does not exist."""


class DecisionError(IngestdError):
    """A clerk's decision cannot be made as asked (the message says what to do instead)."""


def one_line(exc: BaseException | str, limit: int = 500) -> str:
    """An error as one short line for a log or a health row: the database's errors keep their
    class name (which kind of outage), the others their message."""
    if isinstance(exc, str):
        text = exc
    elif type(exc).__module__.startswith("sqlalchemy") or not str(exc):
        text = f"{type(exc).__name__}: {exc}"
    else:
        text = str(exc)
    return " ".join(text.split())[:limit]
