"""The console's board and register with 100,000 receipts and 50 reports (× 100 units × 13
monthly periods), against the same pages computed naively, in the same run.

    .venv/bin/python bench/web.py [--receipts 100000 --repeat 20]

"ingestd" is the console as shipped: the status counted in the database (one row per
(report, period, unit)) and kept until the data changes (a cheap version query decides), the
register filtered and paged in the database. "cold" is the same with the kept status thrown
away before every request: the first view after new mail was matched. "naive" is the same
app with the obvious queries and nothing kept: every counted receipt loaded into Python for
the ledger, the whole register loaded, filtered and sliced in Python. All render the same
templates through the app's test client. Prints median milliseconds of ``--repeat`` requests,
the ratios, and whether the 300 ms target is met, as a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from common import timed  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from status import fill, make_project  # noqa: E402

from ingestd.config import load_settings  # noqa: E402
from ingestd.store.accounts import Accounts  # noqa: E402
from ingestd.store.repo import RegisterFilter, Store  # noqa: E402
from ingestd.web.app import create_app  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2020, 1, 20, 9, tzinfo=TZ)
REPORTS = 50
PAGES = {"board": "/", "register": "/receipts", "register, searched": "/receipts?sender=u7%40"}


_COUNTED = Store.counted


def _naive_counted(self, now=None, first_only=True):  # type: ignore[no-untyped-def]
    return _COUNTED(self, now, first_only=False)


def _naive_search(self, f: RegisterFilter, offset=0, limit=50):  # type: ignore[no-untyped-def]
    rows = list(reversed(self.receipts()))
    if f.sender:
        rows = [r for r in rows if f.sender.lower() in (r.sender or "").lower()]
    return rows[offset:offset + limit if limit else None], len(rows)


def _client(config: Path) -> TestClient:
    c = TestClient(create_app(load_settings(config), AT))
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "bench", "password": "bench-password-1",
                           "csrf_token": token})
    return c


def measure(config: Path, repeat: int, naive: bool = False, cold: bool = False) -> dict[str, float]:
    saved = Store.counted, Store.search
    if naive:
        Store.counted, Store.search = _naive_counted, _naive_search  # type: ignore[method-assign]
    try:
        c = _client(config)
        console = c.app.state.console  # type: ignore[attr-defined]

        def get(path: str) -> None:
            if cold or naive:
                console._status_cache = None
            assert c.get(path).status_code == 200

        out = {}
        for name, path in PAGES.items():
            get(path)
            out[name] = round(timed(lambda path=path: get(path), repeat) * 1000, 1)
        return out
    finally:
        Store.counted, Store.search = saved  # type: ignore[method-assign]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--receipts", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = make_project(Path(tmp), REPORTS)
        settings = load_settings(config)
        from ingestd.services import open_services

        svc = open_services(settings)
        fill(svc, args.receipts, reports=REPORTS)
        svc.store.receipts()                      # warm the page cache like a running server
        Accounts(svc.store).add("bench", "viewer", "bench-password-1")
        svc.close()
        ours = measure(config, args.repeat)
        cold = measure(config, max(3, args.repeat // 4), cold=True)
        naive = measure(config, max(3, args.repeat // 4), naive=True)
    print(f"{args.receipts:,} receipts, {REPORTS} reports × 100 units × 13 periods; median ms")
    print(f"{'page':<20} {'ingestd':>9} {'cold':>8} {'naive':>9} {'naive/ingestd':>14} "
          f"{'naive/cold':>11} {'< 300 ms':>9}")
    for name in PAGES:
        print(f"{name:<20} {ours[name]:>9} {cold[name]:>8} {naive[name]:>9} "
              f"{naive[name] / ours[name]:>13.1f}× {naive[name] / cold[name]:>10.1f}× "
              f"{'yes' if ours[name] < 300 else 'NO':>9}")
    print(json.dumps({"bench": "web", "receipts": args.receipts, "reports": REPORTS,
                      "ingestd_ms": ours, "cold_ms": cold, "naive_ms": naive}))


if __name__ == "__main__":
    main()
