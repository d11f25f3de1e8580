"""Header field values -> text, (display name, address) pairs, dates, a MIME type and its parameters.   [pure]"""

from __future__ import annotations

import binascii
import re
from datetime import datetime
from email.errors import HeaderParseError
from email.header import decode_header
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import unquote

from .charsets import codec_name, decode_bytes


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


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_MAILBOX = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^<>",;:()@]*?))\s*<\s*([^<>\s",;:()]+@[^<>\s",;:()]+)\s*>\s*'
                      r'|\s*([^<>\s",;:()]+@[^<>\s",;:()]+)\s*'
                      # "MAILER-DAEMON@host (Mail Delivery System)": the comment is the name, as getaddresses reads it
                      rf'|\s*({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\s*\(([^()\\"]*)\)\s*')


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
            if m[5] is not None:
                fast.append((m[6], m[5]))
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


_QUOTED_PAIR_RE = re.compile(r"\\(.)")
_CTYPE_RE = re.compile(r"\s*([!#$%&'*+.^`|~\w-]+/[!#$%&'*+.^`|~\w-]+)")
_PARAM_RE = re.compile(r"""[; ] ?([^\s=;"]+) ?= ?("(?:[^"\\]|\\.)*"?|[^; ]*)""")   # on whitespace-collapsed text


def content_type(value: str, default: str) -> tuple[str, dict[str, str]]:
    """"text/plain; charset=utf-8" -> ("text/plain", {"charset": "utf-8"}); lenient like mail clients."""
    if not value:                        # most parts have no Content-Disposition, many no Content-Type
        return default, {}
    value = " ".join(value[:4096].split())
    m = _CTYPE_RE.match(value)
    if not m:
        return default, {}
    params: dict[str, str] = {}
    extended: dict[str, list[tuple[str, str]]] = {}
    rest = value[m.end():]
    if "=" in rest:
        for key, val in _PARAM_RE.findall(rest):
            if val.startswith('"'):
                val = val[1:-1] if val.endswith('"') and len(val) > 1 else val[1:]
                if "\\" in val:
                    val = _QUOTED_PAIR_RE.sub(r"\1", val)
            name, star, section = key.lower().partition("*")
            if star:                     # RFC 2231: name*=utf-8''caf%C3%A9, or name*0*=... name*1=...
                extended.setdefault(name, []).append((section, val))
            else:
                params.setdefault(name, val)
        for name, pieces in extended.items():
            params[name] = _rfc2231(pieces)
    return m[1].lower(), params


def _rfc2231(pieces: list[tuple[str, str]]) -> str:
    """Join RFC 2231 sections in order; "*"-marked ones are percent-encoded in the first one's charset."""
    def order(piece: tuple[str, str]) -> int:
        number = piece[0].rstrip("*")
        return int(number) if number.isdigit() and len(number) < 4 else 0

    charset, out = "utf-8", []
    for i, (section, val) in enumerate(sorted(pieces, key=order)):
        if section in ("", "*") or section.endswith("*"):
            if i == 0 and val.count("'") >= 2:
                charset, _, val = val.partition("'")
                val = val.partition("'")[2]
            try:
                val = unquote(val, encoding=codec_name(charset) or "utf-8", errors="replace")
            except (UnicodeError, LookupError, ValueError):
                val = unquote(val, errors="replace")
        out.append(val)
    return "".join(out)


_COMMENT_RE = re.compile(r"\([^()]*\)")
_RESULT_RE = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*=\s*([a-z]+)\b(.*)$", re.IGNORECASE | re.DOTALL)
_PROPERTY_RE = re.compile(r"\b(header\.from|header\.d|header\.i|smtp\.mailfrom)\s*=\s*([^\s;]+)", re.IGNORECASE)
_AUTH_PROPERTY = {"dmarc": ("header.from",), "dkim": ("header.d", "header.i"), "spf": ("smtp.mailfrom",)}


def authenticated_domain(header_items: list[tuple[str, str]] | tuple[tuple[str, str], ...],
                         authserv_id: str) -> set[str]:
    """The domains our own server vouches for: the topmost Authentication-Results field whose
    authserv-id is `authserv_id` (RFC 8601 section 5: anything below it, or naming another
    server, may come from the sender), its dmarc/dkim/spf results of `pass`, as domains. An empty
    `authserv_id` trusts no field."""
    wanted = authserv_id.strip().lower()
    if not wanted:
        return set()
    for name, value in header_items:
        if name != "authentication-results":
            continue
        text = value
        while _COMMENT_RE.search(text):
            text = _COMMENT_RE.sub(" ", text)
        server, *results = text.split(";")
        if (server.split() or [""])[0].lower() != wanted:
            continue
        return {domain for result in results if (domain := _passed_domain(result))}
    return set()


def _passed_domain(result: str) -> str:
    m = _RESULT_RE.match(result)
    if m is None or m[2].lower() != "pass" or m[1].lower() not in _AUTH_PROPERTY:
        return ""
    wanted = _AUTH_PROPERTY[m[1].lower()]
    for prop, value in _PROPERTY_RE.findall(m[3]):
        if prop.lower() in wanted:
            return value.strip("<>\"'").rpartition("@")[2].lower().rstrip(".")
    return ""


def aligned(domain: str, vouched: set[str] | frozenset[str]) -> bool:
    """DMARC's relaxed alignment, approximated: the same domain or one a subdomain of the other."""
    domain = domain.lower()
    return bool(domain) and any(d == domain or domain.endswith("." + d) or d.endswith("." + domain)
                                for d in vouched)
