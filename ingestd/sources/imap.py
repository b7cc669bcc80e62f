"""IMAP mailboxes via imapclient: batched UID fetches, INTERNALDATE as receipt time, state per
(account, folder) advanced only after the receipts are committed, IDLE when offered.

Rules learnt the hard way by mail fetchers:
- ``UID n:*`` returns the last message even when n is past it: filter UIDs client-side.
- A new UIDVALIDITY means UIDs were reassigned: re-scan the folder. Receipts are identified
  by (source, sha256), so the re-scan stores nothing twice; a warning is logged.
- ``after_fetch`` (flag / move) happens only after commit, so a crash never loses a message.
- No server-side SEARCH on non-ASCII text: everything is filtered here.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError

from ingestd.backoff import backoff_seconds
from ingestd.errors import TransientSourceError, one_line
from ingestd.logs import get_logger
from ingestd.sources.base import Incoming, Item, Stored
from ingestd.sources.imap_config import ImapAccount, folder_key
from ingestd.sources.intake import record_alive, record_failure, store_incoming
from ingestd.store.repo import Store

log = get_logger("ingestd.imap")
IDLE_REISSUE_SECONDS = 20 * 60          # RFC 2177: servers may drop IDLE after 30 min
NETWORK_ERRORS = (OSError, socket.timeout, ssl.SSLError, IMAPClientError, EOFError)


def _keys(account: ImapAccount) -> list[str]:
    return [folder_key(account, f) for f in account.folders]


def connect(account: ImapAccount) -> IMAPClient:
    timeout = SocketTimeout(connect=15, read=account.timeout_seconds)
    ctx = ssl.create_default_context()
    client = IMAPClient(account.host, port=account.port, ssl=account.security == "tls",
                        ssl_context=ctx if account.security == "tls" else None, timeout=timeout)
    client.normalise_times = False
    if account.security == "starttls":
        client.starttls(ctx)
    client.login(account.username, account.password.reveal() or "")
    return client


class ImapFolder:
    """One folder of an account, over a logged-in client: batched UID fetches past the last
    UID settled; after each batch is committed, the after_fetch action and the new last UID."""

    health = True

    def __init__(self, client: IMAPClient, account: ImapAccount, folder: str, store: Store):
        self.client, self.account, self.folder, self.store = client, account, folder, store
        self.key = folder_key(account, folder)
        self.state = store.health.source_state(self.key)
        self.uidvalidity = 0
        self.batch_uids: list[int] = []
        self.held = False           # a message of this poll was not stored: keep the UID before it

    def batches(self) -> Iterator[list[Item]]:
        info = self.client.select_folder(self.folder, readonly=self.account.after_fetch == "keep")
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        last = self.state.last_uid or 0
        if self.state.uidvalidity is not None and self.state.uidvalidity != self.uidvalidity:
            log.warning("UIDVALIDITY changed: re-scanning the folder (nothing is stored twice)",
                        source=self.key, old=self.state.uidvalidity, new=self.uidvalidity)
            last = 0
        uids = sorted(u for u in self.client.search(["UID", f"{last + 1}:*"]) if u > last)
        if not uids and self.state.uidvalidity != self.uidvalidity:
            self.state.uidvalidity = self.uidvalidity
            self.store.health.save_source_state(self.state)
        size = self.account.batch_size
        for i in range(0, len(uids), size):
            self.batch_uids = uids[i:i + size]
            yield self._fetch(self.batch_uids)

    def _fetch(self, uids: list[int]) -> list[Item]:
        fetched = self.client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE"])
        items: list[Item] = []
        for uid in uids:
            data = fetched.get(uid)
            if not data or b"BODY[]" not in data:
                log.warning("message vanished before fetch", source=self.key, uid=uid)
                continue
            when = data.get(b"INTERNALDATE")
            if not isinstance(when, datetime):
                when = datetime.now(UTC)
            elif when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            items.append(Incoming(data[b"BODY[]"], when, f"{self.uidvalidity}:{uid}"))
        return items

    def settle(self, stored: list[Stored]) -> None:
        """Flag or move what was stored, then remember the batch's last UID -- unless a message
        of this poll could not be stored: from then on the last UID stays before it, so the
        next poll offers it again (what was stored meanwhile is known by its bytes)."""
        done = [int(item.ref.rsplit(":", 1)[1]) for item, added in stored if added is not None]
        _after_fetch(self.client, self.account, done)
        missed = [int(item.ref.rsplit(":", 1)[1]) for item, added in stored if added is None]
        if missed and not self.held:
            self.held = True
            self.state.uidvalidity, self.state.last_uid = self.uidvalidity, min(missed) - 1
            self.store.health.save_source_state(self.state)
        if not self.held:
            self.state.uidvalidity, self.state.last_uid = self.uidvalidity, max(self.batch_uids)
            self.store.health.save_source_state(self.state)


def _after_fetch(client: IMAPClient, account: ImapAccount, uids: list[int]) -> None:
    if not uids or account.after_fetch == "keep":
        return
    if account.after_fetch == "flag":
        client.add_flags(uids, [b"$Ingested"])
        return
    target = account.after_fetch.split(":", 1)[1]
    if not client.folder_exists(target):
        client.create_folder(target)
    if client.has_capability("MOVE"):
        client.move(uids, target)
    else:
        client.copy(uids, target)
        client.delete_messages(uids)
        client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()


class FolderFailed(TransientSourceError):
    """A folder's poll failed; intake has recorded it on the folder (never recorded twice)."""


def poll_folder(client: IMAPClient, account: ImapAccount, folder: str, store: Store) -> list[int]:
    """Store what is new in one folder; returns the new receipt ids."""
    try:
        return store_incoming(store, ImapFolder(client, account, folder, store)).new_ids
    except NETWORK_ERRORS as exc:
        raise FolderFailed(f"IMAP {account.name}/{folder}: {exc}") from exc


def poll_account(account: ImapAccount, store: Store) -> list[int]:
    """One pass over every folder of an account; returns the new receipt ids."""
    try:
        client = connect(account)
    except NETWORK_ERRORS as exc:
        record_failure(store, _keys(account), f"connect: {exc}")
        raise TransientSourceError(f"IMAP {account.name}: cannot connect to {account.host}:"
                                   f"{account.port}: {exc}") from None
    new: list[int] = []
    try:
        for folder in account.folders:
            new.extend(poll_folder(client, account, folder, store))
    finally:
        try:
            client.logout()
        except NETWORK_ERRORS:
            pass
    return new


def _alive(client: IMAPClient) -> bool:
    """imapclient's idle_check swallows EOF; look at the socket ourselves."""
    sock = client.socket()
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return True
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except (OSError, ValueError):
        return False


class ImapWatcher:
    """Keeps one account fetched: IDLE when the server offers it (one folder), polling
    otherwise; reconnects with capped exponential backoff and jitter."""

    def __init__(self, account: ImapAccount, store: Store, on_new: Callable[[], None],
                 stop: threading.Event):
        self.account, self.store, self.on_new, self.stop = account, store, on_new, stop
        self.failures = 0

    def backoff(self) -> float:
        self.failures += 1
        return backoff_seconds(self.failures + 1, 2.0, 300.0, jitter=True)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._session()
            except Exception as exc:  # noqa: BLE001 - the network, the server, the database: keep watching
                delay = self.backoff()
                lost = isinstance(exc, NETWORK_ERRORS + (TransientSourceError,))
                error = str(exc) if lost else f"{type(exc).__name__}: {one_line(exc, 300)}"
                log.error("IMAP connection failed; retrying" if lost and not isinstance(exc, FolderFailed)
                          else "IMAP fetch failed; retrying", account=self.account.name, error=error,
                          retry_in=round(delay, 1))
                if not isinstance(exc, FolderFailed):   # a folder's failure: intake recorded it
                    self._record(error)
                self.stop.wait(delay)

    def _record(self, error: str) -> None:
        record_failure(self.store, _keys(self.account), error)

    def _session(self) -> None:
        acct = self.account
        client = connect(acct)
        try:
            idle = acct.idle and len(acct.folders) == 1 and client.has_capability("IDLE")
            while not self.stop.is_set():
                got = []
                for folder in acct.folders:
                    got.extend(poll_folder(client, acct, folder, self.store))
                self.failures = 0
                if got:
                    self.on_new()
                if idle:
                    self._idle(client)
                else:
                    self.stop.wait(acct.poll_seconds)
                    client.noop()
        finally:
            try:
                client.logout()
            except NETWORK_ERRORS:
                pass

    def _idle(self, client: IMAPClient) -> None:
        """Wait in IDLE until the server reports a change, the re-issue time, or stop."""
        client.idle()
        started = time.monotonic()
        try:
            while not self.stop.is_set():
                responses = client.idle_check(timeout=min(5, self.account.poll_seconds))
                if not responses and not _alive(client):
                    raise TransientSourceError("connection closed by the server during IDLE")
                if any(r[1] in (b"EXISTS", b"RECENT") for r in responses if len(r) > 1):
                    return
                if time.monotonic() - started > min(IDLE_REISSUE_SECONDS,
                                                    max(self.account.poll_seconds, 60) * 10):
                    return
                record_alive(self.store, folder_key(self.account, self.account.folders[0]))
        finally:
            client.idle_done()
