"""Matching: Document + Rulebook -> unit, directive, report(s), period, with evidence. Pure.

A receipt counts only when its sender is trusted for its unit (a trusted channel's OrganId, or
an official address with DMARC / aligned SPF or DKIM reported by our own mail server when
``[trust] authserv_id`` is set). Anything not matched with confidence goes to review with the
reason; nothing is dropped silently.

``chain`` holds the order of decisions (``CHAIN``); ``identity`` who sent it, ``answers`` what
it answers, ``ownership`` who owes it; ``ingestd.evidence`` the result's type.
"""

from ingestd.evidence import Evidence, MatchResult, ReportMatch, SignatureVerdict
from ingestd.match.chain import CHAIN, FAILED, IGNORED, MATCHED, REVIEW, Case, match
from ingestd.match.words import date_like_keywords

__all__ = ["CHAIN", "FAILED", "IGNORED", "MATCHED", "REVIEW", "Case", "Evidence", "MatchResult",
           "ReportMatch", "SignatureVerdict", "date_like_keywords", "match"]
