"""Memory of taking one very large message apart: the streaming path (no parsed tree; what
ingestd does above 8 MB) against the parsed tree (mail-parser, what it does below), each in a
fresh process, for messages of 10, 31 and 50 MB (one PDF report padded to size). The MIME path
alone: the attachment's decoded bytes are handed to a reader that only counts them (reading
the PDF itself costs the same on both paths, inside the reader's memory limit).

    .venv/bin/python bench/large_message.py

Prints the peak RSS each path adds to its process (above what it holds before reading, the
message's bytes included), and their ratio, as a table and one JSON
line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = """
import sys
from pathlib import Path
from ingestd.read import mime_stream, read_message
from ingestd.read.attachments import Extracted, extract
from ingestd.read.limits import ReadLimits
if sys.argv[2] == "tree":
    mime_stream.STREAM_ABOVE_BYTES = 10 ** 12
else:
    mime_stream.STREAM_ABOVE_BYTES = 0
from ingestd.testing import Mail, make_pdf
read_message(Mail("a@b.vn", "warm", "x", attachments=[("a.pdf", make_pdf([["x"]]))]).build(),
             ReadLimits(), extract_fn=extract)                  # every parser imported
raw = Path(sys.argv[1]).read_bytes()
with open("/proc/self/statm") as fh:
    before = int(fh.read().split()[1]) * 4                      # KiB resident now
seen = []
def mime_only(name, data, limits):          # the MIME path alone: what the parser costs
    seen.append(len(data))
    return Extracted()
doc = read_message(raw, ReadLimits(), extract_fn=mime_only)
assert seen and seen[0] > 0.7 * len(raw) * 3 / 4, seen
assert [r.doc.key for r in doc.references][:1] == ["760/UBND-TH"], doc.problems
# VmHWM, not ru_maxrss: the latter keeps the high-water mark of the parent this process was
# forked from (Linux carries it across exec), which is not this reader's
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(max(0, peak - before))
"""


def message(size_mb: int) -> bytes:
    from ingestd.testing import Mail, make_pdf

    cite = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019"
    pdf = make_pdf([[cite]])
    padded = pdf + os.urandom(int(size_mb * 1e6 * 3 / 4) - len(pdf))     # base64 grows 4/3
    return Mail("skhdt@laichau.gov.vn", "Báo cáo", cite, attachments=[("bc.pdf", padded)]).build()


def peak_mb(path: Path, how: str) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), how], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (10, 31, 50):
            path = Path(tmp) / f"{size}.eml"
            path.write_bytes(message(size))
            mb = path.stat().st_size / 1e6
            stream, tree = peak_mb(path, "stream"), peak_mb(path, "tree")
            rows.append({"message_mb": round(mb, 1), "stream_peak_added_mb": round(stream),
                         "tree_peak_added_mb": round(tree),
                         "tree_over_stream": round(tree / max(stream, 1), 1)})
    print(f"{'message MB':>10} {'streamed +MB':>13} {'tree +MB':>9} {'tree/streamed':>14}")
    for r in rows:
        print(f"{r['message_mb']:>10} {r['stream_peak_added_mb']:>13} {r['tree_peak_added_mb']:>9} "
              f"{r['tree_over_stream']:>14}")
    print(json.dumps({"bench": "large_message", "results": rows}))


if __name__ == "__main__":
    main()
