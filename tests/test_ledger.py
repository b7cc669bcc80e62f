from datetime import date, datetime
from zoneinfo import ZoneInfo

from ingestd.calendar import WorkCalendar
from ingestd.ledger import Counted, Exemption, status_cells
from ingestd.read.refs import parse_number
from ingestd.rules.model import Directive, Report, Rulebook, Unit

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkCalendar(TZ)
UNITS = {u: Unit(u, u.upper()) for u in ("a", "b", "c", "d", "e")}


def book(*reports: Report) -> Rulebook:
    d = Directive("1/UBND-TH", parse_number("1/UBND-TH"), date(2019, 5, 10), "UBND", "", reports)
    return Rulebook(units=UNITS, groups={}, directives=(d,))


ONE_OFF = Report("r1", "1/UBND-TH", "Báo cáo", "dot-xuat", tuple(UNITS), due=date(2019, 5, 20))
QUARTERLY = Report("q", "1/UBND-TH", "Quý", "dinh-ky", ("a", "b"), every="quarter", due_day=18,
                   start=date(2019, 1, 1))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def cells(statuses, report="r1", period=None):
    s = next(s for s in statuses if s.report == report and s.period == period)
    return {c.unit: c for c in s.cells}


def test_statuses_and_first_receipt_decides():
    counted = [
        Counted("r-1", "r1", None, "a", at(2019, 5, 20, 23, 59), "m1"),      # on time
        Counted("r-2", "r1", None, "b", at(2019, 5, 21, 0, 0, 30), "m2"),    # late by 1 day
        Counted("r-3", "r1", None, "a", at(2019, 5, 25, 10), "m3"),         # amendment
        Counted("r-4", "r1", None, "a", at(2019, 5, 26, 10), "m3"),         # same message again
        Counted("r-5", "r1", None, "c", at(2019, 7, 1), "m5"),              # after --at
    ]
    got = cells(status_cells(book(ONE_OFF), CAL, counted,
                             [Exemption("r1", None, "e", "sáp nhập")], at(2019, 6, 28, 9)))
    assert (got["a"].status, got["a"].amendments, got["a"].receipt) == ("on_time", 1, "r-1")
    assert (got["b"].status, got["b"].days_late) == ("late", 1)
    assert got["c"].status == "missing" and got["d"].status == "missing"
    assert (got["e"].status, got["e"].reason) == ("exempt", "sáp nhập")


def test_before_the_deadline_nothing_is_missing():
    got = cells(status_cells(book(ONE_OFF), CAL, [], [], at(2019, 5, 20, 12)))
    assert {c.status for c in got.values()} == {"pending"}


def test_utc_receipt_is_compared_in_local_time():
    utc = datetime(2019, 5, 20, 16, 30, tzinfo=ZoneInfo("UTC"))       # 23:30 in Hà Nội
    got = cells(status_cells(book(ONE_OFF), CAL, [Counted("r-1", "r1", None, "a", utc)], [],
                             at(2019, 6, 1)))
    assert got["a"].status == "on_time"


def test_periodic_report_has_a_row_per_period_and_pending_ones():
    counted = [Counted("r-1", "q", "2019-Q1", "a", at(2019, 3, 10)),
               Counted("r-2", "q", "2019-Q2", "a", at(2019, 6, 25))]
    statuses = status_cells(book(QUARTERLY), CAL, counted, [], at(2019, 7, 1))
    assert [s.period for s in statuses] == ["2019-Q1", "2019-Q2", "2019-Q3"]
    assert cells(statuses, "q", "2019-Q1")["a"].status == "on_time"
    assert cells(statuses, "q", "2019-Q1")["b"].status == "missing"
    assert cells(statuses, "q", "2019-Q2")["a"].status == "late"     # due 18/6
    assert cells(statuses, "q", "2019-Q3")["b"].status == "pending"


def test_exemption_for_every_period():
    statuses = status_cells(book(QUARTERLY), CAL, [], [Exemption("q", None, "b", "giải thể")],
                            at(2019, 7, 1))
    assert all(cells(statuses, "q", s.period)["b"].status == "exempt" for s in statuses)
