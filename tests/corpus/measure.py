"""Time and peak memory per hostile case, each in a fresh process (for the README figures).

    .venv/bin/python tests/corpus/measure.py            # all cases, a table and a JSON line
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent.parent)]


def one(name: str, path: str) -> dict[str, object]:
    """Process one case whose raw bytes the parent built (building is not measured)."""
    from conftest import Project

    from ingestd.pipeline import process_pending
    from ingestd.store.db import utcnow

    raw = Path(path).read_bytes()
    svc = Project(Path(tempfile.mkdtemp())).services()
    t0 = time.monotonic()
    added = svc.store.add_raw("import", raw, utcnow(), name)
    process_pending(svc)
    took = time.monotonic() - t0
    row = svc.store.get(added.id)
    return {"case": name, "seconds": round(took, 2), "state": row.state,
            "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "reader_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def main() -> None:
    if len(sys.argv) > 3 and sys.argv[1] == "--case":
        print(json.dumps(one(sys.argv[2], sys.argv[3])))
        return
    from make_hostile import CASES

    rows = []
    for case in CASES:
        with tempfile.NamedTemporaryFile(suffix=".eml") as fh:
            fh.write(case.build())
            fh.flush()
            out = subprocess.run([sys.executable, __file__, "--case", case.name, fh.name],
                                 capture_output=True, text=True, timeout=300, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{r['case']:<28} {r['state']:<8} {r['seconds']:>7} s {r['rss_mb']:>7} MB "
              f"{r['reader_rss_mb']:>7} MB")
    worst_t = max(rows, key=lambda r: r["seconds"])
    worst_m = max(rows, key=lambda r: max(r["rss_mb"], r["reader_rss_mb"]))
    print(json.dumps({"cases": len(rows), "worst_seconds": worst_t["seconds"],
                      "worst_seconds_case": worst_t["case"],
                      "worst_rss_mb": max(worst_m["rss_mb"], worst_m["reader_rss_mb"]),
                      "worst_rss_case": worst_m["case"]}))


if __name__ == "__main__":
    main()
