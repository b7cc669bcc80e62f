"""Acknowledgements (biên nhận) over a real SMTP server: one per counted receipt, never twice,
never for a review item, to the verified sender or else the unit's official address."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from zoneinfo import ZoneInfo

from test_notify import configure_smtp, use_notify_rules

from ingestd.notify.acks import run_acknowledgements
from ingestd.testing import Mail, auth_results
from ingestd.testing import delivered as mta_delivered

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUTH = auth_results("mail.laichau.gov.vn", "laichau.gov.vn")


def delivered(sender: str, when: str, n: int, auth: bool = True) -> bytes:
    raw = Mail(sender, f"Báo cáo thứ Bảy số {n}", "Thực hiện Văn bản số 1000/UBND-TH",
               auth=[AUTH] if auth else [], message_id=f"m{n}@x").build()
    return mta_delivered(raw, f"by mail.laichau.gov.vn; {when}")


def acks(smtp) -> list[email.message.EmailMessage]:
    msgs = [email.message_from_bytes(m["data"], policy=email.policy.default) for m in smtp.messages]
    return [m for m in msgs if str(m["Subject"]).startswith("Biên nhận")]


def test_acknowledgements(project, cli, smtp, tmp_path):
    use_notify_rules(project)
    configure_smtp(project, smtp.port)
    project.write_config(project.extra + '\n[acknowledge]\nenabled = true\n[office]\n'
                         'name = "Văn phòng UBND tỉnh Thử"\nissuer = "UBND TỈNH THỬ"\n')
    files = {"old.eml": delivered("a@laichau.gov.vn", "Mon, 10 Jun 2019 09:00:00 +0700", 1),
             "b.eml": delivered("b@laichau.gov.vn", "Thu, 20 Jun 2019 09:10:00 +0700", 2),
             "b2.eml": delivered("b@laichau.gov.vn", "Thu, 20 Jun 2019 15:00:00 +0700", 3),
             "g.eml": delivered("sobinhan.a@gmail.com", "Thu, 20 Jun 2019 10:00:00 +0700", 4,
                                auth=False)}
    for name, raw in files.items():
        (tmp_path / name).write_bytes(raw)
    assert cli(project, "import", *(str(tmp_path / n) for n in files))[0] == 0
    at = datetime(2019, 6, 21, 9, tzinfo=TZ)
    svc = project.services()
    try:
        assert run_acknowledgements(svc, at) == 2
        got = acks(smtp)
        assert sorted(str(m["To"]) for m in got) == ["b@laichau.gov.vn", "b@laichau.gov.vn"]
        texts = sorted(m.get_body(("plain",)).get_content() for m in got)
        assert "09:10 ngày 20/06/2019" in texts[0] + texts[1]
        assert any("Báo cáo thứ Bảy (Văn bản số 1000/UBND-TH), hạn Thứ Hai, ngày 24/06/2019: "
                   "đúng hạn" in t for t in texts)
        assert any("bản bổ sung" in t for t in texts)                  # the second from b
        assert all("Văn phòng UBND tỉnh Thử" in t and "UBND TỈNH THỬ" in t for t in texts)
        assert run_acknowledgements(svc, at) == 0                      # never twice
        assert len(acks(smtp)) == 2
    finally:
        svc.close()
    # the Gmail one is in review: nothing; once a clerk assigns it, the unit's official box
    gmail = next(r for r in cli.json(project, "unmatched") if "gmail" in r["sender"])
    assert cli(project, "assign", gmail["id"], "--unit", "a", "--report", "sat")[0] == 0
    svc = project.services()
    try:
        assert run_acknowledgements(svc, at) == 1
        last = acks(smtp)[-1]
        assert str(last["To"]) == "a@laichau.gov.vn"
    finally:
        svc.close()
