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
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ingestd.config import WebSettings
from ingestd.store.accounts import Accounts, LoggedIn, role_at_least
from ingestd.web.errors import error_response

SESSION_COOKIE = "ingestd_session"
LOGIN_CSRF_COOKIE = "ingestd_login"
HSTS = "max-age=31536000"
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


def served_over_https(web: WebSettings) -> bool:
    return web.base_url.startswith("https://")


def cookie_name(base: str, web: WebSettings) -> str:
    """``__Host-`` names over https: the browser accepts such a cookie only from this exact
    host, with Secure and Path=/, so a page on another port or a sibling subdomain cannot plant
    one (login forcing by cookie tossing)."""
    return f"__Host-{base}" if served_over_https(web) else base


def _peer(request: Request) -> str:
    """The socket's other end (uvicorn runs without proxy_headers, so this is never rewritten
    from a header)."""
    return request.client.host if request.client else "unknown"


def _trusted(address: str, web: WebSettings) -> bool:
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(p, strict=False) for p in web.trusted_proxy)


def _from_trusted_proxy(request: Request, web: WebSettings) -> bool:
    return bool(web.trusted_proxy) and _trusted(_peer(request), web)


def client_address(request: Request) -> str:
    """Who is on the other side, for the login throttle: the socket peer; behind a trusted
    proxy, the nearest address in ``X-Forwarded-For`` that is not itself a trusted proxy (what
    nginx's ``$proxy_add_x_forwarded_for`` appends), so the office's users do not share one."""
    web: WebSettings = request.app.state.settings.web
    if not _from_trusted_proxy(request, web):
        return _peer(request)
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, web):
            return hop[:100]
    return _peer(request)


def own_origin(request: Request) -> str:
    """This console's origin: ``base_url`` when set (behind a proxy), else what the request says."""
    web: WebSettings = request.app.state.settings.web
    if web.base_url:
        parts = urlsplit(web.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()
    scheme = request.url.scheme
    if _from_trusted_proxy(request, web):
        scheme = request.headers.get("x-forwarded-proto", scheme).split(",")[0].strip() or scheme
    return f"{scheme}://{request.headers.get('host', '')}".lower()


def check_origin(request: Request) -> None:
    """A POST must come from a page of this console. Browsers name the page's origin in
    ``Origin`` (and say ``Sec-Fetch-Site``); a page on another port or subdomain of the same
    host is same-site, which the SameSite cookie flag does not stop, but it is another origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.lower() != own_origin(request):
        raise Denied("yêu cầu gửi từ một trang khác, không phải từ bảng điều khiển này")
    site = request.headers.get("sec-fetch-site")
    if (origin in (None, "null")) and site and site not in ("same-origin", "none"):
        raise Denied("yêu cầu gửi từ một trang khác, không phải từ bảng điều khiển này")


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
    return accounts.session(request.cookies.get(cookie_name(SESSION_COOKIE, web)))


def login_csrf(request: Request) -> tuple[str, str | None]:
    """(token for the form, cookie value to set or None): a double-submit token signed with the
    console's key, for the one form used before there is a session."""
    signer = URLSafeTimedSerializer(request.app.state.secret, salt="login")
    cookie = request.cookies.get(cookie_name(LOGIN_CSRF_COOKIE, request.app.state.settings.web))
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
        name = cookie_name(LOGIN_CSRF_COOKIE, request.app.state.settings.web)
        expected = str(signer.loads(request.cookies.get(name, ""), max_age=3600 * 12))
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
                return RedirectResponse(f"/login?next={quote(_come_back_to(request))}",
                                        status_code=303)
            form: dict[str, Any] = {}
            if request.method == "POST":
                form = dict(await request.form())
                try:
                    check_origin(request)
                    check_csrf(who, form.get("csrf_token"))
                except Denied as exc:
                    return forbidden(request, str(exc))
            if not role_at_least(who.user.role, role):
                return forbidden(request, "tài khoản của anh/chị không có quyền làm việc này")
            return await run_in_threadpool(fn, request, who, form)
        return wrapper  # type: ignore[return-value]
    return deco


def _come_back_to(request: Request) -> str:
    """Where to return after logging in. A form sent after the session ended comes back to the
    page that held the form (its Referer, when it is ours), not to the POST-only action."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if f"{referer.scheme}://{referer.netloc}".lower() == own_origin(request) and referer.path:
        return safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    return "/"


def forbidden(request: Request, why: str) -> Response:
    return error_response(request, 403, why)


def safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): a login link cannot send elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
