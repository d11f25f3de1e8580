"""Out-of-office and other automatic replies (RFC 3834 and common non-standard signs).   [pure]

STUB: interface fixed, body to be written.
"""

from __future__ import annotations

from .parse import ParsedMessage


def detect_auto_reply(parsed: ParsedMessage) -> str | None:
    """The name of the rule that recognised an automatic reply, or None."""
    return None
