"""Header field values -> text, (display name, address) pairs, dates.   [pure]"""

from __future__ import annotations

import binascii
import re
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header
from email.utils import getaddresses, parsedate_to_datetime

from .charsets import decode_bytes


def decode_header_value(value: str) -> str:
    """RFC 2047 encoded words -> text; unknown or broken charsets fall back like bodies do."""
    if "=?" not in value or len(value) > 16_384:      # decode_header's lazy regex is quadratic on hostile input
        return value
    try:
        pieces = decode_header(value)
    except (HeaderParseError, ValueError, binascii.Error, LookupError, UnicodeError):
        return value
    out = []
    for chunk, charset in pieces:
        if isinstance(chunk, str):
            out.append(chunk)
        elif charset is None:            # decode_header's own encoding of the unencoded runs
            out.append(chunk.decode("raw-unicode-escape", "replace"))
        else:
            out.append(decode_bytes(chunk, charset))
    return "".join(out)


_MAILBOX = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^<>",;:()@]*?))\s*<\s*([^<>\s",;:()]+@[^<>\s",;:()]+)\s*>\s*'
                      r'|\s*([^<>\s",;:()]+@[^<>\s",;:()]+)\s*')


def mailboxes(values: list[str]) -> list[tuple[str, str]]:
    """email.utils.getaddresses, with a fast path for the plain forms that most headers use."""
    found: list[tuple[str, str]] = []
    for value in values:
        value = " ".join(value.split())
        pieces = [value] if '"' in value else value.split(",")
        fast: list[tuple[str, str]] | None = []
        for piece in pieces:
            m = _MAILBOX.fullmatch(piece)
            if m is None:
                if piece.strip():
                    fast = None
                    break
                continue
            name = re.sub(r"\\(.)", r"\1", m[1]) if m[1] is not None else (m[2] or "")
            fast.append((name, m[3] or m[4]))  # type: ignore[union-attr]
        found.extend(fast if fast else getaddresses([value]) if value else [])
    return found


def name_and_address(value: str) -> tuple[str, str]:
    """(decoded display name, lower-cased address) of the first mailbox; "" for what is missing."""
    pairs = mailboxes([value.replace("*", "")])
    name, address = pairs[0] if pairs else ("", "")
    if "@" not in address:
        m = re.search(r"[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}", value) if "@" in value else None
        address = m[0] if m else ""
    return decode_header_value(name).strip(), address.lower()


def parse_date(value: str) -> datetime | None:
    """An RFC 5322 date, or None when absent or unreadable."""
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
