"""Whether a mail's From address can be believed, from what our own mail server wrote. Pure.

Only ``Authentication-Results`` headers (RFC 8601) that our server wrote are read: their
authserv-id is one of ours (``[trust] authserv_id``, one or a list, for two mail exchangers),
and they sit in **our own block** of headers — above the Received header our MX added when it
took the message from the Internet (``[trust] received_hops``: how many Received headers our own
servers put on top, 1 for Postfix delivering to a Maildir, 2 when Dovecot LMTP adds its own).
A sender can write any header it likes, but only below that line: a forged header that claims
our authserv-id is never in our block, whatever the milters strip or do not strip. Every one of
our headers in the block is read (OpenDKIM and OpenDMARC each write their own), and:

* a DMARC fail is a fail;
* a unit is identified **strictly**: a DKIM signature (``header.d``) or an SPF pass
  (``smtp.mailfrom``) for the From address's own domain, or a domain units.toml gives that unit
  — relaxed DMARC alignment would let one department's key pass for another's address when
  both sit under the province's domain;
* a From header with two addresses (RFC 7489 §6.6.1) is never believed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingestd.read.document import Document
    from ingestd.rules.model import Unit

Results = list[tuple[str, str, dict[str, str]]]


@dataclass(frozen=True)
class Trust:
    """``[trust]`` in config.toml."""

    authserv_ids: tuple[str, ...] = ()
    received_hops: int = 1

    @classmethod
    def of(cls, value: Trust | str | tuple[str, ...] | None) -> Trust:
        if isinstance(value, Trust):
            return value
        if value is None:
            return cls()
        return cls((value,) if isinstance(value, str) else tuple(value))


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower().strip(".")


@lru_cache(maxsize=1)
def _psl() -> Any:
    from publicsuffixlist import PublicSuffixList  # imported when first needed: start-up stays fast

    return PublicSuffixList()        # the list shipped with the package: no network


def org_domain(domain: str) -> str | None:
    """The organisational domain (RFC 7489 §3.2): tinh.gov.vn for so.tinh.gov.vn;
    None for a public suffix itself (gov.vn), which no one owns."""
    return _psl().privatesuffix(domain.lower().strip(".")) or None


def aligned(a: str | None, b: str) -> bool:
    """Relaxed DMARC alignment: the same organisational domain (never a public suffix)."""
    if not a:
        return False
    oa, ob = org_domain(a), org_domain(b)
    return oa is not None and oa == ob


@lru_cache(maxsize=4096)
def parse_auth_results(value: str) -> tuple[str, Results]:
    """RFC 8601 header (through ``authres``) -> (authserv-id, [(method, result, {ptype.prop:
    value})]). A header that does not parse gives no results. Cached: a unit's mail server
    writes the same header for most of its mail, and parsing it costs ~0.5 ms. Callers must
    not change what they get."""
    import authres

    try:
        header = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    except Exception:  # noqa: BLE001 - authres raises several kinds on garbage: no results
        return "", []
    results = [(str(r.method).lower(), str(r.result).lower(),
                {f"{p.type}.{p.name}".lower(): str(p.value).strip('"').lower()
                 for p in r.properties})
               for r in header.results]
    return str(header.authserv_id or "").lower(), results


def ours(doc: Document, trust: Trust) -> list[Results]:
    """The results of every Authentication-Results header in our own block with our id."""
    ids = {a.lower() for a in trust.authserv_ids}
    legacy = len(doc.auth_hops) != len(doc.auth_results)
    hops = [0] * len(doc.auth_results) if legacy else doc.auth_hops
    out = []
    for value, above in zip(doc.auth_results, hops):
        if above >= trust.received_hops:
            continue                      # below our MX's Received: the sender wrote it
        serv, results = parse_auth_results(value)
        if serv in ids:
            out.append(results)
            if legacy:
                # read before positions were kept (a stored document re-matched without
                # --reread): only the topmost header of ours is believed, as it was then
                break
    return out


def unit_domains(unit: Unit | None) -> set[str]:
    if unit is None:
        return set()
    return {d.lower() for d in unit.domains} | {domain_of(e) for e in unit.emails}


def sender_trust(doc: Document, trust: Trust | str | None, unit: Unit | None = None
                 ) -> tuple[bool, str]:
    """Whether the From address can be believed for ``unit``, and why (in words for the
    review queue)."""
    trust = Trust.of(trust)
    if doc.from_count > 1:
        return False, (f"trường From có {doc.from_count} địa chỉ: không xác định được ai gửi "
                       "(RFC 7489 §6.6.1)")
    if not trust.authserv_ids:
        return True, "chấp nhận địa chỉ người gửi như ghi (chưa cấu hình [trust] authserv_id)"
    if not doc.sender:
        return False, "thư không có địa chỉ người gửi"
    domain = domain_of(doc.sender)
    names = ", ".join(trust.authserv_ids)
    headers = ours(doc, trust)
    if not headers:
        return False, (f"không có kết quả xác thực (Authentication-Results) của {names} "
                       f"cho {domain}: không xác minh được người gửi")
    results = [r for header in headers for r in header]
    allowed = {domain} | unit_domains(unit)
    for method, result, _props in results:
        if method == "dmarc" and result in ("fail", "reject", "quarantine"):
            return False, f"DMARC {result} cho {domain}: có thể là thư giả mạo"
    for method, result, props in results:
        if result != "pass":
            continue
        if method == "dkim":
            signer = props.get("header.d") or props.get("header.i", "").rsplit("@", 1)[-1]
            if signer in allowed:
                return True, f"DKIM pass, chữ ký của {signer} ({names})"
        if method == "spf":
            mailfrom = props.get("smtp.mailfrom", "")
            if mailfrom and domain_of(mailfrom) in allowed:
                return True, f"SPF pass cho {domain_of(mailfrom)} ({names})"
    for method, result, props in results:
        if method == "dmarc" and result == "pass":
            hfrom = props.get("header.from")
            if not aligned(hfrom, domain):
                return False, (f"DMARC pass nhưng cho tên miền {hfrom or '(không ghi header.from)'}, "
                               f"không phải {domain} của người gửi: có thể là thư giả mạo")
            signers = sorted({p.get("header.d", "") for m, r, p in results if m == "dkim" and r == "pass"}
                             - {""})
            return False, (f"DMARC pass nhờ căn chỉnh nới lỏng (relaxed) với "
                           f"{', '.join(signers) or 'một tên miền cùng tổ chức'}, không phải chữ ký "
                           f"của chính {domain}: một đơn vị khác cùng tên miền tỉnh có thể gửi thay")
    summary = ", ".join(f"{m}={r}" for m, r, _ in results) or "không có kết quả"
    return False, f"không có DKIM hoặc SPF đạt cho {domain} ({summary})"
