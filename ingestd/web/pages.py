"""The console's pages. Each handler reads through the same services as the CLI and changes
nothing except through ``ingestd.review``; everything a user reads is Vietnamese."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ingestd.calendar import period_of
from ingestd.daemon_health import fault_line, fault_summary, source_health
from ingestd.errors import NotFoundError, RulesError
from ingestd.evidence import read_evidence
from ingestd.ledger import EXEMPT, LATE, MISSING, ON_TIME, PENDING, ReportStatus
from ingestd.read.document import Document
from ingestd.read.edxml import looks_like_edxml
from ingestd.registerview import (
    REVIEW_STATES,
    STATE_VI,
    decision_line,
    explain_lines,
    receipt_dicts,
)
from ingestd.rules import load_rules
from ingestd.statusview import as_json, compute, due_explained, due_vi
from ingestd.store.accounts import LoggedIn
from ingestd.store.db import from_db
from ingestd.store.ids import parse_rid, rid
from ingestd.store.repo import RegisterFilter
from ingestd.vocabulary import SIGNATURE_VI, period_vi
from ingestd.web import params
from ingestd.web.charts import trend_svg
from ingestd.web.errors import error_response
from ingestd.web.exports import export
from ingestd.web.render import console_of, local, render
from ingestd.web.security import page

PAGE_SIZE = 50
STATUS_ORDER = [MISSING, LATE, ON_TIME, PENDING, EXEMPT]


# -- the board ---------------------------------------------------------------------------------

def _summary(s: ReportStatus, units: set[str] | None = None) -> dict[str, Any]:
    cells = [c for c in s.cells if units is None or c.unit in units]
    counts = {k: sum(1 for c in cells if c.status == k) for k in STATUS_ORDER}
    return {"s": s, "expected": len(cells), "received": counts[ON_TIME] + counts[LATE],
            "counts": counts, "open": bool(counts[MISSING] or counts[PENDING])}


@page("viewer")
def board(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    """One card per report: the period that matters now (the chosen one, else the latest
    that has begun), with earlier periods that still miss reports listed under it."""
    console = console_of(request)
    svc, at = console.services(), console.now()
    q = request.query_params
    directive, group, period = q.get("directive") or None, q.get("group") or None, q.get("period") or None
    show_all = q.get("all") == "1"
    statuses = console.statuses(at)
    units = ({u.id for u in svc.rules.units.values() if group in u.groups} if group else None)
    by_report: dict[str, list[dict[str, Any]]] = {}
    for s in statuses:
        if (directive and s.directive != directive) or (period and s.period != period):
            continue
        row = _summary(s, units)
        if row["expected"]:
            by_report.setdefault(s.report, []).append(row)
    cards = []
    for rows in by_report.values():
        current = rows[-1]
        earlier = [r for r in rows[:-1] if r["counts"][MISSING]]
        if show_all or current["open"] or earlier or directive or period:
            cards.append({**current, "earlier": list(reversed(earlier))})
    cards.sort(key=lambda r: r["s"].due, reverse=True)
    soon = [r for r in cards if at <= r["s"].due <= at + timedelta(days=7)]
    trend = console.trend(at)
    charts = [(name, trend_svg(trend.groups[gid], f"Tỷ lệ đúng hạn của {name}"))
              for gid, name in sorted(svc.rules.groups.items())
              if (not group or gid == group) and any(p.due for p in trend.groups[gid])]
    return render(request, who, "board.html", rows=cards, soon=soon, charts=charts,
                  why_due=lambda s: due_explained(s, svc),
                   directives=[d.number for d in svc.rules.directives],
                   groups=sorted(svc.rules.groups.items()),
                   periods=sorted({s.period for s in statuses if s.period}, reverse=True),
                   chosen={"directive": directive, "group": group, "period": period,
                           "all": show_all}, due_vi=lambda s: due_vi(s, svc))


@page("viewer")
def report_page(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = console_of(request)
    svc, at = console.services(), console.now()
    report_id = request.path_params["report"]
    if report_id not in svc.rules.reports:
        return error_response(request, 404, f"Không có báo cáo {report_id}.")
    period = request.query_params.get("period") or None
    every = compute(svc, at, report_id)                    # every period, computed once
    chosen = [x for x in every if period is None or x.period == period]
    if not chosen:
        return error_response(request, 404, "Không có kỳ báo cáo này.")
    s = chosen[-1]
    names = {u.id: u.name for u in svc.rules.units.values()}
    group_of = {u.id: svc.rules.groups.get(u.groups[0], "") if u.groups else ""
                for u in svc.rules.units.values()}
    cells = sorted(s.cells, key=lambda c: (group_of.get(c.unit, ""), STATUS_ORDER.index(c.status),
                                           names.get(c.unit, c.unit)))
    exempted = [a for a in svc.store.decisions.exemptions(report=report_id)
                if a.period is None or a.period == s.period]
    return render(request, who, "report.html", s=s, summary=_summary(s), cells=cells, names=names,
                  group_of=group_of,
                  exempted=exempted, why_due=due_explained(s, svc),
                  decision_text=lambda a: decision_line(a, console.settings.timezone),
                   report=svc.rules.reports[report_id],
                   directive=svc.rules.directive_of(svc.rules.reports[report_id]),
                   periods=[x.period for x in every] if s.period else [],
                   due=due_vi(s, svc), local=lambda m: local(m, console.settings.timezone))


@page("viewer")
def unit_page(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = console_of(request)
    svc, at = console.services(), console.now()
    unit = svc.rules.units.get(request.path_params["unit"])
    if unit is None:
        return error_response(request, 404, "Không có đơn vị này.")
    quarter = period_of("quarter", at.astimezone(console.settings.timezone).date())
    start = datetime.combine(quarter.start, time(0), tzinfo=console.settings.timezone)
    end = datetime.combine(quarter.end, time(23, 59, 59), tzinfo=console.settings.timezone)
    record = []
    for s in compute(svc, at, since=start):
        if s.due > end:
            continue
        for c in s.cells:
            if c.unit == unit.id:
                record.append((s, c))
    counts = {k: sum(1 for _, c in record if c.status == k) for k in STATUS_ORDER}
    rows, _ = svc.store.search(RegisterFilter(unit=unit.id), limit=20)
    trend = console.trend(at)
    return render(request, who, "unit.html", unit=unit, quarter=quarter,
                  chart=trend_svg(trend.units[unit.id], f"Tỷ lệ đúng hạn của {unit.name}"),
                  exempted=svc.store.decisions.exemptions(unit=unit.id),
                  reports_by_id=svc.rules.reports, why_due=lambda s: due_explained(s, svc),
                  decision_text=lambda a: decision_line(a, console.settings.timezone),
                   quarter_vi=period_vi(quarter.label), record=record,
                   counts=counts, receipts=rows, local=lambda m: local(m, console.settings.timezone),
                   from_db=from_db, due_vi=lambda s: due_vi(s, svc))


def report_choices(book: Any) -> list[tuple[str, str]]:
    """(id, label) for a report select. Reports of one directive often share their first
    words ("Báo cáo tình hình thực hiện kế hoạch …"); a closed select on a phone shows only
    those, so the shared words give way to the ones that tell them apart, and the id follows."""
    out = []
    for d in book.directives:
        words = [rep.title.split() for rep in d.reports]
        shared = 0
        if len(words) > 1:
            while all(len(w) > shared + 1 and w[shared] == words[0][shared] for w in words):
                shared += 1
        for rep, w in zip(d.reports, words):
            title = ("… " if shared else "") + " ".join(w[shared:])
            out.append((rep.id, f"{d.number}: {title} ({rep.id})"))
    return out


# -- the register --------------------------------------------------------------------------------

def _filter(request: Request) -> tuple[RegisterFilter, dict[str, str]]:
    q = request.query_params
    tz = request.app.state.settings.timezone
    chosen = {k: q.get(k, "").strip()[:200] for k in
              ("sender", "unit", "number", "subject", "from", "to", "state")}
    f = RegisterFilter(sender=chosen["sender"] or None, unit=chosen["unit"] or None,
                       number=chosen["number"] or None, subject=chosen["subject"] or None,
                       since=params.day(chosen["from"], tz, False, "từ ngày"),
                       until=params.day(chosen["to"], tz, True, "đến ngày"),
                       states=(chosen["state"],) if chosen["state"] in STATE_VI else ())
    return f, chosen


@page("viewer")
def register(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = console_of(request)
    svc = console.services()
    f, chosen = _filter(request)
    fmt = request.query_params.get("format")
    if fmt in ("csv", "xlsx"):
        rows, _ = svc.store.search(f, limit=100_000)
        return export(receipt_dicts(svc, rows), fmt)
    page_no = params.page_number(request.query_params.get("page"), 10**6)
    rows, total = svc.store.search(f, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    if page_no > pages:                  # past the end: the last page
        page_no = pages
        rows, total = svc.store.search(f, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    query = {k: v for k, v in chosen.items() if v}
    return render(request, who, "receipts.html", rows=rows, total=total, page_no=page_no,
                   pages=pages, chosen=chosen, units=sorted(svc.rules.units.values(),
                                                            key=lambda u: u.name),
                   link=lambda **kw: "?" + urlencode({**query, **kw}),
                   local=lambda m: local(from_db(m), console.settings.timezone))


def _receipt(request: Request, svc: Any) -> Any:
    try:
        return svc.store.get(parse_rid(request.path_params["rid"]))
    except NotFoundError:
        return None


@page("viewer")
def receipt_page(request: Request, who: LoggedIn, form: dict[str, Any],
                 message: str | None = None, error: str | None = None,
                 typed: dict[str, dict[str, str]] | None = None) -> Response:
    """One receipt: the decision first (for clerks), then the facts and the folded evidence.
    ``typed``: what the clerk had typed into a form that was refused, shown again."""
    console = console_of(request)
    svc = console.services()
    r = _receipt(request, svc)
    if r is None:
        return error_response(request, 404, "Không có biên nhận này.")
    decisions = svc.store.decisions.all(r.id)
    doc = Document.from_json(r.document) if r.document else None
    ev = read_evidence(r.evidence)
    suggested = r.unit or ev.suggested_unit
    matches = ev.matches
    book = svc.rules
    return render(request, who, "receipt.html", status=400 if error else 200, r=r, rid=rid(r.id or 0),
                   lines=explain_lines(r, decisions, console.settings.timezone), doc=doc,
                   decisions=decisions, suggested=suggested,
                   decision_text=lambda a: decision_line(a, console.settings.timezone),
                   suggested_report=matches[0].report if matches else None,
                   suggested_period=matches[0].period if matches else None,
                   signature=ev.signature, SIGNATURE_VI=SIGNATURE_VI,
                   near=ev.suggested_directive if matches and r.state in REVIEW_STATES else None,
                   letter=ev.letter if r.state in REVIEW_STATES else None,
                   asked_until=ev.asked_until,
                   units=sorted(book.units.values(), key=lambda u: u.name),
                   reports=report_choices(book),
                   message=message, error=error, typed=typed or {},
                   local=lambda m: local(from_db(m), console.settings.timezone))


@page("viewer")
def raw_message(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = console_of(request).services()
    r = _receipt(request, svc)
    if r is None:
        return error_response(request, 404, "Không có biên nhận này.")
    try:
        raw = svc.store.raw(r)
    except OSError:
        return error_response(request, 503, "Không đọc được thư gốc trong kho lưu (store_dir).")
    edxml = looks_like_edxml(raw)
    name = f"{rid(r.id or 0)}.{'edxml' if edxml else 'eml'}"
    return Response(raw, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@page("viewer")
def review_queue(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = console_of(request)
    svc = console.services()
    rows = svc.store.receipts(states=REVIEW_STATES)
    rows.sort(key=lambda r: (r.received_at, r.id or 0), reverse=True)
    names = {u.id: u.name for u in svc.rules.units.values()}
    items = [(r, read_evidence(r.evidence).suggested_unit) for r in rows]
    return render(request, who, "review.html", items=items, names=names,
                   local=lambda m: local(from_db(m), console.settings.timezone))


# -- reports and administration --------------------------------------------------------------

def _quarters(at: datetime) -> list[str]:
    out, d = [], at.date()
    for _ in range(8):
        q = period_of("quarter", d)
        out.append(q.label)
        d = q.start - timedelta(days=1)
    return out


@page("viewer")
def quarterly(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    at = console_of(request).now()
    return render(request, who, "quarterly.html", quarters=_quarters(at))


@page("viewer")
def quarterly_file(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    from ingestd.reports import quarterly as q

    console = console_of(request)
    label, fmt = request.path_params["label"], request.path_params["fmt"]
    if fmt not in ("docx", "csv", "xlsx"):
        return error_response(request, 404, "Không có báo cáo dạng này; chọn docx, csv hoặc xlsx.")
    period = params.quarter(label)
    start, end = period.start, period.end
    svc, at = console.services(), console.now()
    files = q.render(svc, q.build(svc, start, end, label, at), at)
    media = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet"}[fmt]
    return Response(getattr(files, fmt), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="bao-cao-che-do-bao-cao-{label}.{fmt}"'})


@page("admin")
def admin(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = console_of(request)
    svc = console.services()
    try:
        book = load_rules(console.settings.rules_dir)
        check = (True, [f"{len(book.units)} đơn vị, {len(book.directives)} văn bản chỉ đạo, "
                        f"{sum(len(d.reports) for d in book.directives)} báo cáo"])
    except RulesError as exc:
        check = (False, [str(p) for p in exc.problems])
    faults = fault_summary(svc)
    return render(request, who, "admin.html", sources=source_health(svc), check=check,
                   fault=fault_line(faults), faults=faults, users=console.accounts.users(),
                   states=svc.store.count_by_state())


# -- the API: the same JSON as the CLI ---------------------------------------------------------

@page("viewer", api=True)
def api_status(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = console_of(request)
    svc, at = console.services(), console.now()
    text = request.query_params.get("at")
    if text:
        at = params.moment(text, console.settings.timezone)
    return JSONResponse(as_json(compute(svc, at, request.query_params.get("report") or None), at, svc))


@page("viewer", api=True)
def api_receipts(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = console_of(request).services()
    return JSONResponse(receipt_dicts(svc, svc.store.receipts()))


@page("viewer", api=True)
def api_unmatched(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = console_of(request).services()
    return JSONResponse(receipt_dicts(svc, svc.store.receipts(states=REVIEW_STATES), suggested=True))
