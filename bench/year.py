"""A year of a 150-unit province's mail imported: does time grow linearly and memory stay flat?

A generated province (20 departments, 130 communes), two periodic reports (monthly for
everyone, quarterly for the departments) and a year of what they send: monthly and quarterly
reports with a 1–4 page PDF or in the body, covering notes, questions, newsletters — about
40,000 messages, as a Maildir as our own MTA delivers it. ``ingestd import`` (store, read,
match) is run on the first tenth and on all of it, each in a fresh process on a fresh SQLite
database, start-up included; printed: messages/s, time per message and peak PSS (the process
and its readers) of the large run over the small.

    .venv/bin/python bench/year.py [--messages 40000] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from ingest import run_measured  # noqa: E402

from ingestd.testing import Mail, auth_results, delivered, header_block, make_pdf  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CACHE = Path(__file__).resolve().parent / ".cache"
DOMAIN = "tinhmau.gov.vn"
DIRECTIVE = ("12/KH-UBND", "05/01/2026")
LINE = ("Kết quả thực hiện nhiệm vụ trong kỳ: giải ngân vốn đầu tư công đạt 45,6% kế hoạch, "
        "thu ngân sách trên địa bàn đạt 52%, cải cách hành chính ")


def units() -> list[tuple[str, str, str]]:
    """(id, name, group) of 150 units."""
    out = [(f"so-{i:02d}", f"Sở số {i}", "so-nganh") for i in range(1, 21)]
    out += [(f"xa-{i:03d}", f"UBND xã số {i}", "xa-phuong") for i in range(1, 131)]
    return out


def write_rules(rules: Path) -> None:
    (rules / "directives").mkdir(parents=True)
    lines = ['[groups]\nso-nganh = "Các sở, ban, ngành"\nxa-phuong = "UBND các xã, phường"\n']
    for uid, name, group in units():
        lines.append(f'[[unit]]\nid = "{uid}"\nname = "{name}"\ngroups = ["{group}"]\n'
                     f'emails = ["{uid}@{DOMAIN}"]\n')
    (rules / "units.toml").write_text("\n".join(lines), encoding="utf-8")
    (rules / "directives" / "12-KH-UBND.toml").write_text(textwrap.dedent(f"""\
        [directive]
        number = "{DIRECTIVE[0]}"
        date = 2026-01-05
        title = "Kế hoạch thực hiện chế độ báo cáo định kỳ năm 2026"

        [[report]]
        id = "thang"
        title = "Báo cáo kết quả thực hiện nhiệm vụ tháng"
        units = ["@so-nganh", "@xa-phuong"]
        every = "month"
        due_day = 18
        start = 2026-01-01
        keywords = ["tháng"]

        [[report]]
        id = "quy"
        title = "Báo cáo tình hình kinh tế - xã hội quý"
        units = ["@so-nganh"]
        every = "quarter"
        due_day = 18
        start = 2026-01-01
        keywords = ["quý"]
        """), encoding="utf-8")


def _pdfs(rng: random.Random) -> list[bytes]:
    out = []
    for i in range(30):
        head = [f"{a}    {b}" for a, b in header_block("Sở số 1", f"{i}/BC-S1", "Tỉnh mẫu, 2026")]
        body = [f"Thực hiện Kế hoạch số {DIRECTIVE[0]} ngày {DIRECTIVE[1]} của UBND tỉnh, báo cáo "
                f"kết quả thực hiện nhiệm vụ tháng {i % 12 + 1}/2026 như sau:"]
        filler = [LINE[: 70 + (j % 25)] + str(j) for j in range(44)]
        out.append(make_pdf([head + body + filler] + [filler] * rng.randint(0, 3)))
    return out


def maildir(n: int, seed: int = 2026) -> Path:
    """``n`` messages over 2026 as a Maildir (cached): about half reports with a PDF, a
    quarter in the body, the rest covering notes, questions and newsletters."""
    path = CACHE / f"year-{n}-{seed}"
    if (path / "cur").is_dir() and len(os.listdir(path / "cur")) == n:
        return path
    shutil.rmtree(path, ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True)
    rng = random.Random(seed)
    pdfs = _pdfs(rng)
    people = units()
    start = datetime(2026, 1, 6, 7, tzinfo=TZ)
    step = (datetime(2026, 12, 31, 17, tzinfo=TZ) - start) / n
    for i in range(n):
        uid, name, _ = rng.choice(people)
        when = start + step * i
        month = when.month
        kind = rng.choices(["pdf", "body", "note", "newsletter"], [50, 25, 20, 5])[0]
        cite = f"Thực hiện Kế hoạch số {DIRECTIVE[0]} ngày {DIRECTIVE[1]} của UBND tỉnh"
        if kind == "newsletter":
            mail = Mail(f"bantin@baomoi{rng.randint(1, 9)}.vn", f"Bản tin số {i}",
                        "Tin tức trong ngày.", message_id=f"year-{i}@baomoi.vn")
        else:
            subject = {"pdf": f"{name} gửi báo cáo tháng {month}/2026",
                       "body": f"Báo cáo kết quả thực hiện nhiệm vụ tháng {month}/2026",
                       "note": f"V/v hỏi về biểu mẫu báo cáo quý {(month - 1) // 3 + 1}"}[kind]
            body = (f"{cite}, {name} báo cáo kết quả thực hiện nhiệm vụ tháng {month}/2026: "
                    + LINE * 3) if kind == "body" else "Kính gửi Văn phòng UBND tỉnh."
            mail = Mail(f"{uid}@{DOMAIN}", subject, body, message_id=f"year-{i}@{DOMAIN}",
                        auth=[auth_results(f"mx.{DOMAIN}", DOMAIN)])
            if kind == "pdf":
                mail.attachments.append((f"bao-cao-thang-{month}.pdf", rng.choice(pdfs)))
        received = when.strftime("%a, %d %b %Y %H:%M:%S +0700")
        raw = delivered(mail.build(), f"from mail.{DOMAIN} by mx.{DOMAIN}; {received}")
        (path / "cur" / f"{int(when.timestamp())}.{i:06d}.bench:2,S").write_bytes(raw)
    return path


def subset(source: Path, n: int, into: Path) -> Path:
    """The first ``n`` messages of the year, as a Maildir of hard links."""
    for sub in ("cur", "new", "tmp"):
        (into / sub).mkdir(parents=True)
    for name in sorted(os.listdir(source / "cur"))[:n]:
        os.link(source / "cur" / name, into / "cur" / name)
    return into


def run_import(mail: Path, workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_rules(root / "rules")
        (root / "config.toml").write_text(textwrap.dedent(f"""\
            timezone = "Asia/Ho_Chi_Minh"
            database_url = "sqlite:///var/ingestd.db"
            workers = {workers}
            [trust]
            authserv_id = "mx.{DOMAIN}"
            """))
        took, peak_main, peak_tree = run_measured(
            [sys.executable, "-m", "ingestd", "--config", str(root / "config.toml"), "import",
             str(mail)], dict(os.environ))
        with sqlite3.connect(root / "var" / "ingestd.db") as db:
            states = dict(db.execute("SELECT state, COUNT(*) FROM receipt GROUP BY state"))
        return {"seconds": took, "rss_mb": peak_main / 1024, "pss_tree_mb": peak_tree / 1024,
                "states": states}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=40_000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    year = maildir(args.messages)
    small_n = args.messages // 10
    with tempfile.TemporaryDirectory() as tmp:
        small = run_import(subset(year, small_n, Path(tmp) / "md"), args.workers)
    large = run_import(year, args.workers)
    rows = [(small_n, small), (args.messages, large)]
    print(f"{'messages':>8} {'seconds':>8} {'msg/s':>7} {'ms/msg':>7} {'RSS MB':>7} {'tree PSS':>8}"
          "  states")
    for n, r in rows:
        print(f"{n:>8} {r['seconds']:>8.1f} {n / r['seconds']:>7.1f} "
              f"{1000 * r['seconds'] / n:>7.2f} {r['rss_mb']:>7.1f} {r['pss_tree_mb']:>8.1f}  "
              + ", ".join(f"{k} {v}" for k, v in sorted(r["states"].items())))
    per_msg = (large["seconds"] / args.messages) / (small["seconds"] / small_n)
    pss = large["pss_tree_mb"] / small["pss_tree_mb"]
    print(f"{args.messages}/{small_n} messages: time per message ×{per_msg:.2f} (linear: ≈1), "
          f"peak PSS ×{pss:.2f} (flat: ≈1, target < 300 MB: "
          f"{'ok' if large['pss_tree_mb'] < 300 else 'over'})")
    print(json.dumps({"bench": "year", "workers": args.workers, "small": [small_n, small],
                      "large": [args.messages, large], "time_per_msg_large_over_small":
                      round(per_msg, 2), "pss_large_over_small": round(pss, 2)}))


if __name__ == "__main__":
    main()
