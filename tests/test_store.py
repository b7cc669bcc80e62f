"""The store's behaviour, the same on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from ingestd.store.blobs import BlobStore
from ingestd.store.db import LATEST, from_db, schema_version
from ingestd.store.repo import Store
from ingestd.testing import Mail

WHEN = datetime(2019, 5, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url, tmp_path):
    s = Store(db_url, BlobStore(tmp_path / "store"))
    yield s
    s.close()


def raw(n: int = 1) -> bytes:
    return Mail("a@laichau.gov.vn", f"Báo cáo {n}", "Thực hiện 760/UBND-TH",
                message_id=f"m{n}@laichau.gov.vn").build()


def test_same_message_twice_is_one_receipt(store):
    first = store.add_raw("import", raw(), WHEN, "a.eml")
    again = store.add_raw("import", raw(), WHEN, "a.eml")
    assert first.created and not again.created and first.id == again.id
    assert len(store.receipts()) == 1
    assert store.raw(store.get(first.id)) == raw()


def test_identity_is_source_and_bytes(store):
    a = store.add_raw("imap:vanthu/INBOX", raw(), WHEN)
    b = store.add_raw("maildir:local", raw(), WHEN)
    same_id_other_bytes = raw().replace(b"760/UBND-TH", b"761/UBND-TH")
    assert same_id_other_bytes != raw()
    c = store.add_raw("import", raw(), WHEN)
    d = store.add_raw("import", same_id_other_bytes, WHEN)
    assert len({a.id, b.id, c.id, d.id}) == 4
    assert store.get(d.id).message_id == store.get(c.id).message_id == "m1@laichau.gov.vn"


def test_receipt_time_round_trips_in_utc(store):
    added = store.add_raw("import", raw(), datetime.fromisoformat("2019-05-20T23:59:00+07:00"))
    got = from_db(store.get(added.id).received_at)
    assert got == datetime(2019, 5, 20, 16, 59, tzinfo=UTC)


def test_blob_write_failure_leaves_no_row(store, monkeypatch):
    def broken(data):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(store.blobs, "put", broken)
    with pytest.raises(OSError):
        store.add_raw("import", raw(), WHEN)
    assert store.receipts() == []


def test_row_commit_failure_leaves_no_row_and_a_retry_works(store, monkeypatch):
    from sqlmodel import Session

    real_commit = Session.commit
    calls = {"n": 0}

    def failing_commit(self):
        calls["n"] += 1
        raise RuntimeError("database went away")

    monkeypatch.setattr(Session, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        store.add_raw("import", raw(), WHEN)
    monkeypatch.setattr(Session, "commit", real_commit)
    assert store.receipts() == []
    added = store.add_raw("import", raw(), WHEN)          # the orphan blob is simply reused
    assert added.created and store.raw(store.get(added.id)) == raw()


def test_schema_version_and_migrations_are_idempotent(store, db_url, tmp_path):
    assert schema_version(store.engine) == LATEST
    again = Store(db_url, BlobStore(tmp_path / "store"))     # second start: nothing to do
    assert again.version == LATEST
    again.close()


def test_a_newer_database_is_refused(store, db_url, tmp_path):
    from ingestd.errors import IngestdError

    with store.engine.begin() as conn:                  # migrated by a later ingestd
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(IngestdError, match="newer than this ingestd"):
        Store(db_url, BlobStore(tmp_path / "store"))


def test_blobs_are_content_addressed_and_read_only(tmp_path):
    blobs = BlobStore(tmp_path / "s")
    sha = blobs.put(b"hello")
    path = blobs.path(sha)
    assert path.read_bytes() == b"hello" and oct(path.stat().st_mode)[-3:] == "440"
    assert blobs.put(b"hello") == sha
    assert list((tmp_path / "s" / "tmp").iterdir()) == []


def test_a_version_1_schema_is_migrated_with_its_data(db_url, tmp_path):
    """On both databases: the v1 columns, a v1 schema_version table (PostgreSQL has no v1
    file to start from; the real SQLite file of v1 is the next test)."""
    first = Store(db_url, BlobStore(tmp_path / "store"))
    added = first.add_raw("import", raw(), WHEN)
    with first.engine.begin() as conn:           # make it look like a v1 database
        conn.execute(text("ALTER TABLE receipt DROP COLUMN lease_owner"))
        conn.execute(text("ALTER TABLE receipt DROP COLUMN lease_until"))
        for column in ("kind", "undone_at", "undone_by", "undo_reason"):
            conn.execute(text(f"ALTER TABLE assignment DROP COLUMN {column}"))
        conn.execute(text("INSERT INTO assignment (receipt_id, unit, report, exempt, actor, "
                          "created_at) VALUES (:r, 'so-khdt', '760-ha-tang', false, 'vanthu', "
                          ":t)"), {"r": added.id, "t": WHEN})
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER)"))
        conn.execute(text("INSERT INTO schema_version VALUES (1, 1)"))
    first.close()
    again = Store(db_url, BlobStore(tmp_path / "store"))
    try:
        assert again.version == LATEST == 5
        [decision] = again.decisions.all(added.id)           # v3: the clerk's decision kept
        assert decision.action == "assign" and decision.active and decision.actor == "vanthu"
        assert again.get(added.id).message_id == "m1@laichau.gov.vn"
        assert again.claim_pending("me:1", 10) == [added.id]
        assert again.claim_pending("other:2", 10) == []          # leased to me
    finally:
        again.close()


def test_a_dead_local_process_lease_is_taken_over(store):
    import os
    import socket

    added = store.add_raw("import", raw(), WHEN)
    assert store.claim_pending(f"{socket.gethostname()}:999999999", 10) == [added.id]
    assert store.claim_pending(f"{socket.gethostname()}:{os.getpid()}", 10) == [added.id]


def test_a_real_version_1_database_file_is_migrated_and_keeps_its_story(tmp_path, project, cli):
    """tests/data/v1-laichau-2019.sqlite was written by ingestd at schema v1 (commit c0c871e~1)
    after importing the sample Maildir and a clerk's `assign r-000004 --unit so-ldtbxh`."""
    import shutil

    db = tmp_path / "v1.sqlite"
    shutil.copy(Path(__file__).parent / "data" / "v1-laichau-2019.sqlite", db)
    project.database_url = f"sqlite:///{db}"
    project.write_config()
    store = Store(project.database_url, BlobStore(tmp_path / "store"))
    try:
        assert store.version == LATEST and schema_version(store.engine) == LATEST
        with store.engine.connect() as conn:
            assert not inspect(conn).has_table("schema_version")
        assert store.count_by_state() == {"matched": 50, "review": 4, "ignored": 2}
        [decision] = store.decisions.all(4)
        assert decision.action == "assign" and decision.active and decision.unit == "so-ldtbxh"
    finally:
        store.close()
    status = cli.json(project, "status", "--report", "760-ha-tang", "--at", "2019-06-28")
    ldtbxh = next(u for u in status["reports"][0]["units"] if u["unit"] == "so-ldtbxh")
    assert ldtbxh["status"] in ("on_time", "late")        # the clerk's decision still counts
    code, out, err = cli(project, "unassign", "r-000004", "--reason", "nhầm")   # v3 on v1 data
    assert code == 0, err
    status = cli.json(project, "status", "--report", "760-ha-tang", "--at", "2019-06-28")
    ldtbxh = next(u for u in status["reports"][0]["units"] if u["unit"] == "so-ldtbxh")
    assert ldtbxh["status"] == "missing"
