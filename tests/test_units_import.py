"""`ingestd units import`: the list an office keeps in Excel, made the way offices make it
(a merged title row, blank rows, upper-case addresses, a trailing space, two addresses in a
cell, a duplicate, a row without a name), becomes a units.toml that check accepts; every
problem names sheet, row and column."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest

from ingestd.rules import load_rules
from ingestd.units_import import Sheet, slug, units_from_sheets

ROWS = [
    ["DANH SÁCH CƠ QUAN, ĐƠN VỊ THỰC HIỆN CHẾ ĐỘ BÁO CÁO", None, None, None, None, None, None],
    ["(Kèm theo Quyết định số 15/QĐ-UBND)", None, None, None, None, None, None],
    [None] * 7,
    ["STT", "Tên cơ quan, đơn vị", "Tên viết tắt", "Nhóm", "Thư điện tử", "Mã định danh", "Đến ngày"],
    [1, "Sở Tài chính", "STC", "Các sở, ban, ngành", "STC@HAGIANG.GOV.VN; sokhdt@hagiang.gov.vn ",
     "000.00.10.H24", None],
    [2, "Sở Y tế", "SYT", "Các sở, ban, ngành", "syt@hagiang.gov.vn", "000.00.11.H24", None],
    [None] * 7,
    [3, "UBND huyện Vị Xuyên", "", "UBND cấp huyện", "vixuyen@hagiang.gov.vn", "", datetime(2025, 6, 30)],
    [4, "UBND xã Vị Xuyên ", "", "UBND cấp xã", "xavixuyen@hagiang.gov.vn\nvixuyen.xa@hagiang.gov.vn", "", ""],
    [5, "", "", "UBND cấp xã", "x@hagiang.gov.vn", "", ""],
    [6, "Sở Y tế", "", "Các sở, ban, ngành", "syt@hagiang.gov.vn", "", ""],
    [7, "UBND xã Minh Tân", "", "UBND cấp xã", "minhtan-at-hagiang.gov.vn", "", "31/13/2025"],
]


def xlsx(rows, title="Danh sách") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    ws.merge_cells("A1:G1")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_sheet_as_offices_make_it(tmp_path, cli, project):
    f = tmp_path / "don-vi.xlsx"
    f.write_bytes(xlsx(ROWS))
    out = tmp_path / "units.toml"
    code, stdout, err = cli(project, "units", "import", str(f), "--out", str(out))
    assert code == 1                                    # problems were found, and said
    assert "Danh sách, dòng 10: không có tên đơn vị" in err
    assert "Danh sách, dòng 11, cột E: địa chỉ \"syt@hagiang.gov.vn\" đã có ở đơn vị so-y-te" in err
    assert "Danh sách, dòng 12, cột E: \"minhtan-at-hagiang.gov.vn\" không phải địa chỉ thư điện tử" in err
    assert "Danh sách, dòng 12, cột G: \"31/13/2025\" không phải ngày" in err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# CẦN SỬA:")
    rules = tmp_path / "imported"
    (rules / "directives").mkdir(parents=True)
    (rules / "units.toml").write_text(text, encoding="utf-8")
    book = load_rules(rules)                           # check accepts what it wrote
    tc = book.units["so-tai-chinh"]
    assert tc.emails == ("stc@hagiang.gov.vn", "sokhdt@hagiang.gov.vn") and tc.aliases == ("STC",)
    assert tc.organ_id == "000.00.10.H24" and tc.groups == ("cac-so-ban-nganh",)
    assert book.groups["cac-so-ban-nganh"] == "Các sở, ban, ngành"
    assert book.units["ubnd-xa-vi-xuyen"].name == "UBND xã Vị Xuyên"          # the trailing space
    assert book.units["ubnd-xa-vi-xuyen"].emails == ("xavixuyen@hagiang.gov.vn", "vixuyen.xa@hagiang.gov.vn")
    assert book.units["ubnd-huyen-vi-xuyen"].valid_until.isoformat() == "2025-06-30"
    assert "so-y-te-2" in book.units                    # the second "Sở Y tế" row, without its address


def test_the_same_sheet_gives_the_same_ids():
    sheet = Sheet("S", [["Tên đơn vị", "Email"], ["Sở Nội vụ", "snv@x.gov.vn"], ["Sở Nội vụ", ""]])
    first, second = units_from_sheets([sheet]), units_from_sheets([sheet])
    assert first.toml == second.toml and 'id = "so-noi-vu-2"' in first.toml


def test_a_csv_with_english_names_and_semicolons(tmp_path, cli, project):
    f = tmp_path / "units.csv"
    f.write_text("name;id;group;emails;valid_from;successor\n"
                 "Sở Nông nghiệp và Môi trường;so-nnmt;departments;snnmt@x.gov.vn;2025-03-01;\n"
                 "Sở Tài nguyên và Môi trường;so-tnmt;departments;stnmt@x.gov.vn;;so-nnmt\n",
                 encoding="utf-8-sig")
    code, out, err = cli(project, "units", "import", str(f))
    assert code == 1 and "so-tnmt" in out and 'successor = "so-nnmt"' in out
    assert "so-tnmt có đơn vị kế thừa nhưng chưa có ngày cuối" in err
    code, out, err = cli(project, "units", "import", str(tmp_path / "missing.xlsx"))
    assert code == 2 and "không đọc được" in err


@pytest.mark.parametrize("name,expected", [("Sở Kế hoạch và Đầu tư", "so-ke-hoach-va-dau-tu"),
                                           ("UBND phường Hà Giang 1", "ubnd-phuong-ha-giang-1"),
                                           ("Đài Phát thanh - Truyền hình", "dai-phat-thanh-truyen-hinh")])
def test_slugs(name, expected):
    assert slug(name) == expected
