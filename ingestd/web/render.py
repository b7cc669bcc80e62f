"""What every page shares: the console object, rendering a template with the frame's context,
signed flash messages, local times."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ingestd.registerview import REVIEW_STATES, STATE_VI
from ingestd.statusview import STATUS_VI
from ingestd.store.accounts import LoggedIn
from ingestd.vocabulary import ACTION_VI


def console_of(request: Request) -> Any:
    return request.app.state.console


def flash(request: Request, ok: str | None = None, err: str | None = None) -> str:
    """A message for the next page, signed so that a link cannot put words in our mouth."""
    signer = URLSafeTimedSerializer(request.app.state.secret, salt="flash")
    return urlencode({"m": signer.dumps({"ok": ok, "err": err})})


def flashed(request: Request) -> dict[str, str | None]:
    signer = URLSafeTimedSerializer(request.app.state.secret, salt="flash")
    try:
        return dict(signer.loads(request.query_params.get("m", ""), max_age=120))
    except BadSignature:
        return {}


def render(request: Request, who: LoggedIn | None, template: str, status: int = 200,
           **ctx: Any) -> HTMLResponse:
    console = console_of(request)
    svc = console.services()
    review_count = svc.store.count_by_state() if who else {}
    ctx.setdefault("flash", flashed(request))
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "m"]
    here = request.url.path + ("?" + urlencode(query) if query else "")
    html = console.templates.get_template(template).render(
        who=who, path=request.url.path, here=here, csrf=who.csrf if who else "",
        review_count=sum(review_count.get(s, 0) for s in REVIEW_STATES),
        at=console.now(), pinned=console.at is not None, tz=console.settings.timezone,
        STATUS_VI=STATUS_VI, STATE_VI=STATE_VI, ACTION_VI=ACTION_VI, **ctx)
    return HTMLResponse(html, status_code=status)


def local(moment: datetime | None, tz: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return moment.astimezone(tz).strftime(fmt) if moment else ""
