"""Run `ingestd run` as a real process for the integration tests, and wait for effects."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def start(config: Path, env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen:
    out = open(log or config.parent / "daemon.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "ingestd", "--config", str(config), "run"],
                            stdout=out, stderr=out, env={**os.environ, **(env or {})},
                            start_new_session=True)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise


def cli_json(config: Path, *args: str) -> object:
    res = subprocess.run([sys.executable, "-m", "ingestd", "--config", str(config), *args,
                          "--format", "json"], capture_output=True, timeout=120, check=True)
    return json.loads(res.stdout)


def wait_for(check: Callable[[], bool], seconds: float, every: float = 0.3) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()
