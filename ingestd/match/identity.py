"""Who sent a message: the unit by gateway id, address or domain, whether the sender is
trusted for it (``sender_trust``), the unit a document names when the sender is unknown, and
the digital signature that speaks for it."""

from __future__ import annotations

from datetime import date

from ingestd.evidence import Evidence, SignatureVerdict
from ingestd.match.words import words_of
from ingestd.read.document import Document
from ingestd.read.signatures import VALID
from ingestd.rules.model import Rulebook, Unit
from ingestd.sender_trust import Trust, domain_of, sender_trust
from ingestd.vocabulary import SIGNATURE_VI


def suggest_unit(doc: Document, book: Rulebook) -> Unit | None:
    text = words_of(" ".join(p.text[:5000] for p in doc.parts))
    best, best_len = None, 0
    for unit in book.units.values():
        for name in (unit.name, *unit.aliases, *unit.former_names):
            w = words_of(name)
            if len(w) > 4 and w in text and len(w) > best_len:
                best, best_len = unit, len(w)
    return best


def find_unit(doc: Document, book: Rulebook, trust: Trust,
              ev: list[Evidence], via_gateway: bool = False, on: date | None = None
              ) -> tuple[Unit | None, bool, str | None]:
    """(unit, trusted, reason when not). ``on``: the receipt's day (an address may have
    moved from a unit to its successor)."""
    if doc.kind == "edxml":
        if not doc.organ_id:
            return None, False, "gói tin edXML không có From/OrganId"
        unit = book.unit_by_organ(doc.organ_id, on)
        if unit is None:
            return None, False, f"mã định danh {doc.organ_id} không thuộc đơn vị nào trong units.toml"
        ev.append(Evidence("unit", f"{unit.id} theo mã định danh trên trục liên thông",
                           "edxml:From", doc.organ_id))
        if not via_gateway:
            why = ("gói edXML được nhập từ tệp, không nhận qua trục liên thông: không xác minh "
                   "được đơn vị gửi")
            ev.append(Evidence("trust", "không tin cậy: " + why))
            return unit, False, why
        ev.append(Evidence("trust", "tin cậy: nhận qua trục liên thông văn bản"))
        return unit, True, None
    if not doc.sender:
        return None, False, "thư không có địa chỉ người gửi"
    unit = book.unit_by_email(doc.sender, on)
    how = "địa chỉ"
    if unit is None:
        domain = domain_of(doc.sender)
        parts = domain.split(".")
        for i in range(len(parts) - 1):
            unit = book.unit_by_domain(".".join(parts[i:]), on)
            if unit:
                how = f"tên miền {'.'.join(parts[i:])} của"
                break
    if unit is None:
        domain = domain_of(doc.sender)
        if domain in book.matching.personal_domains:
            label = domain.split(".")[0].capitalize()
            return None, False, f"gửi từ hộp thư cá nhân {label} ({doc.sender}), không phải hộp thư công vụ"
        return None, False, f"địa chỉ {doc.sender} không thuộc đơn vị nào"
    ev.append(Evidence("unit", f"{unit.id} theo {how} người gửi", "From", doc.sender))
    trusted, why = sender_trust(doc, trust, unit)
    ev.append(Evidence("trust", ("tin cậy: " if trusted else "không tin cậy: ") + why,
                       "Authentication-Results"))
    return unit, trusted, None if trusted else why


def judge_signature(doc: Document, book: Rulebook, ev: list[Evidence]) -> SignatureVerdict | None:
    """The signature that speaks for the receipt (a valid one first), with the unit its
    organisation maps to; every signature found is in the evidence."""
    if not doc.signatures:
        return None
    for s in doc.signatures:
        who = ", ".join(x for x in (s.signer, s.organization) if x)
        ev.append(Evidence("signature", f"{SIGNATURE_VI.get(s.status, s.status)}: {s.detail}"
                           + (f" — {who}" if who else ""), s.location))
    best = next((s for s in doc.signatures if s.status == VALID), doc.signatures[0])
    unit = book.unit_by_signer(best.organization, best.organizational_unit)
    return SignatureVerdict(best.status, best.signer, best.organization,
                            unit.id if unit else None, best.signed_at)
