"""bytes -> ParsedMessage: decoded text, sender, headers, the new (unquoted) text.   [pure]

FIRST DRAFT: the interface is fixed (ParsedMessage's fields and `parse_message`), the body is
to be hardened (charset fallbacks, HTML-only mail, forwards, limits, quoted replies).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from datetime import datetime


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str                      # "<...>" as written, or "" when absent
    sender: str                          # From address, lower-cased ("" when none)
    sender_name: str                     # From display name, decoded
    return_path: str                     # envelope sender as recorded by the server ("" = null "<>")
    to: tuple[str, ...]                  # To + Cc + Delivered-To/X-Original-To addresses, lower-cased
    subject: str
    date: datetime | None                # the Date header, timezone-aware when it says so
    headers: dict[str, str]              # lower-cased header name -> first value, decoded
    text: str                            # the whole decoded text (text/plain, else HTML turned to text)
    new_text: str                        # `text` without quoted replies and signatures' quoted history
    in_reply_to: tuple[str, ...] = ()    # In-Reply-To + References message ids
    content_type: str = ""               # top-level content type, e.g. "multipart/report"
    report_type: str = ""                # the report-type parameter of a multipart/report
    defects: tuple[str, ...] = field(default_factory=tuple)
    message: EmailMessage | None = field(default=None, compare=False, repr=False)


def _first_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def parse_message(raw: bytes) -> ParsedMessage:
    msg: EmailMessage = message_from_bytes(raw, policy=policy.default)  # type: ignore[assignment]
    senders = getaddresses([str(msg.get("From", ""))])
    name, sender = senders[0] if senders else ("", "")
    to = tuple(a.lower() for _, a in getaddresses([str(v) for h in ("To", "Cc", "Delivered-To", "X-Original-To")
                                                   for v in msg.get_all(h, [])]) if a)
    try:
        date = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError):
        date = None
    text = _first_text(msg)
    refs = " ".join(str(msg.get(h, "")) for h in ("In-Reply-To", "References")).split()
    return ParsedMessage(
        message_id=str(msg.get("Message-ID", "")).strip(),
        sender=sender.lower(),
        sender_name=name,
        return_path=str(msg.get("Return-Path", "")).strip().strip("<>").lower(),
        to=to,
        subject=str(msg.get("Subject", "")),
        date=date,
        headers={k.lower(): str(v) for k, v in reversed(msg.items())},
        text=text,
        new_text=text,
        in_reply_to=tuple(dict.fromkeys(refs)),
        content_type=msg.get_content_type(),
        report_type=str(msg.get_param("report-type", "") or ""),
        defects=tuple(type(d).__name__ for d in msg.defects),
        message=msg,
    )
