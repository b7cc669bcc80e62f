"""Clerks' decisions on the review queue: assign, exempt, ignore, undo. The CLI and the web
console call these same functions; every decision is recorded with who, when and why, is
never deleted (undo marks it undone), and survives ``reprocess``."""

from __future__ import annotations

from datetime import date

from ingestd.calendar import parse_period
from ingestd.errors import DecisionError, NotFoundError
from ingestd.evidence import read_evidence
from ingestd.pipeline import rematch
from ingestd.services import Services
from ingestd.store.db import utcnow
from ingestd.store.ids import rid
from ingestd.store.models import Assignment
from ingestd.vocabulary import ReceiptState


def _check(svc: Services, unit: str | None, report: str | None, period: str | None) -> None:
    book = svc.rules
    if unit is not None and unit not in book.units:
        raise NotFoundError(f'không có đơn vị "{unit}" trong units.toml')
    if report is not None and report not in book.reports:
        raise NotFoundError(f'không có báo cáo "{report}" trong các văn bản chỉ đạo')
    if period and parse_period(period) is None:
        raise DecisionError(f'kỳ "{period}" không hợp lệ; viết ví dụ 2019-Q2, 2019-H1, 2019-05 '
                            "hoặc 2019")


def _actor(actor: str) -> str:
    actor = " ".join(actor.split())[:100]
    if not actor:
        raise DecisionError("thiếu tên người quyết định")
    return actor


def assign(svc: Services, receipt_id: int, unit: str, actor: str, report: str | None = None,
           period: str | None = None, reason: str | None = None) -> list[Assignment]:
    """Count a receipt for a unit: for ``report`` (and ``period``), or for the reports the
    engine found in it. A receipt already assigned is not silently given another report:
    name the report, or undo the earlier decision first."""
    _check(svc, unit, report, period)
    book, r = svc.rules, svc.store.get(receipt_id)
    active = [a for a in svc.store.decisions.all(receipt_id) if a.active and a.action == "assign"]
    if active and report is None:
        done = ", ".join(f"{a.unit} {a.report} {a.period or ''}".strip() for a in active)
        raise DecisionError(f"{rid(receipt_id)} đã được gán ({done}); muốn tính thêm một báo cáo "
                            f"thì ghi rõ báo cáo, muốn sửa thì hoàn tác trước "
                            f"(ingestd unassign {rid(receipt_id)})")
    found = read_evidence(r.evidence).matches
    if report:
        targets = [(report, period or next((m.period for m in found if m.report == report), None))]
    else:
        targets = [(m.report, period or m.period) for m in found]
    if not targets:
        raise DecisionError(f"{rid(receipt_id)} chưa khớp báo cáo nào; hãy chọn báo cáo")
    for report_id, per in targets:
        rep = book.reports[report_id]
        if rep.periodic and not per:
            raise DecisionError(f"{report_id} là báo cáo định kỳ; hãy ghi kỳ báo cáo")
        if unit not in rep.units:
            raise DecisionError(f"đơn vị {unit} không thuộc diện phải gửi {report_id}")
        if any(a.unit == unit and a.report == report_id and a.period == per for a in active):
            raise DecisionError(f"{rid(receipt_id)} đã được gán cho {unit}: {report_id} "
                                f"{per or ''}".rstrip())
    made, now = [], utcnow()
    for report_id, per in targets:
        a = Assignment(receipt_id=receipt_id, unit=unit, report=report_id, period=per,
                       exempt=False, kind="assign", reason=reason, actor=_actor(actor),
                       created_at=now)
        svc.store.decisions.add(a, mark_receipt=ReceiptState.MATCHED)
        made.append(a)
    return made


def exempt(svc: Services, unit: str, report: str, reason: str, actor: str,
           period: str | None = None, receipt_id: int | None = None) -> Assignment:
    """A unit need not send this report (for this period, or for every period)."""
    _check(svc, unit, report, period)
    if not reason or not reason.strip():
        raise DecisionError("miễn cho đơn vị cần ghi lý do")
    if unit not in svc.rules.reports[report].units:
        raise DecisionError(f"đơn vị {unit} không thuộc diện phải gửi {report}")
    a = Assignment(receipt_id=receipt_id, unit=unit, report=report, period=period, exempt=True,
                   kind="exempt", reason=reason.strip(), actor=_actor(actor), created_at=utcnow())
    svc.store.decisions.add(a)
    return a


def extend(svc: Services, unit: str, report: str, until: date, reason: str, actor: str,
           period: str | None = None, receipt_id: int | None = None) -> Assignment:
    """More time for a unit: judged against ``until`` (read like a ``due`` date). Granted from
    the letter that asked for it (``receipt_id``), that letter is settled too."""
    _check(svc, unit, report, period)
    if not reason or not reason.strip():
        raise DecisionError("gia hạn cần ghi lý do")
    rep = svc.rules.reports[report]
    if unit not in rep.units:
        raise DecisionError(f"đơn vị {unit} không thuộc diện phải gửi {report}")
    if rep.periodic and not period:
        raise DecisionError(f"{report} là báo cáo định kỳ; hãy ghi kỳ được gia hạn (--period)")
    if any(a.active and a.action == "extend" and (a.unit, a.report, a.period) == (unit, report, period)
           for a in svc.store.decisions.all()):
        raise DecisionError(f"{unit} đã được gia hạn {report} {period or ''}; muốn đổi ngày thì "
                            "hoàn tác lần gia hạn trước".replace("  ", " "))
    now = utcnow()
    a = Assignment(receipt_id=receipt_id, unit=unit, report=report, period=period, exempt=False,
                   kind="extend", extended_until=until, reason=reason.strip(), actor=_actor(actor),
                   created_at=now)
    svc.store.decisions.add(a)
    if receipt_id is not None and not any(d.active and d.action in ("assign", "ignore")
                                          for d in svc.store.decisions.all(receipt_id)):
        svc.store.decisions.add(
            Assignment(receipt_id=receipt_id, unit=unit, report="", exempt=False, kind="ignore",
                       reason=f"thư xin gia hạn: đã gia hạn {report} đến {until:%d/%m/%Y}",
                       actor=_actor(actor), created_at=now), mark_receipt=ReceiptState.IGNORED)
    return a


def ignore(svc: Services, receipt_id: int, reason: str, actor: str) -> Assignment:
    """Not a report: counted for nothing, kept in the register with the reason."""
    if not reason or not reason.strip():
        raise DecisionError("bỏ qua thư cần ghi lý do")
    r = svc.store.get(receipt_id)
    if any(a.active and a.action in ("assign", "ignore") for a in svc.store.decisions.all(receipt_id)):
        raise DecisionError(f"{rid(receipt_id)} đã có quyết định; hãy hoàn tác trước")
    a = Assignment(receipt_id=receipt_id, unit=r.unit or "", report="", exempt=False,
                   kind="ignore", reason=reason.strip(), actor=_actor(actor), created_at=utcnow())
    svc.store.decisions.add(a, mark_receipt=ReceiptState.IGNORED)
    return a


def undo(svc: Services, decision_id: int, actor: str, reason: str | None = None) -> Assignment:
    """Undo a decision; a receipt with no decision left is matched again by the engine."""
    a = svc.store.decisions.undo(decision_id, _actor(actor), reason)
    if a.receipt_id is not None and a.action not in ("exempt", "extend"):
        rematch(svc, a.receipt_id)
    return a


def unassign(svc: Services, actor: str, receipt_id: int | None = None, unit: str | None = None,
             report: str | None = None, period: str | None = None,
             reason: str | None = None) -> list[Assignment]:
    """Undo every active decision of a receipt, or the exemption of a unit for a report."""
    if receipt_id is not None:
        targets = [a for a in svc.store.decisions.all(receipt_id) if a.active]
        if not targets:
            raise DecisionError(f"{rid(receipt_id)} không có quyết định nào đang có hiệu lực")
    else:
        if not unit or not report:
            raise DecisionError("ghi mã biên nhận, hoặc đơn vị và báo cáo của việc miễn")
        targets = [a for a in svc.store.decisions.all() if a.active and a.action == "exempt"
                   and a.unit == unit and a.report == report and a.period == period]
        if not targets:
            raise DecisionError(f"không có việc miễn {unit} cho {report} {period or ''}".rstrip())
    return [undo(svc, a.id, actor, reason) for a in targets if a.id is not None]
