"""edXML (QCVN 102:2016/BTTTT) messages from the e-document gateway.

Parsed with defusedxml (no DTDs, no entities, no network). Element order varies between
vendors, so every field is looked up by local name anywhere under its parent.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLParseError
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ingestd.errors import ParseError
from ingestd.read.attachments import extract
from ingestd.read.budget import Budget
from ingestd.read.document import Document, PartProblem, ResponseFor, TextPart
from ingestd.read.limits import ReadLimits
from ingestd.read.refs import parse_number
from ingestd.read.vntext import clean


def looks_like_edxml(raw: bytes) -> bool:
    head = raw[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"edXML" in raw[:4096]


def _local(el: Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _children(el: Element, name: str) -> Iterator[Element]:
    for child in el.iter():
        if child is not el and _local(child) == name:
            yield child


def join_code(number: str, notation: str) -> str:
    """CodeNumber + CodeNotation as one number: ``760`` + ``UBND-TH`` is 760/UBND-TH,
    ``09`` + ``2019/NĐ-CP`` is 09/2019/NĐ-CP, and a Party document's ``512`` + ``TB/TU`` (a
    notation with its own slash, not after a year) is 512-TB/TU."""
    number, notation = number.strip(), notation.strip()
    party = "/" in notation and not re.match(r"(?:19|20)\d{2}\s*/", notation)
    return f"{number}{'-' if party else '/'}{notation}"


def _first(el: Element | None, name: str) -> Element | None:
    if el is None:
        return None
    return next(_children(el, name), None)


def _text(el: Element | None, name: str) -> str | None:
    found = _first(el, name)
    if found is None or found.text is None:
        return None
    return clean(found.text).strip() or None


def parse_date(text: str | None) -> date | None:
    """``yyyy/MM/dd`` or ``dd/MM/yyyy`` (also with - or .); None when impossible."""
    dt = parse_datetime(text)
    return dt.date() if dt else None


def parse_datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    text = text.strip().replace("-", "/").replace(".", "/").replace("T", " ")
    for fmt in ("%Y/%m/%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y/%m/%d %H:%M", "%d/%m/%Y %H:%M",
                "%Y/%m/%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text[:19], fmt)
        except ValueError:
            continue
    return None


def parse_tree(raw: bytes) -> Element:
    try:
        root = SafeET.fromstring(raw)
    except DefusedXmlException as exc:
        raise ParseError(f"gói edXML bị từ chối: {type(exc).__name__} (không cho "
                         "phép DTD và entity)") from None
    except XMLParseError as exc:
        raise ParseError(f"gói edXML không phải XML hợp lệ: {exc}") from None
    if _local(root) != "edXML" and _first(root, "MessageHeader") is None:
        raise ParseError("không phải gói edXML: không có gốc edXML hoặc MessageHeader")
    return root


def trace_time(root: Element, tz: ZoneInfo, trusted: frozenset[str] | None = None
               ) -> datetime | None:
    """When the official system received the package, from the hops that system wrote.

    A sending unit writes its own TraceHeader timestamps, so they prove nothing: only hops by
    an organ in ``trusted`` (the gateway's or the Office's own identifiers) count, the latest
    of them. Without a list, only the package's ``To/OrganId`` hop counts, and only when it
    is the last one (the receiving end stamps last). None: fall back to the file's time."""
    hops = [(_text(h, "OrganId"), parse_datetime(_text(h, "Timestamp")))
            for h in _children(root, "TraceHeader")]
    hops = [(organ, when) for organ, when in hops if when is not None]
    if not hops:
        return None
    if trusted:
        times = [when for organ, when in hops if organ in trusted]
        return max(times).replace(tzinfo=tz) if times else None
    to = _text(_first(_first(root, "MessageHeader"), "To"), "OrganId")
    organ, when = hops[-1]
    return when.replace(tzinfo=tz) if to and organ == to else None


def too_large(raw: bytes, limits: ReadLimits) -> Document | None:
    """An edXML package over ``max_message_bytes`` is not parsed (a 126 MB drop would be)."""
    if len(raw) <= limits.max_message_bytes:
        return None
    return Document(kind="edxml", problems=[PartProblem(
        "edxml", f"gói edXML {len(raw)} byte vượt giới hạn {limits.max_message_bytes} byte "
        "(max_message_bytes): không đọc")])


def read_edxml(raw: bytes, limits: ReadLimits, extract_fn: Any = extract) -> Document:
    big = too_large(raw, limits)
    if big is not None:
        return big
    root = parse_tree(raw)
    header = _first(root, "MessageHeader")
    doc = Document(kind="edxml")
    sender = _first(header, "From")
    doc.organ_id = _text(sender, "OrganId")
    doc.sender_name = _text(sender, "OrganName")
    email = _text(sender, "Email")
    doc.sender = email.lower() if email else None
    code = _first(header, "Code")
    number, notation = _text(code, "CodeNumber"), _text(code, "CodeNotation")
    if number and notation:
        joined = join_code(number, notation)
        parsed = parse_number(joined)
        doc.own_code = str(parsed) if parsed else joined
    doc.subject = (_text(header, "Subject") or "").replace("\n", " ")
    doc.edxml_status = _text(header, "StatusCode")
    doc.edxml_status_text = _text(header, "Description")
    doc.edxml_due = _text(header, "DueDate")
    doc.edxml_steering = _text(header, "SteeringType")
    business = _first(root, "Bussiness") or _first(root, "Business")
    kind = _text(business, "BussinessDocType") or _text(business, "BusinessDocType")
    if kind and kind.strip().isdigit():
        doc.edxml_business = int(kind)
        doc.edxml_refers = _text(business, "DocumentId")
    doc.message_id = _text(header, "DocumentId")
    promulgation = _text(_first(header, "PromulgationInfo"), "PromulgationDate")
    doc.date_header = promulgation
    for rf in _children(header, "ResponseFor") if header is not None else []:
        rcode = _text(rf, "Code")
        if not rcode:
            continue
        rdate_text = _text(rf, "PromulgationDate")
        rdate = parse_date(rdate_text)
        if rdate_text and rdate is None:
            doc.problems.append(PartProblem("edxml:ResponseFor", f"ngày không hợp lệ "
                                            f"{rdate_text!r}", blocking=False))
        if parse_number(rcode) is None:
            doc.problems.append(PartProblem("edxml:ResponseFor", f"code {rcode!r} is not a "
                                            "document number", blocking=False))
            continue
        doc.response_for.append(ResponseFor(rcode, rdate, _text(rf, "OrganId"),
                                            _text(rf, "DocumentId")))
    if b"SignatureValue" in raw:
        from ingestd.read.signatures import edxml_signatures

        doc.signatures.extend(edxml_signatures(raw, limits.trust_roots, "edxml:Signature"))
    if doc.subject:
        doc.parts.append(TextPart("subject", doc.subject))
    content = _text(header, "Content")
    if content:
        doc.parts.append(TextPart("edxml:Content", content))
    budget = Budget(limits)
    for att in _children(root, "Attachment"):
        name = _text(att, "AttachmentName") or _text(att, "ContentId") or "attachment"
        doc.attachments.append(name)
        doc.parts.append(TextPart(f"attachment-name:{name}", name))
        payload = _text(att, "ContentTransferEncoded") or ""
        try:
            data = base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError):
            doc.problems.append(PartProblem(f"attachment:{name}", "mã base64 hỏng"))
            continue
        budget.read(name, data, extract_fn, doc)
    return doc.analyse()
