"""Logging in and out, and /healthz for the reverse proxy.

The login form carries a signed double-submit token (there is no session yet) and, like every
POST, must come from this console's own origin. Over https the cookies carry the ``__Host-``
prefix. Wrong passwords lock the account they name for the rest of the window; an address that
keeps failing is slowed down, never refused, so that one person cannot lock a whole office out
from behind the office's proxy.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from ingestd.store.accounts import TooManyAttempts
from ingestd.web.render import console_of, render
from ingestd.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Denied,
    check_csrf,
    check_login_csrf,
    check_origin,
    client_address,
    cookie_name,
    current_user,
    forbidden,
    login_csrf,
    safe_next,
    served_over_https,
)


async def healthz(request: Request) -> Response:
    """For the reverse proxy: the database answers."""
    try:
        console_of(request).svc.store.count_by_state()
    except Exception:  # noqa: BLE001 - any database failure is "not healthy"
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ok")


async def login_form(request: Request, error: str | None = None, status: int = 200,
                     next_page: str | None = None) -> Response:
    web = request.app.state.settings.web
    token, cookie = login_csrf(request)
    response = render(request, None, "login.html", status=status, csrf_token=token, error=error,
                      next=safe_next(next_page or request.query_params.get("next")))
    if cookie:
        response.set_cookie(cookie_name(LOGIN_CSRF_COOKIE, web), cookie, httponly=True,
                            samesite="strict", secure=served_over_https(web), max_age=3600 * 12)
    return response


async def login(request: Request) -> Response:
    form: Any = await request.form()
    next_page = safe_next(str(form.get("next", "/")))
    try:
        check_origin(request)
        check_login_csrf(request, str(form.get("csrf_token", "")))
    except Denied as exc:
        return forbidden(request, str(exc))
    web = request.app.state.settings.web
    accounts = request.app.state.accounts
    address = client_address(request)
    window = timedelta(minutes=web.login_window_minutes)
    delay = await run_in_threadpool(accounts.address_delay, address, web.login_attempts * 4, window)
    if delay:
        await asyncio.sleep(delay)
    try:
        user = await run_in_threadpool(
            accounts.authenticate, str(form.get("username", "")), str(form.get("password", "")),
            address, web.login_attempts, window)
    except TooManyAttempts:
        return await login_form(request, f"Tài khoản này đăng nhập sai quá nhiều lần; thử lại sau "
                                         f"{web.login_window_minutes} phút.", 429, next_page)
    if user is None:
        return await login_form(request, "Tên đăng nhập hoặc mật khẩu không đúng.", 401, next_page)
    token, _ = accounts.start_session(user, web.session_hours)
    response = RedirectResponse(next_page, status_code=303)
    response.set_cookie(cookie_name(SESSION_COOKIE, web), token, httponly=True, samesite="lax",
                        secure=served_over_https(web), max_age=int(web.session_hours * 3600))
    response.delete_cookie(cookie_name(LOGIN_CSRF_COOKIE, web), secure=served_over_https(web))
    return response


async def logout(request: Request) -> Response:
    web = request.app.state.settings.web
    who = current_user(request)
    form = await request.form()
    if who is not None:
        try:
            check_origin(request)
            check_csrf(who, str(form.get("csrf_token", "")))
        except Denied as exc:
            return forbidden(request, str(exc))
        request.app.state.accounts.end_session(request.cookies.get(cookie_name(SESSION_COOKIE, web)))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(cookie_name(SESSION_COOKIE, web), secure=served_over_https(web))
    return response
