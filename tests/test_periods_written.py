"""What a 2026 province's letters also need (SPEC, "Clarifications"): the period reported on,
not the next period's plan; "tháng 6 và 6 tháng đầu năm" counting for both reports; a deadline
with an hour kept as written on a day off."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from ingestd.calendar import WorkCalendar, deadline, explain_deadline
from ingestd.match import MATCHED, match
from ingestd.read.document import Document, TextPart
from ingestd.read.refs import find_periods, parse_number
from ingestd.rules import load_rules
from ingestd.rules.model import Directive, Report
from ingestd.testing import auth_results

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar(TZ)
AUTH = "mail.laichau.gov.vn"
MONTHLY = """\
[directive]
number = "15/KH-UBND"
date = 2026-01-05
issuer = "UBND tỉnh"
title = "Kế hoạch chế độ báo cáo"

[[report]]
id = "thang"
title = "Báo cáo kết quả thực hiện nhiệm vụ tháng"
kind = "dinh-ky"
units = ["@so-nganh"]
every = "month"
due_day = 18
start = 2026-01-01
keywords = ["tháng"]

[[report]]
id = "6-thang"
title = "Báo cáo 6 tháng"
kind = "dinh-ky"
units = ["@so-nganh"]
every = "half-year"
due_day = 18
start = 2026-01-01
keywords = ["6 tháng đầu năm"]
"""


def mail(subject: str) -> Document:
    return Document(kind="email", sender="skhdt@laichau.gov.vn", subject=subject,
                    auth_results=[auth_results(AUTH, "laichau.gov.vn")],
                    parts=[TextPart("subject", subject),
                           TextPart("body", "Thực hiện Kế hoạch số 15/KH-UBND ngày 05/01/2026")]).analyse()


def test_the_period_reported_on_not_the_plan_for_the_next(project):
    project.write_rule("directives/15.toml", MONTHLY)
    book = load_rules(project.rules)
    r = match(mail("Báo cáo kết quả thực hiện nhiệm vụ tháng 01/2026 và phương hướng, nhiệm vụ "
                   "tháng 02/2026"), book, CAL, datetime(2026, 2, 10, 9, tzinfo=TZ), AUTH)
    assert r.state == MATCHED and [(m.report, m.period) for m in r.matches] == [("thang", "2026-01")]


def test_june_and_the_first_half_count_for_both_reports(project):
    project.write_rule("directives/15.toml", MONTHLY)
    book = load_rules(project.rules)
    assert [p.label for p in find_periods("Báo cáo tháng 6 và 6 tháng đầu năm 2026", "s")] == \
        ["2026-06", "2026-H1"]
    r = match(mail("Báo cáo tình hình tháng 6 và 6 tháng đầu năm 2026"), book, CAL,
              datetime(2026, 6, 16, 9, tzinfo=TZ), AUTH)
    assert sorted((m.report, m.period) for m in r.matches) == [("6-thang", "2026-H1"), ("thang", "2026-06")]


def test_a_deadline_with_an_hour_is_kept_on_a_day_off():
    d = Directive("1/UBND-TH", parse_number("1/UBND-TH"), date(2026, 3, 1), "UBND", "", ())
    sunday = Report(id="r", directive="1/UBND-TH", title="t", kind="dot-xuat", units=("u",),
                    due=datetime(2026, 3, 15, 16, tzinfo=TZ))
    assert deadline(sunday, None, d, CAL) == datetime(2026, 3, 15, 16, tzinfo=TZ)
    assert "không lùi hạn" in explain_deadline(sunday, None, d, CAL)
    plain = Report(id="r", directive="1/UBND-TH", title="t", kind="dot-xuat", units=("u",),
                   due=date(2026, 3, 15))
    assert deadline(plain, None, d, CAL).date() == date(2026, 3, 16)      # a date still rolls
