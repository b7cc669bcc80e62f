"""Screenshots of the web console on the sample province, for the README (docs/*.png).

Run after ./scripts/demo:  .venv/bin/python scripts/screenshots.py
Starts `ingestd web` on a free loopback port with a throwaway account, drives Debian's
chromium through Playwright, and stops the server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
AT = "2019-06-28T09:00:00+07:00"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    env = {**os.environ, "INGESTD_CONFIG": str(ROOT / "config.toml")}
    exe = str(ROOT / ".venv" / "bin" / "ingestd")
    with tempfile.NamedTemporaryFile("w", delete=False) as pw:
        pw.write("anh-chup-man-hinh-1")
    for step in (["add", "chup.anh", "--role", "clerk", "--password-file", pw.name],
                 ["passwd", "chup.anh", "--password-file", pw.name], ["enable", "chup.anh"]):
        subprocess.run([exe, "user", *step], env=env, capture_output=True)
    port = free_port()
    server = subprocess.Popen([exe, "web", "--port", str(port), "--at", AT], env=env,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(base + "/login")
            page.fill("input[name=username]", "chup.anh")
            page.fill("input[name=password]", "anh-chup-man-hinh-1")
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            page.screenshot(path=str(ROOT / "docs" / "web-board.png"), full_page=True)
            page.goto(base + "/review")
            page.locator("li", has_text="gmail.com").locator("a").click()
            page.wait_for_url("**/receipts/r-*")
            page.screenshot(path=str(ROOT / "docs" / "web-review.png"), full_page=True)
            phone = browser.new_page(viewport={"width": 375, "height": 740}, device_scale_factor=2)
            phone.context.add_cookies(page.context.cookies())
            phone.goto(base + "/")
            phone.screenshot(path=str(ROOT / "docs" / "web-board-phone.png"))
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        subprocess.run([exe, "user", "disable", "chup.anh"], env=env, capture_output=True)
    print("docs/web-board.png, docs/web-review.png, docs/web-board-phone.png", file=sys.stderr)


if __name__ == "__main__":
    main()
