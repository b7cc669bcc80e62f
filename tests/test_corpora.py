"""Inputs nobody on this project wrote: the test files of cpython's e-mail package,
mail-parser, pdfminer.six, python-docx and openpyxl (../shared/corpora). Every file is stored
exactly once, read without a traceback, and given a state (and a reason when it is not
counted); documents wrapped in a unit's mail that cites a directive are matched."""

from __future__ import annotations

import hashlib
import json
import mailbox
import resource
import time
from pathlib import Path

import pytest

from ingestd.pipeline import ingest, process_pending
from ingestd.sources.files import iter_paths
from ingestd.testing import Mail, auth_results

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
AUTH = auth_results("mail.laichau.gov.vn", "laichau.gov.vn")
CITE = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh, Sở gửi tài liệu kèm theo."
STATES = {"matched", "review", "ignored", "failed"}


def _corpora() -> Path:
    if not (CORPORA / "README.md").exists():
        pytest.fail(f"the shared test corpora are missing: expected them at {CORPORA}")
    return CORPORA


def _mail_inputs(root: Path) -> list[Path]:
    return sorted((root / "cpython").iterdir()) + sorted((root / "mailparser").iterdir())


def _messages_in(paths: list[Path]) -> set[str]:
    """The distinct messages the mail corpora hold (an mbox holds several)."""
    out = set()
    for p in paths:
        if p.suffix == ".mbox":
            box = mailbox.mbox(str(p), create=False)
            out |= {hashlib.sha256(box.get_bytes(k)).hexdigest() for k in box.iterkeys()}
            box.close()
        else:
            out.add(hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def test_every_third_party_file_is_stored_once_and_answered(project, tmp_path):
    root = _corpora()
    mails = _mail_inputs(root)
    documents = sorted(p for d in ("pdf", "docx", "xlsx") for p in (root / d).iterdir())
    assert len(mails) >= 70 and len(documents) >= 130
    wrapped = tmp_path / "wrapped"
    wrapped.mkdir()
    for i, doc in enumerate(documents):
        raw = Mail("skhdt@laichau.gov.vn", f"Gửi tài liệu {doc.name}", CITE, auth=[AUTH],
                   message_id=f"corpus-{i}@laichau.gov.vn", attachments=[(doc.name, doc.read_bytes())]
                   ).build()
        (wrapped / f"{i:03d}.eml").write_bytes(raw)

    svc = project.services()
    started = time.monotonic()
    try:
        first = ingest(svc, "import", iter_paths(mails + [wrapped], svc.settings.timezone))
        again = ingest(svc, "import", iter_paths(mails + [wrapped], svc.settings.timezone))
        processed = process_pending(svc)
        took = time.monotonic() - started
        rows = svc.store.receipts()
    finally:
        svc.close()
    peak_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024

    expected = len(_messages_in(mails)) + len(documents)
    assert first.failed == [] and first.new == expected           # every file, once
    assert again.new == 0 and again.already >= expected
    assert len(rows) == expected and processed.faults == 0
    for r in rows:
        assert r.state in STATES, (r.source_ref, r.state)
        if r.state != "matched":
            assert r.reason, r.source_ref                          # a reason for each
    by_ref = {r.source_ref: r for r in rows}
    for i, doc in enumerate(documents):
        row = by_ref[f"{i:03d}.eml"]
        assert row.state == "matched" and row.unit == "so-khdt", (doc.name, row.reason)
        read = json.loads(row.document)
        from_file = [p for p in read["parts"] if p["location"].startswith(f"attachment:{doc.name}")]
        problems = [p for p in read["problems"] if doc.name in p["location"]]
        assert from_file or problems, f"{doc.name}: neither text nor a reason"
    print(f"\ncorpora: {len(mails)} mail files + {len(documents)} documents, {expected} receipts, "
          f"{took:.1f} s, peak RSS {peak_mb:.0f} MB")
