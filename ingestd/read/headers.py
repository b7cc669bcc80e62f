"""Message headers, read from the raw bytes with the standard library's header registry.

Addresses are parsed *before* anything is decoded (RFC 2047 encoded words may only stand for
display names, never for an address), so ``From: =?utf-8?b?<official address>?=
<attacker@evil.example>`` is the attacker's address with a display name that looks official,
and a display name with a comma inside an encoded word stays one name. Raw 8-bit headers
(RFC 6532 UTF-8, and the windows-1258 some Vietnamese mail clients still write) are decoded
from their bytes before the encoded words are. Parsing the header block alone never recurses,
so a message whose MIME tree is too deep to parse keeps its headers.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from ingestd.read.attachments import decode_text
from ingestd.read.vntext import clean

HEADER_BYTES = 1024 * 1024           # a header block larger than this is cut (hostile)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class Headers:
    subject: str
    sender: str | None             # address, lower case
    sender_name: str | None
    message_id: str | None
    date: str | None
    auth_results: tuple[str, ...]
    auth_hops: tuple[int, ...]     # how many Received headers stand above each of them
    from_count: int                # addresses in From


def header_bytes(raw: bytes, limit: int = HEADER_BYTES) -> bytes:
    """The header block: the bytes up to the first empty line, at most ``limit``. A
    headers-only parser still reads the body line by line (into a payload nobody asks for);
    given only this, it never sees the body."""
    head = raw[:limit]
    end = _END_OF_HEADERS.search(head)
    return head if end is None else head[: end.end()]


def header_block(raw: bytes, limit: int = HEADER_BYTES) -> Message:
    """The header block only, parsed without touching the body."""
    return email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
        header_bytes(raw, limit))


def _raw_text(value: object) -> str:
    """A header value as the sender wrote it: 8-bit bytes decoded as UTF-8, else as the
    legacy Vietnamese code pages; folding removed."""
    text = str(value)
    data = text.encode("utf-8", "surrogateescape")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = decode_text(data)
    return _FOLD.sub("", text)


def _one_line(text: str) -> str:
    return " ".join(clean(text).split())


def decoded(name: str, value: object) -> str:
    """A header decoded as a reader sees it (encoded words, with the whitespace rules of
    RFC 2047 that keep ``số`` and ``760/UBND-TH`` apart)."""
    text = _raw_text(value)
    try:
        return _one_line(str(email.policy.default.header_factory(name, text)))
    except Exception:  # noqa: BLE001 - a header the registry cannot model: keep it as written
        return _one_line(text)


def first_address(value: object) -> tuple[str | None, str | None]:
    """(display name, address) of the first mailbox in an address header."""
    text = _raw_text(value)
    try:
        header = email.policy.default.header_factory("from", text)
        for addr in header.addresses:           # type: ignore[attr-defined]
            if addr.addr_spec and "@" in addr.addr_spec:
                return _one_line(addr.display_name) or None, addr.addr_spec.strip().lower()
    except Exception:  # noqa: BLE001 - fall back to the plain parser on the undecoded text
        pass
    pairs = getaddresses([text])
    if pairs and "@" in pairs[0][1]:
        return None, pairs[0][1].strip().lower()
    return None, None


def _raw_values(msg: Message, name: str) -> list[str]:
    """The values as stored (8-bit bytes kept as surrogates): ``msg[name]`` would hand back
    a Header with the bytes replaced by U+FFFD."""
    name = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == name]


def _auth_with_hops(msg: Message) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Authentication-Results in order, each with the number of Received headers above it:
    our own servers' headers sit above the Received our MX added; a sender's are below it."""
    values, hops, received = [], [], 0
    for k, v in msg.raw_items():
        name = k.lower()
        if name == "received":
            received += 1
        elif name == "authentication-results":
            values.append(_one_line(_raw_text(v)))
            hops.append(received)
    return tuple(values), tuple(hops)


def address_count(value: object) -> int:
    """How many mailboxes an address header names."""
    text = _raw_text(value)
    try:
        header = email.policy.default.header_factory("from", text)
        return sum(1 for a in header.addresses if a.addr_spec)    # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the plain parser on what the registry cannot model
        return sum(1 for _, a in getaddresses([text]) if "@" in a)


def read_headers(msg: Message) -> Headers:
    def first(name: str) -> str | None:
        values = _raw_values(msg, name)
        return values[0] if values else None

    sender_name, sender = first_address(first("From")) if first("From") is not None else (None, None)
    subject, mid, date = first("Subject"), first("Message-ID"), first("Date")
    auth, hops = _auth_with_hops(msg)
    return Headers(
        subject=decoded("subject", subject) if subject is not None else "",
        sender=sender, sender_name=sender_name,
        message_id=(_one_line(_raw_text(mid)).strip("<> ") or None) if mid is not None else None,
        date=(_one_line(_raw_text(date)) or None) if date is not None else None,
        auth_results=auth, auth_hops=hops,
        from_count=sum(address_count(v) for v in _raw_values(msg, "From")))
