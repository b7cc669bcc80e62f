"""Directives noticed in what the Office sends: every stored outgoing document that asks for
reports and is not yet in the rules becomes a draft on offer to admins. Idempotent: a document
is drafted once (its row leaves ``new``); a copy of a directive already offered is marked a
duplicate; a fault of ours (a crashed reader, the disk) leaves it ``new`` to be tried again."""

from __future__ import annotations

import json

from ingestd.drafting.draft import draft_directive, to_toml
from ingestd.drafting.text import read_files
from ingestd.logs import get_logger
from ingestd.read.limits import ReadLimits
from ingestd.read.refs import parse_number
from ingestd.rules.model import Rulebook
from ingestd.store.drafts_repo import (
    DUPLICATE,
    KNOWN,
    NOT_DIRECTIVE,
    OFFERED,
    Drafted,
    DraftsRepo,
)
from ingestd.store.repo import Store

log = get_logger("ingestd.drafts")


def _key(number: str | None) -> str | None:
    doc = parse_number(number) if number else None
    return doc.key if doc else None


def draft_document(raw: bytes, book: Rulebook, limits: ReadLimits, ref: str = "") -> Drafted:
    """What one document the Office sent is: a directive to draft, one already in the rules,
    or not a directive that asks for reports."""
    text = read_files([("message.eml", raw)], limits)
    if not text.text.strip():
        reason = "; ".join(text.problems) or "không có chữ nào đọc được"
        return Drafted(NOT_DIRECTIVE, reason=f"không đọc được văn bản: {reason}"[:2000])
    draft = draft_directive(text.text, book)
    number = draft.number.value if draft.number else None
    when = draft.date.value if draft.date else None
    title = draft.title.value if draft.title else None
    if not draft.reports:
        return Drafted(NOT_DIRECTIVE, number, when, title,
                       reason="không có yêu cầu báo cáo nào có thời hạn")
    key = _key(number)
    if key and any(d.doc.key == key and d.date == when for d in book.directives):
        return Drafted(KNOWN, number, when, title, reason="văn bản đã có trong quy tắc")
    evidence = {"sentences": [r.sentence for r in draft.reports],
                "recipients": draft.recipients.quote, "unresolved": draft.recipients.unresolved,
                "sources": text.sources, "ocr": text.ocr, "problems": text.problems,
                "file_name": draft.file_name}
    return Drafted(OFFERED, number, when, title, to_toml(draft, ref),
                   json.dumps(evidence, ensure_ascii=False))


def draft_pending(store: Store, book: Rulebook, limits: ReadLimits) -> int:
    """Draft every outgoing document not yet looked at; the number looked at."""
    repo = DraftsRepo(store)
    known = {(d.doc.key, d.date) for d in book.directives}
    repo.retire(lambda row: (_key(row.number), row.doc_date) in known)
    done = 0
    for row in repo.pending():
        assert row.id is not None
        try:
            result = draft_document(repo.raw(row), book, limits, row.source_ref or row.source)
        except (OSError, MemoryError) as exc:
            repo.fault(row.id, f"{type(exc).__name__}: {exc}")
            log.error("draft failed, will retry", draft=row.id, error=str(exc)[:300])
            continue
        if result.state == OFFERED and _already_offered(repo, result):
            result = Drafted(DUPLICATE, result.number, result.doc_date, result.title,
                             reason="bản sao của văn bản đã có bản nháp")
        repo.record(row.id, result)
        done += 1
        log.info("outgoing document read", draft=row.id, state=result.state, number=result.number)
    return done


def _already_offered(repo: DraftsRepo, result: Drafted) -> bool:
    key = _key(result.number)
    return key is not None and any(_key(r.number) == key for r in repo.on_offer(result.doc_date))

