"""First-page extraction vs whole-document extraction with pdfminer.six, same run.

    .venv/bin/python bench/pdf_pages.py [--pages 20] [--repeat 5]

Prints a table and one JSON line. The header block of a Vietnamese report (Số: ..., Thực hiện
Văn bản số ...) is on page 1, which is why ingestd reads the first page(s) only by default.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from common import timed  # noqa: E402
from pdfminer.high_level import extract_text  # noqa: E402

from ingestd.testing import make_pdf  # noqa: E402

LINE = ("Tình hình thực hiện kế hoạch phát triển kinh tế - xã hội 6 tháng đầu năm 2019: tổng vốn "
        "đầu tư công giải ngân đạt 45,6% kế hoạch; thu ngân sách nhà nước trên địa bàn đạt ...")


def report_pdf(pages: int) -> bytes:
    first = ["UBND HUYỆN TAM ĐƯỜNG    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 125/BC-UBND",
             "BÁO CÁO", "Thực hiện Văn bản số 924/UBND-TH ngày 29/5/2019 của UBND tỉnh Lai Châu"]
    body = [LINE[: 60 + (i % 30)] for i in range(46)]
    return make_pdf([first + body] + [body] * (pages - 1))




def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    data = report_pdf(args.pages)
    first = timed(lambda: extract_text(io.BytesIO(data), maxpages=1), args.repeat)
    two = timed(lambda: extract_text(io.BytesIO(data), maxpages=2), args.repeat)
    whole = timed(lambda: extract_text(io.BytesIO(data)), args.repeat)
    assert "924/UBND-TH" in extract_text(io.BytesIO(data), maxpages=1)
    print(f"{args.pages}-page report PDF ({len(data) // 1024} KiB), median of {args.repeat} runs")
    print(f"{'extraction':<24}{'seconds':>10}{'vs whole':>10}")
    for name, t in (("first page (default)", first), ("first 2 pages", two), ("whole document", whole)):
        print(f"{name:<24}{t:>10.4f}{whole / t:>9.1f}×")
    print(json.dumps({"bench": "pdf_pages", "pages": args.pages, "first_page_s": round(first, 5),
                      "two_pages_s": round(two, 5), "whole_s": round(whole, 5),
                      "ratio_whole_over_first": round(whole / first, 1)}))


if __name__ == "__main__":
    main()
