"""How long a clerk waits for a command: ``ingestd --help`` and ``ingestd status --report R``
on the sample province, wall time of the whole process, median of 5, beside ``python -c pass``
(the floor: starting Python itself). Targets: --help ≤ 0.3 s, status ≤ 0.6 s.

    .venv/bin/python bench/cli.py        (run ./scripts/demo once first: it fills var/)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]

from common import timed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
INGESTD = str(Path(sys.executable).parent / "ingestd")
ENV = {**os.environ, "INGESTD_CONFIG": str(ROOT / "config.toml")}


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV, cwd=ROOT)


def main() -> None:
    if not (ROOT / "var").exists():
        sys.exit("run ./scripts/demo first: the status benchmark reads the sample province")
    cases = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "ingestd --help": [INGESTD, "--help"],
        "ingestd status --report 760-ha-tang": [INGESTD, "status", "--report", "760-ha-tang",
                                                "--at", "2019-06-28"],
    }
    targets = {"ingestd --help": 0.3, "ingestd status --report 760-ha-tang": 0.6}
    results = {name: timed(lambda c=cmd: run(*c), 5) for name, cmd in cases.items()}
    floor = results["python -c pass (floor)"]
    print(f"{'command':<40} {'median s':>9} {'× floor':>8} {'target':>7}")
    for name, seconds in results.items():
        target = targets.get(name)
        mark = "" if target is None else (" ok" if seconds <= target else " over")
        print(f"{name:<40} {seconds:>9.3f} {seconds / floor:>8.1f} "
              f"{'' if target is None else f'{target:.1f}':>7}{mark}")
    print(json.dumps({"bench": "cli", "seconds": {k: round(v, 3) for k, v in results.items()}}))


if __name__ == "__main__":
    main()
