"""The reader pool: what a reader cannot survive costs only its own message, which is read
again carefully (each attachment in a child of its own); memory and time stay bounded; readers
retire and are replaced. Real processes, real stored messages."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

import pytest
from hostile import pdf_with_stream, zeros_deflated

from ingestd.pipeline.readers import ReaderPool
from ingestd.pipeline.stages import claim, context
from ingestd.read import guard
from ingestd.store.db import utcnow
from ingestd.store.repo import Fault, Outcome
from ingestd.testing import Mail, auth_results, make_pdf

CITE = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019"
AUTH = [auth_results("mail.laichau.gov.vn", "laichau.gov.vn")]


def report(n: int, marker: bytes = b"") -> bytes:
    pdf = make_pdf([[f"Số: {n}/BC-SKHĐT", CITE]]) + (b"\n%" + marker if marker else b"")
    return Mail("skhdt@laichau.gov.vn", f"Báo cáo số {n}", "Gửi kèm báo cáo.",
                message_id=f"rd-{n}@laichau.gov.vn", auth=AUTH,
                attachments=[(f"bc{n}.pdf", pdf)]).build()


@pytest.fixture
def svc(project):
    services = project.services()
    yield services
    services.close()


def run(svc, messages: list[bytes], size: int = 2, **pool_args):
    ids = [svc.store.add_raw("import", raw, utcnow()).id for raw in messages]
    jobs = claim(svc.store, "test:1", len(ids))
    ctx = pool_args.pop("ctx", context(svc))
    results: dict[int, Outcome | Fault] = {}
    with ReaderPool(size, ctx, **pool_args) as pool:
        pool.submit(jobs)
        deadline = time.monotonic() + 120
        while pool.outstanding and time.monotonic() < deadline:
            for r in pool.collect(1.0):
                results[r.receipt_id] = r
        started = pool.started_readers
    return [results.get(i) for i in ids], started


def cited(result) -> bool:
    return isinstance(result, Outcome) and result.doc is not None and \
        "760/UBND-TH" in [r.doc.key for r in result.doc.references] and \
        any(p.location.startswith("attachment:") for p in result.doc.parts)


def test_a_part_that_kills_its_reader_costs_only_itself(svc, monkeypatch):
    real = guard.extract

    def crashing(name, data, limits):         # a parser that takes the process down
        if b"KILL-THE-READER" in data:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(name, data, limits)

    monkeypatch.setattr(guard, "extract", crashing)
    results, _ = run(svc, [report(1), report(2, b"KILL-THE-READER"), report(3)])
    # every reader that opens message 2 dies: only the careful re-read (its PDF read in a
    # child of its own, by the real extractor) can have read it
    assert all(cited(r) for r in results), results


def test_a_reader_stuck_past_the_deadline_is_replaced(svc, monkeypatch):
    real = guard.extract

    def stuck(name, data, limits):            # as if stuck in C: the timer cannot reach it
        if b"STUCK" in data:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(600)
        return real(name, data, limits)

    monkeypatch.setattr(guard, "extract", stuck)
    ctx = context(svc)
    ctx = replace(ctx, limits=replace(ctx.limits, message_seconds=2))
    started = time.monotonic()
    results, _ = run(svc, [report(1, b"STUCK"), report(2)], ctx=ctx, grace=1)
    assert time.monotonic() - started < 30
    assert all(cited(r) for r in results), results


def test_a_parser_in_a_loop_is_stopped_by_the_timer_and_its_reader_retires(svc, monkeypatch):
    real = guard.extract

    def looping(name, data, limits):
        if b"LOOP" in data:
            while True:
                pass
        return real(name, data, limits)

    monkeypatch.setattr(guard, "extract", looping)
    ctx = context(svc)
    ctx = replace(ctx, limits=replace(ctx.limits, attachment_seconds=1))
    results, started = run(svc, [report(1, b"LOOP"), report(2), report(3)], size=1, ctx=ctx)
    first = results[0]
    assert isinstance(first, Outcome)
    assert any("dừng đọc: quá 1 giây" in p.reason for p in first.doc.problems)
    assert cited(results[1]) and cited(results[2])
    assert started == 2                           # the interrupted reader was not reused


def test_a_decompression_bomb_meets_the_memory_limit_not_the_daemon(svc):
    z = zeros_deflated(1 << 30)
    bomb = pdf_with_stream(b"", flate=False).replace(
        b"<< /Length 0 >>\nstream\n\nendstream",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z) + z + b"\nendstream")
    raw = Mail("skhdt@laichau.gov.vn", "Báo cáo", CITE, message_id="bomb@laichau.gov.vn",
               auth=AUTH, attachments=[("bomb.pdf", bomb)]).build()
    ctx = context(svc)
    ctx = replace(ctx, limits=replace(ctx.limits, worker_memory_mb=300, attachment_seconds=30))
    results, _ = run(svc, [raw, report(2)], ctx=ctx)
    bombed = results[0]
    assert isinstance(bombed, Outcome)
    assert any("bộ nhớ" in p.reason for p in bombed.doc.problems), bombed.doc.problems
    assert "760/UBND-TH" in [r.doc.key for r in bombed.doc.references]      # the body
    assert cited(results[1])


def test_readers_retire_and_every_message_is_read_once(svc):
    results, started = run(svc, [report(n) for n in range(7)], size=2, recycle_after=2)
    assert all(cited(r) for r in results)
    assert len({r.receipt_id for r in results}) == 7
    assert started >= 4
