"""bytes -> ParsedMessage: decoded text, sender, headers, the new (unquoted) text.   [pure]

The pieces, each in its own module: `mime` splits the bytes into entities within `Limits`
(raising `MessageTooComplex`), `charsets` and `headers` decode, `htmlscan` reads HTML-only mail,
`quotes` drops quoted replies, sets the "-- " signature apart and finds forwards. The stdlib tree
(`policy.default`) stays available as `ParsedMessage.message`, built on first access.
tests/test_parse.py checks the splitter against the stdlib on the well-formed corpus messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from .headers import decode_header_value, mailboxes, name_and_address, parse_date
from .htmlscan import readable_text
from .parts import DEFAULT_LIMITS, Entity, Limits, MessageTooComplex, Part, Splitter, body_text, flatten_parts
from .quotes import Forwarded, attached_forward, inline_forward, strip_quotes

__all__ = ["DEFAULT_LIMITS", "Forwarded", "Limits", "MessageTooComplex", "ParsedMessage", "Part",
           "decode_header_value", "readable_text", "parse_message", "strip_quotes"]


class _LazyMessage:
    """`ParsedMessage.message`: the stdlib tree (policy.default), parsed from `raw` on first use."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_lazy_" + name

    def __get__(self, obj: object, objtype: type | None = None) -> EmailMessage | None:
        if obj is None:
            return None                  # the dataclass field's default
        msg = obj.__dict__.get(self.slot)
        raw = obj.__dict__.get("raw", b"")
        if msg is None and raw:
            msg = message_from_bytes(raw, policy=policy.default)
            obj.__dict__[self.slot] = msg
        return msg  # type: ignore[return-value]

    def __set__(self, obj: object, value: object) -> None:
        # dataclass passes the field's default (this descriptor) when no message is given
        obj.__dict__[self.slot] = None if isinstance(value, _LazyMessage) else value


class _FromQuotes:
    """`new_text`, `signature`, `forwarded`: read from the text on first access of any of the three
    (`_quotes`). Bounces, most of a bounce storm, never ask: their quoted original is not searched
    for replies and forwards (issue 9: machine mail at 1,000 msg/s)."""

    def __init__(self, empty: object) -> None:
        self.empty = empty

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, objtype: type | None = None) -> object:
        if obj is None:
            return self.empty
        found = obj.__dict__
        if self.name not in found:
            pending = found.pop(_PENDING, None)
            if pending is None:
                return self.empty
            for name, value in zip(_QUOTE_FIELDS, _quotes(*pending)):
                found.setdefault(name, value)
        return found[self.name]

    def __set__(self, obj: object, value: object) -> None:
        if value is not self:            # dataclass passes the field's default (this descriptor) when not given
            obj.__dict__[self.name] = value


_PENDING = "_pending_quotes"
_QUOTE_FIELDS = ("new_text", "signature", "forwarded")


def _quotes(scanned: str, subject: str, root: Entity) -> tuple[str, str, Forwarded | None]:
    """(new text, signature, forwarded original) of the text as scanned."""
    inline = inline_forward(scanned, subject)
    if inline:
        return inline[0], "", inline[1]
    new_text, signature = strip_quotes(scanned)
    forwarded = attached_forward(root) if root.ctype != "multipart/report" and root.children else None
    return new_text, signature, forwarded


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
    new_text: str = field(default=_FromQuotes(""))  # type: ignore[assignment]  # `text` without quoted replies and the "-- " signature
    in_reply_to: tuple[str, ...] = ()    # In-Reply-To + References message ids
    content_type: str = ""               # top-level content type, e.g. "multipart/report"
    report_type: str = ""                # the report-type parameter of a multipart/report
    defects: tuple[str, ...] = field(default_factory=tuple)
    message: EmailMessage | None = field(default=_LazyMessage(), compare=False, repr=False)  # type: ignore[assignment]
    # Additions to the first draft:
    raw: bytes = field(default=b"", repr=False, compare=False)
    header_items: tuple[tuple[str, str], ...] = ()  # every top-level field: (lower-cased name, raw unfolded value)
    parts: tuple[Part, ...] = ()         # every MIME entity, depth-first; parts[0] is the message itself
    text_source: str = ""                # "plain" | "html" | "" (no readable text)
    signature: str = field(default=_FromQuotes(""))  # type: ignore[assignment]  # what followed a "-- " line in the new text
    forwarded: Forwarded | None = field(default=_FromQuotes(None))  # type: ignore[assignment]

    def header_values(self, name: str) -> list[str]:
        """Every value of a top-level field (raw, unfolded), e.g. all Received lines."""
        name = name.lower()
        return [v for k, v in self.header_items if k == name]


_SUBJECT_CHARS = 2_000                    # RFC 5322 lines stop at 998; longer is abuse
_ADDRESS_CHARS = 16_384                   # of one address field: ~500 recipients

def parse_message(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> ParsedMessage:
    """Read one message; never raises on bad mail except MessageTooComplex past `limits`."""
    if len(raw) > limits.max_bytes:
        raise MessageTooComplex(f"message of {len(raw)} bytes (limit {limits.max_bytes})")
    buf = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in raw else raw
    splitter = Splitter(limits)
    root = splitter.entity(buf, 0, len(buf), 0, 0)
    items = tuple(root.fields)
    heads: dict[str, str] = {}
    for name, value in items:
        if name not in heads:
            heads[name] = decode_header_value(value)
    raw_from = next((v for k, v in items if k == "from"), "")
    sender_name, sender = name_and_address(raw_from[:_ADDRESS_CHARS]) if raw_from else ("", "")
    recipients = [v[:_ADDRESS_CHARS].rpartition(",")[0] if len(v) > _ADDRESS_CHARS else v
                  for k, v in items if k in ("to", "cc", "delivered-to", "x-original-to")]
    to = tuple(dict.fromkeys(a.lower() for _, a in mailboxes(recipients) if "@" in a))
    subject = heads.get("subject", "")[:_SUBJECT_CHARS]
    text, source = body_text(root)
    text = text.strip("\n")
    scanned = text
    if len(text) > limits.max_new_text_chars:   # keeps the line-by-line rules below linear and short
        scanned = text[:limits.max_new_text_chars]
        splitter.defects.append("NewTextTruncated")
    refs = " ".join(heads.get(h, "") for h in ("in-reply-to", "references"))
    ids = re.findall(r"<[^<>\s]+>", refs) or refs.split()
    parts: list[Part] = []
    flatten_parts(root, -1, parts)
    parsed = ParsedMessage(
        message_id=heads.get("message-id", "").strip(),
        sender=sender,
        sender_name=sender_name,
        return_path=heads.get("return-path", "").strip().strip("<>").strip().lower(),
        to=to,
        subject=subject,
        date=parse_date(heads.get("date", "")),
        headers=heads,
        text=text,
        in_reply_to=tuple(dict.fromkeys(ids)),
        content_type=root.ctype,
        report_type=root.params.get("report-type", "").lower(),
        defects=tuple(dict.fromkeys(splitter.defects)),
        message=None,
        raw=raw,
        header_items=items,
        parts=tuple(parts),
        text_source=source,
    )
    parsed.__dict__[_PENDING] = (scanned, subject, root)   # new_text, signature, forwarded: on first use
    return parsed
