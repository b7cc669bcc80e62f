"""structlog set-up: readable on a terminal, JSON lines otherwise (journald, files).

Loggers are lazy (``get_logger``): structlog — and the rich library it loads for terminals —
is imported when a line is first logged, not when a module is imported, so a command that
logs nothing (``status``, ``receipts``) does not pay for it. ``configure`` records the set-up
and it takes effect before that first line."""

from __future__ import annotations

import logging
import sys
from typing import Any

_pending: tuple[str, bool | None] | None = None


def configure(level: str = "INFO", json: bool | None = None) -> None:
    global _pending
    _pending = (level, json)
    if "structlog" in sys.modules:          # already in use: apply at once
        _apply()


def _apply() -> None:
    global _pending
    import structlog

    if _pending is None:
        return
    level, json = _pending
    _pending = None
    if json is None:
        json = not sys.stderr.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            getattr(logging, level.upper(), logging.INFO)),
        # sys.stderr as it is when a line is written, not when logging was set up
        logger_factory=lambda *_args: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


class _LazyLogger:
    """Stands for ``structlog.get_logger(name)`` until it is first used."""

    def __init__(self, name: str):
        self._name = name
        self._proxy: Any = None

    def __getattr__(self, attr: str) -> Any:
        # structlog's own proxy reads the configuration of the moment at every call: kept
        if self._proxy is None:
            import structlog

            _apply()
            self._proxy = structlog.get_logger(self._name)
        elif _pending is not None:
            _apply()
        return getattr(self._proxy, attr)


def get_logger(name: str) -> Any:
    return _LazyLogger(name)
