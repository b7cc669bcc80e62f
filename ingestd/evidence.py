"""What matching decided about one receipt and why, as a type: the match result with its
evidence, the reports it counts for, and the signature that speaks for it.

It is stored as the receipt's ``evidence`` JSON and read back here, in one place: the register,
review, the console, the digest and the pipeline read ``MatchResult``, never the JSON by key.
A row stored by an older version (fewer keys, or none) loads with the missing fields empty."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ingestd import jsontext


@dataclass
class Evidence:
    step: str          # ignore | unit | trust | directive | report | period | read | signature
    decision: str
    location: str | None = None
    text: str | None = None


@dataclass
class ReportMatch:
    report: str
    period: str | None
    confidence: float


@dataclass(frozen=True)
class SignatureVerdict:
    """The signature that speaks for a receipt (a valid one first) and the unit its
    certificate's organisation maps to."""

    status: str                      # valid | invalid | untrusted
    signer: str | None = None
    organization: str | None = None
    unit: str | None = None
    signed_at: str | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"


@dataclass
class MatchResult:
    state: str
    reason: str | None = None
    unit: str | None = None
    suggested_unit: str | None = None
    trusted: bool = False
    matches: list[ReportMatch] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    signature: SignatureVerdict | None = None
    suggested_directive: str | None = None   # a near miss: the tracked number it may stand for
    letter: str | None = None       # not a report: "extension" (xin gia hạn), "question", "auto-reply"
    asked_until: str | None = None  # the day a request for more time asks for (ISO)
    revokes: str | None = None      # the DocumentId an edXML revocation withdraws from the count

    def to_json(self) -> dict[str, Any]:
        """The receipts JSON's ``evidence`` object (and the API's), key for key."""
        return asdict(self)

    def dumps(self) -> str:
        return jsontext.dumps(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> MatchResult:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        kept = {k: v for k, v in data.items() if k in known}
        kept.setdefault("state", "")
        kept["matches"] = [ReportMatch(m.get("report", ""), m.get("period"),
                                       float(m.get("confidence") or 0))
                           for m in data.get("matches") or [] if isinstance(m, dict)]
        kept["evidence"] = [Evidence(str(e.get("step", "")), str(e.get("decision", "")),
                                     e.get("location"), e.get("text"))
                            for e in data.get("evidence") or [] if isinstance(e, dict)]
        sig = data.get("signature")
        kept["signature"] = SignatureVerdict(
            str(sig.get("status", "")), sig.get("signer"), sig.get("organization"),
            sig.get("unit"), sig.get("signed_at")) if isinstance(sig, dict) else None
        return cls(**kept)


def read_evidence(stored: str | None) -> MatchResult:
    """A receipt row's ``evidence`` column as a ``MatchResult`` (empty when never matched or
    not JSON)."""
    try:
        data = json.loads(stored) if stored else None
    except ValueError:
        data = None
    return MatchResult.from_json(data if isinstance(data, dict) else None)
