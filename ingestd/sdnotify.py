"""sd_notify(3) without a dependency: READY, WATCHDOG, STOPPING, STATUS to systemd."""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    if path.startswith("@"):
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(path)
            sock.sendall(message.encode("utf-8"))
        return True
    except OSError:
        return False


def watchdog_seconds() -> float | None:
    usec = os.environ.get("WATCHDOG_USEC")
    try:
        return int(usec) / 1e6 if usec else None
    except ValueError:
        return None
