"""High availability: two `ingestd run` processes on one PostgreSQL database and one mailbox
process every message exactly once and send every reminder and the digest once."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from daemon_proc import cli_json, start, stop, wait_for
from imapclient import IMAPClient
from servers import SmtpSink

from ingestd.calendar import WorkCalendar
from ingestd.rules.model import CalendarRules
from ingestd.testing import Mail, auth_results

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.slow
def test_two_daemons_one_postgres(project, postgres, dovecot, tmp_path):
    user, password = dovecot.new_user()
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=30) as c:
        c.login(user, password)
        for n in range(300):
            c.append("INBOX", Mail("skhdt@laichau.gov.vn", f"Báo cáo {n}",
                                   f"Thực hiện Văn bản số 760/UBND-TH #{n}",
                                   message_id=f"ha-{n}@laichau.gov.vn",
                                   auth=[auth_results("mail.laichau.gov.vn", "laichau.gov.vn")]
                                   ).build(), msg_time=datetime(2019, 5, 18, 9, tzinfo=TZ))
    # a report due on the previous working day, so that after-1 reminders are due right now
    today = datetime.now(TZ).date()
    cal = WorkCalendar(TZ, CalendarRules(working_days=frozenset({today})))
    due = cal.subtract_working_days(today, 1)
    project.write_rule("calendar.toml", f"working_days = [{today.isoformat()}]\n")
    project.write_rule("reminders.toml", '[defaults]\nbefore_days = []\nafter_days = [1]\n'
                                         'send_at = "00:00"\n')
    project.write_rule("directives/9999.toml", f"""\
        [directive]
        number = "9999/UBND-TH"
        date = {(due - timedelta(days=10)).isoformat()}

        [[report]]
        id = "ha-test"
        units = ["@so-nganh", "@huyen"]
        due = {due.isoformat()}
        """)
    sink = SmtpSink()
    project.database_url = postgres.new_database()
    project.write_config(f"""
        [[imap]]
        name = "vanthu"
        host = "127.0.0.1"
        port = {dovecot.port}
        security = "none"
        username = "{user}"
        password_env = "INGESTD_TEST_IMAP"
        poll_seconds = 1
        batch_size = 20

        [smtp]
        host = "127.0.0.1"
        port = {sink.port}
        security = "none"
        from = "Văn phòng UBND tỉnh <vanthu@laichau.gov.vn>"
        """)
    (project.rules / "directives" / "876-KH-UBND.toml").unlink()   # keep the mail count exact
    cfg = project.config.read_text().replace('time = "07:30"', 'time = "00:00"')
    project.config.write_text(cfg)
    env = {"INGESTD_TEST_IMAP": password}
    logs = [tmp_path / "node1.log", tmp_path / "node2.log"]
    nodes = [start(project.config, env, log) for log in logs]
    try:
        def all_matched() -> bool:
            rows = cli_json(project.config, "receipts")
            return len(rows) == 300 and all(r["state"] == "matched" for r in rows)
        assert wait_for(all_matched, 180, every=2)
        reminders = 36                                   # every unit: this reminders.toml has no [[off]]
        assert wait_for(lambda: len(sink.messages) >= reminders + 1, 120, every=1)
        time.sleep(3)                                    # anything doubled would show up now
    finally:
        for p in nodes:
            stop(p)
        sink.stop()
    rows = cli_json(project.config, "receipts")
    assert len({r["message_id"] for r in rows}) == 300
    matched = []
    for log in logs:
        for line in log.read_text().splitlines():
            if line.startswith("{") and '"event": "matched"' in line:
                matched.append(json.loads(line)["receipt"])
    assert len(matched) == 300 and len(set(matched)) == 300      # each processed by one node
    recipients = [m["to"] for m in sink.messages]
    digests = [m for m in sink.messages if re.search(rb"tonghop@laichau\.gov\.vn", m["data"])]
    assert len(digests) == 1
    reminder_to = [tuple(to) for to in recipients if to != ["tonghop@laichau.gov.vn"]]
    assert len(reminder_to) == reminders and len(set(reminder_to)) == reminders
