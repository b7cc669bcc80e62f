"""What reading a message produces: the text a human would read, where each piece came from,
the references found in it, and every part that could not be read, with the reason."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ingestd import jsontext
from ingestd.read.refs import DocNumber, PeriodRef, Ref, find_numbers, find_periods
from ingestd.read.signatures import Signature
from ingestd.read.vntext import fold

_DERIVED = frozenset({"refs", "periods"})       # recomputed by ``analyse``, never stored


@dataclass
class TextPart:
    location: str          # subject | body | attachment:name.pdf#p1 | edxml:Subject ...
    text: str


@dataclass
class PartProblem:
    location: str
    reason: str
    blocking: bool = True  # False: noted, but the rest of the message says enough


@dataclass
class ResponseFor:
    """edXML ResponseFor: the directive this document answers."""

    code: str
    date: date | None = None
    organ_id: str | None = None
    document_id: str | None = None


@dataclass
class Document:
    kind: str                                   # email | edxml
    message_id: str | None = None
    sender: str | None = None                   # address, lower case
    sender_name: str | None = None
    subject: str = ""
    date_header: str | None = None
    auth_results: list[str] = field(default_factory=list)
    auth_hops: list[int] = field(default_factory=list)    # Received headers above each one
    from_count: int = 1                         # addresses in From (two: nobody is believed)
    organ_id: str | None = None                 # edXML From/OrganId
    own_code: str | None = None                 # edXML Code
    response_for: list[ResponseFor] = field(default_factory=list)
    parts: list[TextPart] = field(default_factory=list)
    problems: list[PartProblem] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    legacy_encodings: list[str] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    # edXML business fields: a status package (StatusCode), what the package does to an earlier
    # one (BussinessDocType 0 new, 1 revoke, 2 update, 3 replace, with its DocumentId)
    edxml_status: str | None = None
    edxml_status_text: str | None = None
    edxml_business: int | None = None
    edxml_refers: str | None = None
    edxml_due: str | None = None
    edxml_steering: str | None = None       # SteeringType: 0 normal, 1 directing (chỉ đạo) ...

    # Derived; filled by ``analyse``.
    refs: list[Ref] = field(default_factory=list)
    periods: list[PeriodRef] = field(default_factory=list)

    def add_extracted(self, parts: list[TextPart], problems: list[PartProblem],
                      legacy: list[str], signatures: list[Signature] | None = None
                      ) -> None:
        """Take in what reading one attachment produced."""
        self.signatures.extend(signatures or [])
        self.parts.extend(parts)
        self.problems.extend(problems)
        self.legacy_encodings.extend(e for e in legacy if e not in self.legacy_encodings)

    def analyse(self) -> Document:
        self.refs, self.periods = [], []
        for part in self.parts:
            folded = fold(part.text)            # once for both
            self.refs.extend(find_numbers(part.text, part.location, folded))
            self.periods.extend(find_periods(part.text, part.location, folded))
        return self

    @property
    def own_number(self) -> str | None:
        if self.own_code:
            return self.own_code
        own = [r for r in self.refs if r.own]
        return str(own[0].doc) if own else None

    @property
    def references(self) -> list[Ref]:
        return [r for r in self.refs if not r.own]

    @property
    def unreadable(self) -> bool:
        """Nothing a human could read came out of it."""
        return not any(p.text.strip() for p in self.parts
                       if p.location != "subject" and not p.location.startswith("attachment-name:"))

    def to_json(self) -> str:
        return jsontext.dumps(self, leave_out=_DERIVED)

    @classmethod
    def from_json(cls, text: str) -> Document:
        data: dict[str, Any] = json.loads(text)
        data["parts"] = [TextPart(**p) for p in data.get("parts", [])]
        data["problems"] = [PartProblem(**p) for p in data.get("problems", [])]
        data["signatures"] = [Signature(**s) for s in data.get("signatures", [])]
        data["response_for"] = [
            ResponseFor(r["code"], date.fromisoformat(r["date"]) if r.get("date") else None,
                        r.get("organ_id"), r.get("document_id"))
            for r in data.get("response_for", [])]
        return cls(**data).analyse()


__all__ = ["Document", "DocNumber", "PartProblem", "ResponseFor", "TextPart"]
