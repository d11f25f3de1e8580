"""Delivery-status reports (RFC 3464) -> one record per recipient.   [pure]

The fields (Original-/Final-Recipient, Action, Status, Diagnostic-Code) come from a
message/delivery-status part, or from the same fields pasted into a text body (broken MIME,
AWS WorkMail). Permanence: True for 5.x.x / "failed", False for 4.x.x / "delayed", None when
unknown or contradictory (`Action: failed` with a 4.x.x status). A report whose every recipient
was delivered, relayed or expanded is a delivery notice, not a failure.

Also here: the headers of the original message a report returns (RFC 3462's text/rfc822-headers,
or a message/rfc822 part), which bounces and complaints both read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..mime.parse import ParsedMessage

REPORT_CHARS = 100_000                      # ~1,000 recipient records


@dataclass(frozen=True)
class Failure:
    """One recipient's line of a report."""

    recipient: str
    permanent: bool | None
    status: str = ""                # "5.1.1", or an SMTP reply code "550" when that is all there is
    action: str = ""                # RFC 3464 Action ("failed", "delayed"), "" for non-standard bounces
    reason: str = ""                # the Diagnostic-Code (or the notice's line), for `mailer bounces list`


_FIELD_RE = re.compile(r"^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*(?:\n[ \t]+.*)*)", re.MULTILINE)
STATUS_RE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY_RE = re.compile(r"(?<![\d.])([245])\d\d(?![\d.])")
_SUCCESS = frozenset({"delivered", "relayed", "expanded", "deliverable"})   # "deliverable": sendmail -bv
_INLINE_REPORT_RE = re.compile(r"^(?:Final|Original)-Recipient[ \t]*:", re.MULTILINE | re.IGNORECASE)


def fields(text: str) -> list[tuple[str, str]]:
    return [(m[1].lower(), " ".join(m[2].split())) for m in _FIELD_RE.finditer(text)]


def address_of(value: str) -> str:
    """"rfc822; <Someone@Example.org>" -> "someone@example.org"."""
    value = value.rpartition(";")[2] if ";" in value else value
    value = value.strip().strip("<>").strip()
    value = value.split()[0] if value else ""
    return value.strip("<>\"'").lower() if "@" in value else ""


def _status_of(status: str, diagnostic: str) -> str:
    for text in (status, diagnostic):
        m = STATUS_RE.search(text)
        if m:
            return m.group(0)
    for text in (status, diagnostic):       # a reply code where the Status should be ("Status: 550")
        m = _REPLY_RE.search(text)
        if m:
            return m.group(0)
    return ""


def _permanence(action: str, status: str) -> bool | None:
    klass = status[:1]
    if action == "failed":
        return True if klass in ("", "5") else None      # failed + 4.x.x: contradictory
    if action == "delayed":
        return False if klass in ("", "4") else None
    return {"5": True, "4": False}.get(klass)


def dsn_records(text: str) -> list[Failure | str]:
    """Per-recipient records of a delivery-status text; a success is returned as its Action string.

    Records are the blank-line-separated blocks that name a recipient (in any field order); a
    block naming several recipients without blank lines is split at each new recipient."""
    records: list[dict[str, str]] = []
    for block in re.split(r"\n[ \t]*\n", text):
        found = fields(block)
        if not any(name in ("final-recipient", "original-recipient") for name, _ in found):
            continue
        current: dict[str, str] = {}
        records.append(current)
        for name, value in found:
            if name in ("final-recipient", "original-recipient") and name in current:
                current = {}
                records.append(current)
            current.setdefault(name, value)
    out: list[Failure | str] = []
    for rec in records:
        action = rec.get("action", "").split("(")[0].strip().lower()
        status = _status_of(rec.get("status", ""), rec.get("diagnostic-code", ""))
        if action in _SUCCESS or (not action and status.startswith("2")):
            out.append(action or "delivered")
            continue
        recipient = address_of(rec.get("original-recipient", "")) or address_of(rec.get("final-recipient", ""))
        out.append(Failure(recipient, _permanence(action, status), status, action,
                           rec.get("diagnostic-code", "")[:200]))
    return out


def report_texts(parsed: ParsedMessage, wrapped: bool = False) -> list[str]:
    """The delivery-status texts of the mail itself (not of a bounce quoted inside it); with
    `wrapped` (an MTA wrote this mail), also those of a whole report a gateway wrapped as its
    message/rfc822 attachment."""
    texts = [p.text[:REPORT_CHARS] for p in parsed.parts
             if p.in_message == 0 and p.content_type.endswith("delivery-status")]
    if not texts and wrapped:
        texts = [p.text[:REPORT_CHARS] for p in parsed.parts
                 if p.in_message == 1 and p.content_type.endswith("delivery-status")]
    if not texts and _INLINE_REPORT_RE.search(parsed.text[:REPORT_CHARS]):
        texts = [parsed.text[:REPORT_CHARS]]    # the fields pasted into the body (broken MIME, AWS WorkMail)
    return texts


def detect_delivery_notice(parsed: ParsedMessage) -> str | None:
    """A machine notice that is NOT a failure: a success DSN or a read receipt (never answered)."""
    texts = report_texts(parsed)
    if texts:
        records = [r for t in texts for r in dsn_records(t)]
        if records and all(isinstance(r, str) for r in records):
            return "dsn-" + str(records[0])
    if parsed.report_type == "disposition-notification" or any(
            p.content_type.endswith("disposition-notification") and p.in_message == 0 for p in parsed.parts):
        return "read-receipt"
    return None


def returned_headers(parsed: ParsedMessage) -> dict[str, str]:
    """Headers of the original message a report carries (message/rfc822 or text/rfc822-headers)."""
    parts = parsed.parts
    for i, part in enumerate(parts):
        if part.in_message != 0:
            continue
        if part.content_type in ("message/rfc822", "message/global") and i + 1 < len(parts):
            return parts[i + 1].headers
        if part.content_type in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            found: dict[str, str] = {}
            for name, value in fields(part.text):
                found.setdefault(name, value)
            return found
    return {}


_MESSAGE_ID_RE = re.compile(r"<[^<>\s]{1,250}>")


def returned_message_ids(parsed: ParsedMessage) -> tuple[str, ...]:
    """The Message-ID and References of the message a report returns: how a report proves it is
    about mail we sent (issue 8), when it does not come back to our VERP address."""
    headers = returned_headers(parsed)
    text = " ".join(headers.get(name, "") for name in ("message-id", "references", "in-reply-to"))
    return tuple(dict.fromkeys(_MESSAGE_ID_RE.findall(text)))[:50]
