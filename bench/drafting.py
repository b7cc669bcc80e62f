"""Drafting a directive's rules from the directive: the share of fields right (number, date,
recipients, each report's deadline and units) over the corpus of ``ingestd.testing_directives``
(32 directives in the Decree 30 layout, every deadline form, groups and named units, several
reports each, a decision with a table of periodic reports), per input kind: DOCX, text PDF,
scanned PDF, phone photo. The baseline in the same run is the header-only reader a user would
write first: number and date from the ``Số:`` line and the first date, nothing else.

    .venv/bin/python bench/drafting.py [--only docx,pdf,scan,photo] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ingestd.drafting.draft import draft_directive
from ingestd.drafting.header import read_header
from ingestd.drafting.text import read_files
from ingestd.read.limits import ReadLimits
from ingestd.rules import load_rules
from ingestd.testing_directives import RENDERERS, corpus, score

REPO = Path(__file__).resolve().parent.parent
PROVINCE = "Lai Châu"                 # the bundled rules' province
TARGET = {"docx": 0.95, "pdf": 0.95, "scan": 0.85, "photo": 0.85}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="docx,pdf,scan,photo")
    ap.add_argument("--limit", type=int, default=0, help="first N directives only")
    args = ap.parse_args()
    book = load_rules(REPO / "rules")
    names = {u.id: u.name for u in book.units.values()}
    cases = corpus(book.units, book.groups, PROVINCE)
    if args.limit:
        cases = cases[:args.limit]
    results = {}
    for kind in args.only.split(","):
        make, name = RENDERERS[kind]
        right = total = base = 0
        seconds, wrong = [], {}
        for i, case in enumerate(cases):
            data = make(case, names) if kind in ("docx", "pdf") else make(case, names, i)
            t0 = time.perf_counter()
            text = read_files([(name, data)], ReadLimits()).text
            draft = draft_directive(text, book)
            seconds.append(time.perf_counter() - t0)
            s = score(case, draft)
            right, total = right + sum(s.values()), total + len(s)
            for field, ok in s.items():
                if not ok:
                    wrong[field.split(".")[-1]] = wrong.get(field.split(".")[-1], 0) + 1
            h = read_header(text)              # the baseline: the header only
            exp = case.expected()
            base += (h.number is not None and h.number.value == exp["number"]) + (
                h.date is not None and h.date.value == exp["date"])
        results[kind] = {"right": right, "fields": total, "share": round(right / total, 3),
                         "baseline_share": round(base / total, 3), "wrong": wrong,
                         "seconds_per_document": round(sum(seconds) / len(seconds), 2)}
    print(f"{'input':<8} {'fields right':>16} {'target':>7} {'header-only':>12} {'s/doc':>6}  wrong")
    for kind, r in results.items():
        print(f"{kind:<8} {r['right']:>6}/{r['fields']:<4} {100 * r['share']:>4.1f} % "
              f"{100 * TARGET[kind]:>5.0f} % {100 * r['baseline_share']:>10.1f} % "
              f"{r['seconds_per_document']:>6}  {r['wrong'] or '-'}")
    print(json.dumps({"bench": "drafting", "directives": len(cases), "kinds": results},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
