"""`ingestd status` and the digest as history grows: 100 reports × 100 units × 12 periods, with
10,000 and then 100,000 matched receipts, timed in the same run.

    .venv/bin/python bench/status.py [--small 10000 --large 100000] [--units 150 --reports 40]

Receipts are inserted directly (this measures the ledger, not ingestion). Prints seconds per
run and the large/small ratios (the target: 10× the receipts costs at most 10× the time), as a
table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from common import timed  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from ingestd.config import load_settings  # noqa: E402
from ingestd.notify.digest import build_digest  # noqa: E402
from ingestd.services import open_services  # noqa: E402
from ingestd.statusview import as_json, compute  # noqa: E402
from ingestd.store.models import Receipt, ReceiptMatch  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS, REPORTS, PERIODS = 100, 100, 12


def make_project(root: Path, reports: int | None = None) -> Path:
    reports = reports or REPORTS
    rules = root / "rules"
    (rules / "directives").mkdir(parents=True)
    units = ['[groups]\nall = "Tất cả"\n']
    for u in range(UNITS):
        units.append(f'[[unit]]\nid = "u{u}"\nname = "Đơn vị {u}"\ngroups = ["all"]\n'
                     f'emails = ["u{u}@laichau.gov.vn"]\n')
    (rules / "units.toml").write_text("\n".join(units), encoding="utf-8")
    per = reports // 10
    for d in range(10):
        text = "".join(textwrap.dedent(f"""
            [[report]]
            id = "r{d * per + k}"
            kind = "dinh-ky"
            units = ["@all"]
            every = "month"
            due_day = 10
            due_month = "next"
            start = 2019-01-01
            keywords = ["báo cáo {d * per + k}"]
            """) for k in range(per))
        (rules / "directives" / f"{d}.toml").write_text(
            f'[directive]\nnumber = "{100 + d}/UBND-TH"\ndate = 2018-12-20\n{text}',
            encoding="utf-8")
    (root / "config.toml").write_text(textwrap.dedent("""\
        database_url = "sqlite:///var/ingestd.db"
        [digest]
        to = ["tonghop@laichau.gov.vn"]
        """))
    return root / "config.toml"


def fill(svc, n: int, seed: int = 1, reports: int | None = None) -> None:  # type: ignore[no-untyped-def]
    reports = reports or REPORTS
    rng = random.Random(seed)
    start = datetime(2019, 1, 5, tzinfo=UTC)
    receipts, matches = [], []
    for i in range(1, n + 1):
        month = rng.randrange(PERIODS)
        when = start + timedelta(days=30 * month + rng.uniform(0, 45))
        receipts.append({"id": i, "source": "bench", "sha256": f"{i:064x}",
                         "message_id": f"m{i}@bench", "received_at": when, "stored_at": when,
                         "size": 1000, "state": "matched", "unit": f"u{rng.randrange(UNITS)}"})
        matches.append({"receipt_id": i, "report": f"r{rng.randrange(reports)}",
                        "period": f"2019-{month + 1:02d}", "unit": receipts[-1]["unit"],
                        "confidence": 0.9})
    with svc.store.engine.begin() as conn:
        for k in range(0, n, 5000):
            conn.execute(insert(Receipt), receipts[k:k + 5000])
            conn.execute(insert(ReceiptMatch), matches[k:k + 5000])


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        with open_services(load_settings(make_project(Path(tmp)))) as svc:
            fill(svc, n)
            at = datetime(2020, 1, 20, 9, tzinfo=TZ)
            status = timed(lambda: as_json(compute(svc, at), at, svc), 3)
            digest = timed(lambda: build_digest(svc, at), 3)
            cells = sum(len(s.cells) for s in compute(svc, at))
    return {"receipts": n, "cells": cells, "status_s": round(status, 3),
            "digest_s": round(digest, 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument("--units", type=int, default=UNITS, help="e.g. 150 for a merged province")
    ap.add_argument("--reports", type=int, default=REPORTS, help="a multiple of 10")
    args = ap.parse_args()
    globals()["UNITS"], globals()["REPORTS"] = args.units, args.reports
    small, large = measure(args.small), measure(args.large)
    print(f"{'receipts':>9} {'cells':>8} {'status s':>9} {'digest s':>9}")
    for r in (small, large):
        print(f"{r['receipts']:>9} {r['cells']:>8} {r['status_s']:>9} {r['digest_s']:>9}")
    data = {"bench": "status", "small": small, "large": large,
            "receipts_ratio": round(large["receipts"] / small["receipts"], 1),
            "status_time_ratio": round(large["status_s"] / small["status_s"], 2),
            "digest_time_ratio": round(large["digest_s"] / small["digest_s"], 2)}
    print(f"\n{data['receipts_ratio']}× the receipts: status ×{data['status_time_ratio']}, "
          f"digest ×{data['digest_time_ratio']}")
    print(json.dumps(data))


if __name__ == "__main__":
    main()
