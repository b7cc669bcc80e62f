"""Sender trust on headers as a real Postfix + OpenDKIM + OpenDMARC write them (issue: the
stripping claim, every header of our id, two From addresses, one unit reporting as another).

The messages are laid out as such a stack delivers them: each milter inserts its
Authentication-Results at the top, above the Received header Postfix added when it took the
message; whatever the sender wrote, forged results included, is below that Received."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingestd.calendar import WorkCalendar
from ingestd.config import ReadLimits
from ingestd.match import MATCHED, REVIEW, match
from ingestd.read import read_message
from ingestd.rules import load_rules
from ingestd.sender_trust import Trust

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BOOK = load_rules(Path(__file__).resolve().parent.parent / "rules")
WHEN = datetime(2019, 5, 17, 15, 20, tzinfo=TZ)
OURS = "mail.laichau.gov.vn"
RECEIVED = ("Received: from mx.example.net (mx.example.net [203.0.113.9])\r\n\tby mail.laichau.gov.vn "
            "(Postfix) with ESMTPS id 4Gx1Yb2Lz9z9sQ\r\n\tfor <vanthu@laichau.gov.vn>; Fri, 17 May 2019 "
            "15:20:01 +0700 (+07)")
LMTP = ("Received: from mail.laichau.gov.vn\r\n\tby imap.laichau.gov.vn with LMTP\r\n\tid kGQ6Hk1d3mD"
        "; Fri, 17 May 2019 15:20:02 +0700")


def opendkim(d: str, result: str = "pass") -> str:
    return (f"Authentication-Results: {OURS};\r\n\tdkim={result} (2048-bit key; unprotected) "
            f"header.d={d} header.i=@{d} header.a=rsa-sha256 header.s=mail header.b=AbCdEfGh;\r\n"
            "\tdkim-atps=neutral")


def opendmarc(result: str, header_from: str, p: str = "none") -> str:
    return f"Authentication-Results: {OURS}; dmarc={result} (p={p} dis=none) header.from={header_from}"


def spf(mailfrom: str) -> str:
    return f"Authentication-Results: {OURS}; spf=pass smtp.mailfrom={mailfrom}"


def message(top: list[str], sender: str = "skhdt@laichau.gov.vn", below: list[str] = (),
            received: tuple[str, ...] = (RECEIVED,)) -> bytes:
    """``top``: our milters' headers (above our Received); ``below``: what the sender wrote."""
    lines = [*top, *received, *below, f"From: {sender}", "To: vanthu@laichau.gov.vn",
             "Subject: Báo cáo", "Message-ID: <a@laichau.gov.vn>", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=utf-8", "", "Thực hiện Văn bản số 760/UBND-TH ngày "
             "10/5/2019 của UBND tỉnh, Sở báo cáo như sau."]
    return "\r\n".join(lines).encode()


def judge(raw: bytes, trust: Trust | str = OURS):
    return match(read_message(raw, ReadLimits()), BOOK, WorkCalendar(TZ), WHEN, trust)


def test_a_genuine_message_counts():
    r = judge(message([opendmarc("pass", "laichau.gov.vn"), opendkim("laichau.gov.vn")]))
    assert r.state == MATCHED, r.reason


def test_a_forged_pass_below_our_received_is_not_read():
    """Postfix strips nothing and OpenDKIM keeps a header without dkim=: the sender's forged
    "pass" under our id is still in the message, below our MX's Received."""
    forged = [f"Authentication-Results: {OURS}; dmarc=pass header.from=laichau.gov.vn; "
              f"spf=pass smtp.mailfrom=skhdt@laichau.gov.vn"]
    r = judge(message([opendmarc("fail", "laichau.gov.vn", "reject")], below=forged))
    assert r.state == REVIEW and "DMARC fail" in r.reason
    r = judge(message([], below=forged))                  # our milters wrote nothing at all
    assert r.state == REVIEW and "không có kết quả xác thực" in r.reason


def test_dmarc_none_on_top_with_dkim_pass_below_it_counts():
    """A unit's domain without a DMARC record (common on .gov.vn): OpenDMARC writes
    dmarc=none on top, OpenDKIM's dkim=pass for the From domain is the next header."""
    r = judge(message([opendmarc("none", "laichau.gov.vn"), opendkim("laichau.gov.vn")]))
    assert r.state == MATCHED, r.reason
    assert any("DKIM pass" in e.decision for e in r.evidence)


def test_spf_for_the_from_domain_counts_too():
    r = judge(message([opendmarc("none", "laichau.gov.vn"), spf("skhdt@laichau.gov.vn")]))
    assert r.state == MATCHED, r.reason


def test_two_from_addresses_are_never_believed():
    raw = message([opendkim("laichau.gov.vn")], sender="skhdt@laichau.gov.vn, x@evil.example")
    r = judge(raw)
    assert r.state == REVIEW and "From có 2 địa chỉ" in r.reason


def test_one_unit_cannot_report_as_another_under_the_provinces_domain():
    """soyt.laichau.gov.vn's key and relaxed alignment: OpenDMARC says pass for sotc's From."""
    raw = message([opendmarc("pass", "sotc.laichau.gov.vn"), opendkim("soyt.laichau.gov.vn")],
                  sender="baocao@sotc.laichau.gov.vn")
    doc = read_message(raw, ReadLimits())
    from ingestd.sender_trust import sender_trust

    trusted, why = sender_trust(doc, OURS)
    assert not trusted and "nới lỏng" in why and "soyt.laichau.gov.vn" in why
    raw = message([opendmarc("pass", "sotc.laichau.gov.vn"), opendkim("sotc.laichau.gov.vn")],
                  sender="baocao@sotc.laichau.gov.vn")
    assert sender_trust(read_message(raw, ReadLimits()), OURS)[0] is True


def test_a_domain_units_toml_gives_the_unit_counts():
    from ingestd.rules.model import Unit
    from ingestd.sender_trust import sender_trust

    unit = Unit("so-tc", "Sở Tài chính", emails=("stc@laichau.gov.vn",), domains=("sotc.laichau.gov.vn",))
    raw = message([opendkim("sotc.laichau.gov.vn")], sender="stc@laichau.gov.vn")
    assert sender_trust(read_message(raw, ReadLimits()), OURS, unit)[0] is True
    assert sender_trust(read_message(raw, ReadLimits()), OURS, None)[0] is False


def test_two_mail_exchangers():
    raw = message([opendkim("laichau.gov.vn").replace(OURS, "mx2.laichau.gov.vn")])
    assert judge(raw).state == REVIEW
    assert judge(raw, Trust(("mail.laichau.gov.vn", "mx2.laichau.gov.vn"))).state == MATCHED


def test_a_delivery_agent_that_adds_its_own_received():
    """Dovecot LMTP writes a Received on top of Postfix's: received_hops = 2 reads past it."""
    raw = message([opendkim("laichau.gov.vn")], received=(LMTP, RECEIVED))
    raw = raw.replace(opendkim("laichau.gov.vn").encode() + b"\r\n", b"", 1)
    raw = raw.replace(LMTP.encode(), LMTP.encode() + b"\r\n" + opendkim("laichau.gov.vn").encode())
    assert judge(raw).state == REVIEW
    assert judge(raw, Trust((OURS,), received_hops=2)).state == MATCHED


@pytest.mark.parametrize("value,ids", [('"mail.laichau.gov.vn"', ("mail.laichau.gov.vn",)),
                                       ('["mail.laichau.gov.vn", "MX2.laichau.gov.vn"]',
                                        ("mail.laichau.gov.vn", "mx2.laichau.gov.vn"))])
def test_trust_config(project, value, ids):
    from ingestd.config import load_settings

    text = project.config.read_text().replace('authserv_id = "mail.laichau.gov.vn"', f"authserv_id = {value}")
    project.config.write_text(text + "")
    s = load_settings(project.config)
    assert s.trust.authserv_ids == ids and s.trust.received_hops == 1


def test_a_document_stored_before_positions_were_kept_believes_only_the_topmost():
    """`reprocess` without --reread re-matches stored documents that have no positions: the
    old rule (the topmost header of ours) still holds, so a forged pass below is not read."""
    from ingestd.read.document import Document
    from ingestd.sender_trust import sender_trust

    old = Document(kind="email", sender="skhdt@laichau.gov.vn",
                   auth_results=[f"{OURS}; dkim=none; dmarc=none header.from=laichau.gov.vn",
                                 f"{OURS}; dkim=pass header.d=laichau.gov.vn"])
    assert old.auth_hops == [] and sender_trust(old, OURS)[0] is False
