"""Delivery reports and complaints -> recipients, permanence.   [pure]

STUB: interface fixed, bodies to be written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .parse import ParsedMessage

TokenResolver = Callable[[str], "str | None"]   # a +b-TOKEN token -> the address it was issued for


@dataclass(frozen=True)
class Bounce:
    recipients: tuple[str, ...]     # failed recipient addresses, lower-cased
    permanent: bool | None          # True: 5.x.x / permanent; False: delay or 4.x.x; None: unknown
    rule: str                       # name of the detector that decided


@dataclass(frozen=True)
class Complaint:
    recipients: tuple[str, ...]     # the complaining address(es), lower-cased
    feedback_type: str              # "abuse", "opt-out", ...
    rule: str


def detect_bounce(parsed: ParsedMessage, resolve_token: TokenResolver | None = None) -> Bounce | None:
    return None


def detect_complaint(parsed: ParsedMessage, resolve_token: TokenResolver | None = None) -> Complaint | None:
    return None
