"""Directive drafts (admins): what the Office sent that asks for reports and is not yet in the
rules, drafted; an admin reads the evidence, edits the TOML and saves it as a new rules file."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ingestd.drafting.save import SaveRefused, save_draft
from ingestd.store.accounts import LoggedIn
from ingestd.store.db import from_db
from ingestd.store.drafts_repo import OFFERED, DraftsRepo
from ingestd.web.actions import back_to
from ingestd.web.errors import error_response
from ingestd.web.render import console_of, local, render
from ingestd.web.security import page

STATE_VI = {"new": "chưa đọc", "offered": "chờ lập quy tắc", "duplicate": "bản sao",
            "known": "đã có trong quy tắc", "not_directive": "không yêu cầu báo cáo",
            "saved": "đã lưu vào quy tắc"}


def _row(d: Any, tz: Any) -> dict[str, Any]:
    return {"d": d, "state": STATE_VI.get(d.state, d.state),
            "received": local(from_db(d.received_at), tz),
            "saved": local(from_db(d.saved_at), tz) if d.saved_at else "",
            "evidence": json.loads(d.evidence) if d.evidence else {}}


@page("admin")
def drafts_page(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = console_of(request)
    repo, tz = DraftsRepo(console.services().store), console.settings.timezone
    return render(request, who, "drafts.html", offered=[_row(d, tz) for d in repo.offered()],
                  recent=[_row(d, tz) for d in repo.recent(30)],
                  outgoing=console.settings.has_outgoing)


def _repo_and_draft(request: Request) -> tuple[DraftsRepo, Any]:
    repo = DraftsRepo(console_of(request).services().store)
    return repo, repo.get(int(request.path_params["did"]))


@page("admin")
def draft_page(request: Request, who: LoggedIn, form: dict[str, Any], error: str | None = None,
               problems: list[str] | None = None, typed: dict[str, str] | None = None) -> Response:
    console = console_of(request)
    _, d = _repo_and_draft(request)
    if d is None:
        return error_response(request, 404, "Không có bản nháp này.")
    row = _row(d, console.settings.timezone)
    return render(request, who, "draft.html", status=400 if error else 200, r=row, error=error,
                  problems=problems or [], toml=(typed or {}).get("toml", d.toml or ""),
                  file_name=(typed or {}).get("file_name", row["evidence"].get("file_name", "")))


@page("admin")
def save(request: Request, who: LoggedIn, form: dict[str, Any]) -> Response:
    console = console_of(request)
    repo, d = _repo_and_draft(request)
    if d is None:
        return error_response(request, 404, "Không có bản nháp này.")
    text = str(form.get("toml", "")).replace("\r\n", "\n")
    name = str(form.get("file_name", "")).strip()
    typed = {"toml": text, "file_name": name}
    if d.state != OFFERED:
        return draft_page.__wrapped__(request, who, {}, error="Bản nháp này không còn chờ lưu "  # type: ignore[attr-defined]
                                      f"({STATE_VI.get(d.state, d.state)}).", typed=typed)
    try:
        path = save_draft(console.settings.rules_dir, name, text)
    except SaveRefused as exc:
        return draft_page.__wrapped__(request, who, {}, error=str(exc),  # type: ignore[attr-defined]
                                      problems=[str(p) for p in exc.problems], typed=typed)
    store = console.services().store
    repo.mark_saved(d.id, f"directives/{path.name}", who.user.name)
    store.health.add_event("directive_saved", f"{who.user.name} lưu rules/directives/{path.name} "
                                       f"(văn bản {d.number or '?'}) từ bản nháp #{d.id}")
    return back_to(request, "/drafts", ok=f"Đã lưu rules/directives/{path.name}; ingestd theo "
                                          "dõi văn bản này từ lần đọc quy tắc tới.")
