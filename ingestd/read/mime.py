"""E-mail (MIME) -> Document: one parse of each message, and each library where it is right.

* Headers: the standard library's header registry on the raw header block (``headers``):
  addresses must be parsed before encoded words are decoded (a forged encoded From:), which
  mail-parser's decoded headers cannot give.
* The MIME tree, attachments (RFC 2231 names) and defects: mail-parser, whose parsed tree is
  then walked here for the bodies (so the message is parsed once).
* Messages above ``mime_stream.STREAM_ABOVE_BYTES``: no tree at all; parts are found in the raw
  bytes and each attachment decoded from its slice when it is read (``mime_stream``).

Body text is decoded here from each part's bytes, because Vietnamese mail arrives as UTF-8,
windows-1258 (with combining tone marks), undeclared 8-bit, or under a wrong label, and a
lossy decode cannot be undone. Everything ends NFC-normalised.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
from collections.abc import Callable
from email.message import Message
from html.parser import HTMLParser

import mailparser
from mailparser.utils import decode_header_part, mime_header_view

from ingestd.read import mime_stream
from ingestd.read.attachments import Extracted, decode_text, decoded_as
from ingestd.read.budget import Budget
from ingestd.read.document import Document, PartProblem, TextPart
from ingestd.read.headers import header_block, read_headers
from ingestd.read.legacy import to_unicode
from ingestd.read.limits import ReadLimits
from ingestd.read.vntext import clean

ExtractFn = Callable[[str, bytes, ReadLimits], Extracted]
_LATIN_LABELS = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252"}


def decode_body(data: bytes, declared: str | None) -> str:
    """Decode a text part: trust a specific label, distrust Latin-1-ish ones when the bytes are
    valid UTF-8 (a wrong label is common), fall back UTF-8 -> windows-1258."""
    label = (declared or "").lower()
    if label and label not in _LATIN_LABELS:
        text = decoded_as(data, label)
        if text is not None:
            return text
    text = decoded_as(data, "utf-8")
    if text is not None:
        return text
    if label in _LATIN_LABELS - {"us-ascii", "ascii"}:
        return data.decode("cp1252", errors="replace")
    return decode_text(data)


class _HTMLText(HTMLParser):
    _BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "td", "th"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):
        pass
    text = "".join(parser.out)
    return re.sub(r"\n\s*\n+", "\n", re.sub(r"[ \t\xa0]+", " ", text)).strip()


def _one_line(value: object) -> str:
    return " ".join(clean(str(value or "")).split())


def _walk_bodies(msg: Message, limits: ReadLimits, doc: Document) -> None:
    """Text and HTML bodies, including those of forwarded message/rfc822 parts."""
    count = 0
    stack: list[tuple[Message, int, str]] = [(msg, 0, "body")]
    while stack:
        part, depth, where = stack.pop(0)
        count += 1
        if count > limits.max_mime_parts:
            doc.problems.append(PartProblem("mime", f"thư có hơn {limits.max_mime_parts} phần "
                                            "MIME; các phần sau không đọc", blocking=False))
            return
        if depth > limits.max_nesting * 4:
            doc.problems.append(PartProblem("mime", f"MIME lồng nhau quá "
                                            f"{limits.max_nesting * 4} lớp: các phần trong không đọc",
                                            blocking=False))
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                inner = "forwarded" if part.get_content_type() == "message/rfc822" else where
                stack[0:0] = [(p, depth + 1, inner) for p in payload if isinstance(p, Message)]
            continue
        if part.get_filename() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except (ValueError, binascii.Error, AssertionError):
            doc.problems.append(PartProblem(where, "phần thân thư mã hóa hỏng"))
            continue
        _add_body(doc, where, ctype, part.get_content_charset(), data, limits)


def _add_body(doc: Document, where: str, ctype: str, charset: str | None, data: bytes,
              limits: ReadLimits) -> None:
    text = decode_body(data[:limits.max_text_chars * 4], charset)
    if ctype == "text/html":
        if any(p.location == where for p in doc.parts):
            return          # the text/plain alternative is already there
        text = html_to_text(text)
    text, enc = to_unicode(clean(text))
    if enc and enc not in doc.legacy_encodings:
        doc.legacy_encodings.append(enc)
    if text.strip():
        doc.parts.append(TextPart(where, text[:limits.max_text_chars]))


def _streamed(raw: bytes, limits: ReadLimits, doc: Document) -> list[dict[str, object]]:
    """Bodies into ``doc`` and the attachments (bytes under "data"), from a large message
    without a parsed tree (``mime_stream``)."""
    attachments: list[dict[str, object]] = []
    for leaf in mime_stream.leaves(raw, limits.max_mime_parts, limits.max_nesting * 4):
        name = _attachment_name(leaf.headers)
        try:
            if name is not None:
                attachments.append({"filename": name, "data": leaf.payload})
            elif leaf.headers.get_content_type() in ("text/plain", "text/html"):
                _add_body(doc, leaf.where, leaf.headers.get_content_type(),
                          leaf.headers.get_content_charset(), leaf.payload(), limits)
        except (ValueError, binascii.Error):
            doc.problems.append(PartProblem(leaf.where, "phần thân thư mã hóa hỏng"))
    return attachments


def _attachment_name(part: Message) -> str | None:
    """mail-parser's rule for what is an attachment and its name, for a part it did not parse:
    a file name; else a Content-ID on a non-text part; else an RTF body or a disposition of
    attachment. None: not an attachment."""
    view, _ = mime_header_view(part)
    filename = decode_header_part(view.get_filename())
    if filename:
        return filename
    subtype = str(view.get_content_subtype() or "")
    content_id = str(view.get("content-id") or "")
    if content_id and subtype not in ("html", "plain"):
        return content_id
    if subtype == "rtf":
        return "body.rtf"
    if str(view.get_content_disposition() or "").lower() == "attachment":
        return "attachment.txt"
    return None


def _parse_tree(raw: bytes, doc: Document) -> tuple[Message | None, list, list[str]]:
    """The MIME tree through mail-parser (attachments, defects); the standard parser alone if
    mail-parser fails; None when the tree is too deep for either (headers still read)."""
    try:
        mp = mailparser.parse_from_bytes(raw)
        return mp.message, mp.attachments, sorted(mp.defects_categories)
    except RecursionError:
        pass
    except Exception as exc:  # noqa: BLE001 - mail-parser failed; the stdlib reads it
        doc.problems.append(PartProblem("mime", f"mail-parser lỗi ({type(exc).__name__}); "
                                        "đã đọc bằng bộ phân tích chuẩn", blocking=False))
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError:
        doc.problems.append(PartProblem("mime", "MIME lồng nhau quá sâu: chỉ đọc được phần "
                                        "tiêu đề thư"))
        return None, [], []
    attachments = []
    for part in msg.walk():
        name = None if part.is_multipart() else _attachment_name(part)
        if name is None:
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except (ValueError, binascii.Error, AssertionError):
            data = b""
        attachments.append({"filename": name, "data": data})
    return msg, attachments, []


def read_email(raw: bytes, limits: ReadLimits, extract_fn: ExtractFn) -> Document:
    doc = Document(kind="email")
    if len(raw) > limits.max_message_bytes:
        doc.problems.append(PartProblem("message", f"thư {len(raw)} byte vượt giới hạn "
                                        f"{limits.max_message_bytes} byte: chỉ đọc phần tiêu đề"))
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        raw = head[: 1024 * 1024] + b"\r\n\r\n"
    head = read_headers(header_block(raw))
    doc.subject, doc.message_id, doc.date_header = head.subject, head.message_id, head.date
    doc.sender, doc.sender_name = head.sender, head.sender_name
    doc.auth_results = list(head.auth_results)
    doc.auth_hops = list(head.auth_hops)
    doc.from_count = head.from_count
    if doc.subject:
        doc.parts.append(TextPart("subject", doc.subject))
    if len(raw) > mime_stream.STREAM_ABOVE_BYTES:
        return _read_attachments(_streamed(raw, limits, doc), limits, extract_fn, doc)
    msg, attachments, defects = _parse_tree(raw, doc)
    if defects:
        doc.problems.append(PartProblem("mime", "lỗi cấu trúc MIME: " + ", ".join(defects),
                                        blocking=False))
    if msg is None:
        return doc.analyse()
    try:
        _walk_bodies(msg, limits, doc)
    except RecursionError:
        doc.problems.append(PartProblem("mime", "MIME lồng nhau quá sâu: phần thân không đọc "
                                        "được"))
    return _read_attachments(attachments, limits, extract_fn, doc)


def _read_attachments(attachments: list[dict[str, object]], limits: ReadLimits,
                      extract_fn: ExtractFn, doc: Document) -> Document:
    """Each attachment read within the message's budget. An attachment is mail-parser's
    (base64 text under "payload") or the standard library's (bytes, or a function that
    decodes them on demand, under "data")."""
    budget = Budget(limits)
    for att in attachments:
        name = _one_line(att.get("filename") or "attachment")[:200]
        doc.attachments.append(name)
        doc.parts.append(TextPart(f"attachment-name:{name}", name))
        payload = str(att.get("payload") or "")
        try:
            data = att["data"] if "data" in att else (
                base64.b64decode(payload) if att.get("binary") else payload.encode("utf-8"))
            if callable(data):
                data = data()
        except (binascii.Error, ValueError):
            doc.problems.append(PartProblem(f"attachment:{name}", "mã base64 hỏng"))
            continue
        budget.read(name, data, extract_fn, doc)  # type: ignore[arg-type]
        del data                               # one decoded attachment in memory at a time
    return doc.analyse()
