"""A second province set up from scratch (Hà Giang, not the bundled Lai Châu): its reminders,
acknowledgements, digest and quarterly report carry its own names and legal basis, and no
trace of Lai Châu."""

from __future__ import annotations

import email
import email.policy
import io

import docx

from ingestd.testing import Mail, auth_results

CONFIG = """\
timezone = "Asia/Ho_Chi_Minh"
rules_dir = "rules"
database_url = "sqlite:///var/ingestd.db"
store_dir = "var/store"
outbox_dir = "var/outbox"
workers = 1
from_address = "Văn phòng UBND tỉnh Hà Giang <vanthu@hagiang.gov.vn>"

[digest]
to = ["tonghop@hagiang.gov.vn"]

[acknowledge]
enabled = true

[trust]
authserv_id = "mail.hagiang.gov.vn"

[office]
province = "Hà Giang"
issuer = "UBND TỈNH HÀ GIANG"
office = "VĂN PHÒNG"
name = "Văn phòng UBND tỉnh Hà Giang"
place = "Hà Giang"
legal_basis = "Quyết định số 15/QĐ-UBND ngày 05/01/2021 của UBND tỉnh Hà Giang"
signer_title = ["CHÁNH VĂN PHÒNG"]
signer_name = "Nguyễn Văn Bình"
number_notation = "BC-VPUBND"
recipients = ["- Thường trực UBND tỉnh;", "- Lưu: VT, TH."]
"""

UNITS = """\
[groups]
so = "Các sở"

[[unit]]
id = "so-tc"
name = "Sở Tài chính Hà Giang"
groups = ["so"]
emails = ["stc@hagiang.gov.vn"]

[[unit]]
id = "so-yt"
name = "Sở Y tế Hà Giang"
groups = ["so"]
emails = ["syt@hagiang.gov.vn"]
"""

DIRECTIVE = """\
[directive]
number = "210/UBND-KT"
date = 2021-03-01
issuer = "UBND tỉnh Hà Giang"
title = "V/v báo cáo tình hình giải ngân vốn đầu tư công"

[[report]]
id = "giai-ngan"
title = "Báo cáo tình hình giải ngân vốn đầu tư công"
units = ["@so"]
due = 2021-03-15
"""

LAI_CHAU = ("Lai Châu", "LAI CHÂU", "laichau", "08/CT-UBND")


def setup(root):
    (root / "rules" / "directives").mkdir(parents=True)
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    (root / "rules" / "units.toml").write_text(UNITS, encoding="utf-8")
    (root / "rules" / "directives" / "210.toml").write_text(DIRECTIVE, encoding="utf-8")
    mail = Mail("stc@hagiang.gov.vn", "Báo cáo giải ngân vốn đầu tư công",
                "Thực hiện Văn bản số 210/UBND-KT ngày 01/3/2021 của UBND tỉnh").build()
    # as the province's MTA delivers it: its milters' result above the Received it added
    (root / "stc.eml").write_bytes(
        f"Authentication-Results: {auth_results('mail.hagiang.gov.vn', 'hagiang.gov.vn')}\r\n"
        "Received: by mail.hagiang.gov.vn; Fri, 12 Mar 2021 10:00:00 +0700\r\n".encode() + mail)


def texts_of(outbox) -> dict[str, str]:
    out = {}
    for f in sorted(outbox.iterdir()):
        msg = email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        body = "\n".join(p.get_content() for p in msg.walk() if p.get_content_type() in
                         ("text/plain", "text/html"))
        out[f.name] = f"{msg['Subject']}\n{msg['From']}\n{body}"
    return out


def test_a_second_province_has_no_trace_of_lai_chau(tmp_path, capsys, monkeypatch):
    from ingestd.cli.main import main

    # what this machine's own Postfix/OpenDKIM/OpenDMARC files say is not the province's config
    monkeypatch.setattr("ingestd.host_checks.mta_notes", lambda *args, **kwargs: [])
    setup(tmp_path)
    cfg = ["--config", str(tmp_path / "config.toml")]
    assert main([*cfg, "check"]) == 0
    assert "Cảnh báo" not in capsys.readouterr().out            # [office] is complete
    assert main([*cfg, "import", str(tmp_path / "stc.eml")]) == 0
    # the acknowledgement the day it came, a reminder after the deadline, the digest
    assert main([*cfg, "run", "--once", "--at", "2021-03-12T16:00:00+07:00"]) == 0
    assert main([*cfg, "run", "--once", "--at", "2021-03-16T09:00:00+07:00"]) == 0
    mails = texts_of(tmp_path / "var" / "outbox")
    kinds = {name.split("_", 1)[0] for name in mails}
    assert kinds == {"ack", "remind", "digest"}, sorted(mails)
    for name, text in mails.items():
        for trace in LAI_CHAU:
            assert trace not in text, (name, trace)
    reminder = next(t for n, t in mails.items() if n.startswith("remind"))
    assert "Văn phòng UBND tỉnh Hà Giang chưa nhận được" in reminder
    assert "theo Quyết định số 15/QĐ-UBND ngày 05/01/2021 của UBND tỉnh Hà Giang" in reminder
    assert "VĂN PHÒNG UBND TỈNH HÀ GIANG" in reminder
    ack = next(t for n, t in mails.items() if n.startswith("ack"))
    assert "Văn phòng UBND tỉnh Hà Giang xác nhận đã nhận" in ack and "đúng hạn" in ack
    # the quarterly report
    out = tmp_path / "q1.docx"
    assert main([*cfg, "report", "quarter", "2021-Q1", "--at", "2021-04-10", "--out", str(out)]) == 0
    document = docx.Document(io.BytesIO(out.read_bytes()))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    everything = body + "\n" + cells
    for trace in LAI_CHAU:
        assert trace not in everything, trace
    assert "UBND TỈNH HÀ GIANG" in cells and "/BC-VPUBND" in cells and "Hà Giang, ngày" in cells
    assert "(theo Quyết định số 15/QĐ-UBND ngày 05/01/2021 của UBND tỉnh Hà Giang)" in body
    assert "CHÁNH VĂN PHÒNG" in cells and "Nguyễn Văn Bình" in cells
    assert "Thường trực UBND tỉnh" in cells and "Chủ tịch, các PCT" not in everything


def test_the_packaged_code_and_templates_name_no_province():
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "ingestd"
    for f in package.rglob("*"):
        if f.suffix in (".py", ".txt", ".html", ".css") and f.name != "testing.py":
            text = f.read_text(encoding="utf-8")
            for trace in ("Lai Châu", "LAI CHÂU", "08/CT-UBND"):
                assert trace not in text, (f.relative_to(package), trace)



def test_health_shows_broken_rules_and_send_mails_the_named_quarter(tmp_path, capsys):
    from ingestd.cli.main import main

    setup(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace(
        "[digest]", '[quarterly_report]\nto = ["chanhvanphong@hagiang.gov.vn"]\n\n[digest]'),
        encoding="utf-8")
    cfg = ["--config", str(config)]
    assert main([*cfg, "import", str(tmp_path / "stc.eml")]) == 0
    # named Q1 while "now" is in Q3: the mail is about Q1, and says so
    assert main([*cfg, "report", "quarter", "2021-Q1", "--at", "2021-08-10", "--send",
                 "--out", str(tmp_path / "q1.docx")]) == 0
    assert "Đã gửi báo cáo 2021-Q1" in capsys.readouterr().out
    [sent] = list((tmp_path / "var" / "outbox").glob("quarterly_*"))
    assert sent.name == "quarterly_2021-Q1.eml"
    msg = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert "quý I/2021" in str(msg["Subject"])
    assert main([*cfg, "health"]) == 0
    (tmp_path / "rules" / "units.toml").write_text("[[unit]\n", encoding="utf-8")
    capsys.readouterr()
    assert main([*cfg, "health"]) == 1
    assert "QUY TẮC CÓ LỖI" in capsys.readouterr().out
