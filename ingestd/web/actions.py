"""A clerk's actions: assign, ignore, exempt, undo. Each goes through ``ingestd.review`` (the
one home of decisions, audited with the account's name) and comes back to the page it was made
from, with what happened; a refused action keeps what the clerk typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ingestd import review
from ingestd.errors import DecisionError, IngestdError
from ingestd.registerview import ACTION_VI
from ingestd.store.accounts import LoggedIn
from ingestd.store.ids import parse_rid
from ingestd.web.errors import BadRequest
from ingestd.web.pages import receipt_page
from ingestd.web.render import console_of, flash
from ingestd.web.security import page, safe_next

FORM_FIELDS = ("unit", "report", "period", "reason")


def clean(form: dict[str, Any], key: str) -> str | None:
    value = " ".join(str(form.get(key, "")).split())
    return value[:500] or None


def back_to(request: Request, target: str, ok: str | None = None, err: str | None = None) -> Response:
    """Back to ``target`` with the message, focused (``#flash``) so a screen reader hears it."""
    target = safe_next(target).split("#")[0]
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}{flash(request, ok=ok, err=err)}#flash", status_code=303)


def _decide(request: Request, who: LoggedIn, form: dict[str, Any], action: Callable[[], str],
            which: str) -> Response:
    """Run an action from the receipt page; on refusal show that page again with the reason
    and what was typed into the form ``which``."""
    try:
        message = action()
    except IngestdError as exc:
        typed = {which: {k: clean(form, k) or "" for k in FORM_FIELDS}}
        return receipt_page.__wrapped__(request, who, {}, error=str(exc),  # type: ignore[attr-defined]
                                        typed=typed)
    return back_to(request, request.url.path.rsplit("/", 1)[0], ok=message)


@page("clerk")
def assign(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = console_of(request).services()

    def act() -> str:
        made = review.assign(svc, parse_rid(request.path_params["rid"]), clean(form, "unit") or "",
                             who.user.name, clean(form, "report"), clean(form, "period"),
                             clean(form, "reason"))
        return "Đã gán cho " + ", ".join(f"{a.unit} – {a.report} {a.period or ''}".strip() for a in made)
    return _decide(request, who, form, act, "assign")


@page("clerk")
def ignore(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = console_of(request).services()

    def act() -> str:
        review.ignore(svc, parse_rid(request.path_params["rid"]), clean(form, "reason") or "",
                      who.user.name)
        return "Đã bỏ qua thư này"
    return _decide(request, who, form, act, "ignore")


@page("clerk")
def exempt(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = console_of(request).services()
    back = clean(form, "back") or "/"
    try:
        review.exempt(svc, clean(form, "unit") or "", clean(form, "report") or "",
                      clean(form, "reason") or "", who.user.name, clean(form, "period"))
    except IngestdError as exc:
        return back_to(request, back, err=str(exc))
    return back_to(request, back, ok="Đã miễn cho đơn vị")


@page("clerk")
def undo(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    svc = console_of(request).services()
    back = clean(form, "back") or "/"
    try:
        a = review.undo(svc, int(request.path_params["did"]), who.user.name, clean(form, "reason"))
    except IngestdError as exc:
        return back_to(request, back, err=str(exc))
    return back_to(request, back, ok=f"Đã hoàn tác quyết định {ACTION_VI[a.action]}")


@page("clerk")
def extend(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    from ingestd.web import params

    svc = console_of(request).services()
    back = clean(form, "back") or "/"
    try:
        until = params.day(clean(form, "until"), svc.settings.timezone, False, "gia hạn đến")
        if until is None:
            raise DecisionError("ghi ngày gia hạn đến")
        receipt = clean(form, "receipt")
        review.extend(svc, clean(form, "unit") or "", clean(form, "report") or "", until.date(),
                      clean(form, "reason") or "", who.user.name, clean(form, "period"),
                      parse_rid(receipt) if receipt else None)
    except (IngestdError, BadRequest) as exc:
        return back_to(request, back, err=str(exc))
    return back_to(request, back, ok=f"Đã gia hạn đến hết ngày {until.date():%d/%m/%Y}")
