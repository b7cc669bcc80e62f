"""The hostile-input corpus (tests/corpus/make_hostile.py): every case is stored raw, gets an
outcome with a clear reason, raises nothing, stays within time and memory, and the next message
is processed normally."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "corpus"))

from make_hostile import CASES, CITE, report  # noqa: E402

from ingestd.pipeline import process_pending  # noqa: E402
from ingestd.read.edxml import looks_like_edxml  # noqa: E402
from ingestd.store.db import utcnow  # noqa: E402

HOSTILE = Path(__file__).parent / "corpus" / "hostile"


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    from conftest import Project

    project = Project(tmp_path_factory.mktemp("hostile"))
    svc = project.services()
    yield svc
    svc.close()


def _said(row, text: str) -> bool:
    if not text:
        return True
    blobs = [row.reason or "", row.document or "", row.evidence or ""]
    return any(text in b for b in blobs)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case, services):
    path = HOSTILE / f"{case.name}.eml"
    raw = path.read_bytes() if path.exists() and not case.large else case.build()
    started = time.monotonic()
    # the gateway delivers edXML (an OrganId is believed only then); the rest is imported mail
    source = "gateway:hostile" if looks_like_edxml(raw) else "import"
    added = services.store.add_raw(source, raw, utcnow(), case.name)
    process_pending(services)
    took = time.monotonic() - started
    row = services.store.get(added.id)
    assert services.store.raw(row) == raw                       # stored unchanged
    assert row.state in case.states, (row.state, row.reason)
    if row.state != "matched":
        assert row.reason                                      # a clear reason, always
    assert _said(row, case.says), (row.reason, row.document and json.loads(row.document)["problems"])
    assert took < 60
    # readers stay under their limit: what a reader may add (worker_memory_mb) on top of what
    # it inherits from this process (a forked child's peak RSS counts its parent's pages)
    children_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    inherited_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert children_peak_mb < inherited_mb + services.settings.limits.worker_memory_mb
    # the next message is processed normally
    nxt = services.store.add_raw("import", report(body=CITE + f" ({case.name})"), utcnow(), "next")
    process_pending(services)
    assert services.store.get(nxt.id).state == "matched"


def test_same_message_twice_is_one_receipt_same_id_twice_is_two(services):
    one = report(mid="dup@laichau.gov.vn")
    other = report(body=CITE + " (bản sửa)", mid="dup@laichau.gov.vn")
    a = services.store.add_raw("import", one, utcnow())
    b = services.store.add_raw("import", one, utcnow())
    c = services.store.add_raw("import", other, utcnow())
    assert a.id == b.id and not b.created
    assert c.created and c.id != a.id


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 40
    assert (HOSTILE / "MANIFEST.txt").read_text(encoding="utf-8").count("\n") == len(CASES) + 1
