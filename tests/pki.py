"""A throwaway PKI for the signature tests: a root CA, unit certificates (valid, expired, from
another CA), and PDFs signed with them by pyHanko."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from asn1crypto import keys as akeys
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)


@dataclass
class Identity:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(cn: str, org: str, ou: str | None = None) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      *([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou)] if ou else [])])


def _usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=not ca, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                         crl_sign=ca, encipher_only=False, decipher_only=False)


def root(cn: str = "Root CA Thử nghiệm") -> Identity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name(cn, "Ban Cơ yếu Chính phủ (thử)")
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=3650))
            .not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(True), critical=True).sign(key, hashes.SHA256()))
    return Identity(key, cert)


def issue(ca: Identity, cn: str, org: str, expired: bool = False, ou: str | None = None) -> Identity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = NOW - dt.timedelta(days=400 if expired else 30)
    end = NOW - dt.timedelta(days=30) if expired else NOW + dt.timedelta(days=365)
    cert = (x509.CertificateBuilder().subject_name(_name(cn, org, ou)).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(_usage(False), critical=True).sign(ca.key, hashes.SHA256()))
    return Identity(key, cert)


def sign_pdf(pdf: bytes, who: Identity, ca: Identity) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=ax509.Certificate.load(who.cert.public_bytes(der)),
        signing_key=akeys.PrivateKeyInfo.load(who.key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(
            [ax509.Certificate.load(ca.cert.public_bytes(der))]))
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                           signers.PdfSignatureMetadata(field_name="ChuKySo"), signer=signer)
    return out.getvalue()


def sign_xml(xml: bytes, who: Identity, sha1: bool = False) -> bytes:
    """An enveloped XML signature (XMLDSig) over the whole package, as gateway clients make."""
    from lxml import etree
    from signxml import DigestAlgorithm, SignatureMethod, XMLSigner

    class AxisSigner(XMLSigner):          # the axis still signs with SHA-1: allow it here
        def check_deprecated_methods(self) -> None:
            if not sha1:
                super().check_deprecated_methods()

    signer = AxisSigner(signature_algorithm=SignatureMethod.RSA_SHA1 if sha1 else SignatureMethod.RSA_SHA256,
                        digest_algorithm=DigestAlgorithm.SHA1 if sha1 else DigestAlgorithm.SHA256)
    key = who.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signed = signer.sign(etree.fromstring(xml), key=key, cert=who.pem.decode())
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
