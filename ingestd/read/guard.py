"""In-process limits for a long-lived reader: the attachment's time by an interval timer, its
memory by the reader's own ``RLIMIT_AS`` (a parser's MemoryError becomes a reason).

Forking a child for every attachment costs ~30 ms, more than PDFium needs to read a page, so
a reader process (see ``pipeline.readers``) reads attachments itself. What the timer cannot
stop -- a parser stuck in C, or one that crashes the process -- the pool sees from outside (a
deadline, a dead pipe): the message is then read again with every attachment in a child of
its own (``sandboxed_extract``), where such a part costs only itself.
"""

from __future__ import annotations

import signal
import threading

from ingestd.read.attachments import Extracted, extract
from ingestd.read.document import PartProblem
from ingestd.read.limits import ReadLimits


class _Overtime(BaseException):
    """Raised by the timer; a BaseException so parsers' ``except Exception`` let it through."""


_state = {"interrupted": False}


def interrupted() -> bool:
    """A parser was interrupted in this process: its library state is suspect, so the reader
    should be replaced after the current message."""
    return _state["interrupted"]


def _on_alarm(_signum: int, _frame: object) -> None:
    raise _Overtime


def guarded_extract(name: str, data: bytes, limits: ReadLimits) -> Extracted:
    """``extract`` in this process, stopped after ``limits.attachment_seconds``. Outside the
    main thread (no timer there) the attachment is read in a sandboxed child instead."""
    if threading.current_thread() is not threading.main_thread():
        from ingestd.read import sandboxed_extract

        return sandboxed_extract(name, data, limits)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, limits.attachment_seconds)
            return extract(name, data, limits)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Overtime:
        _state["interrupted"] = True
        return Extracted(problems=[PartProblem(f"attachment:{name}",
                                               f"dừng đọc: quá {limits.attachment_seconds:g} giây")])
    finally:
        signal.signal(signal.SIGALRM, previous)
