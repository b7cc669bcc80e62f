"""Reminders and the digest against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import signal
import subprocess
import sys
import time
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from servers import SmtpSink

from ingestd.errors import DeliveryError
from ingestd.notify.mail import build
from ingestd.testing import Mail, auth_results, delivered

UNITS = """\
[groups]
so = "Các sở"

[[unit]]
id = "a"
name = "Sở Ánh Dương"
groups = ["so"]
emails = ["a@laichau.gov.vn"]
remind_cc = ["giamdoc.a@laichau.gov.vn"]

[[unit]]
id = "b"
name = "Sở Bình An"
groups = ["so"]
emails = ["b@laichau.gov.vn"]

[[unit]]
id = "c"
name = "Sở Cầu Giấy"
groups = ["so"]
emails = ["c@laichau.gov.vn"]
"""

DIRECTIVES = """\
[directive]
number = "1000/UBND-TH"
date = 2019-06-10
issuer = "UBND tỉnh Lai Châu"
title = "V/v báo cáo thử nghiệm"

[[report]]
id = "sat"
title = "Báo cáo thứ Bảy"
units = ["@so"]
due = 2019-06-22            # a Saturday: the deadline is Monday 24/6

[[report]]
id = "hol"
title = "Báo cáo ngày lễ"
units = ["a"]
due = 2019-04-29            # a substitute day off before 30/4 and 1/5: the deadline is 2/5
"""

REMINDERS = """\
[defaults]
before_days = [3, 1]
after_days = [1]
repeat_every_days = 3
max_overdue = 3
escalate_from = 2
send_at = "08:00"
"""


def use_notify_rules(project):
    """Three units, a report due on a Saturday and one due on a holiday, default reminders."""
    for f in (project.rules / "directives").glob("*.toml"):
        f.unlink()
    (project.rules / "matching.toml").unlink()
    project.write_rule("units.toml", UNITS)
    project.write_rule("directives/1000.toml", DIRECTIVES)
    project.write_rule("reminders.toml", REMINDERS)
    return project


@pytest.fixture
def notify_project(project, smtp):
    configure_smtp(use_notify_rules(project), smtp.port)
    return project


def configure_smtp(project, port: int, timeout: int = 5) -> None:
    project.write_config(f"""
        [smtp]
        host = "127.0.0.1"
        port = {port}
        security = "none"
        from = "Văn phòng UBND tỉnh <vanthu@laichau.gov.vn>"
        timeout_seconds = {timeout}
        retry_seconds = 1
        """)


def planned(cli, project, at: str) -> list[tuple[str, str, str, list[str]]]:
    rows = cli.json(project, "remind", "--dry-run", "--at", at)
    return sorted((r["report"], r["unit"], r["step"], r["cc"]) for r in rows)


def test_right_units_on_the_right_days(notify_project, cli, tmp_path):
    p = notify_project
    assert planned(cli, p, "2019-06-18T09:00:00+07:00") == []
    assert planned(cli, p, "2019-06-19T07:59:00+07:00") == []           # before send_at
    assert planned(cli, p, "2019-06-19T09:00:00+07:00") == [
        ("sat", u, "before-3", []) for u in ("a", "b", "c")]
    # c reports on 20/6: it gets nothing on 21/6
    raw = Mail("c@laichau.gov.vn", "Báo cáo", "Thực hiện Văn bản số 1000/UBND-TH",
               auth=[auth_results("mail.laichau.gov.vn", "laichau.gov.vn")]).build()
    (tmp_path / "c.eml").write_bytes(
        delivered(raw, "by mail.laichau.gov.vn; Thu, 20 Jun 2019 16:00:00 +0700"))
    cli(p, "import", str(tmp_path / "c.eml"))
    assert planned(cli, p, "2019-06-21T09:00:00+07:00") == [
        ("sat", u, "before-1", []) for u in ("a", "b")]
    assert planned(cli, p, "2019-06-22T09:00:00+07:00") == []           # Saturday: no mail
    # nothing was sent (dry runs only): the deadline day catches up Friday's before-1
    assert planned(cli, p, "2019-06-24T09:00:00+07:00") == [
        ("sat", u, "before-1", []) for u in ("a", "b")]
    cli(p, "remind", "--at", "2019-06-21T09:00:00+07:00")               # really sent on Friday
    assert planned(cli, p, "2019-06-24T09:00:00+07:00") == []
    assert planned(cli, p, "2019-06-25T09:00:00+07:00") == [
        ("sat", u, "after-1", []) for u in ("a", "b")]
    assert planned(cli, p, "2019-06-28T09:00:00+07:00") == [
        ("sat", "a", "after-repeat-1", ["giamdoc.a@laichau.gov.vn"]),  # escalated: cc the head
        ("sat", "b", "after-repeat-1", [])]
    assert [s for _, _, s, _ in planned(cli, p, "2019-07-03T09:00:00+07:00")] == [
        "after-repeat-2", "after-repeat-2"]
    assert planned(cli, p, "2019-07-08T09:00:00+07:00") == []           # max_overdue reached
    # the holiday deadline: 29/4/2019 rolls to 2/5, so before-1 is Friday 26/4
    assert ("hol", "a", "before-1", []) in planned(cli, p, "2019-04-26T09:00:00+07:00")
    assert ("hol", "a", "before-3", []) in planned(cli, p, "2019-04-24T09:00:00+07:00")


def test_json_shape_and_subject(notify_project, cli):
    rows = cli.json(notify_project, "remind", "--dry-run", "--at", "2019-06-25T09:00:00+07:00")
    row = next(r for r in rows if r["unit"] == "a")
    assert set(row) == {"unit", "report", "period", "step", "to", "cc", "subject"}
    assert row["to"] == ["a@laichau.gov.vn"] and row["period"] is None
    assert "1000/UBND-TH" in row["subject"] and "quá hạn 1 ngày" in row["subject"]


def test_sent_once_with_vietnamese_text_and_html(notify_project, cli, smtp):
    code, out, err = cli(notify_project, "remind", "--at", "2019-06-19T09:00:00+07:00")
    assert code == 0, err
    assert len(smtp.messages) == 3
    cli(notify_project, "remind", "--at", "2019-06-19T10:00:00+07:00")
    assert len(smtp.messages) == 3                                       # never twice
    msg = email.message_from_bytes(smtp.messages[0]["data"], policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    assert "Kính gửi: Sở" in text and "Thứ Hai, ngày 24/06/2019" in text
    assert "Văn bản số 1000/UBND-TH ngày 10/06/2019" in text
    assert msg.get_body(("html",)) is not None
    assert msg["Message-ID"].startswith("<ingestd.") and msg["Auto-Submitted"] == "auto-generated"


def test_temporary_failure_then_success(notify_project, cli, smtp):
    smtp.fail_next = 1
    cli(notify_project, "remind", "--at", "2019-06-25T09:00:00+07:00")
    assert len(smtp.messages) == 2                    # one of three deferred with 451
    time.sleep(1.2)
    cli(notify_project, "remind", "--at", "2019-06-25T09:30:00+07:00")
    assert sorted(m["to"][0] for m in smtp.messages) == [
        "a@laichau.gov.vn", "b@laichau.gov.vn", "c@laichau.gov.vn"]


def test_smtp_down_is_retried_later(notify_project, cli, smtp):
    port = smtp.port
    smtp.stop()
    code, out, err = cli(notify_project, "remind", "--at", "2019-06-25T09:00:00+07:00")
    assert code == 0 and "mail deferred; will retry" in err
    sink = SmtpSink(port=port)
    try:
        time.sleep(1.2)
        cli(notify_project, "remind", "--at", "2019-06-25T09:30:00+07:00")
        assert len(sink.messages) == 3
    finally:
        sink.stop()


def test_stale_reminder_is_dropped_when_the_unit_reports(notify_project, cli, smtp, tmp_path):
    port = smtp.port
    smtp.stop()
    cli(notify_project, "remind", "--at", "2019-06-25T09:00:00+07:00")    # queued, not sent
    raw = Mail("b@laichau.gov.vn", "Báo cáo", "Thực hiện Văn bản số 1000/UBND-TH",
               auth=[auth_results("mail.laichau.gov.vn", "laichau.gov.vn")]).build()
    (tmp_path / "b.eml").write_bytes(
        delivered(raw, "by mail.laichau.gov.vn; Tue, 25 Jun 2019 09:10:00 +0700"))
    cli(notify_project, "import", str(tmp_path / "b.eml"))
    sink = SmtpSink(port=port)
    try:
        time.sleep(1.2)
        cli(notify_project, "remind", "--at", "2019-06-25T09:30:00+07:00")
        assert sorted(m["to"][0] for m in sink.messages) == ["a@laichau.gov.vn", "c@laichau.gov.vn"]
    finally:
        sink.stop()


@pytest.mark.slow
def test_kill_9_during_a_reminder_run(project, cli, tmp_path):
    units = "".join(f'\n[[unit]]\nid = "u{i}"\nname = "Đơn vị {i}"\ngroups = ["so"]\n'
                    f'emails = ["u{i}@laichau.gov.vn"]\n' for i in range(40))
    for f in (project.rules / "directives").glob("*.toml"):
        f.unlink()
    (project.rules / "matching.toml").unlink()
    (project.rules / "reminders.toml").unlink()
    project.write_rule("units.toml", '[groups]\nso = "Các sở"\n' + units)
    project.write_rule("directives/1000.toml", DIRECTIVES.split("[[report]]\nid = \"hol\"")[0])
    sink = SmtpSink(delay=0.05)
    try:
        configure_smtp(project, sink.port, timeout=1)
        args = [sys.executable, "-m", "ingestd", "--config", str(project.config), "remind",
                "--at", "2019-06-19T09:00:00+07:00"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(sink.messages) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert 10 <= len(sink.messages) < 40
        time.sleep(8)                    # the crashed run's lease (2 × timeout + 5 s) expires
        subprocess.run(args, check=True, timeout=120, capture_output=True)
        delivered = [m["to"][0] for m in sink.messages]
        assert set(delivered) == {f"u{i}@laichau.gov.vn" for i in range(40)}      # none skipped
        assert len(delivered) - len(set(delivered)) <= 1          # at most the one in flight
    finally:
        sink.stop()


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tables += tag == "table"

    def handle_data(self, data):
        self.text.append(data)


def test_digest_numbers_rendering_and_once_a_day(project, cli, smtp, sample_dir):
    configure_smtp(project, smtp.port)          # the base config has [digest] to tonghop@
    project.load_sample(cli, sample_dir)
    code, out, _ = cli(project, "digest", "--preview", "--at", "2019-06-28T09:00:00+07:00")
    assert code == 0
    assert "Đã gửi 11/36 (2 đúng hạn, 9 chậm), chưa gửi 25." in out
    assert "Đã gửi 28/35 (19 đúng hạn, 9 chậm), chưa gửi 7." in out
    assert "Đã gửi 14/24 (8 đúng hạn, 6 chậm), chưa gửi 10." in out
    assert "THƯ CHỜ XEM XÉT: 5" in out and "THƯ NHẬN NGÀY 27/06/2019: 3" in out
    assert "Thứ Tư, ngày 03/07/2019" in out                      # the quarterly deadline ahead
    assert "Chưa gửi — UBND các huyện, thành phố (4):\n     · UBND huyện Mường Tè" in out
    assert "CẦN CHÚ Ý: 3 báo cáo đã quá hạn còn thiếu 42 lượt đơn vị chưa gửi; 5 thư chờ xem xét" in out
    cli(project, "digest", "--send", "--at", "2019-06-28T09:00:00+07:00")
    cli(project, "digest", "--send", "--at", "2019-06-28T15:00:00+07:00")
    assert len(smtp.messages) == 1
    msg = email.message_from_bytes(smtp.messages[0]["data"], policy=email.policy.default)
    assert msg["To"] == "tonghop@laichau.gov.vn"
    html = msg.get_body(("html",)).get_content()
    parser = _Tables()
    parser.feed(html)
    assert parser.tables >= 1 and "760/UBND-TH" in "".join(parser.text)
    assert msg.get_body(("plain",)).get_content().startswith("TÌNH HÌNH GỬI BÁO CÁO")


def test_line_breaks_cannot_inject_headers(project, notify_project):
    from ingestd.errors import RulesError
    from ingestd.rules import load_rules

    project.write_rule("units.toml", UNITS.replace('name = "Sở Bình An"',
                                                   'name = "Sở Bình An\\r\\nBcc: victim@evil.example"'))
    with pytest.raises(RulesError, match="name có dấu xuống dòng"):
        load_rules(project.rules)
    with pytest.raises(DeliveryError):
        build("vanthu@laichau.gov.vn", ["b@laichau.gov.vn"], [], "Nhắc việc\r\nBcc: x@evil.example",
              "x", None, "<id@x>", __import__("datetime").datetime.now())


def test_one_cycle_computes_the_ledger_once(project, cli, sample_dir, monkeypatch):
    """Acknowledgements, reminders, the digest and the quarterly report of one `run --once`
    share one computation of every report's status (they computed it once each before)."""
    import ingestd.statusview as statusview
    from ingestd.config import load_settings
    from ingestd.daemon import CycleReport, Daemon

    project.write_config('[quarterly_report]\nday = 5\nto = ["chanhvanphong@laichau.gov.vn"]\n')
    project.load_sample(cli, sample_dir)
    at = datetime(2019, 7, 8, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))   # Q2's report is due
    calls: list[datetime] = []
    real = statusview.compute
    monkeypatch.setattr(statusview, "compute", lambda svc, when, *a, **k: (calls.append(when),
                                                                            real(svc, when, *a, **k))[1])
    daemon = Daemon(load_settings(project.config))
    try:
        report = CycleReport()
        daemon.notify_jobs(at, report, force_digest=True)
    finally:
        daemon.svc.close()
    assert report.digest and report.quarterly == "2019-Q2"
    assert calls == [at]
