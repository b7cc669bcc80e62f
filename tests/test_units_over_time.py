"""Units over time (SPEC, "Units over time"): who is expected follows the dates, a receipt from
the address of a unit that no longer exists counts for whoever owes that (report, period),
check refuses what cannot be, and reminders never go to a unit that no longer exists."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ingestd.calendar import WorkCalendar
from ingestd.ledger import MISSING, status_cells
from ingestd.match import MATCHED, REVIEW, match
from ingestd.read.document import Document, TextPart
from ingestd.rules import load_rules
from ingestd.testing import auth_results

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar(TZ)
AUTH = "mail.hagiang.gov.vn"
UNITS = """\
[groups]
dia-phuong = "UBND cấp huyện, cấp xã"

[[unit]]
id = "h-vixuyen"
name = "UBND huyện Vị Xuyên"
groups = ["dia-phuong"]
emails = ["vixuyen@hagiang.gov.vn"]
organ_id = "000.00.21.H24"
valid_until = 2025-06-30
successor = "xa-vixuyen"

[[unit]]
id = "xa-vixuyen"
name = "UBND xã Vị Xuyên"
groups = ["dia-phuong"]
emails = ["xavixuyen@hagiang.gov.vn", "vixuyen@hagiang.gov.vn"]
organ_id = ["000.01.21.H24", "000.00.21.H24"]
valid_from = 2025-07-01

[[unit]]
id = "h-meovac"
name = "UBND huyện Mèo Vạc"
groups = ["dia-phuong"]
emails = ["meovac@hagiang.gov.vn"]
valid_until = 2025-06-30
"""
DIRECTIVE = """\
[directive]
number = "45/KH-UBND"
date = 2025-01-10
issuer = "UBND tỉnh"
title = "Kế hoạch báo cáo quý"

[[report]]
id = "quy"
title = "Báo cáo kinh tế - xã hội quý"
kind = "dinh-ky"
units = ["@dia-phuong"]
every = "quarter"
due_day = 18
start = 2025-01-01
"""


@pytest.fixture
def book(tmp_path):
    rules = tmp_path / "rules"
    (rules / "directives").mkdir(parents=True)
    (rules / "units.toml").write_text(UNITS, encoding="utf-8")
    (rules / "directives" / "45.toml").write_text(DIRECTIVE, encoding="utf-8")
    return load_rules(rules)


def report_from(sender: str, period_text: str) -> Document:
    return Document(kind="email", sender=sender, subject=f"Báo cáo kinh tế - xã hội {period_text}",
                    auth_results=[auth_results(AUTH, "hagiang.gov.vn")],
                    parts=[TextPart("body", f"Thực hiện Kế hoạch số 45/KH-UBND ngày 10/01/2025, báo cáo "
                                            f"tình hình {period_text} như sau")]).analyse()


def expected(book, period: str, at: datetime) -> set[str]:
    [st] = status_cells(book, CAL, [], [], at, "quy", period)
    return {c.unit for c in st.cells}


def test_a_unit_is_expected_only_when_it_exists_on_the_deadline(book):
    at = datetime(2025, 12, 31, tzinfo=TZ)
    assert expected(book, "2025-Q2", at) == {"h-vixuyen", "h-meovac"}     # due 18/6/2025
    assert expected(book, "2025-Q3", at) == {"xa-vixuyen"}                # due 18/9/2025


def test_a_late_report_from_the_old_box_counts_for_the_old_unit(book):
    r = match(report_from("vixuyen@hagiang.gov.vn", "quý II/2025"), book, CAL,
              datetime(2025, 7, 10, 9, tzinfo=TZ), AUTH)
    assert r.state == MATCHED and r.unit == "h-vixuyen"
    assert [(m.report, m.period) for m in r.matches] == [("quy", "2025-Q2")]


def test_after_the_change_the_old_address_counts_for_the_successor(book):
    r = match(report_from("vixuyen@hagiang.gov.vn", "quý III/2025"), book, CAL,
              datetime(2025, 9, 10, 9, tzinfo=TZ), AUTH)
    assert r.state == MATCHED and r.unit == "xa-vixuyen", r.reason


def test_the_old_units_address_held_by_the_successor_after_the_change_only(book):
    gone = book.unit_by_email("vixuyen@hagiang.gov.vn", date(2025, 5, 1))
    assert gone.id == "h-vixuyen"
    assert book.unit_by_email("vixuyen@hagiang.gov.vn", date(2025, 8, 1)).id == "xa-vixuyen"
    assert book.unit_by_organ("000.00.21.H24", date(2025, 8, 1)).id == "xa-vixuyen"


def test_a_unit_that_ended_without_successor_goes_to_review(book):
    r = match(report_from("meovac@hagiang.gov.vn", "quý III/2025"), book, CAL,
              datetime(2025, 9, 10, 9, tzinfo=TZ), AUTH)
    assert r.state == REVIEW and "đã thôi hoạt động" in r.reason and "h-meovac" in r.reason


def test_reminders_never_go_to_a_unit_that_no_longer_exists(book):
    from ingestd.notify.reminders import due_reminders

    at = datetime(2025, 7, 21, 8, 30, tzinfo=TZ)          # Q2 missing for both districts
    statuses = status_cells(book, CAL, [], [], at, "quy", "2025-Q2")
    assert {c.unit for c in statuses[0].cells if c.status == MISSING} == {"h-vixuyen", "h-meovac"}
    assert not [r for r in due_reminders(book, CAL, statuses, at) if r.unit in ("h-vixuyen", "h-meovac")]


def only_these_rules(project, units: str) -> None:
    """The project's rules folder with these units and the one directive, nothing else."""
    project.write_rule("units.toml", units)
    for f in (project.rules / "directives").glob("*.toml"):
        f.unlink()
    project.write_rule("directives/45.toml", DIRECTIVE)
    for name in ("matching.toml", "reminders.toml"):
        (project.rules / name).unlink(missing_ok=True)


@pytest.mark.parametrize("change,words", [
    (('successor = "xa-vixuyen"', 'successor = "xa-khongco"'), 'đơn vị kế thừa "xa-khongco" không có'),
    (("valid_from = 2025-07-01", 'valid_from = 2025-07-01\nvalid_until = 2025-01-01\nsuccessor = "h-vixuyen"'),
     "lặp vòng"),
    (("valid_until = 2025-06-30\nsuccessor", "valid_from = 2025-08-01\nvalid_until = 2025-06-30\nsuccessor"),
     "valid_from 01/08/2025 sau valid_until 30/06/2025"),
    (('emails = ["meovac@hagiang.gov.vn"]\nvalid_until = 2025-06-30', 'emails = ["xavixuyen@hagiang.gov.vn"]'),
     'có ở cả đơn vị "xa-vixuyen" và "h-meovac" trong cùng thời gian'),
])
def test_check_refuses_what_cannot_be(project, cli, change, words):
    only_these_rules(project, UNITS.replace(*change, 1))
    code, out, err = cli(project, "check")
    assert code == 1 and words in err, err
    assert "units.toml:" in err


def test_an_address_may_move_to_the_successor(project, cli):
    only_these_rules(project, UNITS)
    code, out, err = cli(project, "check")
    assert code == 0, err


def test_a_successor_that_does_not_list_the_old_address_still_takes_over(tmp_path):
    rules = tmp_path / "rules"
    (rules / "directives").mkdir(parents=True)
    (rules / "units.toml").write_text(UNITS.replace(
        'emails = ["xavixuyen@hagiang.gov.vn", "vixuyen@hagiang.gov.vn"]',
        'emails = ["xavixuyen@hagiang.gov.vn"]'), encoding="utf-8")
    (rules / "directives" / "45.toml").write_text(DIRECTIVE, encoding="utf-8")
    book = load_rules(rules)
    r = match(report_from("vixuyen@hagiang.gov.vn", "quý III/2025"), book, CAL,
              datetime(2025, 9, 10, 9, tzinfo=TZ), AUTH)
    assert r.state == MATCHED and r.unit == "xa-vixuyen"
    assert any("đơn vị kế thừa của h-vixuyen" in e.decision for e in r.evidence)
