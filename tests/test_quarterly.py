"""The quarterly compliance report: numbers in DOCX, CSV and XLSX agree with the ledger."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import unicodedata

import docx
import openpyxl
import pytest

AT = "2019-07-08T09:00:00+07:00"


@pytest.fixture
def q2(project, cli, sample_dir, tmp_path):
    project.load_sample(cli, sample_dir)
    out = tmp_path / "q2.docx"
    code, stdout, err = cli(project, "report", "quarter", "2019-Q2", "--at", AT, "--out", str(out),
                            "--csv", str(tmp_path / "q2.csv"), "--xlsx", str(tmp_path / "q2.xlsx"))
    assert code == 0, err
    return tmp_path


def ledger_counts(cli, project) -> dict[str, tuple[int, int, int]]:
    """(due, on_time, late, missing) per unit over the reports due in Q2, from status JSON."""
    status = cli.json(project, "status", "--at", AT)
    counts: dict[str, list[int]] = {}
    for r in status["reports"]:
        if not ("2019-04-01" <= r["due"][:10] <= "2019-06-30"):
            continue
        for u in r["units"]:
            c = counts.setdefault(u["unit"], [0, 0, 0, 0])
            if u["status"] in ("on_time", "late", "missing"):
                c[0] += 1
                c[{"on_time": 1, "late": 2, "missing": 3}[u["status"]]] += 1
    return {k: tuple(v) for k, v in counts.items()}


def test_csv_xlsx_docx_agree_with_the_ledger(project, cli, q2):
    expected = ledger_counts(cli, project)
    assert expected["so-khdt"] == (3, 3, 0, 0) and expected["so-tc"] == (3, 2, 1, 0)

    raw = (q2 / "q2.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                                   # BOM for Excel
    text = raw.decode("utf-8-sig")
    assert unicodedata.normalize("NFC", text) == text and "Sở Kế hoạch và Đầu tư" in text
    rows = list(csv.DictReader(io.StringIO(text)))
    got = {r["Mã đơn vị"]: (int(r["Phải gửi"]), int(r["Đúng hạn"]), int(r["Chậm"]),
                            int(r["Không gửi"])) for r in rows}
    assert len(got) == 36
    assert all(got[unit] == counts for unit, counts in expected.items())
    tc = next(r for r in rows if r["Mã đơn vị"] == "so-tc")
    assert tc["Điểm"] == "82.8"              # 100 × (2 + 0.5 × 1) / 3 − 0.5 × 1 day late
    assert tc["Tổng số ngày chậm"] == "1"

    ws = openpyxl.load_workbook(q2 / "q2.xlsx").active
    header = [c.value for c in ws[3]]
    xrows = {r[header.index("Mã đơn vị")]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    for unit, (due, on_time, late, missing) in expected.items():
        r = xrows[unit]
        assert (r[header.index("Phải gửi")], r[header.index("Đúng hạn")], r[header.index("Chậm")],
                r[header.index("Không gửi")]) == (due, on_time, late, missing)

    d = docx.Document(str(q2 / "q2.docx"))
    table_rows = {}
    for table in d.tables[1:-1]:                       # header block and signature excluded
        for row in table.rows[1:]:
            cells = [c.text for c in row.cells]
            table_rows[cells[1]] = cells
    khdt = table_rows["Sở Kế hoạch và Đầu tư"]
    assert khdt[2:4] == ["3", "3"] and khdt[7] == "100" and khdt[8] == "1"
    tnmt = table_rows["Sở Tài nguyên và Môi trường"]
    assert tnmt[2:6] == ["3", "0", "2 (16)", "1"]
    assert len(d.inline_shapes) == 1                   # the chart
    body = "\n".join(p.text for p in d.paragraphs)
    assert "Kết quả thực hiện chế độ thông tin, báo cáo quý II/2019" in body
    assert "Các đơn vị thực hiện tốt chế độ báo cáo" in body
    assert "Sở Kế hoạch và Đầu tư, UBND huyện Tam Đường" in body
    assert unicodedata.normalize("NFC", body) == body


def test_quarterly_job_mails_once_on_the_configured_day(project, cli, sample_dir):
    project.write_config('[quarterly_report]\nday = 5\nto = ["chanhvanphong@laichau.gov.vn"]\n')
    cli(project, "import", str(sample_dir / "Maildir"))
    outbox = project.root / "var" / "outbox"
    cli(project, "run", "--once", "--at", "2019-06-28T09:00:00+07:00")      # Q1: nothing was due
    cli(project, "run", "--once", "--at", "2019-07-04T09:00:00+07:00")
    assert not list(outbox.glob("quarterly*"))
    cli(project, "run", "--once", "--at", "2019-07-05T09:00:00+07:00")     # 5th working day
    cli(project, "run", "--once", "--at", "2019-07-08T09:00:00+07:00")
    files = list(outbox.glob("quarterly*"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    names = sorted(p.get_filename() for p in msg.iter_attachments())
    assert names == [f"bao-cao-che-do-bao-cao-2019-Q2.{ext}" for ext in ("csv", "docx", "xlsx")]
    assert "quý II/2019" in msg["Subject"]


def test_report_usage_errors(project, cli):
    code, _, err = cli(project, "report", "quarter", "2019-Q5")
    assert code == 2 and "2019-Q2" in err
