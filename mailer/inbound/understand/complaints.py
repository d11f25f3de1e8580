"""ARF feedback reports (RFC 5965) -> who complained, and what kind of feedback.   [pure]

The complaining address, strongest evidence first: our VERP address in the envelope, then the
report's Original-Rcpt-To / Removal-Recipient, then the To of the attached original.
"""

from __future__ import annotations

from dataclasses import dataclass

from .bounce_text import EMAIL_RE
from .dsn import REPORT_CHARS, address_of, fields, returned_headers
from .verp import TokenResolver, verp_recipients
from ..mime.parse import ParsedMessage


@dataclass(frozen=True)
class Complaint:
    recipients: tuple[str, ...]     # the complaining address(es), lower-cased
    feedback_type: str              # "abuse", "opt-out", ...
    rule: str


def detect_complaint(parsed: ParsedMessage, resolve_token: TokenResolver | None = None) -> Complaint | None:
    """An ARF feedback report (RFC 5965): who complained, and what kind of feedback."""
    reports = [p for p in parsed.parts if p.in_message == 0 and p.content_type == "message/feedback-report"]
    if not reports and parsed.report_type != "feedback-report":
        return None
    found = fields(reports[0].text[:REPORT_CHARS]) if reports else []
    feedback_type = next((v.lower() for k, v in found if k == "feedback-type"), "abuse") or "abuse"
    recipients = verp_recipients(parsed, resolve_token)
    rule = "arf-verp"
    if not recipients:
        recipients = tuple(dict.fromkeys(a for k, v in found if k in ("original-rcpt-to", "removal-recipient")
                                         if (a := address_of(v))))
        rule = "arf"
    if not recipients:
        returned_to = returned_headers(parsed).get("to", "")
        recipients = tuple(dict.fromkeys(a.lower() for a in EMAIL_RE.findall(returned_to)))
        rule = "arf-original-to"
    return Complaint(recipients, feedback_type, rule)
