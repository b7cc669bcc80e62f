"""Digital signatures (ký số) on reports: PDF signatures (PAdES/CMS) with pyHanko, against the
trust roots pinned in ``[signatures] roots`` -- the operating system's store is never used.

A signature is ``valid`` when the document is intact (not changed after signing, nothing
appended), the certificate chains to a pinned root and was valid when the signature says it was
made (never later than now); ``invalid`` when the content or the certificate's time does not
hold; ``untrusted`` when it is intact but the certificate does not chain to a pinned root. The
signer's CN and O are kept as written, for matching the organisation to a unit."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

VALID, INVALID, UNTRUSTED = "valid", "invalid", "untrusted"


@dataclass(frozen=True)
class Signature:
    status: str
    signer: str | None              # CN as written
    organization: str | None        # O as written
    signed_at: str | None           # ISO, as the signer reported it
    location: str
    detail: str                     # in Vietnamese, for the evidence
    organizational_unit: str | None = None   # OU as written


def _name(cert: object, key: str) -> str | None:
    try:
        value = cert.subject.native.get(key)  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return None
    return str(value) if value else None


def pdf_signatures(data: bytes, roots: tuple[bytes, ...], location: str) -> list[Signature]:
    """Every signature embedded in a PDF, checked. Never raises for a bad file: a signature that
    cannot be checked is ``invalid`` with the reason."""
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    for name in ("pyhanko", "pyhanko_certvalidator"):      # a failed path is a result here
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        embedded = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 - an unreadable PDF has no signature we can speak of
        return []
    trust = [x509.Certificate.load(der) for der in roots]
    out = []
    for sig in embedded:
        claimed = sig.self_reported_timestamp
        now = datetime.now(UTC)
        moment = claimed if claimed is not None and claimed <= now else now
        try:
            st = validate_pdf_signature(sig, ValidationContext(
                trust_roots=trust, allow_fetching=False, moment=moment))
        except (SignatureValidationError, ValueError, KeyError, TypeError, AttributeError,
                NotImplementedError) as exc:       # a malformed signature is a result, not a crash
            out.append(Signature(INVALID, None, None, None, location,
                                 f"không kiểm tra được chữ ký: {type(exc).__name__}"))
            continue
        cert = st.signing_cert
        signer, org = _name(cert, "common_name"), _name(cert, "organization_name")
        ou = _name(cert, "organizational_unit_name")
        signed_at = (st.signer_reported_dt or claimed)
        when = signed_at.isoformat(timespec="seconds") if signed_at else None
        problem = str(st.trust_problem_indic or "")
        if not (st.intact and st.valid):
            status, detail = INVALID, "chữ ký không khớp nội dung: văn bản đã bị sửa sau khi ký"
        elif st.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            status, detail = INVALID, "văn bản có phần được thêm vào sau khi ký"
        elif st.trusted and st.bottom_line:
            status, detail = VALID, "chữ ký số hợp lệ, chứng thư thuộc gốc tin cậy đã khai báo"
        elif "EXPIRED" in problem or "NOT_YET_VALID" in problem or "OUT_OF_BOUNDS" in problem:
            status, detail = INVALID, "chứng thư số không còn hiệu lực tại thời điểm ký"
        else:
            status, detail = UNTRUSTED, ("chứng thư số không thuộc gốc tin cậy đã khai báo "
                                         "([signatures] roots)")
        out.append(Signature(status, signer, org, when, location, detail, ou))
    return out


def _embedded_cert(raw: bytes) -> object | None:
    """The certificate in an XML signature's KeyInfo."""
    import base64
    import re

    from cryptography import x509

    m = re.search(rb"<(?:\w+:)?X509Certificate>\s*([A-Za-z0-9+/=\s]+?)\s*</", raw)
    if not m:
        return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode(b"".join(m.group(1).split())))
    except ValueError:
        return None


def _subject(cert: object | None) -> tuple[str | None, str | None, str | None]:
    """(CN, O, OU) of a certificate."""
    from cryptography.x509.oid import NameOID

    def one(oid: object) -> str | None:
        values = cert.subject.get_attributes_for_oid(oid)  # type: ignore[attr-defined]
        return str(values[0].value) if values else None

    if not cert:
        return None, None, None
    return (one(NameOID.COMMON_NAME), one(NameOID.ORGANIZATION_NAME),
            one(NameOID.ORGANIZATIONAL_UNIT_NAME))


def edxml_signatures(raw: bytes, roots: tuple[bytes, ...], location: str) -> list[Signature]:
    """The XML signature (XMLDSig) of an edXML package, with signxml. SHA-1 is accepted because
    the national axis still signs with rsa-sha1; the evidence says so when it is used."""
    import tempfile

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
    from signxml.exceptions import InvalidCertificate, InvalidInput, InvalidSignature

    if b"SignatureValue" not in raw:
        return []
    cert = _embedded_cert(raw)
    signer, org, ou = _subject(cert)
    sha1 = b"rsa-sha1" in raw or b"xmldsig#sha1" in raw
    note = " (dùng SHA-1: trục liên thông còn ký bằng SHA-1, thuật toán này yếu)" if sha1 else ""
    config = SignatureConfiguration(signature_methods=frozenset(SignatureMethod),
                                    digest_algorithms=frozenset(DigestAlgorithm))

    def result(status: str, detail: str) -> list[Signature]:
        return [Signature(status, signer, org, None, location, detail + note, ou)]

    broken = (InvalidSignature, InvalidInput, ValueError)
    if roots:
        try:
            with tempfile.NamedTemporaryFile(suffix=".pem") as pem:
                pem.write(b"".join(x509.load_der_x509_certificate(d).public_bytes(Encoding.PEM)
                                   for d in roots))
                pem.flush()
                XMLVerifier().verify(raw, ca_pem_file=pem.name, expect_config=config)
            return result(VALID, "chữ ký XML hợp lệ, chứng thư thuộc gốc tin cậy đã khai báo")
        except InvalidCertificate:
            pass                               # intact? checked below without the chain
        except broken as exc:
            return result(INVALID, f"chữ ký XML không hợp lệ: gói tin đã bị sửa sau khi ký "
                                   f"({type(exc).__name__})")
    if cert is None:
        return result(INVALID, "chữ ký XML không kèm chứng thư số")
    try:
        XMLVerifier().verify(raw, x509_cert=cert.public_bytes(Encoding.PEM).decode(),  # type: ignore[attr-defined]
                             expect_config=config)
    except (*broken, InvalidCertificate) as exc:
        return result(INVALID, f"chữ ký XML không hợp lệ ({type(exc).__name__})")
    return result(UNTRUSTED, "chữ ký XML đúng nội dung nhưng chứng thư không thuộc gốc tin cậy "
                             "đã khai báo ([signatures] roots)")
