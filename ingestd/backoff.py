"""One capped exponential backoff for everything that waits after a failure: a receipt's
retry, an outgoing mail's, an IMAP reconnect, a login from an address that keeps failing."""

from __future__ import annotations

import random


def backoff_seconds(attempt: int, first: float, cap: float, jitter: bool = False) -> float:
    """``first`` after the first failure, doubling each time, never more than ``cap``; with
    ``jitter``, spread over ×0.5–1.5 so that many clients do not retry in step."""
    delay = min(cap, first * 2.0 ** min(max(0, attempt - 1), 62))
    return delay * random.uniform(0.5, 1.5) if jitter else delay
