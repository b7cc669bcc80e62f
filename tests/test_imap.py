"""The IMAP source against a real Dovecot on loopback: receipt times, IDLE and polling, crashes,
server restarts, cut connections and UIDVALIDITY changes. Nothing lost, nothing doubled."""

from __future__ import annotations

import random
import re
import signal
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from daemon_proc import cli_json, start, stop, wait_for
from imapclient import IMAPClient
from servers import TcpProxy

from ingestd.testing import Mail, auth_results

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUTH = [auth_results("mail.laichau.gov.vn", "laichau.gov.vn")]


def message(n: int) -> bytes:
    return Mail("skhdt@laichau.gov.vn", f"Báo cáo số {n}", f"Thực hiện Văn bản số 760/UBND-TH #{n}",
                message_id=f"msg-{n}@laichau.gov.vn", auth=AUTH).build()


class Mailbox:
    def __init__(self, dovecot, port: int | None = None):
        self.user, self.password = dovecot.new_user()
        self.port = port or dovecot.port
        self.dovecot = dovecot

    def client(self) -> IMAPClient:
        c = IMAPClient("127.0.0.1", port=self.dovecot.port, ssl=False, timeout=30)
        c.login(self.user, self.password)
        return c

    def append(self, n_from: int, n_to: int, when: datetime | None = None, folder="INBOX") -> None:
        with self.client() as c:
            for n in range(n_from, n_to):
                c.append(folder, message(n), msg_time=when or datetime.now(TZ))

    def config(self, project, poll: int = 1, idle: bool = True, after: str = "keep",
               port: int | None = None, folder: str = "INBOX") -> None:
        project.write_config(f"""
            [[imap]]
            name = "vanthu"
            host = "127.0.0.1"
            port = {port or self.port}
            security = "none"
            username = "{self.user}"
            password_env = "INGESTD_TEST_IMAP"
            folders = ["{folder}"]
            poll_seconds = {poll}
            idle = {"true" if idle else "false"}
            after_fetch = "{after}"
            timeout_seconds = 10
            batch_size = 25
            """)
        self.env = {"INGESTD_TEST_IMAP": self.password}


@pytest.fixture
def mbox(dovecot, monkeypatch):
    box = Mailbox(dovecot)
    monkeypatch.setenv("INGESTD_TEST_IMAP", box.password)
    return box


def receipts(project) -> list[dict]:
    return cli_json(project.config, "receipts")


def test_internaldate_is_the_receipt_time(project, cli, mbox):
    mbox.append(1, 3, datetime(2019, 5, 20, 23, 59, tzinfo=TZ))
    mbox.append(3, 4, datetime(2019, 5, 20, 17, 0, 30, tzinfo=ZoneInfo("UTC")))   # 00:00:30 +07
    mbox.config(project)
    code, out, err = cli(project, "fetch", "--once")
    assert code == 0, err
    rows = cli.json(project, "receipts")
    assert sorted(r["received_at"] for r in rows) == [
        "2019-05-20T23:59:00+07:00", "2019-05-20T23:59:00+07:00", "2019-05-21T00:00:30+07:00"]
    status = cli.json(project, "status", "--at", "2019-06-01", "--report", "760-ha-tang")
    khdt = next(u for u in status["reports"][0]["units"] if u["unit"] == "so-khdt")
    assert khdt["status"] == "on_time" and khdt["amendments"] == 2
    assert all(r["source"] == "imap:vanthu/INBOX" for r in rows)


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "polling"])
def test_new_mail_arrives_while_running(project, mbox, idle):
    mbox.config(project, poll=2, idle=idle)
    proc = start(project.config, mbox.env)
    try:
        assert wait_for(lambda: "ingestd running" in (project.root / "daemon.log").read_text(), 30)
        time.sleep(1)
        mbox.append(1, 2)
        t0 = time.monotonic()
        assert wait_for(lambda: len(receipts(project)) == 1, 20)
        took = time.monotonic() - t0
        assert wait_for(lambda: receipts(project)[0]["state"] == "matched", 20)
        assert took < 15
    finally:
        assert stop(proc) == 0


def test_sighup_starts_an_account_added_to_the_config(project, mbox):
    """An [[imap]] account added while the daemon runs is fetched after `systemctl reload`;
    a setting that needs a restart is named in the log instead of being silently ignored."""
    project.write_config("")
    log = project.root / "daemon.log"
    proc = start(project.config)                         # the password is in the environment
    try:
        assert wait_for(lambda: "ingestd running" in log.read_text(), 30)
        mbox.append(1, 2)
        mbox.config(project, poll=1)
        project.config.write_text(project.config.read_text().replace(
            'database_url = "sqlite:///var/ingestd.db"',
            'database_url = "sqlite:///var/elsewhere.db"'))
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "config and rules reloaded" in log.read_text(), 15)
        assert "take effect after a restart" in log.read_text() and "database_url" in log.read_text()
        project.write_config(project.extra)                 # back to the database in use
        assert wait_for(lambda: len(receipts(project)) == 1, 30)
        mbox.append(2, 3)                                   # and the new watcher keeps watching
        assert wait_for(lambda: len(receipts(project)) == 2, 30)
    finally:
        assert stop(proc) == 0


def test_sigterm_exits_cleanly_within_seconds(project, mbox):
    mbox.config(project, poll=1)
    proc = start(project.config, mbox.env)
    assert wait_for(lambda: "ingestd running" in (project.root / "daemon.log").read_text(), 30)
    t0 = time.monotonic()
    assert stop(proc, signal.SIGTERM) == 0
    assert time.monotonic() - t0 < 15
    assert "stopped" in (project.root / "daemon.log").read_text()


@pytest.mark.slow
def test_kill_9_during_a_500_message_ingest_loses_and_doubles_nothing(project, cli, mbox):
    mbox.append(0, 500)
    mbox.config(project, poll=1)
    rng = random.Random(9)
    for _round in range(4):
        proc = start(project.config, mbox.env)
        time.sleep(rng.uniform(1.0, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    code, _, err = cli(project, "fetch", "--once")
    assert code == 0, err
    rows = cli.json(project, "receipts")
    ids = [r["message_id"] for r in rows]
    assert len(ids) == 500 and len(set(ids)) == 500
    assert all(r["state"] == "matched" for r in rows)


@pytest.mark.parametrize("round_", range(5))
def test_dovecot_restart_mid_fetch_recovers(project, mbox, dovecot, round_):
    mbox.append(0, 150)
    mbox.config(project, poll=1)
    proc = start(project.config, mbox.env)
    try:
        assert wait_for(lambda: len(receipts(project)) > 0, 40, every=0.1)
        dovecot.restart()
        assert wait_for(lambda: len(receipts(project)) == 150, 120, every=1)
        assert len({r["message_id"] for r in receipts(project)}) == 150
    finally:
        stop(proc)


@pytest.mark.parametrize("round_", range(5))
def test_connection_cut_by_a_proxy_recovers(project, mbox, round_):
    proxy = TcpProxy(mbox.dovecot.port)
    try:
        mbox.append(0, 100)
        mbox.config(project, poll=1, port=proxy.port)
        proc = start(project.config, mbox.env)
        try:
            assert wait_for(lambda: len(receipts(project)) > 0, 40, every=0.1)
            for _ in range(3):
                proxy.cut()
                time.sleep(0.5)
            mbox.append(100, 110)
            assert wait_for(lambda: len(receipts(project)) == 110, 120, every=1)
        finally:
            stop(proc)
        log = (project.root / "daemon.log").read_text()
        # a cut while idle is the connection's failure, a cut mid-fetch the folder's: both retry
        assert re.search(r"IMAP (connection|fetch) failed; retrying", log), log
    finally:
        proxy.close()


def test_uidvalidity_change_creates_no_duplicates(project, cli, mbox):
    with mbox.client() as c:
        c.create_folder("Baocao")
    when = datetime(2019, 5, 20, 9, tzinfo=TZ)
    mbox.append(0, 5, when, folder="Baocao")
    mbox.config(project, folder="Baocao")
    cli(project, "fetch")
    with mbox.client() as c:           # the folder is deleted and recreated with the same mail
        c.delete_folder("Baocao")
        c.create_folder("Baocao")
    mbox.append(0, 6, when, folder="Baocao")
    code, out, err = cli(project, "fetch")
    assert code == 0
    assert "UIDVALIDITY changed" in err
    rows = cli.json(project, "receipts")
    assert len(rows) == 6 and len({r["message_id"] for r in rows}) == 6


def test_after_fetch_move_happens_after_commit(project, cli, mbox):
    mbox.append(0, 3)
    mbox.config(project, after="move:Processed")
    cli(project, "fetch")
    with mbox.client() as c:
        assert c.select_folder("INBOX")[b"EXISTS"] == 0
        assert c.select_folder("Processed")[b"EXISTS"] == 3
    assert len(cli.json(project, "receipts")) == 3


def test_unreachable_server_is_a_clear_error(project, cli, mbox):
    mbox.config(project, port=1)
    code, out, err = cli(project, "fetch")
    assert code == 1 and "cannot connect" in out and "Traceback" not in out + err
    code, out, _ = cli(project, "health")
    assert code == 1 and "KHÔNG NHẬN ĐƯỢC THƯ" in out
