"""Very large messages without building a parsed tree: part boundaries are found in the raw
bytes and each attachment is decoded straight from its slice of them.

Python's e-mail parser holds about 9× a message's size while it parses it (the raw text as
str, a str per line, the joined payloads), so a 31 MB message cost ~530 MB. Here a message
costs its own bytes plus the decoded attachment being read: part bodies are memoryview slices
of the raw bytes; only part headers (small) are copied and parsed, with the standard library.
Used above ``STREAM_ABOVE_BYTES``; smaller messages go through mail-parser (see ``mime``).
"""

from __future__ import annotations

import binascii
import email.parser
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

STREAM_ABOVE_BYTES = 8 * 1024 * 1024
_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)


@dataclass
class Leaf:
    """One non-multipart part: its headers and where its body lies in the raw bytes, still
    transfer-encoded."""

    headers: Message
    raw: bytes
    start: int
    end: int
    where: str                      # "body", or "forwarded" inside a message/rfc822

    def payload(self) -> bytes:
        body = memoryview(self.raw)[self.start:self.end]
        cte = str(self.headers.get("Content-Transfer-Encoding", "")).strip().lower()
        if cte == "base64":
            return binascii.a2b_base64(body)              # ignores line breaks and junk
        if cte == "quoted-printable":
            return binascii.a2b_qp(body.tobytes())
        return body.tobytes()


_HEADER_LINE = re.compile(rb"^(From |[\x21-\x39\x3b-\x7e]*:|[\t ])")


def _split_head(raw: bytes, start: int, end: int, default: str) -> tuple[Message, int]:
    """The part's headers (parsed) and where its body begins. As the standard parser does, the
    headers end at an empty line, or at the first line that is not a header (no separator)."""
    limit = min(end, start + 256 * 1024)
    pos = start
    while pos < limit:
        nl = raw.find(b"\n", pos, limit)
        line_end = limit if nl < 0 else nl + 1
        line = raw[pos:line_end]
        if line in (b"\n", b"\r\n"):
            head, body = raw[start:pos], line_end
            break
        if not _HEADER_LINE.match(line):
            head, body = raw[start:pos], pos
            break
        pos = line_end
    else:
        head, body = raw[start:limit], limit
    headers = _HEADERS.parsebytes(head + b"\n")
    if "content-type" not in headers:
        headers.set_default_type(default)
    return headers, body


def _parts(raw: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """The parts between ``--boundary`` lines (RFC 2046), preamble and epilogue dropped."""
    delimiter = b"--" + boundary
    lines: list[int] = []
    pos = raw.find(delimiter, start, end)
    while pos >= 0:
        if pos == start or raw[pos - 1:pos] == b"\n":
            lines.append(pos)
        pos = raw.find(delimiter, pos + len(delimiter), end)
    out = []
    for a, b in zip(lines, lines[1:]):
        body = raw.find(b"\n", a, b)
        if body < 0:
            continue
        stop = b - 2 if raw[b - 2:b] == b"\r\n" else b - 1
        out.append((body + 1, max(body + 1, stop)))
    return out


def leaves(raw: bytes, max_parts: int, max_depth: int) -> Iterator[Leaf]:
    """Every non-multipart part, depth first, in document order."""
    count = 0
    stack: list[tuple[int, int, int, str, str]] = [(0, len(raw), 0, "body", "text/plain")]
    while stack:
        start, end, depth, where, default = stack.pop()
        count += 1
        if count > max_parts or depth > max_depth:
            return
        headers, body = _split_head(raw, start, end, default)
        ctype = headers.get_content_type()
        if ctype.startswith("multipart/"):
            boundary = headers.get_boundary()
            if boundary:
                inner = _parts(raw, body, end, boundary.encode("ascii", "replace"))
                child = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
                stack.extend((a, b, depth + 1, where, child) for a, b in reversed(inner))
                continue
        if ctype == "message/delivery-status":      # status fields, not text to read
            continue
        if ctype.startswith("message/"):        # a message inside (as the standard parser does)
            stack.append((body, end, depth + 1, "forwarded" if ctype == "message/rfc822"
                          else where, "text/plain"))
            continue
        yield Leaf(headers, raw, body, end, where)
