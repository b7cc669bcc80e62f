"""A province after the 2025 reform, end to end: ~20 merged departments and 100 communes, units
that still write from the old province's domain, a district that ended on 30/6/2025 with its
commune successor, deadlines around the Tết Bính Ngọ 2026 break (14–22/2/2026), monthly,
quarterly, half-yearly and one-off reports — imported, then status, reminders, the digest and
the quarterly report (rendered by LibreOffice) say the right things about the right units."""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestd.cli.main import main
from ingestd.testing import Mail, auth_results, delivered

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NEW, OLD = "tuyenquang.gov.vn", "hagiang.gov.vn"
DEPARTMENTS = ["Sở Tài chính", "Sở Nội vụ", "Sở Xây dựng", "Sở Nông nghiệp và Môi trường",
               "Sở Khoa học và Công nghệ", "Sở Dân tộc và Tôn giáo", "Sở Y tế", "Sở Giáo dục và Đào tạo",
               "Sở Tư pháp", "Sở Công Thương", "Sở Văn hóa, Thể thao và Du lịch", "Sở Ngoại vụ",
               "Thanh tra tỉnh", "Ban Quản lý các khu công nghiệp", "Công an tỉnh",
               "Bộ Chỉ huy Quân sự tỉnh", "Thuế tỉnh", "Kho bạc Nhà nước khu vực", "Thống kê tỉnh",
               "Văn phòng Đoàn ĐBQH và HĐND tỉnh"]
CONFIG = f"""\
timezone = "Asia/Ho_Chi_Minh"
rules_dir = "rules"
database_url = "sqlite:///var/ingestd.db"
store_dir = "var/store"
outbox_dir = "var/outbox"
workers = 1
from_address = "Văn phòng UBND tỉnh Tuyên Quang <vanthu@{NEW}>"

[digest]
time = "07:30"
to = ["tonghop@{NEW}"]

[trust]
authserv_id = ["mx1.{NEW}", "mx2.{NEW}"]

[office]
province = "Tuyên Quang"
issuer = "UBND TỈNH TUYÊN QUANG"
office = "VĂN PHÒNG"
place = "Tuyên Quang"
legal_basis = "Quyết định số 12/QĐ-UBND ngày 05/01/2026 của UBND tỉnh"
signer_title = "CHÁNH VĂN PHÒNG"
signer_name = "Nguyễn Văn An"
number_notation = "BC-VP"
"""
CALENDAR = """\
# Tết Bính Ngọ: the public-servant break is 14–22/2/2026; the holidays package has 16–20/2,
# the rest are weekend days — declared all the same, as the government's notice reads
days_off = [2026-02-14, 2026-02-15, 2026-02-16, 2026-02-17, 2026-02-18, 2026-02-19, 2026-02-20,
            2026-02-21, 2026-02-22]
"""
DIRECTIVES = {
    "15-KH-UBND.toml": """\
        [directive]
        number = "15/KH-UBND"
        date = 2026-01-06
        issuer = "UBND tỉnh Tuyên Quang"
        title = "Kế hoạch thực hiện chế độ báo cáo định kỳ năm 2026"

        [[report]]
        id = "thang"
        title = "Báo cáo kết quả thực hiện nhiệm vụ tháng"
        kind = "dinh-ky"
        units = ["@so-nganh", "@xa-phuong"]
        every = "month"
        due_day = 18
        start = 2026-01-01
        keywords = ["tháng"]

        [[report]]
        id = "quy"
        title = "Báo cáo tình hình kinh tế - xã hội quý"
        kind = "dinh-ky"
        units = ["@so-nganh"]
        every = "quarter"
        due_day = 18
        start = 2026-01-01
        keywords = ["quý"]

        [[report]]
        id = "6-thang"
        title = "Báo cáo 6 tháng"
        kind = "dinh-ky"
        units = ["@so-nganh"]
        every = "half-year"
        due_day = 15
        start = 2026-01-01
        keywords = ["6 tháng đầu năm"]
        """,
    "45-UBND-TH.toml": """\
        [directive]
        number = "45/UBND-TH"
        date = 2026-02-02
        issuer = "UBND tỉnh Tuyên Quang"
        title = "V/v báo cáo công tác chuẩn bị đón Tết Bính Ngọ"

        [[report]]
        id = "tet"
        title = "Báo cáo công tác chuẩn bị Tết"
        kind = "dot-xuat"
        units = ["@so-nganh"]
        due = 2026-02-12T16:00:00+07:00
        """,
}


def units_toml() -> str:
    out = ['[groups]\nso-nganh = "Các sở, ban, ngành"\nxa-phuong = "UBND các xã, phường"\n'
           'huyen = "UBND các huyện (đến 30/6/2025)"\n']
    for i, name in enumerate(DEPARTMENTS):
        domain = OLD if i % 4 == 0 else NEW            # some still write from the old domain
        out.append(f'[[unit]]\nid = "so-{i:02d}"\nname = "{name}"\ngroups = ["so-nganh"]\n'
                   f'emails = ["so{i:02d}@{domain}"]\n')
    for i in range(100):
        out.append(f'[[unit]]\nid = "xa-{i:03d}"\nname = "UBND xã Số {i + 1}"\ngroups = ["xa-phuong"]\n'
                   f'emails = ["xa{i:03d}@{NEW}"]\nvalid_from = 2025-07-01\n')
    out.append('[[unit]]\nid = "h-vixuyen"\nname = "UBND huyện Vị Xuyên"\ngroups = ["huyen", "xa-phuong"]\n'
               f'emails = ["vixuyen@{OLD}"]\nvalid_until = 2025-06-30\nsuccessor = "xa-000"\n')
    return "\n".join(out)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(root / "config.toml"), *args])
    return code, out.getvalue(), err.getvalue()


def send(root: Path, name: str, sender: str, subject: str, body: str, when: datetime) -> None:
    mx = "mx2" if name.endswith("b") else "mx1"
    raw = Mail(sender, subject, body, auth=[auth_results(f"{mx}.{NEW}", sender.split("@")[1])],
               message_id=f"{name}@{NEW}", date=when).build()
    stamp = when.strftime("%a, %d %b %Y %H:%M:%S +0700")
    (root / "mail" / f"{name}.eml").write_bytes(delivered(raw, f"from x by {mx}.{NEW}; {stamp}"))


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tuyenquang")
    (root / "rules" / "directives").mkdir(parents=True)
    (root / "mail").mkdir()
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    (root / "rules" / "units.toml").write_text(units_toml(), encoding="utf-8")
    (root / "rules" / "calendar.toml").write_text(CALENDAR, encoding="utf-8")
    for name, text in DIRECTIVES.items():
        (root / "rules" / "directives" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    cite = "Thực hiện Kế hoạch số 15/KH-UBND ngày 06/01/2026 của UBND tỉnh"
    at = lambda d, h=9: datetime(2026, *d, h, tzinfo=TZ)  # noqa: E731
    # January (due Sunday 18/1 -> Monday 19/1): a department from the old domain, on time
    send(root, "so00-t1", f"so00@{OLD}", "Báo cáo kết quả thực hiện nhiệm vụ tháng 01/2026 và "
         "phương hướng, nhiệm vụ tháng 02/2026", cite, at((1, 19), 15))
    # February (due 18/2, in the Tết break -> Monday 23/2): on time on 23/2, late on 24/2
    send(root, "so01-t2", f"so01@{NEW}", "Báo cáo tháng 02/2026", cite, at((2, 23), 16))
    send(root, "so02-t2b", f"so02@{NEW}", "Báo cáo tháng 02/2026", cite, at((2, 24), 8))
    # the old district's box, after it ended: counts for its commune successor
    send(root, "vixuyen-t2", f"vixuyen@{OLD}", "Báo cáo tháng 02/2026", cite, at((2, 20), 10))
    # one-off with an hour (16:00 Thursday 12/2): 15:30 on time, 16:30 late
    tet = "Thực hiện Văn bản số 45/UBND-TH ngày 02/02/2026 của UBND tỉnh, báo cáo công tác chuẩn bị Tết"
    send(root, "so03-tet", f"so03@{NEW}", "Báo cáo chuẩn bị Tết", tet, at((2, 12), 15))
    send(root, "so05-tet", f"so05@{NEW}", "Báo cáo chuẩn bị Tết", tet, at((2, 12), 17))
    # a request for more time, granted below
    send(root, "so06-xin", f"so06@{NEW}", "V/v xin gia hạn thời gian báo cáo tháng 02/2026", cite,
         at((2, 13), 9))
    # Q1 (due 18/3) and "tháng 3 và quý I": counts for both
    send(root, "so07-q1", f"so07@{NEW}", "Báo cáo tình hình kinh tế - xã hội quý I/2026", cite,
         at((3, 17), 9))
    code, out, err = cli(root, "check")
    assert code == 0, out + err
    code, out, err = cli(root, "import", str(root / "mail"))
    assert code == 0, err
    return root


def status(root: Path, report: str, period: str | None, at: str) -> dict:
    code, out, err = cli(root, "status", "--report", report, "--at", at, "--format", "json")
    assert code == 0, err
    return next(r for r in __import__("json").loads(out)["reports"] if r["period"] == period)


def cells(report: dict) -> dict[str, str]:
    return {u["unit"]: u["status"] for u in report["units"]}


def test_who_is_expected_follows_the_dates(province):
    jan = status(province, "thang", "2026-01", "2026-03-31")
    assert jan["expected"] == 120 and "h-vixuyen" not in cells(jan)    # 20 departments + 100 communes
    assert cells(jan)["so-00"] == "on_time"                             # from the old domain


def test_deadlines_around_tet(province):
    feb = status(province, "thang", "2026-02", "2026-03-31")
    assert feb["due"].startswith("2026-02-23T23:59:59")                # 18/2 is in the break
    c = cells(feb)
    assert c["so-01"] == "on_time" and c["so-02"] == "late"
    assert c["xa-000"] == "on_time"                                     # via the old district's box
    code, out, _ = cli(province, "receipts", "--format", "json")
    [old_box] = [r for r in __import__("json").loads(out) if r["sender"] == f"vixuyen@{OLD}"]
    assert old_box["unit"] == "xa-000"
    code, out, _ = cli(province, "explain", old_box["id"])
    assert "xa-000: đơn vị kế thừa của h-vixuyen" in out
    tet = status(province, "tet", None, "2026-03-31")
    assert tet["due"] == "2026-02-12T16:00:00+07:00"
    assert cells(tet)["so-03"] == "on_time" and cells(tet)["so-05"] == "late"


def test_the_request_for_more_time_and_its_extension(province):
    code, out, _ = cli(province, "unmatched", "--format", "json")
    letter = next(r for r in __import__("json").loads(out) if r["sender"] == f"so06@{NEW}")
    assert "xin gia hạn" in letter["reason"]
    assert cli(province, "extend", letter["id"], "--unit", "so-06", "--report", "thang", "--period",
               "2026-02", "--until", "2026-03-02", "--reason", "đồng ý theo đề nghị")[0] == 0
    feb = status(province, "thang", "2026-02", "2026-02-27")
    assert cells(feb)["so-06"] == "pending"                              # judged against 2/3
    code, out, _ = cli(province, "unmatched", "--format", "json")
    assert letter["id"] not in out


def test_the_quarter_and_its_report(province, tmp_path):
    q1 = status(province, "quy", "2026-Q1", "2026-04-01")
    assert q1["expected"] == 20 and cells(q1)["so-07"] == "on_time"
    out = tmp_path / "q1.docx"
    code, text, err = cli(province, "report", "quarter", "2026-Q1", "--at", "2026-04-02T09:00:00+07:00",
                          "--out", str(out))
    assert code == 0, err
    import docx

    document = docx.Document(str(out))
    body = "\n".join(p.text for p in document.paragraphs)
    table_text = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "UBND TỈNH TUYÊN QUANG" in table_text and "Lai Châu" not in body + table_text
    assert "UBND xã Số 1" in table_text and "Sở Tài chính" in table_text
    assert "UBND huyện Vị Xuyên" not in table_text                      # gone before 2026
    assert "Các đơn vị được gia hạn (tính theo hạn mới): Sở Y tế" in body
    from test_quarterly_render import pages_text, to_pdf

    pdf = to_pdf(out)
    pages = pages_text(pdf)
    assert len(pages) >= 3
    table_pages = [p for p in pages if re.search(r"^\s*\d+\s+UBND xã Số \d+\s+\d", p, re.M)]
    assert len(table_pages) >= 3
    assert all(re.search(r"^\s*TT\s+Đơn vị", p, re.M) for p in table_pages)   # the header on every page


def test_reminders_and_the_digest_with_120_units(province):
    code, out, err = cli(province, "remind", "--dry-run", "--at", "2026-03-13T08:30:00+07:00",
                         "--format", "json")
    assert code == 0, err
    reminders = __import__("json").loads(out)
    assert reminders and not [r for r in reminders if r["unit"] == "h-vixuyen"]
    code, out, err = cli(province, "digest", "--preview", "--at", "2026-03-13T07:30:00+07:00")
    assert code == 0, err
    assert "UBND huyện Vị Xuyên" not in out
    assert "Được gia hạn: Sở Y tế (đến 02/03/2026)" in out
    assert len(out.splitlines()) < 150, "the digest lists every unit: collapse what needs no attention"
    assert "Chưa gửi — UBND các xã, phường (100):" in out and "… và 88 đơn vị khác" in out
