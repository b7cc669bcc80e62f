"""edXML business packages through the gateway source: a status package (StatusCode) is recorded
but never counted as a report; a revocation (BussinessDocType 1) withdraws the revoked
document from the count; a replacement (3) counts as an amendment."""

from __future__ import annotations

import os
import time

from ingestd.rules import load_rules
from ingestd.testing import make_edxml

STATUS = """<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">
  <edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From><edXML:OrganId>{organ}</edXML:OrganId><edXML:OrganName>UBND huyện</edXML:OrganName></edXML:From>
        <edXML:ResponseFor>
          <edXML:OrganId>000.00.00.H30</edXML:OrganId>
          <edXML:Code>760/UBND-TH</edXML:Code>
          <edXML:PromulgationDate>2019/05/10</edXML:PromulgationDate>
          <edXML:DocumentId>000.00.00.H30,2019/05/10,760/UBND-TH</edXML:DocumentId>
        </edXML:ResponseFor>
        <edXML:StatusCode>01</edXML:StatusCode>
        <edXML:Description>Đã đến</edXML:Description>
        <edXML:Timestamp>2019/05/11 08:00:00</edXML:Timestamp>
      </edXML:MessageHeader>
    </edXML:edXMLHeader>
  </edXML:edXMLEnvelope>
</edXML>
"""


def business(xml: bytes, kind: int, refers: str) -> bytes:
    return xml.replace(b"</edXML:TraceHeaderList>", (
        f"<edXML:Bussiness><edXML:DocumentId>{refers}</edXML:DocumentId>"
        f"<edXML:BussinessDocType>{kind}</edXML:BussinessDocType></edXML:Bussiness>"
        "</edXML:TraceHeaderList>").encode())


def drop(inbox, name: str, data: bytes) -> None:
    (inbox / name).write_bytes(data)
    old = time.time() - 60
    os.utime(inbox / name, (old, old))


def test_status_revocation_and_replacement(project, cli):
    inbox = project.root / "gw"
    inbox.mkdir()
    project.write_config('[[gateway]]\nname = "truc"\nkind = "edxml-dir"\npath = "gw"\n'
                         'settle_seconds = 0\n')
    organ = load_rules(project.rules).units["h-than-uyen"].organ_id
    assert organ

    def report(n: int, stamp: str) -> bytes:
        return make_edxml(organ, "UBND huyện Than Uyên", str(n), "BC-UBND", "Báo cáo hạ tầng",
                          "Thực hiện Văn bản số 760/UBND-TH", [("760/UBND-TH", "2019/05/10")],
                          ["2019/05/17 08:00:00", stamp], document_id=f"{organ},2019/05/17,{n}/BC-UBND",
                          to_organ=("000.00.00.H30", "UBND tỉnh"))

    drop(inbox, "status.edxml", STATUS.format(organ=organ).encode())
    drop(inbox, "first.edxml", report(1, "2019/05/17 08:01:00").replace(
        b"</edXML:MessageHeader>",
        b"<edXML:DueDate>2019/05/20</edXML:DueDate><edXML:SteeringType>1</edXML:SteeringType>"
        b"</edXML:MessageHeader>"))
    cli(project, "fetch")
    rows = {r["own_number"] or "status": r for r in cli.json(project, "receipts")}
    assert rows["status"]["state"] == "ignored" and "gói trạng thái" in rows["status"]["reason"]
    assert "Đã đến" in rows["status"]["reason"]
    assert rows["01/BC-UBND"]["state"] == "matched"
    out = cli(project, "explain", rows["01/BC-UBND"]["id"])[1]
    assert "hạn xử lý (DueDate) 2019/05/20" in out and "(SteeringType) 1" in out

    # a replacement the next day: an amendment, the first still decides
    drop(inbox, "replace.edxml", business(report(2, "2019/05/18 09:00:00"), 3,
                                           f"{organ},2019/05/17,1/BC-UBND"))
    cli(project, "fetch")
    status = cli.json(project, "status", "--report", "760-ha-tang", "--at", "2019-06-01")
    cell = next(u for u in status["reports"][0]["units"] if u["unit"] == "h-than-uyen")
    assert cell["status"] == "on_time" and cell["amendments"] == 1

    # the unit revokes its first report: it no longer counts; the replacement decides
    drop(inbox, "revoke.edxml", business(report(3, "2019/05/25 10:00:00"), 1,
                                          f"{organ},2019/05/17,1/BC-UBND"))
    cli(project, "fetch")
    rows = {r["own_number"]: r for r in cli.json(project, "receipts")}
    assert rows["01/BC-UBND"]["state"] == "ignored" and "thu hồi" in rows["01/BC-UBND"]["reason"]
    assert rows["03/BC-UBND"]["state"] == "ignored" and "gói thu hồi" in rows["03/BC-UBND"]["reason"]
    status = cli.json(project, "status", "--report", "760-ha-tang", "--at", "2019-06-01")
    cell = next(u for u in status["reports"][0]["units"] if u["unit"] == "h-than-uyen")
    assert cell["status"] == "on_time" and cell["received_at"].startswith("2019-05-18")
    cli(project, "reprocess")                          # still withdrawn after re-matching
    rows = {r["own_number"]: r for r in cli.json(project, "receipts")}
    assert rows["01/BC-UBND"]["state"] == "ignored"
