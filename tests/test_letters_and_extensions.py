"""Letters that are not reports (a request for more time, a question, an automatic reply) go
to review saying what they are; a clerk grants an extension (CLI and console), the unit is
judged against the new deadline, and the extension can be undone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ingestd.calendar import WorkCalendar
from ingestd.letter_kind import letter_kind
from ingestd.match import REVIEW, match
from ingestd.read.document import Document, TextPart
from ingestd.testing import Mail, auth_results

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUTH = "mail.laichau.gov.vn"
PASS = auth_results(AUTH, "laichau.gov.vn")


def letter(subject: str, body: str = "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh") -> Document:
    return Document(kind="email", sender="skhdt@laichau.gov.vn", subject=subject, auth_results=[PASS],
                    parts=[TextPart("subject", subject), TextPart("body", body)]).analyse()


@pytest.mark.parametrize("subject,kind", [
    ("V/v xin gia hạn thời gian báo cáo theo Văn bản 760/UBND-TH", "extension"),
    ("Đề nghị gia hạn nộp báo cáo", "extension"),
    ("V/v xin ý kiến về nội dung báo cáo", "question"),
    ("Tự động trả lời: Văn bản 760/UBND-TH", "auto-reply"),
    ("Automatic reply: 760/UBND-TH", "auto-reply"),
])
def test_letters_that_are_not_reports(subject, kind):
    assert letter_kind(letter(subject))[0] == kind


@pytest.mark.parametrize("subject,body", [
    ("Báo cáo hoàn thiện thể chế theo Văn bản 760/UBND-TH", "Kính gửi, Sở gửi báo cáo."),
    ("Gửi báo cáo", "Thực hiện Văn bản số 760/UBND-TH, Sở báo cáo như sau"),
])
def test_reports_are_reports(subject, body):
    assert letter_kind(letter(subject, body)) is None


def test_a_request_for_more_time_goes_to_review_saying_so(project):
    from ingestd.rules import load_rules

    book = load_rules(project.rules)
    r = match(letter("V/v xin gia hạn thời gian báo cáo"), book, WorkCalendar(TZ),
              datetime(2019, 5, 17, 9, tzinfo=TZ), AUTH)
    assert r.state == REVIEW and r.letter == "extension"
    assert "thư xin gia hạn thời gian báo cáo, không phải báo cáo" in r.reason
    assert [m.report for m in r.matches] == ["760-ha-tang"]       # what it is about


def _status(cli, project, at: str, unit: str = "so-khdt") -> dict:
    data = cli.json(project, "status", "--report", "760-ha-tang", "--at", at, "--format", "json")
    return next(u for u in data["reports"][0]["units"] if u["unit"] == unit)


def test_an_extension_moves_the_deadline_and_can_be_undone(project, cli, tmp_path):
    (tmp_path / "late.eml").write_bytes(Mail(
        "skhdt@laichau.gov.vn", "Báo cáo hoàn thiện thể chế", "Thực hiện Văn bản số 760/UBND-TH ngày "
        "10/5/2019, Sở báo cáo", auth=[PASS], date=datetime(2019, 5, 24, 9, tzinfo=TZ)).build())
    import os

    stamp = datetime(2019, 5, 24, 9, tzinfo=TZ).timestamp()
    os.utime(tmp_path / "late.eml", (stamp, stamp))
    assert cli(project, "import", str(tmp_path / "late.eml"))[0] == 0
    assert _status(cli, project, "2019-06-01")["status"] == "late"
    code, out, err = cli(project, "extend", "--unit", "so-khdt", "--report", "760-ha-tang",
                         "--until", "2019-05-26", "--reason", "Sở xin gia hạn vì chờ số liệu")
    assert code == 0, err
    assert "đến hết ngày 26/05/2019" in out
    cell = _status(cli, project, "2019-06-01")
    assert cell["status"] == "on_time"              # 26/5 is a Sunday: the end of Monday 27/5
    code, out, _ = cli(project, "status", "--report", "760-ha-tang", "--at", "2019-06-01")
    assert "gia hạn đến 26/05/2019" in out
    [row] = [a for a in _decisions(project) if a.kind == "extend"]
    from ingestd import review

    svc = project.services()
    try:
        review.undo(svc, row.id, "vanthu", "gia hạn nhầm")
    finally:
        svc.close()
    assert _status(cli, project, "2019-06-01")["status"] == "late"


def _decisions(project):
    svc = project.services()
    try:
        return svc.store.decisions.all()
    finally:
        svc.close()


def test_extend_refuses_what_cannot_be(project, cli):
    code, _, err = cli(project, "extend", "--unit", "so-khdt", "--report", "ktxh-quy",
                       "--until", "2019-07-10", "--reason", "x")
    assert code == 1 and "báo cáo định kỳ; hãy ghi kỳ" in err
    code, _, err = cli(project, "extend", "--unit", "so-khdt", "--report", "760-ha-tang",
                       "--until", "2019-13-10", "--reason", "x")
    assert code == 2 and "không phải ngày hợp lệ" in err


def test_an_extension_granted_from_the_letter_settles_it(tmp_path_factory, sample_dir):
    from webclient import client, csrf_of, run_cli, sample_console

    project = sample_console(tmp_path_factory.mktemp("extend"), sample_dir)
    eml = project.root / "xin.eml"
    eml.write_bytes(Mail("skhdt@laichau.gov.vn", "V/v xin gia hạn thời gian báo cáo quý II/2019",
                         "Thực hiện Kế hoạch số 876/KH-UBND ngày 24/5/2019, Sở xin gia hạn đến 10/7/2019.",
                         auth=[PASS]).build())
    assert run_cli(project, "import", str(eml))[0] == 0
    c = client(project, "clerk")
    item = next(r for r in c.get("/api/unmatched").json() if "xin gia hạn" in (r["reason"] or ""))
    page = c.get(f"/receipts/{item['id']}").text
    assert "Gia hạn cho đơn vị" in page
    form = re.search(r'<form method="post" action="/extend" class="action">(.*?)</form>', page, re.S).group(1)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    assert fields["unit"] == "so-khdt" and fields["report"] == "ktxh-quy" and fields["period"] == "2019-Q2"
    assert fields["until"] == "2019-07-10"                  # the day the letter asks for: one click
    fields.update(reason="theo thư xin gia hạn")
    r = c.post("/extend", data={**fields, "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    assert item["id"] not in [x["id"] for x in c.get("/api/unmatched").json()]   # settled
    report = c.get("/reports/ktxh-quy?period=2019-Q2").text
    assert "gia hạn" in report and "10/07/2019" in report
