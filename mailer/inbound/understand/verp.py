"""Our VERP address -> the recipient we wrote to.   [pure]

Mail we send has the envelope sender `TEAM+b-TOKEN@domain`, so a bounce or a complaint comes
back to that address and `resolve_token(TOKEN)` names the recipient, whatever the report says (a
forwarded or aliased address would otherwise hide who we wrote to). A token we never issued
names nobody.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .dsn import returned_headers
from ..mime.parse import ParsedMessage

TokenResolver = Callable[[str], "str | None"]   # a +b-TOKEN token -> the address it was issued for

_VERP_RE = re.compile(r"\+b-([A-Za-z0-9]{1,64})@", re.IGNORECASE)
_ENVELOPE_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to",
                     "x-delivered-to", "x-rcpt-to", "return-path")


def _verp(values: Iterable[str], resolve_token: TokenResolver | None) -> tuple[str, ...]:
    if resolve_token is None:
        return ()
    found: dict[str, None] = {}
    for value in values:
        for token in _VERP_RE.findall(value):
            address = resolve_token(token.lower())
            if address:
                found[address.strip().lower()] = None
    return tuple(found)


def verp_recipients(parsed: ParsedMessage, resolve_token: TokenResolver | None) -> tuple[str, ...]:
    """Addresses named by a +b-TOKEN in the envelope headers (or, failing that, the returned original's)."""
    if resolve_token is None:
        return ()
    outer = [v for k, v in parsed.header_items if k in _ENVELOPE_HEADERS] + list(parsed.to)
    found = _verp(outer, resolve_token)
    if not found:
        returned = returned_headers(parsed)
        found = _verp([returned.get("return-path", ""), returned.get("sender", "")], resolve_token)
    return found
