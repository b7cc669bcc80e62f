"""Who is asking, and may they: sessions, roles, CSRF, security headers.

Every page but /login, /healthz and /static needs an account; a page request without one is
sent to /login (303), an /api/ request is answered 401. A POST must carry the form's
``csrf_token`` (the session's, or before login a signed double-submit cookie), else 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable
from functools import wraps
from hashlib import sha256
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from ingestd.config import WebSettings
from ingestd.store.accounts import Accounts, LoggedIn, role_at_least

SESSION_COOKIE = "ingestd_session"
LOGIN_CSRF_COOKIE = "ingestd_login"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Denied(Exception):
    """403: the account may not do this, or the form's CSRF token is wrong."""


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _from_trusted_proxy(request: Request, web: WebSettings) -> bool:
    if not web.trusted_proxy:
        return False
    try:
        addr = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(p, strict=False) for p in web.trusted_proxy)


def current_user(request: Request) -> LoggedIn | None:
    """The session's account; or, from a trusted reverse proxy, the account its header names
    (the office's directory logged the person in; the account must exist and be enabled)."""
    app = request.app.state
    web: WebSettings = app.settings.web
    accounts: Accounts = app.accounts
    if _from_trusted_proxy(request, web):
        name = request.headers.get(web.proxy_user_header, "").strip().lower()
        user = accounts.get(name) if name else None
        if user is not None and not user.disabled:
            csrf = hmac.new(app.secret.encode(), b"proxy:" + name.encode(), sha256).hexdigest()
            return LoggedIn(user, csrf, None)  # type: ignore[arg-type]
    return accounts.session(request.cookies.get(SESSION_COOKIE))


def login_csrf(request: Request) -> tuple[str, str | None]:
    """(token for the form, cookie value to set or None): a double-submit token signed with the
    console's key, for the one form used before there is a session."""
    signer = URLSafeTimedSerializer(request.app.state.secret, salt="login")
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if cookie:
        try:
            return str(signer.loads(cookie, max_age=3600 * 12)), None
        except BadSignature:
            pass
    token = secrets.token_urlsafe(24)
    return token, signer.dumps(token)


def check_login_csrf(request: Request, submitted: str) -> None:
    signer = URLSafeTimedSerializer(request.app.state.secret, salt="login")
    try:
        expected = str(signer.loads(request.cookies.get(LOGIN_CSRF_COOKIE, ""), max_age=3600 * 12))
    except BadSignature:
        raise Denied("phiên đăng nhập đã hết hạn; tải lại trang") from None
    if not submitted or not hmac.compare_digest(expected, submitted):
        raise Denied("mã chống giả mạo không đúng; tải lại trang")


def check_csrf(who: LoggedIn, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(who.csrf, str(submitted)):
        raise Denied("mã chống giả mạo (CSRF) không đúng; tải lại trang rồi thử lại")


Handler = Callable[..., Response]


def page(role: str = "viewer", api: bool = False) -> Callable[[Handler], Handler]:
    """A handler that needs an account of at least ``role``; POSTs need the CSRF token.
    The handler is called as ``fn(request, who, form)`` (form: the POSTed fields or {})."""

    def deco(fn: Handler) -> Handler:
        @wraps(fn)
        async def wrapper(request: Request) -> Response:
            who = current_user(request)
            if who is None:
                if api:
                    return JSONResponse({"error": "cần đăng nhập"}, status_code=401)
                nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(nxt)}", status_code=303)
            form: dict[str, Any] = {}
            if request.method == "POST":
                form = dict(await request.form())
                try:
                    check_csrf(who, form.get("csrf_token"))
                except Denied as exc:
                    return forbidden(request, str(exc))
            if not role_at_least(who.user.role, role):
                return forbidden(request, "tài khoản của anh/chị không có quyền làm việc này")
            return await run_in_threadpool(fn, request, who, form)
        return wrapper  # type: ignore[return-value]
    return deco


def forbidden(request: Request, why: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": why}, status_code=403)
    return PlainTextResponse(f"403 — Không được phép: {why}", status_code=403)


def safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): a login link cannot send elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
