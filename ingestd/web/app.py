"""The web console (``ingestd web``): the board, the register and the review queue for clerks
and leaders. Server-rendered pages (Jinja2), no script at all, one small stylesheet shipped
with the package (offices are often offline). Handlers call the same services as the CLI."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ingestd.config import Settings
from ingestd.errors import RulesError
from ingestd.ledger import ReportStatus
from ingestd.logs import get_logger
from ingestd.reports.trend import Trend, quarterly_trend
from ingestd.rules import load_rules, rules_fingerprint
from ingestd.services import Services, open_services
from ingestd.statusview import compute
from ingestd.store.accounts import Accounts
from ingestd.web import actions, drafts, errors, login, pages
from ingestd.web.security import HEADERS, HSTS, served_over_https

HERE = Path(__file__).parent
log = get_logger("ingestd.web")


class _Headers(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)
        if served_over_https(request.app.state.settings.web):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class Console:
    """What the handlers share: services (rules re-read when a rules file changes), the
    accounts, the templates, and the moment the console shows (``--at``, else now)."""

    def __init__(self, settings: Settings, at: datetime | None = None):
        self.settings = settings
        self.svc = open_services(settings, rules_required=False)
        self.accounts = Accounts(self.svc.store)
        self.secret = self.accounts.secret()
        self.at = at
        self.rules_error: str | None = None
        self._rules_stamp = rules_fingerprint(self.settings.rules_dir)
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._status_cache: tuple[object, datetime, datetime, list[ReportStatus]] | None = None
        self._trend_cache: tuple[list[ReportStatus], Trend] | None = None
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
            trim_blocks=True, lstrip_blocks=True)


    def services(self) -> Services:
        """The services, with the rules re-read (at most every 5 s) when a file changed; a
        broken file keeps the rules in force and is shown to admins."""
        if time.monotonic() - self._checked > 5:
            with self._lock:
                self._checked = time.monotonic()
                stamp = rules_fingerprint(self.settings.rules_dir)
                if stamp != self._rules_stamp:
                    self._rules_stamp = stamp
                    try:
                        rules = load_rules(self.settings.rules_dir)
                        self.svc = Services(self.settings, rules, type(self.svc.calendar)(
                            self.settings.timezone, rules.calendar), self.svc.store)
                        self.rules_error = None
                    except RulesError as exc:
                        self.rules_error = str(exc)
                        log.error("rules have errors: keeping the rules in force", error=str(exc))
        return self.svc

    def now(self) -> datetime:
        return self.at or datetime.now(self.settings.timezone)

    def statuses(self, at: datetime) -> list[ReportStatus]:
        """Every (report, period) as of ``at``, kept until the data changes (``data_version``),
        the rules change, or ``at`` passes a deadline or a midnight (when a cell can turn
        from pending to missing, or a new period begin). At 100,000 receipts computing it takes
        about a second; reading the version takes milliseconds."""
        svc = self.services()
        key = (svc.store.data_version(), id(svc.rules))
        cached = self._status_cache
        if cached and cached[0] == key and cached[1] <= at < cached[2]:
            return cached[3]
        statuses = compute(svc, at)
        local = at.astimezone(self.settings.timezone)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                    tzinfo=self.settings.timezone)
        until = min([s.due for s in statuses if s.due > at] + [midnight])
        self._status_cache = (key, at, until, statuses)
        return statuses

    def trend(self, at: datetime) -> Trend:
        """The on-time share of the last four quarters, per unit and group, computed once per
        computed ``statuses`` (the board and every unit page show it)."""
        statuses = self.statuses(at)
        cached = self._trend_cache
        if cached and cached[0] is statuses:
            return cached[1]
        trend = quarterly_trend(self.services().rules, statuses,
                                at.astimezone(self.settings.timezone).date(), self.settings.timezone)
        self._trend_cache = (statuses, trend)
        return trend


def create_app(settings: Settings, at: datetime | None = None) -> Starlette:
    console = Console(settings, at)
    routes = [
        Route("/healthz", login.healthz),
        Route("/login", login.login_form, methods=["GET"]),
        Route("/login", login.login, methods=["POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        Route("/", pages.board),
        Route("/reports/{report}", pages.report_page),
        Route("/units/{unit}", pages.unit_page),
        Route("/receipts", pages.register),
        Route("/receipts/{rid}", pages.receipt_page),
        Route("/receipts/{rid}/raw", pages.raw_message),
        Route("/receipts/{rid}/assign", actions.assign, methods=["POST"]),
        Route("/receipts/{rid}/ignore", actions.ignore, methods=["POST"]),
        Route("/exempt", actions.exempt, methods=["POST"]),
        Route("/extend", actions.extend, methods=["POST"]),
        Route("/decisions/{did:int}/undo", actions.undo, methods=["POST"]),
        Route("/review", pages.review_queue),
        Route("/quarterly", pages.quarterly),
        Route("/quarterly/{label}.{fmt}", pages.quarterly_file),
        Route("/admin", pages.admin),
        Route("/drafts", drafts.drafts_page),
        Route("/drafts/{did:int}", drafts.draft_page),
        Route("/drafts/{did:int}/save", drafts.save, methods=["POST"]),
        Route("/api/status", pages.api_status),
        Route("/api/receipts", pages.api_receipts),
        Route("/api/unmatched", pages.api_unmatched),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(_Headers)],
                    exception_handlers={HTTPException: errors.http_exception,
                                        errors.BadRequest: errors.bad_request,
                                        500: errors.server_error})
    app.state.console = console
    app.state.settings = settings
    app.state.accounts = console.accounts
    app.state.secret = console.secret
    return app
