"""Generate the bundled sample province mailbox (Lai Châu, May–June 2019).

It replays the story of Directive 08/CT-UBND: for Văn bản 760/UBND-TH 11 of 36 units answered,
9 of them late; for 924/UBND-TH, 28 of 35 sent the KT-XH report (9 late) and 14 of 24 the
public-investment report (6 late). Around them: amendments, a forged sender, a personal Gmail
box, a citation of laws only, a scanned PDF, an auto-reply and a newsletter.

Run:  python scripts/make_sample.py [OUT_DIR]      (default samples/laichau-2019)
Needs the test extra (reportlab) and fonts-dejavu-core.
"""

from __future__ import annotations

import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingestd.rules import load_rules  # noqa: E402
from ingestd.testing import (  # noqa: E402
    Mail,
    auth_results,
    header_block,
    make_docx,
    make_edxml,
    make_pdf,
    make_scan,
    make_xlsx,
    make_zip,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUTHSERV = "mail.laichau.gov.vn"
OFFICE_ORGAN = ("000.00.00.H30", "UBND tỉnh Lai Châu")   # the gateway delivers to it
FORMATS = ["pdf", "docx", "body", "cp1258", "xlsx", "zip", "tcvn3", "html"]

D760 = ("760/UBND-TH", "10/5/2019", "hoàn thiện thể chế, chính sách đầu tư xây dựng kết cấu hạ tầng")
KTXH = "tình hình thực hiện kế hoạch phát triển kinh tế - xã hội 6 tháng đầu năm 2019"
DTC = "tình hình thực hiện kế hoạch vốn đầu tư công 6 tháng đầu năm 2019"
FILE_NAMES = {KTXH: "BC KT-XH 6 thang 2019", DTC: "BC von DTC 6 thang 2019"}


def at(day: str, hm: str) -> datetime:
    d, m = (int(x) for x in day.split("/"))
    h, mi = (int(x) for x in hm.split(":"))
    return datetime(2019, m, d, h, mi, tzinfo=TZ)


# unit -> receipt time for 760 (due Monday 20/5/2019)
ANSWERS_760 = {
    "so-khdt": at("17/5", "15:20"), "h-tam-duong": at("20/5", "16:45"),
    "so-tc": at("21/5", "08:10"), "so-xd": at("22/5", "09:14"), "so-gtvt": at("23/5", "10:02"),
    "so-nnptnt": at("24/5", "14:30"), "h-phong-tho": at("27/5", "08:55"),
    "h-sin-ho": at("29/5", "15:40"), "so-tnmt": at("3/6", "09:20"),
    "tp-lai-chau": at("10/6", "10:11"), "so-ct": at("18/6", "16:05"),
}
# 924 reports are due Wednesday 5/6/2019 (5 working days after 29/5/2019).
KTXH_LATE = {"so-tnmt": at("7/6", "09:30"), "so-ct": at("10/6", "08:20"),
             "so-ldtbxh": at("6/6", "07:45"), "so-tttt": at("12/6", "14:00"),
             "so-tp": at("6/6", "10:15"), "h-muong-te": at("11/6", "15:00"),
             "h-nam-nhun": at("14/6", "09:00"), "cuc-tk": at("8/6", "11:30"),
             "bql-gt": at("13/6", "16:20")}
KTXH_NONE = {"ca-tinh", "bchqs", "cuc-thue", "so-ngv", "ban-dt", "thanh-tra", "bql-nn", "bdbp"}
DTC_ON_TIME = ["so-khdt", "so-tc", "so-xd", "so-gtvt", "bql-dd", "h-tam-duong", "h-phong-tho",
               "tp-lai-chau"]
DTC_LATE = {"so-nnptnt": at("7/6", "15:10"), "so-yte": at("10/6", "09:40"),
            "bql-gt": KTXH_LATE["bql-gt"], "h-muong-te": KTXH_LATE["h-muong-te"],
            "h-than-uyen": at("6/6", "08:05"), "h-sin-ho": at("12/6", "10:30")}
GATEWAY = {"so-gddt", "cuc-tk", "so-vhttdl"}
OWN_NUMBER_TRAP = "h-than-uyen"        # its KT-XH report is "Số: 760/BC-UBND"


class Writer:
    def __init__(self, out: Path):
        self.out = out
        self.maildir = out / "Maildir"
        self.gateway = out / "gateway"
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("new", "tmp"):               # git keeps no empty folders
            (self.maildir / sub / ".keep").write_text("")
        self.gateway.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def deliver(self, raw: bytes, when: datetime) -> None:
        self.n += 1
        name = f"{int(when.timestamp())}.M{self.n:06d}P4242.mail.laichau.gov.vn:2,S"
        (self.maildir / "cur" / name).write_bytes(raw)

    def drop(self, name: str, raw: bytes) -> None:
        (self.gateway / name).write_bytes(raw)


def own_number(unit: str, seq: int) -> str:
    if unit.startswith(("h-", "tp-")):
        return f"{seq}/BC-UBND"
    return f"{seq}/BC-{unit.split('-')[-1].upper()}"


def report_message(w: Writer, book, unit_id: str, when: datetime, topics: list[str],
                   cite: str, cite_date: str, seq: int, fmt: str, *, subject_extra: str = "",
                   own: str | None = None, sender: str | None = None, auth: list[str] | None = None,
                   name_suffix: str = "") -> None:
    unit = book.units[unit_id]
    own = own or own_number(unit_id, seq)
    place = f"{unit.name.split(' ', 1)[-1] if unit_id.startswith(('h-', 'tp-')) else 'Lai Châu'}"
    date_line = f"{place}, ngày {when.day} tháng {when.month} năm 2019"
    titles = [f"BÁO CÁO {t.upper()}" for t in topics]
    cite_line = (f"Thực hiện Văn bản số {cite} ngày {cite_date} của UBND tỉnh Lai Châu; "
                 f"{unit.name} báo cáo như sau:")
    body_lines = [cite_line, "1. Kết quả thực hiện: cơ bản hoàn thành các nhiệm vụ được giao.",
                  "2. Khó khăn, vướng mắc và kiến nghị: đề nghị UBND tỉnh xem xét hỗ trợ."]
    subject = f"{unit.name} gửi báo cáo {' và '.join(topics)}{subject_extra}"
    mail = Mail(sender=sender or unit.emails[0], sender_name=unit.name, subject=subject,
                message_id=f"{unit_id}.{seq}.{int(when.timestamp())}@laichau.gov.vn",
                date=when - timedelta(minutes=3),
                auth=auth if auth is not None else [auth_results(AUTHSERV, "laichau.gov.vn")])
    greeting = "Kính gửi: Văn phòng UBND tỉnh Lai Châu.\n"
    header = header_block(unit.name, own, date_line)
    if fmt in ("body", "html", "cp1258"):
        mail.body = "\n".join([greeting, f"Số: {own}", *titles, *body_lines, "", "Trân trọng."])
        mail.html = fmt == "html"
        mail.charset = "windows-1258" if fmt == "cp1258" else "utf-8"
    else:
        mail.body = greeting + f"{unit.name} gửi kèm báo cáo. Trân trọng."
        for k, topic in enumerate(topics):
            title = titles[k]
            fname = FILE_NAMES.get(topic, f"Bao cao {seq}") + name_suffix
            if fmt == "pdf":
                lines = [f"{a}    {b}" for a, b in header] + ["", title, *body_lines]
                pages = [lines] + [[f"Phụ lục trang {i}: số liệu chi tiết."] for i in range(2, 4)]
                mail.attachments.append((fname + ".pdf", make_pdf(pages)))
            elif fmt in ("docx", "tcvn3"):
                data = make_docx(header, [title, *body_lines],
                                 legacy_font=".VnTime" if fmt == "tcvn3" else None)
                mail.attachments.append((fname + ".docx", data))
            elif fmt == "xlsx":
                mail.subject = f"V/v báo cáo {' và '.join(topics)} (thực hiện CV {cite})"
                mail.attachments.append((fname + ".xlsx", make_xlsx([
                    [unit.name.upper()], [f"Số: {own}"], [title], [cite_line],
                    ["STT", "Chỉ tiêu", "Kế hoạch", "Thực hiện"], [1, "Tổng vốn", 1000, 450]])))
            elif fmt == "zip":
                pdf = make_pdf([[f"{a}    {b}" for a, b in header] + ["", title, *body_lines]])
                mail.attachments.append((fname + ".zip", make_zip({fname + ".pdf": pdf})))
    w.deliver(mail.build(), when)


def main(out: Path) -> None:
    book = load_rules(ROOT / "rules")
    if out.exists():
        shutil.rmtree(out)
    w = Writer(out)
    seq = 100
    i = 0

    def fmt() -> str:
        nonlocal i
        i += 1
        return FORMATS[i % len(FORMATS)]

    for unit_id, when in ANSWERS_760.items():
        seq += 1
        report_message(w, book, unit_id, when, [f"về {D760[2]}"], D760[0], D760[1], seq, fmt())
    # an amendment (bổ sung) from so-khdt two days after its first report
    seq += 1
    report_message(w, book, "so-khdt", at("22/5", "10:00"), [f"bổ sung về {D760[2]}"], D760[0],
                   D760[1], seq, "body", subject_extra=" (bổ sung)")

    expected_ktxh = [u for u in book.reports["924-ktxh-6t"].units if u not in KTXH_NONE]
    for unit_id in expected_ktxh:
        seq += 1
        late = KTXH_LATE.get(unit_id)
        ktxh_time = late or at("5/6", "08:00") - timedelta(hours=(seq % 90))
        own = "760/BC-UBND" if unit_id == OWN_NUMBER_TRAP else None
        both = unit_id in DTC_ON_TIME or (unit_id in DTC_LATE and DTC_LATE[unit_id] == late)
        topics = [KTXH, DTC] if both else [KTXH]
        if unit_id in GATEWAY:
            unit = book.units[unit_id]
            stamp = ktxh_time.strftime("%d/%m/%Y %H:%M:%S" if unit_id == "cuc-tk"
                                       else "%Y/%m/%d %H:%M:%S")
            sent = (ktxh_time - timedelta(minutes=4)).strftime("%Y/%m/%d %H:%M:%S")
            pdf = make_pdf([[f"{unit.name.upper()}", f"Số: {own_number(unit_id, seq)}",
                             f"BÁO CÁO {KTXH.upper()}",
                             "Thực hiện Văn bản số 924/UBND-TH ngày 29/5/2019 của UBND tỉnh."]])
            w.drop(f"{unit.organ_id}_{seq}.edxml", make_edxml(
                unit.organ_id, unit.name, str(seq), own_number(unit_id, seq).split("/", 1)[1],
                f"Báo cáo {KTXH}", f"{unit.name} báo cáo {KTXH}",
                [("924/UBND-TH", "2019/05/29")], [sent, stamp],
                [("baocao.zip", make_zip({"baocao.pdf": pdf}))], to_organ=OFFICE_ORGAN))
            continue
        report_message(w, book, unit_id, ktxh_time, topics, "924/UBND-TH", "29/5/2019", seq,
                       fmt(), own=own)
    for unit_id, when in DTC_LATE.items():
        if KTXH_LATE.get(unit_id) == when:
            continue
        seq += 1
        report_message(w, book, unit_id, when, [DTC], "924/UBND-TH", "29/5/2019", seq, fmt())

    # -- the quarterly KT-XH report under 876/KH-UBND (Q2 due Wednesday 3/7/2019) ----------
    quarterly = {"so-khdt": ("quý II/2019", at("24/6", "09:00")),
                 "so-tc": ("Quý 2 năm 2019", at("25/6", "14:10")),
                 "so-xd": ("quý II năm 2019", at("26/6", "08:30")),
                 "so-yte": ("quý II/2019", at("26/6", "10:45")),
                 "so-gddt": ("quý II/2019", at("27/6", "15:00")),
                 "h-tam-duong": ("quý II/2019", at("21/6", "16:00")),
                 "h-phong-tho": ("", at("27/6", "09:20")),      # no period written: nearest
                 "tp-lai-chau": ("Quý 2/2019", at("27/6", "17:30"))}
    for unit_id, (period, when) in quarterly.items():
        seq += 1
        topic = f"tình hình kinh tế - xã hội {period}".strip()
        report_message(w, book, unit_id, when, [topic], "876/KH-UBND", "24/5/2019", seq, fmt())

    # -- what a real mailbox also holds ------------------------------------------------------
    seq += 1   # forged: Sở Y tế's address, but our server says DMARC failed
    report_message(w, book, "so-yte", at("19/5", "22:10"), [f"về {D760[2]}"], D760[0], D760[1],
                   seq, "body", auth=[auth_results(AUTHSERV, "laichau.gov.vn", dmarc="fail")])
    seq += 1   # "pass" only from a server that is not ours
    report_message(w, book, "ban-dt", at("4/6", "09:00"), [KTXH], "924/UBND-TH", "29/5/2019", seq,
                   "body", auth=[auth_results("mx.example.net", "laichau.gov.vn")])
    seq += 1   # a clerk of Sở LĐTB&XH sends from a personal Gmail box
    report_message(w, book, "so-ldtbxh", at("20/5", "21:30"), [f"về {D760[2]}"], D760[0],
                   D760[1], seq, "docx", sender="nguyenvanan.ldtbxh@gmail.com",
                   auth=[auth_results(AUTHSERV, "gmail.com")])
    seq += 1   # cites only laws and a plan that are not directives in the rules
    mail = Mail(sender="stp@laichau.gov.vn", sender_name="Sở Tư pháp",
                subject="Góp ý dự thảo quy định chế độ báo cáo",
                body="Căn cứ Nghị định số 09/2019/NĐ-CP ngày 24/01/2019 của Chính phủ và Quyết "
                     "định số 28/2018/QĐ-TTg, Sở Tư pháp góp ý dự thảo như sau ...",
                message_id="stp.gopy@laichau.gov.vn",
                auth=[auth_results(AUTHSERV, "laichau.gov.vn")])
    w.deliver(mail.build(), at("31/5", "14:00"))
    # a scanned report, no text layer, read by OCR: Công an tỉnh reports on public investment,
    # which 924/UBND-TH did not ask of it, so a clerk decides
    scan = make_scan(["CÔNG AN TỈNH", "Số: 312/BC-CAT", "BÁO CÁO",
                      "Tình hình thực hiện kế hoạch vốn đầu tư công 6 tháng đầu năm 2019",
                      "Thực hiện Văn bản số 924/UBND-TH ngày 29/5/2019 của UBND tỉnh,",
                      "Công an tỉnh báo cáo kết quả như sau:"], skew=0.6)
    mail = Mail(sender="congan@laichau.gov.vn", sender_name="Công an tỉnh",
                subject="Gửi báo cáo (bản scan)", body="", message_id="ca.scan@laichau.gov.vn",
                attachments=[("scan0001.pdf", scan)],
                auth=[auth_results(AUTHSERV, "laichau.gov.vn")])
    w.deliver(mail.build(), at("6/6", "10:00"))
    mail = Mail(sender="cucthue@laichau.gov.vn", subject="Tự động trả lời: Văn bản 924/UBND-TH",
                body="Tôi đang đi công tác đến hết ngày 10/6/2019.",
                message_id="autoreply.1@laichau.gov.vn",
                auth=[auth_results(AUTHSERV, "laichau.gov.vn")])
    w.deliver(mail.build(), at("30/5", "08:01"))
    mail = Mail(sender="bantin@baolaichau.vn", subject="Bản tin Lai Châu ngày 3/6/2019",
                body="Tin tức trong tỉnh ...", message_id="bantin.0603@baolaichau.vn")
    w.deliver(mail.build(), at("3/6", "06:00"))
    print(f"{w.n} messages in {w.maildir}, {len(list(w.gateway.iterdir()))} edXML in {w.gateway}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "samples" / "laichau-2019")
