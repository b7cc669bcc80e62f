"""Serving the console: uvicorn with limits for slow or stuck clients.

uvicorn waits for a request's headers and body as long as the client likes, so a few
connections that send one byte a minute hold the console's sockets for ever (slowloris). This
h11 protocol closes a connection whose request headers have not all arrived within
``header_seconds`` of its first byte (or of the connection, when it sends nothing), and whose
body has not all arrived within ``body_seconds`` of its headers.

uvicorn's own proxy-header handling is off on purpose: it would replace the socket's address
with the one ``X-Forwarded-For`` names, and the console decides whether to believe a proxy by
the socket's address (``web.security``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ingestd.config import WebSettings


class PatientProtocol(H11Protocol):
    """H11Protocol that gives up on requests that arrive too slowly."""

    header_seconds: float = 10.0
    body_seconds: float = 30.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._slow: asyncio.TimerHandle | None = None
        self._phase: object = None
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm one timer for the phase the client is in: sending headers, sending the body;
        none while the app answers or the connection idles between requests (uvicorn's
        keep-alive timeout covers that)."""
        state = self.conn.their_state
        waiting_for = ("headers" if state is h11.IDLE and self._started() else
                       "body" if state is h11.SEND_BODY else None)
        if waiting_for == self._phase:
            return
        self._disarm()
        self._phase = waiting_for
        if waiting_for is not None:
            seconds = self.header_seconds if waiting_for == "headers" else self.body_seconds
            self._slow = self.loop.call_later(seconds, self._give_up)

    def _started(self) -> bool:
        """A fresh connection, or bytes of a next request have come (a connection idling
        after a response is uvicorn's keep-alive timer's)."""
        return self.conn.their_http_version is None or bool(self.conn.trailing_data[0])

    def _disarm(self) -> None:
        if getattr(self, "_slow", None) is not None:
            self._slow.cancel()   # type: ignore[union-attr]
            self._slow = None

    def _give_up(self) -> None:
        self._slow = None
        if not self.transport.is_closing():
            self.logger.warning("closing a connection that sent its request too slowly")
            self.transport.close()


def serve(app: Any, web: WebSettings, host: str, port: int) -> None:
    import uvicorn

    protocol = type("ConsoleProtocol", (PatientProtocol,), {
        "header_seconds": web.header_timeout_seconds, "body_seconds": web.body_timeout_seconds})
    uvicorn.run(app, host=host, port=port, http=protocol, log_level="warning", access_log=False,
                proxy_headers=False, server_header=False, timeout_keep_alive=5,
                h11_max_incomplete_event_size=32 * 1024)
