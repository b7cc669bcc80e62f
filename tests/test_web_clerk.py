"""What a clerk and a leader notice in the console: exemptions that can be undone where they
are shown, forms that keep what was typed, logins that come back to the page, the trend per
group and unit, and how every deadline shown was computed."""

from __future__ import annotations

import re

import pytest
from webclient import AT, client, csrf_of, login, sample_console

from ingestd.config import load_settings
from ingestd.reports.compliance import compliance
from ingestd.services import open_services
from ingestd.statusview import compute


@pytest.fixture(scope="module")
def console(tmp_path_factory, sample_dir):
    return sample_console(tmp_path_factory.mktemp("clerk"), sample_dir)


def _exempt(c, unit: str, report: str, back: str, period: str = "") -> None:
    token = csrf_of(c.get(back).text)
    r = c.post("/exempt", data={"unit": unit, "report": report, "reason": "đơn vị đã giải thể",
                                "period": period, "csrf_token": token, "back": back},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(back)


def _status(c, report: str, unit: str, period: str | None = None) -> str:
    reports = c.get("/api/status").json()["reports"]
    return next(u["status"] for rep in reports if rep["report"] == report and rep["period"] == period
                for u in rep["units"] if u["unit"] == unit)


def test_an_exemption_is_shown_on_the_report_and_unit_pages_with_its_undo(console):
    c = client(console, "clerk")
    _exempt(c, "bdbp", "760-ha-tang", "/reports/760-ha-tang")
    assert _status(c, "760-ha-tang", "bdbp") == "exempt"
    report = c.get("/reports/760-ha-tang").text
    unit = c.get("/units/bdbp").text
    for html in (report, unit):
        assert "Đang miễn" in html and "đơn vị đã giải thể" in html and "(mọi kỳ)" in html
    did = re.search(r'action="/decisions/(\d+)/undo"', unit).group(1)
    r = c.post(f"/decisions/{did}/undo", data={"csrf_token": csrf_of(unit), "reason": "miễn nhầm",
                                               "back": "/units/bdbp"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/units/bdbp?m=")
    assert _status(c, "760-ha-tang", "bdbp") != "exempt"
    assert "Đang miễn" not in c.get("/units/bdbp").text
    assert "Hoàn tác việc miễn" not in client(console, "viewer").get("/reports/760-ha-tang").text


def test_an_exemption_of_one_period_comes_back_to_that_period(console):
    c = client(console, "clerk")
    back = "/reports/ktxh-quy?period=2019-Q2"
    _exempt(c, "bdbp", "ktxh-quy", back, period="2019-Q2")
    page = c.get(back).text
    assert "Đang miễn" in page and "2019-Q2" in page
    assert "Đang miễn" not in c.get("/reports/ktxh-quy?period=2019-Q3").text


def test_a_refused_assign_keeps_what_the_clerk_typed(console):
    c = client(console, "clerk")
    queue = c.get("/api/unmatched").json()
    rid = next(r["id"] for r in queue if "gmail.com" in (r["sender"] or ""))
    page = c.get(f"/receipts/{rid}").text
    r = c.post(f"/receipts/{rid}/assign", data={"csrf_token": csrf_of(page), "unit": "so-yte",
                                                "report": "ktxh-quy", "period": "",
                                                "reason": "đã gọi điện cho chị Lan"})
    assert r.status_code == 400 and "báo cáo định kỳ" in r.text
    assert 'value="đã gọi điện cho chị Lan"' in r.text
    assert re.search(r'<option value="so-yte" selected>', r.text)
    assert re.search(r'<option value="ktxh-quy" selected>', r.text)


def test_next_survives_a_wrong_password(console):
    c = client(console)
    first = c.get("/receipts/r-000002", follow_redirects=False)
    assert first.headers["location"] == "/login?next=/receipts/r-000002"
    wrong = login(c, "clerk", "sai-mat-khau-roi", next_page="/receipts/r-000002")
    assert wrong.status_code == 401 and 'name="next" value="/receipts/r-000002"' in wrong.text
    right = login(c, "clerk", next_page="/receipts/r-000002")
    assert right.headers["location"] == "/receipts/r-000002"


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(console):
    c = client(console)                          # no session: it ended while the form was open
    r = c.post("/receipts/r-000002/assign", data={"unit": "so-yte"}, follow_redirects=False,
               headers={"Referer": "http://testserver/receipts/r-000002"})
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/receipts/r-000002"
    elsewhere = c.post("/receipts/r-000002/assign", data={"unit": "so-yte"}, follow_redirects=False,
                       headers={"Referer": "http://evil.example/receipts/r-000002"})
    assert elsewhere.headers["location"] == "/login?next=/"


def test_the_board_and_unit_page_show_the_on_time_trend_as_the_quarterly_report_counts_it(console):
    settings = load_settings(console.config)
    with open_services(settings) as svc:
        c2 = compliance(svc.rules, compute(svc, AT), *_q2(), "2019-Q2", settings.timezone)
        groups = {gid: [u for u in c2.units if gid in svc.rules.units[u.unit].groups]
                  for gid in svc.rules.groups}
        khdt = next(u for u in c2.units if u.unit == "so-khdt")
    board = client(console, "viewer").get("/").text
    assert board.count('<svg class="trend"') == len(groups)
    for gid, units in groups.items():
        due, on_time = sum(u.due for u in units), sum(u.on_time for u in units)
        pct = round(100 * on_time / due)
        assert f"Q2/2019: {pct}% đúng hạn ({on_time}/{due})" in board, gid
    assert "Q1/2019: không có báo cáo đến hạn" in board
    unit = client(console, "viewer").get("/units/so-khdt").text
    assert (f"Q2/2019: {round(100 * khdt.on_time / khdt.due)}% đúng hạn "
            f"({khdt.on_time}/{khdt.due})") in unit


def _q2():
    from datetime import date

    return date(2019, 4, 1), date(2019, 6, 30)


def test_every_deadline_shown_says_how_it_was_computed(console):
    c = client(console, "viewer")
    board = c.get("/").text
    assert "5 ngày làm việc kể từ ngày 29/05/2019 (ngày ký văn bản 924/UBND-TH): 05/06/2019" in board
    assert "ngày 3 của tháng sau kỳ: 03/07/2019" in board
    assert "hạn ghi trong văn bản: 20/05/2019" in c.get("/reports/760-ha-tang").text
    assert "5 ngày làm việc kể từ ngày 29/05/2019" in c.get("/units/so-khdt").text


def test_a_near_miss_is_confirmed_in_one_click(console):
    from ingestd.testing import Mail, auth_results

    eml = console.root / "near.eml"
    eml.write_bytes(Mail("skhdt@laichau.gov.vn", "Báo cáo hoàn thiện thể chế",
                         "Thực hiện Văn bản số 766/UBND-TH ngày 10/5/2019 của UBND tỉnh, Sở báo cáo.",
                         auth=[auth_results("mail.laichau.gov.vn", "laichau.gov.vn")],
                         date=AT.replace(month=5, day=18)).build())
    from webclient import run_cli

    assert run_cli(console, "import", str(eml))[0] == 0
    c = client(console, "clerk")
    item = next(r for r in c.get("/api/unmatched").json() if "766/UBND-TH" in (r["reason"] or ""))
    assert "có thể là 760/UBND-TH" in item["reason"]
    page = c.get(f"/receipts/{item['id']}").text
    assert "Đúng là 760/UBND-TH: tính cho đơn vị" in page
    form = re.search(r'<form method="post" action="/receipts/[^"]+/assign" class="action confirm">(.*?)</form>',
                     page, re.S).group(1)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    r = c.post(f"/receipts/{item['id']}/assign", data=fields, follow_redirects=False)
    assert r.status_code == 303
    receipt = next(x for x in c.get("/api/receipts").json() if x["id"] == item["id"])
    assert receipt["state"] == "matched" and receipt["unit"] == "so-khdt"
    assert [m["report"] for m in receipt["matches"]] == ["760-ha-tang"]
