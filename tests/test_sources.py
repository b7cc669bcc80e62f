"""Every source behaves alike (run over each backend, as APScheduler runs its tests over every
job store): it offers what its backend holds with the official receipt time, nothing is
stored twice, what is delivered later is taken up, and a message the store could not take is
offered again at the next poll -- never lost. IMAP runs against a real Dovecot."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from ingestd.config_values import Secret
from ingestd.errors import SourceError
from ingestd.sources.base import Source
from ingestd.sources.files import FileTree
from ingestd.sources.gateway import GatewayFolder
from ingestd.sources.gateway_config import GatewayInbox
from ingestd.sources.imap import FolderFailed, ImapFolder, connect, poll_account
from ingestd.sources.imap_config import ImapAccount
from ingestd.sources.intake import IngestSummary, store_batch, store_incoming
from ingestd.sources.maildir import MaildirFolder
from ingestd.sources.maildir_config import MaildirSource
from ingestd.store.blobs import BlobStore
from ingestd.store.repo import Store
from ingestd.testing import Mail, auth_results, delivered, make_edxml

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2019, 5, 20, 1, 30, tzinfo=UTC)
AUTH = [auth_results("mail.laichau.gov.vn", "laichau.gov.vn")]


def mail(n: int, received: datetime | None = None) -> bytes:
    raw = Mail("skhdt@laichau.gov.vn", f"Báo cáo số {n}", f"Thực hiện Văn bản số 760/UBND-TH #{n}",
               message_id=f"src-{n}@laichau.gov.vn", auth=AUTH).build()
    if received is not None:        # what our own server writes on top: import's receipt time
        stamp = received.strftime("%a, %d %b %Y %H:%M:%S +0000")
        raw = delivered(raw, f"from mx.laichau.gov.vn; {stamp}")
    return raw


class Backend:
    """A mailbox of one kind: deliver messages with their official time, poll it as a Source."""

    name = ""

    def deliver(self, n: int, when: datetime) -> None:
        raise NotImplementedError

    @contextmanager
    def source(self, store: Store) -> Iterator[Source]:
        raise NotImplementedError


class ImapBackend(Backend):
    name = "imap"

    def __init__(self, dovecot, tmp: Path):
        self.user, password = dovecot.new_user()
        self.port = dovecot.port
        os.environ["INGESTD_TEST_SOURCES_IMAP"] = password
        self.account = ImapAccount("vanthu", "127.0.0.1", dovecot.port, "none", self.user,
                                   Secret(env="INGESTD_TEST_SOURCES_IMAP"), batch_size=2,
                                   timeout_seconds=10)

    def deliver(self, n: int, when: datetime) -> None:
        with IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30) as c:
            c.login(self.user, os.environ["INGESTD_TEST_SOURCES_IMAP"])
            c.append("INBOX", mail(n), msg_time=when)

    @contextmanager
    def source(self, store: Store) -> Iterator[Source]:
        client = connect(self.account)
        try:
            yield ImapFolder(client, self.account, "INBOX", store)
        finally:
            client.logout()


class MaildirBackend(Backend):
    name = "maildir"

    def __init__(self, _dovecot, tmp: Path):
        self.path = tmp / "Maildir"
        for sub in ("new", "cur", "tmp"):
            (self.path / sub).mkdir(parents=True)

    def deliver(self, n: int, when: datetime) -> None:    # the MTA names it by delivery time
        (self.path / "new" / f"{int(when.timestamp())}.M0P{n}.mx").write_bytes(mail(n))

    @contextmanager
    def source(self, store: Store) -> Iterator[Source]:
        yield MaildirFolder(MaildirSource("vanthu", self.path), store)


class GatewayBackend(Backend):
    name = "gateway"

    def __init__(self, _dovecot, tmp: Path):
        self.path = tmp / "edxml-in"
        self.path.mkdir()

    def deliver(self, n: int, when: datetime) -> None:  # the receiving hop is the official time
        local = when.astimezone(TZ).strftime("%Y/%m/%d %H:%M:%S")
        raw = make_edxml("000.07.31.H30", "Sở Kế hoạch và Đầu tư", str(n), "BC-SKHĐT",
                         f"Báo cáo số {n}", "Thực hiện Văn bản số 760/UBND-TH",
                         [("760/UBND-TH", "2019/05/10")], ["2019/05/01 08:00:00", local],
                         document_id=f"doc-{n}", to_organ=("000.00.31.H30", "UBND tỉnh"))
        path = self.path / f"{n:03d}.edxml"
        path.write_bytes(raw)
        os.utime(path, (when.timestamp() - 60, when.timestamp() - 60))   # settled

    @contextmanager
    def source(self, store: Store) -> Iterator[Source]:
        yield GatewayFolder(GatewayInbox("gw", "edxml-dir", self.path, settle_seconds=0.5),
                            TZ, 50 * 1024 * 1024)


class FilesBackend(Backend):
    name = "files"

    def __init__(self, _dovecot, tmp: Path):
        self.path = tmp / "backfill"
        self.path.mkdir()

    def deliver(self, n: int, when: datetime) -> None:     # our server's Received: header
        (self.path / f"{n:03d}.eml").write_bytes(mail(n, when))

    @contextmanager
    def source(self, store: Store) -> Iterator[Source]:
        yield FileTree([self.path], TZ)


BACKENDS = [ImapBackend, MaildirBackend, GatewayBackend, FilesBackend]


@pytest.fixture(params=BACKENDS, ids=[b.name for b in BACKENDS])
def backend(request, tmp_path) -> Backend:
    dovecot = request.getfixturevalue("dovecot") if request.param is ImapBackend else None
    return request.param(dovecot, tmp_path)


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'ingestd.db'}", BlobStore(tmp_path / "blobs"))
    yield s
    s.close()


def poll(backend: Backend, store: Store):
    with backend.source(store) as source:
        return store_incoming(store, source)


def which(raw: bytes) -> int:
    """The number a test message was delivered with (its Message-ID or edXML DocumentId)."""
    for n in range(100):
        if f"src-{n}@".encode() in raw or f">doc-{n}<".encode() in raw:
            return n
    raise AssertionError("not a message of this test")


def receipts(store: Store) -> list[tuple[datetime, int]]:
    return sorted((r.received_at.replace(tzinfo=UTC), which(store.raw(r)))
                  for r in store.rows(store.all_ids()))


def test_every_message_once_with_its_official_time(backend, store):
    times = [T0 + timedelta(hours=i) for i in range(5)]
    for i, when in enumerate(times):
        backend.deliver(i, when)
    first = poll(backend, store)
    assert (first.new, first.failed) == (5, [])
    assert receipts(store) == [(when, i) for i, when in enumerate(times)]
    again = poll(backend, store)
    assert again.new == 0 and len(receipts(store)) == 5


def test_what_arrives_later_is_taken_up_by_the_next_poll(backend, store):
    backend.deliver(1, T0)
    assert poll(backend, store).new == 1
    backend.deliver(2, T0 + timedelta(days=1))
    assert poll(backend, store).new == 1
    assert receipts(store) == [(T0, 1), (T0 + timedelta(days=1), 2)]


def test_a_message_the_store_cannot_take_is_offered_again(backend, store, monkeypatch):
    for i in range(4):
        backend.deliver(i, T0 + timedelta(minutes=i))
    real_put = store.blobs.put
    refused: list[bytes] = []

    def disk_full_once(data: bytes) -> str:
        if which(data) == 1 and not refused:          # the second message, once
            refused.append(data)
            raise OSError(28, "No space left on device")
        return real_put(data)

    monkeypatch.setattr(store.blobs, "put", disk_full_once)
    first = poll(backend, store)
    assert first.new == 3 and len(first.failed) == 1 and refused
    assert "không lưu được" in first.failed[0][1]
    second = poll(backend, store)
    assert second.new == 1 and second.failed == []
    assert [n for _, n in receipts(store)] == [0, 1, 2, 3]


@pytest.mark.parametrize("kind", BACKENDS[:3], ids=[b.name for b in BACKENDS[:3]])
def test_a_source_that_cannot_be_read_is_recorded_on_its_health(kind, store, tmp_path, request):
    """The daemon's sources (not import, which reports a missing path as an item of its own)."""
    backend = kind(request.getfixturevalue("dovecot") if kind is ImapBackend else None, tmp_path)
    backend.deliver(1, T0)
    assert poll(backend, store).new == 1
    if backend.name == "imap":
        client = connect(backend.account)
        try:
            source = ImapFolder(client, backend.account, "Missing", store)
            with pytest.raises(IMAPClientError):
                store_incoming(store, source)
        finally:
            client.logout()
    else:
        backend.path.rename(tmp_path / "moved-away")
        with pytest.raises(SourceError), backend.source(store) as source:
            store_incoming(store, source)
    assert store.health.source_state(source.key).last_error
    assert store.health.source_state(source.key).last_error_at is not None


def test_a_failing_folder_is_recorded_once_by_intake(dovecot, store, tmp_path, monkeypatch):
    """A folder that fails is recorded on its own health row, once (the backend does not write
    health itself); the other folders' polls are not recorded as failed; a refused connection
    is recorded on every folder of the account."""
    backend = ImapBackend(dovecot, tmp_path)
    backend.deliver(1, T0)
    account = replace(backend.account, folders=("INBOX", "Missing"))
    recorded: list[tuple[str, str]] = []
    real = store.health.source_error
    monkeypatch.setattr(store.health, "source_error", lambda k, m: (recorded.append((k, m)), real(k, m)))
    with pytest.raises(FolderFailed):
        poll_account(account, store)
    assert [k for k, _ in recorded] == ["imap:vanthu/Missing"]
    assert store.health.source_state("imap:vanthu/INBOX").last_ok_at is not None
    recorded.clear()
    with pytest.raises(SourceError):
        poll_account(replace(account, port=1), store)
    assert sorted(k for k, _ in recorded) == ["imap:vanthu/INBOX", "imap:vanthu/Missing"]
    assert all(m.startswith("connect:") for _, m in recorded)


def test_a_gateway_file_another_node_settled_is_not_a_fault(store, tmp_path):
    """Two daemons on one database share the gateway folder: both read a file, both store it
    (once, by its hash); the one that settles second finds it moved: settled, not a failure
    for health and the digest."""
    backend = GatewayBackend(None, tmp_path)
    for n in range(3):
        backend.deliver(n, T0)
    with backend.source(store) as first, backend.source(store) as second:
        for batch_a, batch_b in zip(first.batches(), second.batches(), strict=True):
            stored_a = store_batch(store, first.key, batch_a, IngestSummary())
            stored_b = store_batch(store, second.key, batch_b, IngestSummary())
            first.settle(stored_a)
            second.settle(stored_b)           # the file is in processed/ already
    assert len(store.all_ids()) == 3
    assert sorted(p.name for p in (backend.path / "processed").iterdir()) == \
        ["000.edxml", "001.edxml", "002.edxml"]
    assert poll(backend, store).new == 0
    assert store.health.source_state(first.key).last_error is None
