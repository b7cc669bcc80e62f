"""OCR of scanned report headers: how often the document numbers are read exactly, time per
page and memory, over a generated set (real report header lines with diacritics, a red stamp
over the text or not, skew, 150-300 dpi, JPEG noise), through the real sandbox.

    .venv/bin/python bench/ocr.py [--per-variant 3]

A page counts as read when both numbers come out exactly: the report's own (Số: 152/BC-UBND)
and the directive it cites (760/UBND-TH). Prints a table per variant and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from ingestd.config import ReadLimits  # noqa: E402
from ingestd.read import read_message, sandboxed_extract  # noqa: E402
from ingestd.testing import Mail, make_scan  # noqa: E402

UNITS = ["UBND HUYỆN THAN UYÊN", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN",
         "UBND HUYỆN MƯỜNG TÈ", "SỞ GIAO THÔNG VẬN TẢI"]
VARIANTS = {
    "200 dpi, clean": {"dpi": 200, "stamp": False},
    "200 dpi, stamp": {"dpi": 200},
    "300 dpi, stamp, skew 1°": {"dpi": 300, "skew": 1.0},
    "150 dpi, stamp": {"dpi": 150},
    "200 dpi, stamp, skew 2°, JPEG q40, noise": {"dpi": 200, "skew": 2.0, "jpeg_quality": 40,
                                                 "noise": 0.002},
}


def page(i: int, **kw: object) -> tuple[bytes, str, str]:
    own = f"{100 + i}/BC-UBND"
    lines = [UNITS[i % len(UNITS)], f"Số: {own}", "BÁO CÁO",
             "Kết quả thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh",
             "về hoàn thiện thể chế, chính sách đầu tư xây dựng kết cấu hạ tầng"]
    return make_scan(lines, seed=i, **kw), own, "760/UBND-TH"  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-variant", type=int, default=3)
    args = ap.parse_args()
    results = {}
    for name, kw in VARIANTS.items():
        read, seconds = 0, []
        for i in range(args.per_variant):
            pdf, own, cited = page(i, **kw)
            raw = Mail("a@laichau.gov.vn", "Gửi văn bản", "", attachments=[("scan.pdf", pdf)]).build()
            t0 = time.perf_counter()
            doc = read_message(raw, ReadLimits(ocr_dpi=int(kw.get("dpi", 200))),  # type: ignore[arg-type]
                               extract_fn=sandboxed_extract)
            seconds.append(time.perf_counter() - t0)
            keys = {r.doc.key for r in doc.refs}
            read += own in keys and cited in keys
        results[name] = {"read": read, "pages": args.per_variant,
                         "seconds_per_page": round(sum(seconds) / len(seconds), 2)}
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{'variant':<44} {'numbers read exactly':>22} {'s/page':>7}")
    for name, r in results.items():
        print(f"{name:<44} {r['read']:>10}/{r['pages']:<11} {r['seconds_per_page']:>7}")
    total = sum(r["read"] for r in results.values())
    pages = sum(r["pages"] for r in results.values())
    print(f"\nall: {total}/{pages} ({100 * total / pages:.0f}%); peak reader memory {peak:.0f} MB")
    print(json.dumps({"bench": "ocr", "variants": results, "read": total, "pages": pages,
                      "peak_reader_mb": round(peak)}))


if __name__ == "__main__":
    main()
