"""The console's pages. Each handler reads through the same services as the CLI and changes
nothing except through ``ingestd.review``; everything a user reads is Vietnamese."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from ingestd import review
from ingestd.calendar import parse_period, period_of
from ingestd.daemon_health import fault_line, fault_summary, source_health
from ingestd.errors import IngestdError, NotFoundError, RulesError
from ingestd.ledger import EXEMPT, LATE, MISSING, ON_TIME, PENDING, ReportStatus
from ingestd.notify.render import period_vi
from ingestd.read.document import Document
from ingestd.read.edxml import looks_like_edxml
from ingestd.registerview import (
    ACTION_VI,
    REVIEW_STATES,
    STATE_VI,
    decision_line,
    explain_lines,
    receipt_dicts,
)
from ingestd.rules import load_rules
from ingestd.statusview import STATUS_VI, as_json, compute, due_vi
from ingestd.store.accounts import LoggedIn, TooManyAttempts
from ingestd.store.db import from_db
from ingestd.store.repo import RegisterFilter, parse_rid, rid
from ingestd.vocabulary import SIGNATURE_VI
from ingestd.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Denied,
    check_csrf,
    check_login_csrf,
    client_address,
    current_user,
    forbidden,
    login_csrf,
    page,
    safe_next,
)

PAGE_SIZE = 50
STATUS_ORDER = [MISSING, LATE, ON_TIME, PENDING, EXEMPT]


def _console(request: Request) -> Any:
    return request.app.state.console


def _flash(request: Request, ok: str | None = None, err: str | None = None) -> str:
    """A message for the next page, signed so that a link cannot put words in our mouth."""
    signer = URLSafeTimedSerializer(request.app.state.secret, salt="flash")
    return urlencode({"m": signer.dumps({"ok": ok, "err": err})})


def _flashed(request: Request) -> dict[str, str | None]:
    signer = URLSafeTimedSerializer(request.app.state.secret, salt="flash")
    try:
        return dict(signer.loads(request.query_params.get("m", ""), max_age=120))
    except BadSignature:
        return {}


def _render(request: Request, who: LoggedIn | None, template: str, status: int = 200,
            **ctx: Any) -> HTMLResponse:
    console = _console(request)
    svc = console.services()
    review_count = svc.store.count_by_state() if who else {}
    ctx.setdefault("flash", _flashed(request))
    html = console.templates.get_template(template).render(
        who=who, path=request.url.path, csrf=who.csrf if who else "",
        review_count=sum(review_count.get(s, 0) for s in REVIEW_STATES),
        at=console.now(), pinned=console.at is not None, tz=console.settings.timezone,
        STATUS_VI=STATUS_VI, STATE_VI=STATE_VI, **ctx)
    return HTMLResponse(html, status_code=status)


def _local(moment: datetime | None, tz: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt) if moment else ""


# -- public ----------------------------------------------------------------------------------

async def healthz(request: Request) -> Response:
    """For the reverse proxy: the database answers."""
    try:
        _console(request).svc.store.count_by_state()
    except Exception:  # noqa: BLE001 - any database failure is "not healthy"
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ok")


async def login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    token, cookie = login_csrf(request)
    response = _render(request, None, "login.html", status=status, csrf_token=token, error=error,
                       next=safe_next(request.query_params.get("next")))
    if cookie:
        response.set_cookie(LOGIN_CSRF_COOKIE, cookie, httponly=True, samesite="strict",
                            secure=_secure(request), max_age=3600 * 12)
    return response


def _secure(request: Request) -> bool:
    return request.app.state.settings.web.base_url.startswith("https://")


async def login(request: Request) -> Response:
    form = await request.form()
    try:
        check_login_csrf(request, str(form.get("csrf_token", "")))
    except Denied as exc:
        return forbidden(request, str(exc))
    web = request.app.state.settings.web
    from starlette.concurrency import run_in_threadpool

    try:
        user = await run_in_threadpool(
            request.app.state.accounts.authenticate, str(form.get("username", "")),
            str(form.get("password", "")), client_address(request), web.login_attempts,
            timedelta(minutes=web.login_window_minutes))
    except TooManyAttempts:
        return await login_form(request, f"Đăng nhập sai quá nhiều lần; thử lại sau "
                                         f"{web.login_window_minutes} phút.", status=429)
    if user is None:
        return await login_form(request, "Tên đăng nhập hoặc mật khẩu không đúng.", status=401)
    token, _ = request.app.state.accounts.start_session(user, web.session_hours)
    response = RedirectResponse(safe_next(str(form.get("next", "/"))), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=_secure(request), max_age=int(web.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


async def logout(request: Request) -> Response:
    who = current_user(request)
    form = await request.form()
    if who is not None:
        try:
            check_csrf(who, str(form.get("csrf_token", "")))
        except Denied as exc:
            return forbidden(request, str(exc))
        request.app.state.accounts.end_session(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "không tìm thấy"}, status_code=404)
    return PlainTextResponse("404 — Không tìm thấy trang này.", status_code=404)


async def server_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("500 — Lỗi hệ thống; đã ghi vào nhật ký. Thử lại sau.",
                             status_code=500)


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
    console = _console(request)
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
    return _render(request, who, "board.html", rows=cards, soon=soon,
                   directives=[d.number for d in svc.rules.directives],
                   groups=sorted(svc.rules.groups.items()),
                   periods=sorted({s.period for s in statuses if s.period}, reverse=True),
                   chosen={"directive": directive, "group": group, "period": period,
                           "all": show_all}, due_vi=lambda s: due_vi(s, svc))


@page("viewer")
def report_page(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = _console(request)
    svc, at = console.services(), console.now()
    report_id = request.path_params["report"]
    if report_id not in svc.rules.reports:
        return PlainTextResponse(f"404 — Không có báo cáo {report_id}.", status_code=404)
    period = request.query_params.get("period") or None
    every = compute(svc, at, report_id)                    # every period, computed once
    chosen = [x for x in every if period is None or x.period == period]
    if not chosen:
        return PlainTextResponse("404 — Không có kỳ báo cáo này.", status_code=404)
    s = chosen[-1]
    names = {u.id: u.name for u in svc.rules.units.values()}
    cells = sorted(s.cells, key=lambda c: (STATUS_ORDER.index(c.status), names.get(c.unit, c.unit)))
    return _render(request, who, "report.html", s=s, summary=_summary(s), cells=cells, names=names,
                   report=svc.rules.reports[report_id],
                   directive=svc.rules.directive_of(svc.rules.reports[report_id]),
                   periods=[x.period for x in every] if s.period else [],
                   due=due_vi(s, svc), local=lambda m: _local(m, console.settings.timezone))


@page("viewer")
def unit_page(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = _console(request)
    svc, at = console.services(), console.now()
    unit = svc.rules.units.get(request.path_params["unit"])
    if unit is None:
        return PlainTextResponse("404 — Không có đơn vị này.", status_code=404)
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
    return _render(request, who, "unit.html", unit=unit, quarter=quarter,
                   quarter_vi=period_vi(quarter.label), record=record,
                   counts=counts, receipts=rows, local=lambda m: _local(m, console.settings.timezone),
                   from_db=from_db, due_vi=lambda s: due_vi(s, svc))


# -- the register --------------------------------------------------------------------------------

def _day(text: str | None, tz: Any, end: bool) -> datetime | None:
    if not text:
        return None
    try:
        d = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(d, time(23, 59, 59) if end else time(0), tzinfo=tz)


def _filter(request: Request) -> tuple[RegisterFilter, dict[str, str]]:
    q = request.query_params
    tz = request.app.state.settings.timezone
    chosen = {k: q.get(k, "").strip()[:200] for k in
              ("sender", "unit", "number", "subject", "from", "to", "state")}
    f = RegisterFilter(sender=chosen["sender"] or None, unit=chosen["unit"] or None,
                       number=chosen["number"] or None, subject=chosen["subject"] or None,
                       since=_day(chosen["from"], tz, False), until=_day(chosen["to"], tz, True),
                       states=(chosen["state"],) if chosen["state"] in STATE_VI else ())
    return f, chosen


@page("viewer")
def register(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = _console(request)
    svc = console.services()
    f, chosen = _filter(request)
    fmt = request.query_params.get("format")
    if fmt in ("csv", "xlsx"):
        rows, _ = svc.store.search(f, limit=100_000)
        return _export(receipt_dicts(svc, rows), fmt)
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    rows, total = svc.store.search(f, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    query = {k: v for k, v in chosen.items() if v}
    return _render(request, who, "receipts.html", rows=rows, total=total, page_no=page_no,
                   pages=pages, chosen=chosen, units=sorted(svc.rules.units.values(),
                                                            key=lambda u: u.name),
                   link=lambda **kw: "?" + urlencode({**query, **kw}),
                   local=lambda m: _local(from_db(m), console.settings.timezone))


_EXPORT_KEYS = ["id", "received_at", "source", "sender", "subject", "own_number", "unit", "state",
                "reason", "message_id", "sha256"]


def _export(rows: list[dict[str, Any]], fmt: str) -> Response:
    table = [[*(d[k] for k in _EXPORT_KEYS),
              ";".join(f"{m['report']}@{m['period'] or ''}" for m in d["matches"])] for d in rows]
    head = [*_EXPORT_KEYS, "matches"]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(head)
        w.writerows([["" if v is None else v for v in r] for r in table])
        return Response(("\ufeff" + buf.getvalue()).encode("utf-8"), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="so-van-ban-den.csv"'})
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sổ văn bản đến")
    ws.append(head)
    for r in table:
        ws.append(["" if v is None else v for v in r])
    out = io.BytesIO()
    wb.save(out)
    return Response(out.getvalue(), media_type="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="so-van-ban-den.xlsx"'})


def _receipt(request: Request, svc: Any) -> Any:
    try:
        return svc.store.get(parse_rid(request.path_params["rid"]))
    except NotFoundError:
        return None


@page("viewer")
def receipt_page(request: Request, who: LoggedIn, form: dict[str, Any],
                 message: str | None = None, error: str | None = None) -> Response:
    console = _console(request)
    svc = console.services()
    r = _receipt(request, svc)
    if r is None:
        return PlainTextResponse("404 — Không có biên nhận này.", status_code=404)
    decisions = svc.store.assignments(r.id)
    doc = Document.from_json(r.document) if r.document else None
    ev = json.loads(r.evidence or "{}")
    suggested = r.unit or ev.get("suggested_unit")
    matches = ev.get("matches") or []
    book = svc.rules
    return _render(request, who, "receipt.html", status=400 if error else 200, r=r, rid=rid(r.id or 0),
                   lines=explain_lines(r, decisions, console.settings.timezone), doc=doc,
                   decisions=decisions, suggested=suggested,
                   decision_text=lambda a: decision_line(a, console.settings.timezone),
                   suggested_report=matches[0]["report"] if matches else None,
                   suggested_period=matches[0]["period"] if matches else None,
                   signature=ev.get("signature"), SIGNATURE_VI=SIGNATURE_VI,
                   units=sorted(book.units.values(), key=lambda u: u.name),
                   reports=[(d, rep) for d in book.directives for rep in d.reports],
                   message=message, error=error,
                   local=lambda m: _local(from_db(m), console.settings.timezone))


@page("viewer")
def raw_message(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = _console(request).services()
    r = _receipt(request, svc)
    if r is None:
        return PlainTextResponse("404 — Không có biên nhận này.", status_code=404)
    try:
        raw = svc.store.raw(r)
    except OSError:
        return PlainTextResponse("Không đọc được thư gốc trong kho lưu (store_dir).", status_code=503)
    edxml = looks_like_edxml(raw)
    name = f"{rid(r.id or 0)}.{'edxml' if edxml else 'eml'}"
    return Response(raw, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _decide(request: Request, who: LoggedIn, action: Any) -> Response:
    """Run a clerk's action; back to the receipt page with what happened (or why not)."""
    try:
        message = action()
    except IngestdError as exc:
        return receipt_page.__wrapped__(request, who, {}, error=str(exc))  # type: ignore[attr-defined]
    target = request.url.path.rsplit("/", 1)[0]
    return RedirectResponse(f"{target}?{_flash(request, ok=message)}", status_code=303)


def _clean(form: dict[str, Any], key: str) -> str | None:
    value = " ".join(str(form.get(key, "")).split())
    return value[:500] or None


@page("clerk")
def assign(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = _console(request).services()

    def act() -> str:
        receipt_id = parse_rid(request.path_params["rid"])
        made = review.assign(svc, receipt_id, _clean(form, "unit") or "", who.user.name,
                             _clean(form, "report"), _clean(form, "period"), _clean(form, "reason"))
        return "Đã gán cho " + ", ".join(f"{a.unit} – {a.report} {a.period or ''}".strip() for a in made)
    return _decide(request, who, act)


@page("clerk")
def ignore(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = _console(request).services()

    def act() -> str:
        review.ignore(svc, parse_rid(request.path_params["rid"]), _clean(form, "reason") or "",
                      who.user.name)
        return "Đã bỏ qua thư này"
    return _decide(request, who, act)


@page("clerk")
def exempt(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = _console(request).services()
    back = safe_next(_clean(form, "back"))
    try:
        review.exempt(svc, _clean(form, "unit") or "", _clean(form, "report") or "",
                      _clean(form, "reason") or "", who.user.name, _clean(form, "period"))
    except IngestdError as exc:
        return RedirectResponse(f"{back}?{_flash(request, err=str(exc))}", status_code=303)
    return RedirectResponse(f"{back}?{_flash(request, ok='Đã miễn cho đơn vị')}", status_code=303)


@page("clerk")
def undo(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = _console(request).services()
    back = safe_next(_clean(form, "back"))
    try:
        a = review.undo(svc, int(request.path_params["did"]), who.user.name, _clean(form, "reason"))
    except IngestdError as exc:
        return RedirectResponse(f"{back}?{_flash(request, err=str(exc))}", status_code=303)
    return RedirectResponse(f"{back}?{_flash(request, ok=f'Đã hoàn tác quyết định {ACTION_VI[a.action]}')}",
                            status_code=303)


@page("viewer")
def review_queue(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = _console(request)
    svc = console.services()
    rows = svc.store.receipts(states=REVIEW_STATES)
    rows.sort(key=lambda r: (r.received_at, r.id or 0), reverse=True)
    names = {u.id: u.name for u in svc.rules.units.values()}
    items = [(r, json.loads(r.evidence or "{}").get("suggested_unit")) for r in rows]
    return _render(request, who, "review.html", items=items, names=names,
                   local=lambda m: _local(from_db(m), console.settings.timezone))


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
    at = _console(request).now()
    return _render(request, who, "quarterly.html", quarters=_quarters(at))


@page("viewer")
def quarterly_file(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    from ingestd.reports.compliance import quarter_range
    from ingestd.reports.quarterly import build, render

    console = _console(request)
    label, fmt = request.path_params["label"], request.path_params["fmt"]
    if fmt not in ("docx", "csv", "xlsx") or parse_period(label) is None or "-Q" not in label:
        return PlainTextResponse("404 — Không có báo cáo này.", status_code=404)
    start, end = quarter_range(label)
    svc, at = console.services(), console.now()
    files = render(svc, build(svc, start, end, label, at), at)
    media = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet"}[fmt]
    return Response(getattr(files, fmt), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="bao-cao-che-do-bao-cao-{label}.{fmt}"'})


@page("admin")
def admin(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = _console(request)
    svc = console.services()
    try:
        book = load_rules(console.settings.rules_dir)
        check = (True, [f"{len(book.units)} đơn vị, {len(book.directives)} văn bản chỉ đạo, "
                        f"{sum(len(d.reports) for d in book.directives)} báo cáo"])
    except RulesError as exc:
        check = (False, [str(p) for p in exc.problems])
    faults = fault_summary(svc)
    return _render(request, who, "admin.html", sources=source_health(svc), check=check,
                   fault=fault_line(faults), faults=faults, users=console.accounts.users(),
                   states=svc.store.count_by_state())


# -- the API: the same JSON as the CLI ---------------------------------------------------------

@page("viewer", api=True)
def api_status(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = _console(request)
    svc, at = console.services(), console.now()
    text = request.query_params.get("at")
    if text:
        from ingestd.cli.main import UsageError, parse_at

        try:
            at = parse_at(text, console.settings.timezone)
        except UsageError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(as_json(compute(svc, at, request.query_params.get("report") or None), at, svc))


@page("viewer", api=True)
def api_receipts(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = _console(request).services()
    return JSONResponse(receipt_dicts(svc, svc.store.receipts()))


@page("viewer", api=True)
def api_unmatched(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = _console(request).services()
    return JSONResponse(receipt_dicts(svc, svc.store.receipts(states=REVIEW_STATES), suggested=True))
