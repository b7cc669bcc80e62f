"""End-to-end ingest benchmark against a real Dovecot on loopback, three ways in the same run:

1. floor    — fetch the raw bytes of every message with imapclient in batches, nothing else;
2. baseline — what a user would write with the same libraries: fetch each message, mail-parser,
              pdfminer.six on whole documents, python-docx, openpyxl, one at a time;
3. ingestd  — the whole `ingestd fetch` process, start to exit (store, read, match), on a
              fresh SQLite database: start-up is counted as a user counts it, and printed
              alone (a fetch of an empty mailbox).

    sudo .venv/bin/python bench/ingest.py --mixes office,heavy --sizes 500,5000

Prints messages/second, the ratios ingestd/baseline and ingestd/floor, and peak RSS (the
ingestd process alone, and with its reader processes), as a table and one JSON line. Needs
root (Dovecot) and the test extra; the corpus is generated once into bench/.cache/.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from imapclient import IMAPClient  # noqa: E402
from servers import Dovecot  # noqa: E402

from ingestd.testing import Mail, auth_results, header_block, make_docx, make_pdf, make_xlsx, make_zip  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CACHE = Path(__file__).resolve().parent / ".cache"
UNITS = ["skhdt", "stc", "sxd", "sgtvt", "snnptnt", "stnmt", "sct", "sldtbxh", "sgddt", "syt",
         "ubndtamduong", "ubndphongtho", "ubndsinho", "ubndmuongte", "ubndthanuyen"]
CITES = [("760/UBND-TH", "10/5/2019"), ("924/UBND-TH", "29/5/2019"),
         ("876/KH-UBND", "24/5/2019")]
LINE = ("Tình hình thực hiện kế hoạch phát triển kinh tế - xã hội: vốn đầu tư công giải ngân "
        "đạt 45,6% kế hoạch; thu ngân sách nhà nước trên địa bàn đạt 52%, chỉ tiêu ")


# -- corpus ------------------------------------------------------------------------------------

def _body_lines(cite: tuple[str, str], unit: str) -> list[str]:
    return [f"Thực hiện Văn bản số {cite[0]} ngày {cite[1]} của UBND tỉnh Lai Châu; {unit} "
            "báo cáo tình hình kinh tế - xã hội 6 tháng đầu năm 2019 như sau:"]


def attachments_pool(rng: random.Random) -> dict[str, list[tuple[str, bytes]]]:
    pool: dict[str, list[tuple[str, bytes]]] = {"pdf": [], "docx": [], "xlsx": [], "zip": []}
    for i in range(40):
        cite, pages = CITES[i % 3], rng.randint(1, 20)
        head = [f"{a}    {b}" for a, b in header_block("Sở X", f"{i}/BC-SX", "Lai Châu, 2019")]
        filler = [LINE[: 70 + (j % 25)] + str(j) for j in range(44)]
        pool["pdf"].append((f"Bao cao {i}.pdf", make_pdf([head + _body_lines(cite, "Sở X")
                                                          + filler] + [filler] * (pages - 1))))
    for i in range(20):
        cite = CITES[i % 3]
        pool["docx"].append((f"Bao cao {i}.docx", make_docx(
            header_block("Sở Y", f"{i}/BC-SY", "Lai Châu, 2019"),
            _body_lines(cite, "Sở Y") + [LINE] * 60)))
        pool["xlsx"].append((f"Bieu {i}.xlsx", make_xlsx(
            [[f"Số: {i}/BC-SZ"], _body_lines(cite, "Sở Z")]
            + [[k, f"Chỉ tiêu {k}", k * 100, k * 45] for k in range(200)])))
        pool["zip"].append((f"Ho so {i}.zip", make_zip({f"bc{i}.pdf": pool["pdf"][i][1]})))
    return pool


MIXES = {
    # (a) ordinary office mail: a short covering note, one 1-4 page PDF report
    "office": {"pdf": 1},
    # (b) the heavier corpus: plain reports, PDFs up to 20 pages, DOCX, XLSX, ZIPs of PDFs
    "heavy": {"plain": 35, "pdf": 30, "docx": 15, "xlsx": 10, "zip": 10},
}


def office_pdfs(rng: random.Random) -> list[tuple[str, bytes]]:
    out = []
    for i in range(40):
        cite, pages = CITES[i % 3], rng.randint(1, 4)
        head = [f"{a}    {b}" for a, b in header_block("Sở X", f"{i}/BC-SX", "Lai Châu, 2019")]
        filler = [LINE[: 70 + (j % 25)] + str(j) for j in range(44)]
        out.append((f"Bao cao {i}.pdf", make_pdf([head + _body_lines(cite, "Sở X") + filler]
                                                 + [filler] * (pages - 1))))
    return out


def corpus(n: int, mix: str = "heavy", seed: int = 2019) -> list[tuple[bytes, datetime]]:
    path = CACHE / f"corpus-{mix}-{n}-{seed}.zip"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        rng = random.Random(seed)
        pool = attachments_pool(rng) if mix == "heavy" else {"pdf": office_pdfs(rng)}
        kinds, weights = zip(*MIXES[mix].items())
        start = datetime(2019, 6, 3, 8, tzinfo=TZ)      # after every directive it cites
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
            for i in range(n):
                unit = rng.choice(UNITS)
                cite = rng.choice(CITES)
                kind = rng.choices(kinds, weights)[0]
                mail = Mail(f"{unit}@laichau.gov.vn", f"Báo cáo số {i} thực hiện {cite[0]}",
                            "\n".join(_body_lines(cite, unit)) if kind == "plain" else
                            "Kính gửi Văn phòng UBND tỉnh, gửi kèm báo cáo.",
                            message_id=f"bench-{mix}-{n}-{i}@laichau.gov.vn",
                            auth=[auth_results("mail.laichau.gov.vn", "laichau.gov.vn")])
                if kind != "plain":
                    mail.attachments.append(rng.choice(pool[kind]))
                when = start + timedelta(minutes=37 * i)
                zf.writestr(f"{i:06d}-{int(when.timestamp())}.eml", mail.build())
    out = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            out.append((zf.read(name), datetime.fromtimestamp(int(name[7:-4]), TZ)))
    return out


# -- measuring ---------------------------------------------------------------------------------

def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kib(pid: int) -> tuple[int, int]:
    """(RSS of pid, PSS of pid and all its descendants) in KiB, from /proc. PSS shares the
    pages that forked readers have in common instead of counting them once per process."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            p = int(entry)
            children.setdefault(int(fields[1]), []).append(p)
            rss[p] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += _pss_kib(p)
        stack.extend(children.get(p, []))
    return rss.get(pid, 0), total


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS of the process, peak PSS of its process tree (KiB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_main = peak_tree = 0
    while proc.poll() is None:
        main, tree = _tree_rss_kib(proc.pid)
        peak_main, peak_tree = max(peak_main, main), max(peak_tree, tree)
        time.sleep(0.02)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.read().decode()[-2000:] if proc.stderr else "failed")
    return took, peak_main, peak_tree


def floor(port: int, user: str, password: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    total = 0
    with IMAPClient("127.0.0.1", port=port, ssl=False) as c:
        c.login(user, password)
        c.select_folder("INBOX", readonly=True)
        uids = c.search()
        for i in range(0, len(uids), 100):
            for data in c.fetch(uids[i:i + 100], ["BODY.PEEK[]"]).values():
                total += len(data[b"BODY[]"])
    return time.perf_counter() - t0, total


def _baseline_attachment(name: str, data: bytes) -> str:
    from pdfminer.high_level import extract_text

    if name.lower().endswith(".pdf"):
        return extract_text(io.BytesIO(data))
    if name.lower().endswith(".docx"):
        import docx
        d = docx.Document(io.BytesIO(data))
        cells = [c.text for t in d.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in d.paragraphs] + cells)
    if name.lower().endswith(".xlsx"):
        import openpyxl
        wb = openpyxl.load_workbook(io.BytesIO(data))
        return "\n".join(" ".join(str(v) for v in row if v is not None)
                         for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
    if name.lower().endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "\n".join(_baseline_attachment(n, zf.read(n)) for n in zf.namelist())
    return ""


def baseline(port: int, user: str, password: str) -> tuple[float, int]:
    import base64

    import mailparser

    number = re.compile(r"(\d+)\s*/\s*([A-ZĐ][A-ZĐ0-9-]+)")
    t0 = time.perf_counter()
    found = 0
    with IMAPClient("127.0.0.1", port=port, ssl=False) as c:
        c.login(user, password)
        c.select_folder("INBOX", readonly=True)
        for uid in c.search():
            raw = c.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
            mail = mailparser.parse_from_bytes(raw)
            text = mail.subject + "\n" + "\n".join(mail.text_plain)
            for att in mail.attachments:
                data = base64.b64decode(att["payload"]) if att["binary"] else att["payload"].encode()
                text += _baseline_attachment(att["filename"], data)
            found += bool(number.search(text))
    return time.perf_counter() - t0, found


def ingestd_run(port: int, user: str, password: str, workers: int) -> tuple[float, int, int, int]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(["cp", "-r", str(ROOT / "rules"), str(root / "rules")], check=True)
        (root / "config.toml").write_text(textwrap.dedent(f"""\
            timezone = "Asia/Ho_Chi_Minh"
            database_url = "sqlite:///var/ingestd.db"
            workers = {workers}
            [[imap]]
            name = "bench"
            host = "127.0.0.1"
            port = {port}
            security = "none"
            username = "{user}"
            password_env = "BENCH_IMAP"
            batch_size = 50
            [trust]
            authserv_id = "mail.laichau.gov.vn"
            """))
        env = {**os.environ, "BENCH_IMAP": password}
        took, peak_main, peak_tree = run_measured(
            [sys.executable, "-m", "ingestd", "--config", str(root / "config.toml"), "fetch"], env)
        out = subprocess.run([sys.executable, "-m", "ingestd", "--config", str(root / "config.toml"),
                              "receipts", "--state", "matched", "--format", "json"], env=env,
                             capture_output=True, check=True)
        return took, peak_main, peak_tree, len(json.loads(out.stdout))


def measure(dovecot: Dovecot, mix: str, n: int, args: argparse.Namespace,
            baseline_rate: dict[str, float]) -> dict[str, object]:
    messages = corpus(n, mix)
    user, password = dovecot.new_user()
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as c:
        c.login(user, password)
        for raw, when in messages:
            c.append("INBOX", raw, msg_time=when)
    mb = sum(len(r) for r, _ in messages) / 1e6
    f_s, _ = floor(dovecot.port, user, password)
    measured = n <= args.skip_baseline_above or mix not in baseline_rate
    if measured:                 # one message at a time: its rate does not depend on n
        b_s, _ = baseline(dovecot.port, user, password)
        baseline_rate[mix] = n / b_s
    b_s = n / baseline_rate[mix]
    runs = [ingestd_run(dovecot.port, user, password, args.workers) for _ in range(args.repeat)]
    i_s = sorted(r[0] for r in runs)[len(runs) // 2]          # median: VMs are noisy
    return {"mix": mix, "messages": n, "corpus_mb": round(mb, 1),
            "floor_msg_s": round(n / f_s, 1),
            "baseline_msg_s": round(n / b_s, 1), "baseline_measured": measured,
            "ingestd_msg_s": round(n / i_s, 1),
            "ingestd_over_baseline": round(b_s / i_s, 2),
            "ingestd_over_floor": round(f_s / i_s, 3),
            "ingestd_s_per_msg": round(i_s / n, 4),
            "peak_rss_mb": round(max(r[1] for r in runs) / 1024, 1),
            "peak_pss_tree_mb": round(max(r[2] for r in runs) / 1024, 1),
            "matched": min(r[3] for r in runs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mixes", default="office,heavy", help=", ".join(MIXES))
    ap.add_argument("--sizes", default="500,2000")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--skip-baseline-above", type=int, default=2000,
                    help="larger runs reuse the per-message rate of the baseline measured on a "
                         "smaller run of the same mix (marked *)")
    ap.add_argument("--repeat", type=int, default=3, help="ingestd runs per size (median time)")
    args = ap.parse_args()
    dovecot = Dovecot()
    results: list[dict] = []
    rate: dict[str, float] = {}
    try:
        user, password = dovecot.new_user()          # nothing to fetch: start-up and exit
        empty = sorted(ingestd_run(dovecot.port, user, password, args.workers)[0] for _ in range(3))
        startup = empty[1]
        for mix in args.mixes.split(","):
            for n in sorted(int(x) for x in args.sizes.split(",")):
                results.append(measure(dovecot, mix, n, args, rate))
    finally:
        dovecot.close()
    print(f"ingestd fetch on an empty mailbox (start-up, login, exit): {startup:.2f} s, "
          "included in every ingestd figure below")
    print(f"{'mix':>6} {'messages':>8} {'MB':>6} {'floor/s':>9} {'baseline/s':>11} "
          f"{'ingestd/s':>10} {'×baseline':>10} {'×floor':>8} {'RSS MB':>7} {'tree PSS':>8}")
    for r in results:
        base = f"{r['baseline_msg_s']}{'' if r['baseline_measured'] else '*'}"
        print(f"{r['mix']:>6} {r['messages']:>8} {r['corpus_mb']:>6} {r['floor_msg_s']:>9} "
              f"{base:>11} {r['ingestd_msg_s']:>10} {r['ingestd_over_baseline']:>10} "
              f"{r['ingestd_over_floor']:>8} {r['peak_rss_mb']:>7} {r['peak_pss_tree_mb']:>8}")
    summary: dict[str, object] = {"bench": "ingest", "workers": args.workers,
                                  "startup_s": round(startup, 3), "results": results}
    for mix in args.mixes.split(","):
        runs = [r for r in results if r["mix"] == mix]
        if len(runs) >= 2:
            a, b = runs[0], runs[-1]
            rss = round(b["peak_pss_tree_mb"] / a["peak_pss_tree_mb"], 2)
            per_msg = round(b["ingestd_s_per_msg"] / a["ingestd_s_per_msg"], 2)
            summary[f"{mix}_tree_pss_large_over_small"] = rss
            summary[f"{mix}_time_per_msg_large_over_small"] = per_msg
            print(f"{mix}: {b['messages']}/{a['messages']} messages: peak PSS ×{rss}, "
                  f"time per message ×{per_msg}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
