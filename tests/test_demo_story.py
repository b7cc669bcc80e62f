"""End to end on the bundled sample province: import -> status JSON tells the story of
Directive 08/CT-UBND (11/36 answered 760/UBND-TH, 9 late; 28/35 KT-XH, 9 late; 14/24 vốn ĐTC,
6 late)."""

from __future__ import annotations

AT = "2019-06-28T09:00:00+07:00"


def counts(status: dict, report: str) -> tuple[int, int, int, int]:
    r = next(r for r in status["reports"] if r["report"] == report)
    return r["expected"], r["received"], r["late"], r["on_time"]


def test_seed_story_numbers(project, cli, sample_dir):
    # two reader processes, as in production: exercises the pool and the batch overlap
    project.load_sample(cli, sample_dir, workers=2)
    status = cli.json(project, "status", "--at", AT)
    assert status["as_of"] == AT
    assert counts(status, "760-ha-tang") == (36, 11, 9, 2)
    assert counts(status, "924-ktxh-6t") == (35, 28, 9, 19)
    assert counts(status, "924-von-dtc-6t") == (24, 14, 6, 8)
    r760 = next(r for r in status["reports"] if r["report"] == "760-ha-tang")
    assert r760["due"] == "2019-05-20T23:59:59+07:00"
    assert r760["period"] is None and r760["missing"] == 25
    assert len(r760["units"]) == 36
    khdt = next(u for u in r760["units"] if u["unit"] == "so-khdt")
    assert khdt["status"] == "on_time" and khdt["amendments"] == 1
    so_xd = next(u for u in r760["units"] if u["unit"] == "so-xd")
    assert so_xd == {"unit": "so-xd", "status": "late", "received_at": "2019-05-22T09:14:00+07:00",
                     "days_late": 2, "receipt": so_xd["receipt"], "amendments": 0}


def test_import_is_idempotent(project, cli, sample_dir):
    cli(project, "import", str(sample_dir / "Maildir"))
    code, out, _ = cli(project, "import", str(sample_dir / "Maildir"))
    assert code == 0
    assert "0 mới" in out and "56 đã có" in out


def test_review_queue_explains_itself(project, cli, sample_dir):
    project.load_sample(cli, sample_dir)
    queue = cli.json(project, "unmatched")
    reasons = {r["sender"]: r["reason"] for r in queue}
    assert "DMARC fail" in reasons["syt@laichau.gov.vn"]
    assert "Gmail" in reasons["nguyenvanan.ldtbxh@gmail.com"]
    assert "09/2019/NĐ-CP" in reasons["stp@laichau.gov.vn"]
    # the scan is read by OCR: it answers a report Công an tỉnh was not asked for
    assert "ca-tinh không thuộc diện phải gửi 924-von-dtc-6t" in reasons["congan@laichau.gov.vn"]
    scan = next(r["id"] for r in queue if r["sender"] == "congan@laichau.gov.vn")
    code, out, _ = cli(project, "explain", scan)
    assert "đã đọc bằng nhận dạng chữ (OCR" in out and "#ocr" in out and "924/UBND-TH" in out
    assert all(r["state"] in ("review", "failed") and r["message_id"] for r in queue)
    gmail = next(r for r in queue if r["sender"].endswith("gmail.com"))
    assert gmail["suggested_unit"] == "so-ldtbxh"
