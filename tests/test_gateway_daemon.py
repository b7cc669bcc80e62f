"""The e-document gateway drop folder, the Maildir source, and the daemon's signals."""

from __future__ import annotations

import os
import shutil
import signal
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from daemon_proc import cli_json, start, stop, wait_for

from ingestd.testing import make_edxml

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def edxml(n: int, stamp: str = "2019/06/04 09:00:00", delivered: bool = True) -> bytes:
    """A package as the gateway delivers it: the last hop is the receiving organ's."""
    return make_edxml("000.15.31.H30", "Sở Giáo dục và Đào tạo", str(n), "BC-SGDĐT",
                      "Báo cáo tình hình kinh tế - xã hội 6 tháng đầu năm 2019", "",
                      [("924/UBND-TH", "2019/05/29")], ["2019/06/04 08:55:00", stamp],
                      to_organ=("000.00.00.H30", "UBND tỉnh") if delivered else None)


def gateway_project(project, settle: float = 0):
    inbox = project.root / "gw"
    inbox.mkdir()
    project.write_config(f"""
        [[gateway]]
        name = "truc"
        kind = "edxml-dir"
        path = "gw"
        settle_seconds = {settle}
        """)
    return inbox


def test_drops_are_ingested_and_moved(project, cli):
    inbox = gateway_project(project)
    (inbox / "a.edxml").write_bytes(edxml(1))
    (inbox / "b.xml").write_bytes(edxml(2, "05/06/2019 16:30:00"))     # day-first timestamp
    (inbox / "broken.edxml").write_bytes(b"<edXML><unclosed>")
    code, out, err = cli(project, "fetch")
    assert code == 0, err
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["a.edxml", "b.xml"]
    assert (inbox / "failed" / "broken.edxml").exists()
    reason = (inbox / "failed" / "broken.edxml.reason.txt").read_text()
    assert "không phải XML hợp lệ" in reason and "receipt: r-" in reason
    rows = cli.json(project, "receipts")
    assert len(rows) == 3 and all(r["source"] == "gateway:truc" for r in rows)
    times = sorted(r["received_at"] for r in rows if r["state"] == "matched")
    assert times == ["2019-06-04T09:00:00+07:00", "2019-06-05T16:30:00+07:00"]
    failed = [r for r in rows if r["state"] == "failed"]
    assert len(failed) == 1 and "không phải XML hợp lệ" in failed[0]["reason"]
    # a file dropped again (same bytes) is stored once
    (inbox / "a-again.edxml").write_bytes(edxml(1))
    cli(project, "fetch")
    assert len(cli.json(project, "receipts")) == 3


def test_files_still_being_written_wait(project, cli):
    inbox = gateway_project(project, settle=30)
    (inbox / "new.edxml").write_bytes(edxml(3))
    (inbox / ".tmp-partial.edxml").write_bytes(b"<edXML")
    (inbox / "upload.edxml.part").write_bytes(b"<edXML")
    cli(project, "fetch")
    assert cli.json(project, "receipts") == []
    old = time.time() - 60
    os.utime(inbox / "new.edxml", (old, old))
    cli(project, "fetch")
    assert len(cli.json(project, "receipts")) == 1
    assert (inbox / ".tmp-partial.edxml").exists() and (inbox / "upload.edxml.part").exists()


def test_maildir_source_receipt_time_from_file_name(project, cli, sample_dir):
    shutil.copytree(sample_dir / "Maildir", project.root / "md")
    project.write_config('[[maildir]]\nname = "local"\npath = "md"\n')
    cli(project, "fetch")
    rows = cli.json(project, "receipts")
    assert len(rows) == 56 and all(r["source"] == "maildir:local" for r in rows)
    first = min(r["received_at"] for r in rows)
    assert first == "2019-05-17T15:20:00+07:00"
    code, out, _ = cli(project, "fetch")
    assert code == 0 and "Đã nhận 0 thư mới" in out


def test_sighup_with_broken_rules_keeps_the_old_ones(project, sample_dir):
    md = project.root / "md"
    (md / "cur").mkdir(parents=True)
    (md / "new").mkdir()
    (md / "tmp").mkdir()
    project.write_config('[[maildir]]\nname = "local"\npath = "md"\n')
    proc = start(project.config)
    try:
        assert wait_for(lambda: "ingestd running" in (project.root / "daemon.log").read_text(), 30)
        good = (project.rules / "units.toml").read_text()
        (project.rules / "units.toml").write_text(good + "\n[[unit]\nbroken")
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "reload failed: keeping the rules in force"
                        in (project.root / "daemon.log").read_text(), 15)
        # the daemon still works with the old rules
        src = sorted((sample_dir / "Maildir" / "cur").iterdir())[0]
        shutil.copy(src, md / "cur" / src.name)
        assert wait_for(lambda: [r["state"] for r in cli_json(project.config, "receipts")]
                        == ["matched"], 40, every=1)
        (project.rules / "units.toml").write_text(good)
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "config and rules reloaded"
                        in (project.root / "daemon.log").read_text(), 15)
    finally:
        assert stop(proc) == 0
    # the failed reload is in the next digest
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "ingestd", "--config", str(project.config), "digest",
                          "--preview"], capture_output=True, text=True, timeout=60).stdout
    assert "tải lại quy tắc không được" in out and "units.toml" in out


def test_a_backdated_package_gets_the_time_the_gateway_client_received_it(project, cli):
    """A unit that writes 1/5 into its own trace hops, in a drop made on 25/6, is late."""
    inbox = gateway_project(project)
    drop = inbox / "backdated.edxml"
    drop.write_bytes(edxml(7, "2019/06/01 08:00:00", delivered=False))
    june25 = datetime(2019, 6, 25, 10, 0, tzinfo=TZ).timestamp()
    os.utime(drop, (june25, june25))
    code, out, err = cli(project, "fetch")
    assert code == 0, err
    row = cli.json(project, "receipts")[0]
    assert row["received_at"] == "2019-06-25T10:00:00+07:00"
    status = cli.json(project, "status", "--report", "924-ktxh-6t", "--at", "2019-06-28")
    unit = next(u for u in status["reports"][0]["units"] if u["unit"] == row["unit"])
    assert unit["status"] == "late" and unit["days_late"] == 20


def test_trusted_organ_ids_name_the_hops_to_believe(project, cli):
    inbox = project.root / "gw"
    inbox.mkdir()
    project.write_config("""
        [[gateway]]
        name = "truc"
        kind = "edxml-dir"
        path = "gw"
        settle_seconds = 0
        trusted_organ_ids = ["000.15.31.H30"]
        """)
    (inbox / "a.edxml").write_bytes(edxml(8, "2019/06/04 09:00:00", delivered=False))
    cli(project, "fetch")
    assert cli.json(project, "receipts")[0]["received_at"] == "2019-06-04T09:00:00+07:00"


def test_links_and_special_files_in_the_gateway_folder_are_refused(project, cli, tmp_path):
    inbox = gateway_project(project)
    secret = tmp_path / "secrets.xml"
    secret.write_text("<edXML>INGESTD_IMAP_PASSWORD=hunter2</edXML>")
    (inbox / "link.edxml").symlink_to(secret)
    os.mkfifo(inbox / "pipe.edxml")
    (inbox / "good.edxml").write_bytes(edxml(9))
    code, out, err = cli(project, "fetch")
    assert code == 0, err
    rows = cli.json(project, "receipts")
    assert len(rows) == 1 and rows[0]["state"] == "matched"      # the secret is not a blob
    blobs = [p.read_bytes() for p in (project.root / "var" / "store").rglob("*") if p.is_file()]
    assert not any(b"hunter2" in b for b in blobs)
    assert (inbox / "failed" / "link.edxml").is_symlink() and secret.read_text().endswith("</edXML>")
    assert "symlink" in (inbox / "failed" / "link.edxml.reason.txt").read_text()
    assert "FIFO" in (inbox / "failed" / "pipe.edxml.reason.txt").read_text()
