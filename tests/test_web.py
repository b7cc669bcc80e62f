"""The web console through the app's test client: the permission matrix, CSRF, the audit
trail, login safety and the API contract. The real browser is in test_web_browser.py."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient
from webclient import AT, PASSWORD, client, csrf_of, login, sample_console
from webclient import run_cli as _cli

from ingestd.cli.main import main
from ingestd.config import load_settings
from ingestd.store.accounts import Accounts
from ingestd.web.app import create_app


@pytest.fixture(scope="module")
def console(tmp_path_factory, sample_dir):
    """The sample province, loaded once, with one account per role."""
    return sample_console(tmp_path_factory.mktemp("web"), sample_dir)


def review_id(c: TestClient, sender_part: str) -> str:
    queue = c.get("/api/unmatched").json()
    return next(r["id"] for r in queue if sender_part in (r["sender"] or ""))


# -- who may see what ---------------------------------------------------------------------------

PAGES = ["/", "/receipts", "/review", "/reports/760-ha-tang", "/units/so-khdt", "/quarterly",
         "/receipts/r-000001", "/receipts/r-000001/raw"]


@pytest.mark.parametrize("path", PAGES + ["/admin"])
def test_anonymous_is_sent_to_login(console, path):
    r = client(console).get(path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/api/status", "/api/receipts", "/api/unmatched"])
def test_anonymous_api_is_401(console, path):
    assert client(console).get(path).status_code == 401


def test_login_form_has_the_contract_fields(console):
    html = client(console).get("/login").text
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in html
    assert "Đăng nhập" in html


@pytest.mark.parametrize("role,admin_status", [("viewer", 403), ("clerk", 403), ("admin", 200)])
def test_every_role_reads_and_only_admins_administer(console, role, admin_status):
    c = client(console, role)
    for path in PAGES:
        assert c.get(path).status_code == 200, path
    assert c.get("/admin").status_code == admin_status


def test_a_viewer_cannot_change_anything(console):
    c = client(console, "viewer")
    rid = review_id(c, "gmail.com")
    token = csrf_of(c.get(f"/receipts/{rid}").text)
    before = c.get("/api/status").json()
    for path, data in [(f"/receipts/{rid}/assign", {"unit": "so-ldtbxh", "report": "760-ha-tang"}),
                       (f"/receipts/{rid}/ignore", {"reason": "x"}),
                       ("/exempt", {"unit": "bdbp", "report": "760-ha-tang", "reason": "x"}),
                       ("/decisions/1/undo", {})]:
        r = c.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 403, path
    assert c.get("/api/status").json() == before
    html = c.get(f"/receipts/{rid}").text
    assert f"/receipts/{rid}/assign" not in html          # no form to press


def test_a_post_without_the_csrf_token_is_refused(console):
    c = client(console, "clerk")
    rid = review_id(c, "gmail.com")
    for token in (None, "forged"):
        data = {"unit": "so-ldtbxh", "report": "760-ha-tang"}
        if token:
            data["csrf_token"] = token
        r = c.post(f"/receipts/{rid}/assign", data=data, follow_redirects=False)
        assert r.status_code == 403
    assert c.get("/api/unmatched").json()[0]["state"] in ("review", "failed")
    assert rid in [r["id"] for r in c.get("/api/unmatched").json()]
    anon = client(console)
    r = anon.post("/login", data={"username": "clerk", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403                                  # the login form has one too


# -- a clerk's work, and its audit trail -----------------------------------------------------------

def test_assign_then_undo_with_the_audit_trail(console):
    c = client(console, "clerk")
    rid = review_id(c, "gmail.com")
    page = c.get(f"/receipts/{rid}").text
    assert "gửi từ hộp thư cá nhân Gmail" in page                     # the reason, in Vietnamese
    assert '<option value="so-ldtbxh" selected>' in page               # the suggestion pre-selected
    assert "theo số, ký hiệu và ngày" in page                          # the evidence
    r = c.post(f"/receipts/{rid}/assign", data={
        "unit": "so-ldtbxh", "report": "760-ha-tang", "period": "", "reason": "đã gọi điện xác nhận",
        "csrf_token": csrf_of(page)}, follow_redirects=True)
    assert r.status_code == 200 and "Đã gán cho so-ldtbxh" in r.text
    status = c.get("/api/status").json()
    r760 = next(x for x in status["reports"] if x["report"] == "760-ha-tang")
    assert r760["received"] == 12
    cell = next(u for u in r760["units"] if u["unit"] == "so-ldtbxh")
    assert cell["status"] == "on_time" and cell["receipt"] == rid     # 21:30 on the due day
    assert rid not in [x["id"] for x in c.get("/api/unmatched").json()]
    page = c.get(f"/receipts/{rid}").text
    assert "gán bởi clerk lúc" in page and "đã gọi điện xác nhận" in page
    decision = re.search(r'action="/decisions/(\d+)/undo"', page).group(1)
    r = c.post(f"/decisions/{decision}/undo", data={"reason": "nhầm", "csrf_token": csrf_of(page),
                                                   "back": f"/receipts/{rid}"}, follow_redirects=True)
    assert "Đã hoàn tác" in r.text and "đã hoàn tác bởi clerk" in r.text
    r760 = next(x for x in c.get("/api/status").json()["reports"] if x["report"] == "760-ha-tang")
    assert r760["received"] == 11
    assert rid in [x["id"] for x in c.get("/api/unmatched").json()]
    # the CLI sees the same trail
    code = main(["--config", str(console.config), "explain", rid])
    assert code == 0


def test_ignore_needs_a_reason_and_is_recorded(console, capsys):
    c = client(console, "clerk")
    rid = review_id(c, "stp@")
    page = c.get(f"/receipts/{rid}").text
    r = c.post(f"/receipts/{rid}/ignore", data={"reason": "", "csrf_token": csrf_of(page)})
    assert r.status_code == 400 and "cần ghi lý do" in r.text
    r = c.post(f"/receipts/{rid}/ignore", data={"reason": "góp ý dự thảo, không phải báo cáo",
                                                "csrf_token": csrf_of(page)}, follow_redirects=True)
    assert "Đã bỏ qua" in r.text
    main(["--config", str(console.config), "reprocess"])          # survives reprocess
    row = next(x for x in c.get("/api/receipts").json() if x["id"] == rid)
    assert row["state"] == "ignored" and "bỏ qua bởi clerk" in row["reason"]


# -- the API is the CLI's JSON ---------------------------------------------------------------------

def test_api_status_is_the_cli_json(console, capsys):
    c = client(console, "viewer")
    capsys.readouterr()
    main(["--config", str(console.config), "status", "--format", "json", "--at",
          "2019-06-28T09:00:00+07:00"])
    import json

    cli_json = json.loads(capsys.readouterr().out)
    assert c.get("/api/status", params={"at": "2019-06-28T09:00:00+07:00"}).json() == cli_json
    main(["--config", str(console.config), "receipts", "--format", "json"])
    assert c.get("/api/receipts").json() == json.loads(capsys.readouterr().out)
    main(["--config", str(console.config), "unmatched", "--format", "json"])
    assert c.get("/api/unmatched").json() == json.loads(capsys.readouterr().out)


def test_board_register_and_exports(console):
    c = client(console, "viewer")
    board = c.get("/").text
    assert "760/UBND-TH" in board and "<strong>11/36</strong>" in board
    only = c.get("/", params={"directive": "924/UBND-TH"}).text
    assert "760/UBND-TH</a>" not in only and "<strong>28/35</strong>" in only
    reg = c.get("/receipts", params={"sender": "gmail"}).text
    assert "1 thư" in reg and "nguyenvanan.ldtbxh@gmail.com" in reg
    assert "59 thư" in c.get("/receipts").text and "trang 1/2" in c.get("/receipts").text
    csv = c.get("/receipts", params={"format": "csv", "state": "review"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.content.startswith(b"\xef\xbb\xbf")
    assert csv.text.count("\n") >= 3
    xlsx = c.get("/receipts", params={"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    raw = c.get("/receipts/r-000001/raw")
    assert raw.headers["content-disposition"].endswith('.eml"') and b"Message-ID" in raw.content
    q = c.get("/quarterly/2019-Q2.docx")
    assert q.status_code == 200 and q.content[:2] == b"PK"


# -- sessions and the login ------------------------------------------------------------------------

def test_security_headers_and_cookie_flags(console):
    c = client(console)
    r = c.get("/login")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    r = login(c, "viewer")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=43200" in cookie
    assert "<script" not in c.get("/").text


def test_wrong_passwords_are_rate_limited(console):
    c = client(console)
    for _ in range(5):
        assert login(c, "admin", "sai-mat-khau-roi").status_code == 401
    r = login(c, "admin")                                 # even the right password waits now
    assert r.status_code == 429 and "quá nhiều lần" in r.text


def test_logout_and_a_disabled_account_end_the_session(console):
    c = client(console, "clerk")
    assert c.get("/review").status_code == 200
    token = csrf_of(c.get("/").text)
    c.post("/logout", data={"csrf_token": token})
    assert c.get("/review", follow_redirects=False).status_code == 303
    c2 = client(console, "viewer")
    main(["--config", str(console.config), "user", "disable", "viewer"])
    try:
        assert c2.get("/", follow_redirects=False).status_code == 303
        assert login(client(console), "viewer").status_code == 401
    finally:
        main(["--config", str(console.config), "user", "enable", "viewer"])


def test_login_redirects_only_to_this_site(console):
    c = client(console)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token,
                               "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_a_trusted_proxy_names_the_user(console):
    text = console.config.read_text()
    console.config.write_text(text + '\n[web]\ntrusted_proxy = ["127.0.0.1"]\n')
    try:
        app = create_app(load_settings(console.config), AT)
        via_proxy = TestClient(app, client=("127.0.0.1", 50000))
        assert via_proxy.get("/", headers={"X-Remote-User": "clerk"}).status_code == 200
        assert via_proxy.get("/", headers={"X-Remote-User": "nobody"},
                             follow_redirects=False).status_code == 303
        elsewhere = TestClient(app, client=("10.1.2.3", 50000))
        assert elsewhere.get("/", headers={"X-Remote-User": "clerk"},
                             follow_redirects=False).status_code == 303
    finally:
        console.config.write_text(text)


def test_user_commands(console, capsys, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("ngan")
    assert main(["--config", str(console.config), "user", "add", "an", "--role", "clerk",
                 "--password-file", str(pw)]) == 1
    assert "ít nhất 10 ký tự" in capsys.readouterr().err
    pw.write_text("mot-mat-khau-dai")
    assert main(["--config", str(console.config), "user", "add", "an", "--role", "clerk",
                 "--password-file", str(pw)]) == 0
    main(["--config", str(console.config), "user", "list"])
    out = capsys.readouterr().out
    assert "an" in out and "clerk" in out
    stored = Accounts(load_settings_services(console).store).get("an").password_hash
    assert stored.startswith("$argon2") and "mot-mat-khau-dai" not in stored


def load_settings_services(project):
    from ingestd.services import open_services

    return open_services(load_settings(project.config), rules_required=False)


def test_healthz(console):
    assert client(console).get("/healthz").text == "ok"


def test_the_console_on_postgresql(tmp_path, postgres, sample_dir):
    """The console reads and writes the daemon's PostgreSQL as it does SQLite."""
    from conftest import Project

    project = Project(tmp_path, database_url=postgres.new_database())
    project.load_sample(_cli, sample_dir)
    svc = project.services()
    Accounts(svc.store).add("vanthu", "clerk", PASSWORD)
    svc.close()
    c = client(project, "vanthu")
    assert "<strong>11/36</strong>" in c.get("/").text
    rid = review_id(c, "gmail.com")
    page = c.get(f"/receipts/{rid}").text
    r = c.post("/exempt", data={"unit": "bdbp", "report": "760-ha-tang", "reason": "không thuộc diện",
                                "csrf_token": csrf_of(page), "back": f"/receipts/{rid}"},
               follow_redirects=True)
    assert "Đã miễn cho đơn vị" in r.text
    r760 = next(x for x in c.get("/api/status").json()["reports"] if x["report"] == "760-ha-tang")
    assert r760["exempt"] == 1
    r = c.post(f"/receipts/{rid}/assign", data={"unit": "so-ldtbxh", "report": "760-ha-tang",
                                                "csrf_token": csrf_of(page)}, follow_redirects=True)
    assert "Đã gán cho so-ldtbxh" in r.text
    assert "<strong>12/36</strong>" in c.get("/").text
