"""Real servers on loopback for the tests: PostgreSQL, Dovecot, an SMTP sink (aiosmtpd) and a
TCP proxy that can cut connections. Each stops itself when its fixture ends."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {seconds}s")


def _as_user(user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--"] if user else []


class Postgres:
    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.fail("PostgreSQL is not installed (scripts/test installs the postgresql package)")
        self.bin = Path(bins[-1]).parent
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dir = Path(tempfile.mkdtemp(prefix="ingestd-pg-"))
        os.chmod(self.dir, 0o755)
        self.data = self.dir / "data"
        if self.user:
            shutil.chown(self.dir, self.user)
        self.port = free_port()
        subprocess.run(_as_user(self.user) + [str(self.bin / "initdb"), "-D", str(self.data), "-A",
                       "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], check=True,
                       capture_output=True, timeout=120)
        subprocess.run(_as_user(self.user) + [
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "-l",
            str(self.dir / "log"), "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200", "start"], check=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=90)
        self.n = 0

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        import psycopg

        self.n += 1
        name = f"t{os.getpid()}_{self.n}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(_as_user(self.user) + [str(self.bin / "pg_ctl"), "-D", str(self.data),
                       "-m", "immediate", "-w", "-t", "30", "stop"], capture_output=True,
                       timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/run/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={d}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self) -> None:
        if not shutil.which("dovecot"):
            pytest.fail("Dovecot is not installed (scripts/test installs dovecot-imapd)")
        if os.geteuid() != 0:
            pytest.fail("the Dovecot fixture runs as root (as scripts/test and CI do)")
        self.dir = Path(tempfile.mkdtemp(prefix="ingestd-dovecot-"))
        os.chmod(self.dir, 0o755)
        (self.dir / "mail").mkdir()
        nobody = pwd.getpwuid(65534)
        os.chown(self.dir / "mail", nobody.pw_uid, nobody.pw_gid)
        # passwd-file is re-read on mtime change (1 s granularity): create every user up front
        (self.dir / "users").write_text("".join(
            f"vanthu{i}@laichau.gov.vn:{{PLAIN}}secret{i}\n" for i in range(1, 301)))
        self.port = free_port()
        (self.dir / "dovecot.conf").write_text(DOVECOT_CONF.format(d=self.dir, port=self.port))
        self.n = 0
        self.start()

    def start(self) -> None:
        # dovecot daemonizes and keeps inherited pipes open: give it files, not pipes
        with open(self.dir / "start.log", "ab") as log:
            subprocess.run(["dovecot", "-c", str(self.dir / "dovecot.conf")], check=True,
                           stdout=log, stderr=log, stdin=subprocess.DEVNULL, timeout=30)
        wait_port(self.port)

    def pid(self) -> int | None:
        try:
            return int((self.dir / "run" / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def new_user(self) -> tuple[str, str]:
        self.n += 1
        return f"vanthu{self.n}@laichau.gov.vn", f"secret{self.n}"

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class TcpProxy:
    """Forwards 127.0.0.1:port -> target; ``cut()`` drops every open connection."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                    c.close()
                except OSError:
                    pass
            self.conns.clear()

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.sock.close()


class SmtpSink:
    """aiosmtpd on loopback. ``fail_next`` answers that many transactions with 451."""

    def __init__(self, port: int | None = None, delay: float = 0.0) -> None:
        import asyncio

        from aiosmtpd.controller import Controller

        self.messages: list[dict] = []
        self.fail_next = 0
        self.delay = delay
        self.fail_code = "451 4.3.0 try again later"
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                if sink.fail_next > 0:
                    sink.fail_next -= 1
                    return sink.fail_code
                sink.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                      "data": envelope.original_content or envelope.content})
                return "250 OK"

        self.port = port or free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if not getattr(self, "stopped", False):
            self.stopped = True
            self.controller.stop()


class DropAfterData(SmtpSink):
    """Closes the connection after receiving DATA, before answering: the client cannot know."""

    def __init__(self, drops: int = 1) -> None:
        super().__init__()
        self.drops = drops
        handler = self.controller.handler
        original = handler.handle_DATA
        sink = self

        async def handle_DATA(server, session, envelope):  # noqa: N802
            if sink.drops > 0:
                sink.drops -= 1
                server.transport.close()
                return "250 OK"
            return await original(server, session, envelope)

        handler.handle_DATA = handle_DATA


class Console:
    """`ingestd web` serving a project on loopback, in a process group of its own that
    `timeout` ends by itself even if the test process is killed."""

    def __init__(self, config: Path, log: Path, at: str | None = None, seconds: int = 600):
        import sys
        import urllib.request

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = ["timeout", str(seconds), sys.executable, "-m", "ingestd", "--config", str(config),
               "web", "--port", str(self.port)] + (["--at", at] if at else [])
        self.proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=open(log, "wb"))  # noqa: SIM115
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.2)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
