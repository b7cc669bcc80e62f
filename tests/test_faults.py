"""Fault injection: the SMTP server refusing, timing out or dropping after DATA; the disk
filling up while a blob is written; the database locked or down. Each shows no loss, no
duplicate beyond the documented window, and recovery without help. Each runs 5 rounds."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from daemon_proc import cli_json, start, stop, wait_for
from servers import DropAfterData, Postgres, SmtpSink
from test_notify import configure_smtp, use_notify_rules

ROUNDS = range(5)
AT = "2019-06-25T09:00:00+07:00"          # after-1 reminders for units a, b, c are due


@pytest.fixture
def np(project):
    return use_notify_rules(project)


def message_ids(sink) -> list[str]:
    return [email.message_from_bytes(m["data"], policy=email.policy.default)["Message-ID"]
            for m in sink.messages]


@pytest.mark.parametrize("round_", ROUNDS)
def test_smtp_refusal_5xx_fails_the_row_and_is_not_retried(np, cli, round_):
    sink = SmtpSink()
    try:
        sink.fail_next, sink.fail_code = 1, "554 5.7.1 rejected by policy"
        configure_smtp(np, sink.port)
        code, _, err = cli(np, "remind", "--at", AT)
        assert code == 0 and "mail refused" in err
        time.sleep(1.1)
        cli(np, "remind", "--at", AT)
        assert len(sink.messages) == 2                      # the refused one stays failed
        health = cli.json(np, "health")
        assert health["outbox"] == {"sent": 2, "failed": 1}
    finally:
        sink.stop()


@pytest.mark.parametrize("round_", ROUNDS)
def test_smtp_timeout_is_retried_and_a_late_copy_keeps_its_message_id(np, cli, round_):
    sink = SmtpSink(delay=2.5)
    try:
        configure_smtp(np, sink.port, timeout=1)
        code, _, err = cli(np, "remind", "--at", AT)
        assert code == 0 and "mail deferred; will retry" in err
        sink.delay = 0
        time.sleep(1.2)
        cli(np, "remind", "--at", AT)
        time.sleep(1.2)
        cli(np, "remind", "--at", AT)
        delivered = {m["to"][0] for m in sink.messages}
        assert delivered == {"a@laichau.gov.vn", "b@laichau.gov.vn", "c@laichau.gov.vn"}
        ids = message_ids(sink)
        assert len(set(ids)) == 3              # any second copy carries the same Message-ID
    finally:
        sink.stop()


@pytest.mark.parametrize("round_", ROUNDS)
def test_smtp_dropping_after_data_is_retried(np, cli, round_):
    sink = DropAfterData(drops=1)
    try:
        configure_smtp(np, sink.port)
        code, _, err = cli(np, "remind", "--at", AT)
        assert code == 0 and "mail deferred; will retry" in err
        time.sleep(1.2)
        cli(np, "remind", "--at", AT)
        assert sorted(m["to"][0] for m in sink.messages) == [
            "a@laichau.gov.vn", "b@laichau.gov.vn", "c@laichau.gov.vn"]
    finally:
        sink.stop()


@pytest.fixture
def small_disk(project, tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("round_", ROUNDS)
def test_disk_full_while_writing_a_blob(project, cli, sample_dir, small_disk, round_):
    store = small_disk / "store"
    cfg = project.config.read_text().replace('store_dir = "var/store"', f'store_dir = "{store}"')
    project.config.write_text(cfg + '\n[[maildir]]\nname = "local"\npath = "md"\n')
    shutil.copytree(sample_dir / "Maildir", project.root / "md")
    code, out, err = cli(project, "fetch")
    assert "No space left on device" in out + err and "Traceback" not in out + err
    stored = cli.json(project, "receipts")
    assert 0 < len(stored) < 56
    assert not list((store / "tmp").iterdir())                  # no half-written blob left
    for row in stored:                                          # no row without its bytes
        assert (store / row["sha256"][:2] / row["sha256"][2:4] / row["sha256"]).exists()
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    code, out, _ = cli(project, "fetch")
    assert code == 0
    rows = cli.json(project, "receipts")
    assert len(rows) == 56 and len({r["sha256"] for r in rows}) == 56


@pytest.mark.parametrize("round_", ROUNDS)
def test_database_locked_for_a_while(project, cli, sample_dir, round_):
    shutil.copytree(sample_dir / "Maildir", project.root / "md")
    project.write_config('[[maildir]]\nname = "local"\npath = "md"\n')
    cli(project, "check")
    cli.json(project, "receipts")                     # creates the database
    db = project.root / "var" / "ingestd.db"
    locker = sqlite3.connect(db, timeout=1, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(3.0, locker.rollback)
    release.start()
    try:
        started = time.monotonic()
        code, out, err = cli(project, "fetch")
        assert code == 0, err
        assert time.monotonic() - started >= 2.5       # it waited for the lock, did not fail
    finally:
        release.join()
        locker.close()
    rows = cli.json(project, "receipts")
    assert len(rows) == 56 and all(r["state"] != "new" for r in rows)


class NotifySocket:
    """A stand-in for systemd's notify socket: records what the daemon sends, and when."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.5)
        self._got: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            for line in data.decode().splitlines():
                self._got.append((time.monotonic(), line))

    def messages(self) -> list[tuple[float, str]]:
        return list(self._got)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.mark.slow
@pytest.mark.parametrize("round_", ROUNDS)
def test_postgres_down_then_back_the_daemon_recovers(project, sample_dir, round_):
    pg = Postgres()
    try:
        project.database_url = pg.new_database()
        md = project.root / "md"
        for sub in ("cur", "new", "tmp"):
            (md / sub).mkdir(parents=True)
        project.write_config('[[maildir]]\nname = "local"\npath = "md"\n')
        watchdog = NotifySocket(project.root / "notify.sock")
        proc = start(project.config, env={"NOTIFY_SOCKET": str(watchdog.path),
                                          "WATCHDOG_USEC": "4000000"})
        try:
            assert wait_for(lambda: "ingestd running" in (project.root / "daemon.log").read_text(), 30)
            pg_ctl = [str(pg.bin / "pg_ctl"), "-D", str(pg.data), "-w", "-t", "30"]
            runas = ["runuser", "-u", pg.user, "--"] if pg.user else []
            subprocess.run(runas + pg_ctl + ["-m", "fast", "stop"], check=True, capture_output=True)
            down_at = time.monotonic()
            files = sorted((sample_dir / "Maildir" / "cur").iterdir())[:10]
            for f in files:
                shutil.copy(f, md / "cur" / f.name)
            time.sleep(20)                                  # a few polls fail meanwhile
            assert proc.poll() is None                      # still running
            # systemd would kill a daemon that stops feeding its watchdog (WatchdogSec=4 s
            # here): it must keep feeding it while the database is down
            fed = [t for t, m in watchdog.messages() if m == "WATCHDOG=1" and t > down_at + 1]
            assert len(fed) >= 6, fed
            subprocess.run(runas + pg_ctl + ["-l", str(pg.dir / "log"), "-o",
                           f"-p {pg.port} -k {pg.dir} -c listen_addresses=127.0.0.1", "start"],
                           check=True, capture_output=True)
            assert wait_for(lambda: len(cli_json(project.config, "receipts")) == 10, 90, every=2)
            assert wait_for(lambda: all(r["state"] != "new" for r in
                                        cli_json(project.config, "receipts")), 60, every=2)
        finally:
            assert stop(proc) == 0
            watchdog.close()
        log = (project.root / "daemon.log").read_text()
        assert "source failed" in log and "OperationalError" in log
    finally:
        pg.stop()


def test_a_full_outbox_disk_defers_the_mail_and_leaves_no_temp_file(np, cli, small_disk):
    """Without [smtp] mail is written to outbox_dir; when that disk is full, `run --once`
    ends normally (no "internal error"), the mail waits for a retry, nothing half-written
    stays, and the other jobs still run (the digest is still composed)."""
    (small_disk / "filler").write_bytes(b"\0" * (1024 * 1024 - 4096))
    cfg = np.config.read_text().replace('outbox_dir = "var/outbox"', f'outbox_dir = "{small_disk}"')
    np.config.write_text(cfg)
    code, out, err = cli(np, "run", "--once", "--at", AT)
    assert code == 0, out + err
    assert "internal error" not in out + err and "Traceback" not in out + err
    assert "mail deferred; will retry" in err and "No space left on device" in err
    assert not [p for p in small_disk.iterdir() if p.name.startswith(".tmp-")]
    health = cli.json(np, "health")
    assert health["outbox"].get("failed", 0) == 0 and health["outbox"].get("sent", 0) == 0
