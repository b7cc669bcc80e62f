from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestd.read.refs import find_numbers, find_periods, parse_number


def refs(text):
    return [(r.doc.key, r.date, r.own) for r in find_numbers(text, "body")]


@pytest.mark.parametrize("text", [
    "Thực hiện Văn bản số 760/UBND-TH ngày 10/5/2019 của UBND tỉnh",
    "Thực hiện Văn bản số 760 /UBND - TH ngày 10/05/2019",
    "thuc hien van ban so 760/ubnd-th ngay 10/5/2019",
    "Thực hiện CV760/UBND-TH ngày 10 tháng 5 năm 2019",
    "Thực hiện VB số 760/UBND–TH, ngày 10/5/2019",
    "Văn bản số: 760/UBND-TH ngày 10.5.2019",
])
def test_directive_number_variants(text):
    assert refs(text) == [("760/UBND-TH", date(2019, 5, 10), False)]


def test_number_without_date():
    assert refs("theo công văn 760/UBND-TH") == [("760/UBND-TH", None, False)]


def test_legal_documents_keep_their_year_and_d_variants():
    got = refs("Nghị định số 09/2019/NĐ-CP ngày 24/01/2019; Quyết định 28/2018/QĐ-TTg; "
               "Nghị định 09/2019/ND-CP; 09/2019/ÐĐ-CP")
    assert got[0] == ("9/2019/ND-CP", date(2019, 1, 24), False)
    assert got[1][0] == "28/2018/QD-TTG"
    assert got[2][0] == "9/2019/ND-CP"


def test_en_dash_and_spaces_in_notation():
    assert refs("Tờ trình số 56/TTr – SCT")[0][0] == "56/TTR-SCT"


def test_own_number_is_kept_apart():
    text = "UBND HUYỆN TAM ĐƯỜNG\nSố: 760/BC-UBND\nThực hiện Văn bản số 924/UBND-TH ngày 29/5/2019"
    got = refs(text)
    assert ("760/BC-UBND", None, True) in got
    assert ("924/UBND-TH", date(2019, 5, 29), False) in got
    assert parse_number("760/BC-UBND").key != parse_number("760/UBND-TH").key


@pytest.mark.parametrize("line", [". Số: 493/BC-BDT", "_ Số: 493/BC-BDT", "' , Số: 493/BC-BDT"])
def test_ocr_specks_before_so_leave_the_number_the_documents_own(line):
    """A scan's specks at a line's start, read by OCR as marks, do not hide ``Số:``."""
    assert ("493/BC-BDT", None, True) in refs(f"BAN DÂN TỘC TỈNH\n{line}\nBÁO CÁO")


def test_a_cited_number_after_so_is_not_the_documents_own():
    assert ("760/UBND-TH", None, False) in refs("Thực hiện Văn bản số: 760/UBND-TH")


def test_dates_are_not_numbers():
    assert refs("ngày 10/5/2019 và 5/2019, tỷ lệ 3/4") == []


def test_impossible_date_is_dropped_not_invented():
    assert refs("Văn bản số 760/UBND-TH ngày 31/2/2019") == [("760/UBND-TH", None, False)]


@pytest.mark.parametrize("text,label", [
    ("Báo cáo quý II/2019", "2019-Q2"),
    ("Báo cáo Quý 2 năm 2019", "2019-Q2"),
    ("Quý 2/2019", "2019-Q2"),
    ("quy IV-2019", "2019-Q4"),
    ("6 tháng đầu năm 2019", "2019-H1"),
    ("06 tháng cuối năm 2019", "2019-H2"),
    ("tháng 5/2019", "2019-05"),
    ("tháng 12 năm 2019", "2019-12"),
    ("Báo cáo năm 2019", "2019"),
    ("6 tháng đầu năm", "?-H1"),
])
def test_periods(text, label):
    assert [p.label for p in find_periods(text, "subject")] == [label]


def test_full_dates_are_not_periods():
    assert find_periods("ngày 10 tháng 5 năm 2019", "body") == []


def test_location_and_snippet_are_kept():
    r = find_numbers("abc Thực hiện Văn bản số 760/UBND-TH xyz", "attachment:bc.pdf#p1")[0]
    assert r.location == "attachment:bc.pdf#p1" and "760/UBND-TH" in r.snippet


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_extractor_never_fails_and_keys_are_canonical(text):
    for r in find_numbers(text, "body"):
        assert "/" in r.doc.key and " " not in r.doc.key and r.doc.key == r.doc.key.upper()
    find_periods(text, "body")


@given(st.integers(1, 99999), st.sampled_from(["UBND-TH", "KH-UBND", "BC-SKHĐT", "CT-UBND"]),
       st.sampled_from(["", " ", "  "]), st.sampled_from(["-", " - ", "–", " – "]))
def test_written_variants_have_one_key(num, notation, space, dash):
    written = f"số {num}{space}/{space}{notation.replace('-', dash)}"
    assert refs(written)[0][0] == parse_number(f"{num}/{notation}").key
