from datetime import date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ingestd.calendar import WorkCalendar, days_late, deadline, parse_period, period_of, periods
from ingestd.read.refs import parse_number
from ingestd.rules.model import CalendarRules, Directive, Report

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar(TZ)


def directive(day=date(2019, 4, 24)):
    return Directive("1/UBND-TH", parse_number("1/UBND-TH"), day, "UBND", "", ())


def one_off(**kw):
    return Report(id="r", directive="1/UBND-TH", title="t", kind="dot-xuat", units=("u",), **kw)


def test_due_date_is_end_of_that_day():
    due = deadline(one_off(due=date(2019, 5, 20)), None, directive(), CAL)
    assert due.isoformat(timespec="seconds") == "2019-05-20T23:59:59+07:00"


def test_saturday_deadline_rolls_to_monday():
    due = deadline(one_off(due=date(2019, 6, 22)), None, directive(), CAL)
    assert due.date() == date(2019, 6, 24)


def test_deadline_on_substitute_day_off_rolls_past_the_holidays():
    # 29/4/2019 is a substitute day off, 30/4 and 1/5 are holidays
    assert deadline(one_off(due=date(2019, 4, 29)), None, directive(), CAL).date() == date(2019, 5, 2)


def test_due_working_days_counts_the_make_up_saturday():
    # from 24/4/2019: 25, 26 (27-28 weekend, 29-1 off), 2, 3 and Saturday 4/5 (a working day)
    report = one_off(due_working_days=5)
    assert deadline(report, None, directive(date(2019, 4, 24)), CAL).date() == date(2019, 5, 4)


def test_calendar_toml_adds_days_off_and_working_days():
    cal = WorkCalendar(TZ, CalendarRules(days_off=frozenset({date(2019, 9, 3)}),
                                         working_days=frozenset({date(2019, 6, 22)})))
    assert not cal.is_working_day(date(2019, 9, 3))
    assert cal.is_working_day(date(2019, 6, 22))
    assert deadline(one_off(due=date(2019, 9, 2)), None, directive(), cal).date() == date(2019, 9, 4)


def test_days_late_rounds_up_calendar_days():
    due = deadline(one_off(due=date(2019, 5, 20)), None, directive(), CAL)
    assert days_late(datetime(2019, 5, 20, 23, 59, tzinfo=TZ), due) == 0
    assert days_late(datetime(2019, 5, 21, 0, 0, 30, tzinfo=TZ), due) == 1
    assert days_late(datetime(2019, 5, 22, 9, 14, tzinfo=TZ), due) == 2
    # INTERNALDATE in UTC: 17:30 UTC on the 20th is 00:30 on the 21st in Vietnam
    assert days_late(datetime(2019, 5, 20, 17, 30, tzinfo=ZoneInfo("UTC")), due) == 1


def test_quarterly_periods_and_deadlines():
    rep = Report(id="q", directive="1/UBND-TH", title="t", kind="dinh-ky", units=("u",),
                 every="quarter", due_day=18, due_month="last", start=date(2019, 1, 1))
    got = periods(rep, date(2019, 7, 1))
    assert [p.label for p in got] == ["2019-Q1", "2019-Q2", "2019-Q3"]
    # the Q2 deadline 18/6/2019 is a Tuesday; Q1 "next" month day 31 -> 30/4 -> rolls to 2/5
    assert deadline(rep, got[1], directive(), CAL).date() == date(2019, 6, 18)
    nxt = Report(**{**rep.__dict__, "due_month": "next", "due_day": 31})
    assert deadline(nxt, got[0], directive(), CAL).date() == date(2019, 5, 2)  # 30/4, 1/5 off


def test_period_labels():
    assert parse_period("2019-Q2")[1].start == date(2019, 4, 1)
    assert parse_period("2019-H2")[1].end == date(2019, 12, 31)
    assert parse_period("2019-05")[1].end == date(2019, 5, 31)
    assert parse_period("2019")[0] == "year"
    assert parse_period("2019-13") is None and parse_period("Q2") is None
    assert period_of("month", date(2019, 2, 10)).label == "2019-02"


@given(st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 40))
def test_deadlines_always_land_on_working_days(day, n):
    due = deadline(one_off(due=day), None, directive(), CAL)
    assert CAL.is_working_day(due.date()) and due.date() >= day
    assert (due.date() - day).days < 12
    added = CAL.add_working_days(day, n)
    assert added >= day and (n == 0 or CAL.is_working_day(added))


def test_the_deadline_explained_when_it_moves_off_a_sunday():
    from ingestd.calendar import explain_deadline

    text = explain_deadline(one_off(due=date(2019, 5, 19)), None, directive(), CAL)
    assert text == ("hạn ghi trong văn bản: 19/05/2019; 19/05/2019 là Chủ nhật → Thứ Hai "
                    "20/05/2019 theo Điều 148 Bộ luật Dân sự 2015")


def test_the_deadline_explained_names_the_holiday_and_the_office_calendar():
    from ingestd.calendar import explain_deadline

    text = explain_deadline(one_off(due=date(2019, 4, 30)), None, directive(), CAL)
    assert "30/04/2019 là ngày nghỉ Ngày Chiến thắng → Thứ Năm 02/05/2019" in text
    office = WorkCalendar(TZ, CalendarRules(days_off=frozenset({date(2019, 6, 21)})))
    text = explain_deadline(one_off(due=date(2019, 6, 21)), None, directive(), office)
    assert "lịch của tỉnh (calendar.toml) → Thứ Hai 24/06/2019" in text


def test_the_deadline_explained_for_working_days_and_periods():
    from ingestd.calendar import explain_deadline

    text = explain_deadline(one_off(due_working_days=5), None, directive(), CAL)
    assert text == "5 ngày làm việc kể từ ngày 24/04/2019 (ngày ký văn bản 1/UBND-TH): 04/05/2019"
    quarterly = one_off(every="quarter", due_day=18, start=date(2019, 1, 1))
    q2 = parse_period("2019-Q2")[1]
    assert explain_deadline(quarterly, q2, directive(), CAL) == "ngày 18 của tháng cuối kỳ: 18/06/2019"
