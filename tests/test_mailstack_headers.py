"""Sender trust on mail a real Postfix + OpenDKIM + OpenDMARC delivered (Debian 12's packages,
on loopback, DNS for the units' keys and records in a local server): each message in
``tests/data/mailstack`` is the delivered file, unchanged, as ``scripts/capture_mailstack.py``
captured it, once with the packages' settings ("packaged") and once with the README's
("hardened"). Whatever the mail server strips or does not strip, the verdict is the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestd.config import ReadLimits
from ingestd.read import read_message
from ingestd.read.document import Document
from ingestd.rules.model import Unit
from ingestd.sender_trust import Trust, sender_trust

DATA = Path(__file__).resolve().parent / "data" / "mailstack"
TRUST = Trust(("mail.laichau.gov.vn",))
SYT = Unit("so-yte", "Sở Y tế", domains=("soyt.laichau.gov.vn",))
STC = Unit("so-tc", "Sở Tài chính", domains=("sotc.laichau.gov.vn",))
XA = Unit("xa-muong-te", "UBND xã Mường Tè", domains=("xa-mt.dienbien.gov.vn",))
CONFIGS = ("packaged", "hardened")


def delivered(name: str, config: str) -> Document:
    return read_message((DATA / f"{name}.{config}.eml").read_bytes(), ReadLimits())


@pytest.mark.parametrize("config", CONFIGS)
def test_a_units_signed_mail_is_believed(config):
    ok, why = sender_trust(delivered("dkim-dmarc-pass", config), TRUST, SYT)
    assert ok and "soyt.laichau.gov.vn" in why
    assert "DKIM pass" in why if config == "packaged" else "pass" in why  # hardened: SPF too


@pytest.mark.parametrize("config", CONFIGS)
def test_no_dmarc_record_counts_on_the_domains_own_dkim(config):
    """OpenDMARC writes ``dmarc=none`` on top; OpenDKIM's ``dkim=pass`` is under it."""
    doc = delivered("no-dmarc-record", config)
    assert "dmarc=none" in doc.auth_results[0]
    ok, why = sender_trust(doc, TRUST, XA)
    assert ok and "xa-mt.dienbien.gov.vn" in why


def test_a_forged_spf_pass_is_still_in_the_packaged_stacks_mail_and_not_believed():
    """As packaged, the forger's ``spf=pass`` under our id stays (below our Received), and
    OpenDMARC even turned it into a genuine ``dmarc=pass`` above it."""
    doc = delivered("forged-results", "packaged")
    forged = [a for a, hops in zip(doc.auth_results, doc.auth_hops) if hops >= 1]
    assert forged and "spf=pass" in forged[0]
    assert any("dmarc=pass" in a for a, hops in zip(doc.auth_results, doc.auth_hops) if hops == 0)
    ok, why = sender_trust(doc, TRUST, SYT)
    assert not ok and "DMARC pass nhờ căn chỉnh nới lỏng" in why


def test_the_hardened_stack_removes_the_forgery_and_fails_dmarc():
    doc = delivered("forged-results", "hardened")
    assert all(hops == 0 for hops in doc.auth_hops)          # nothing of the sender's is left
    ok, why = sender_trust(doc, TRUST, SYT)
    assert not ok and "DMARC fail" in why


@pytest.mark.parametrize("config", CONFIGS)
def test_another_units_key_does_not_speak_for_this_unit(config):
    """``soyt``'s key on ``sotc``'s From: DMARC passes (relaxed alignment); the unit does not."""
    doc = delivered("another-units-key", config)
    assert any("dmarc=pass" in a for a in doc.auth_results)
    ok, why = sender_trust(doc, TRUST, STC)
    assert not ok and "soyt.laichau.gov.vn" in why


@pytest.mark.parametrize("config", CONFIGS)
def test_two_from_addresses_get_no_dmarc_and_no_belief(config):
    doc = delivered("two-from", config)
    assert not any("dmarc=" in a for a in doc.auth_results)   # OpenDMARC wrote nothing
    ok, why = sender_trust(doc, TRUST, SYT)
    assert not ok and "2 địa chỉ" in why
