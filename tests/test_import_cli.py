"""import of every format, the register, review, assign, explain, reprocess — through the CLI."""

from __future__ import annotations

import csv
import io
import mailbox
import shutil
from zoneinfo import ZoneInfo

from ingestd.testing import Mail, auth_results, delivered, make_edxml

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUTH = [auth_results("mail.laichau.gov.vn", "laichau.gov.vn")]


def report(unit_email: str, n: int, cite: str = "760/UBND-TH", **kw) -> bytes:
    received = kw.pop("received", "Mon, 20 May 2019 10:00:00 +0700")
    raw = Mail(unit_email, f"Báo cáo {n}", f"Thực hiện Văn bản số {cite} ngày 10/5/2019",
               message_id=f"{n}@laichau.gov.vn", auth=kw.pop("auth", AUTH), **kw).build()
    return delivered(raw, f"from mx by mail.laichau.gov.vn; {received}")


def test_each_format_imports_idempotently(project, cli, tmp_path):
    eml = tmp_path / "a.eml"
    eml.write_bytes(report("skhdt@laichau.gov.vn", 1))
    box = mailbox.mbox(str(tmp_path / "box.mbox"))
    box.add(report("stc@laichau.gov.vn", 2, received="Tue, 21 May 2019 08:10:00 +0700"))
    box.add(report("sxd@laichau.gov.vn", 3, received="Wed, 22 May 2019 09:14:00 +0700"))
    box.flush()
    md = mailbox.Maildir(str(tmp_path / "Maildir"))
    md.add(report("sgtvt@laichau.gov.vn", 4))
    edx = tmp_path / "x.edxml"
    edx.write_bytes(make_edxml("000.10.31.H30", "Sở GTVT", "5", "BC-SGTVT", "Báo cáo", "",
                               [("760/UBND-TH", "2019/05/10")], ["2019/05/21 07:58:00", "2019/05/21 08:00:00"],
                               to_organ=("000.00.00.H30", "UBND tỉnh")))
    paths = [str(p) for p in (eml, tmp_path / "box.mbox", tmp_path / "Maildir", edx)]
    code, out, _ = cli(project, "import", *paths)
    assert code == 0 and "5 mới, 0 đã có, 0 lỗi" in out
    code, out, _ = cli(project, "import", *paths)
    assert code == 0 and "0 mới, 5 đã có" in out
    rows = cli.json(project, "receipts")
    assert len(rows) == 5
    by_sender = {r["sender"]: r for r in rows}
    assert by_sender["stc@laichau.gov.vn"]["received_at"] == "2019-05-21T08:10:00+07:00"
    assert by_sender["000.10.31.H30"]["received_at"] == "2019-05-21T08:00:00+07:00"
    assert by_sender["000.10.31.H30"]["own_number"] == "05/BC-SGTVT"
    # an edXML file given to import did not come through the gateway: its OrganId is a claim
    assert by_sender["000.10.31.H30"]["state"] == "review"
    assert "không nhận qua trục liên thông" in by_sender["000.10.31.H30"]["reason"]
    first = by_sender["skhdt@laichau.gov.vn"]
    assert set(first) >= {"id", "source", "message_id", "sha256", "received_at", "sender", "subject",
                          "own_number", "unit", "matches", "state", "reason"}
    assert first["source"] == "import" and first["unit"] == "so-khdt" and first["state"] == "matched"
    assert first["matches"] == [{"report": "760-ha-tang", "period": None}]


def test_broken_input_is_reported_and_the_rest_goes_on(project, cli, tmp_path):
    good = tmp_path / "good.eml"
    good.write_bytes(report("skhdt@laichau.gov.vn", 1))
    code, out, err = cli(project, "import", str(tmp_path / "missing.eml"), str(good))
    assert code == 0
    assert "1 mới" in out and "1 lỗi" in out and "không có tệp hoặc thư mục này" in out
    assert "Traceback" not in out + err


def test_receipts_csv_and_since(project, cli, tmp_path):
    for n, day in ((1, 17), (2, 25)):
        (tmp_path / f"{n}.eml").write_bytes(
            report("skhdt@laichau.gov.vn", n, received=f"Fri, {day} May 2019 10:00:00 +0700"))
    cli(project, "import", str(tmp_path / "1.eml"), str(tmp_path / "2.eml"))
    code, out, _ = cli(project, "receipts", "--since", "2019-05-20", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 1 and rows[0]["matches"] == "760-ha-tang@"


def test_review_then_assign_with_audit_trail(project, cli, tmp_path, monkeypatch):
    (tmp_path / "g.eml").write_bytes(report("nguyenvana@gmail.com", 7, auth=[]))
    cli(project, "import", str(tmp_path / "g.eml"))
    queue = cli.json(project, "unmatched")
    assert len(queue) == 1 and "Gmail" in queue[0]["reason"]
    rid = queue[0]["id"]
    status = cli.json(project, "status", "--at", "2019-06-01")
    assert status["reports"][0]["received"] == 0
    monkeypatch.setenv("USER", "chuyenvien.an")
    code, out, err = cli(project, "assign", rid, "--unit", "so-khdt", "--reason", "đã gọi xác nhận")
    assert code == 0, err
    status = cli.json(project, "status", "--at", "2019-06-01", "--report", "760-ha-tang")
    cell = next(u for u in status["reports"][0]["units"] if u["unit"] == "so-khdt")
    assert cell["status"] == "on_time" and cell["receipt"] == rid
    assert cli.json(project, "unmatched") == []
    code, out, _ = cli(project, "explain", rid)
    assert "gán bởi chuyenvien.an" in out and "đã gọi xác nhận" in out
    # reprocess keeps the clerk's decision
    cli(project, "reprocess")
    status = cli.json(project, "status", "--at", "2019-06-01", "--report", "760-ha-tang")
    assert next(u for u in status["reports"][0]["units"] if u["unit"] == "so-khdt")["status"] == "on_time"


def test_decisions_can_be_undone_and_are_not_doubled(project, cli, tmp_path):
    (tmp_path / "g.eml").write_bytes(report("nguyenvana@gmail.com", 7, auth=[]))
    cli(project, "import", str(tmp_path / "g.eml"))
    rid = cli.json(project, "unmatched")[0]["id"]
    code, out, err = cli(project, "assign", rid, "--unit", "so-khdt", "--report", "760-ha-tang",
                         "--by", "vanthu.binh")
    assert code == 0, err
    # a second assign without --report does not silently add another report
    code, out, err = cli(project, "assign", rid, "--unit", "so-khdt")
    assert code == 1 and "đã được gán" in err and "unassign" in err
    code, out, err = cli(project, "unassign", rid, "--by", "truongphong.cuong", "--reason", "nhầm đơn vị")
    assert code == 0 and "Đã hoàn tác" in out, err
    status = cli.json(project, "status", "--at", "2019-06-01", "--report", "760-ha-tang")
    assert next(u for u in status["reports"][0]["units"] if u["unit"] == "so-khdt")["status"] == "missing"
    assert [r["id"] for r in cli.json(project, "unmatched")] == [rid]       # back in the queue
    code, out, _ = cli(project, "explain", rid)
    assert "gán bởi vanthu.binh" in out and "đã hoàn tác bởi truongphong.cuong" in out
    code, out, err = cli(project, "ignore", rid, "--reason", "thư quảng cáo")
    assert code == 0, err
    assert cli.json(project, "unmatched") == []
    cli(project, "reprocess")                                   # the decision survives
    assert cli.json(project, "receipts")[0]["state"] == "ignored"
    # an exemption is undone by unit and report
    cli(project, "assign", "--unit", "bdbp", "--report", "760-ha-tang", "--exempt", "--reason", "x")
    code, out, err = cli(project, "unassign", "--unit", "bdbp", "--report", "760-ha-tang")
    assert code == 0, err
    status = cli.json(project, "status", "--at", "2019-06-01", "--report", "760-ha-tang")
    assert status["reports"][0]["exempt"] == 0


def test_exempt_a_unit(project, cli):
    code, out, err = cli(project, "assign", "--unit", "bdbp", "--report", "760-ha-tang", "--exempt",
                         "--reason", "không thuộc phạm vi")
    assert code == 0, err
    status = cli.json(project, "status", "--at", "2019-06-01", "--report", "760-ha-tang")
    r = status["reports"][0]
    assert r["exempt"] == 1 and next(u for u in r["units"] if u["unit"] == "bdbp")["status"] == "exempt"


def test_assign_errors_are_clear(project, cli):
    code, _, err = cli(project, "assign", "r-000999", "--unit", "so-khdt")
    assert code == 1 and "không có biên nhận r-000999" in err
    code, _, err = cli(project, "assign", "r-1", "--unit", "so-khong-co")
    assert code == 1 and 'không có đơn vị "so-khong-co"' in err
    code, _, err = cli(project, "status", "--at", "yesterday-ish")
    assert code == 2 and "--at" in err


def test_reprocess_after_a_rules_change(project, cli, tmp_path):
    (tmp_path / "a.eml").write_bytes(report("skhdt@laichau.gov.vn", 1, cite="1240/UBND-TH"))
    cli(project, "import", str(tmp_path / "a.eml"))
    assert cli.json(project, "unmatched")[0]["reason"].startswith("không dẫn chiếu")
    project.write_rule("directives/1240.toml", """\
        [directive]
        number = "1240/UBND-TH"
        date = 2019-05-10

        [[report]]
        id = "r-1240"
        units = ["@so-nganh"]
        due = 2019-05-31
        """)
    code, out, _ = cli(project, "reprocess")
    assert code == 0 and "1 đã khớp" in out
    assert cli.json(project, "unmatched") == []


def test_explain_shows_evidence(project, cli, sample_dir, tmp_path):
    shutil.copytree(sample_dir / "Maildir", tmp_path / "md")
    cli(project, "import", str(tmp_path / "md"))
    rows = cli.json(project, "receipts")
    row = next(r for r in rows if r["sender"] == "ubndthanuyen@laichau.gov.vn" and r["matches"]
               and r["matches"][0]["report"] == "924-ktxh-6t")
    assert row["own_number"] == "760/BC-UBND"         # its own number, not an answer to 760
    code, out, _ = cli(project, "explain", row["id"])
    assert code == 0
    assert "924/UBND-TH theo số, ký hiệu và ngày" in out and "ubndthanuyen@laichau.gov.vn" in out
    assert "Số của văn bản: 760/BC-UBND" in out
