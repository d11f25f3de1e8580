"""Delivery reports -> failed recipients, permanence.   [pure]

Evidence, strongest first:
1. Our VERP address (`verp.py`): a bounce comes back to the envelope sender `TEAM+b-TOKEN@domain`
   we sent from, and the token names the recipient, whatever the report says.
2. RFC 3464 delivery-status fields (`dsn.py`): Original-/Final-Recipient, Action, Status.
3. The text of non-standard bounces (`bounce_text.py`): recognised by who sent them and what they
   say, with the failed addresses read from the notification part only.

Permanence: True for 5.x.x / "failed", False for 4.x.x / "delayed", None when unknown or
contradictory (`Action: failed` with a 4.x.x status). A notice that every recipient was
delivered, relayed or expanded is not a bounce (`dsn.detect_delivery_notice`); complaints are
read in `complaints.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .autoreply import detect_auto_reply
from .bounce_text import SUBJECT_RE, alias_origins, machine_sender, read_text_bounce, returns_original
from .dsn import Failure, dsn_records, report_texts
from .verp import TokenResolver, verp_recipients
from ..mime.parse import ParsedMessage


@dataclass(frozen=True)
class Bounce:
    recipients: tuple[str, ...]     # failed recipient addresses, lower-cased
    permanent: bool | None          # True: 5.x.x / permanent; False: delay or 4.x.x; None: unknown
    rule: str                       # name of the detector that decided
    failures: tuple[Failure, ...] = ()   # per-recipient details, as the report gives them


def detect_bounce(parsed: ParsedMessage, resolve_token: TokenResolver | None = None,
                  is_ours: Callable[[str], bool] | None = None) -> Bounce | None:
    """A failure report (permanent or not) for one or more recipients, or None. Our own addresses
    (`is_ours`: the team address and its sub-addresses) are never failed recipients (issue 9)."""
    found = _detect(parsed, resolve_token)
    if found is None or is_ours is None:
        return found
    kept = tuple(r for r in found.recipients if not is_ours(r))
    if found.recipients and not kept and found.rule == "text" and not returns_original(parsed):
        # A "notice" in words only, naming nobody but us and returning no mail of ours: the
        # phishing that imitates a bounce ("messages on hold for you@..."), not a failure report.
        return None
    return Bounce(kept, found.permanent, found.rule, tuple(f for f in found.failures if not is_ours(f.recipient)))


def _detect(parsed: ParsedMessage, resolve_token: TokenResolver | None) -> Bounce | None:
    if parsed.report_type == "feedback-report":
        return None
    verp = verp_recipients(parsed, resolve_token)
    texts = report_texts(parsed, wrapped=machine_sender(parsed) == "mta")
    found: Bounce | None = None
    if texts:
        records = [r for t in texts for r in dsn_records(t)]
        failures = [r for r in records if isinstance(r, Failure)]
        if records and not failures:
            return None                      # every recipient delivered / relayed / expanded
        # Failed for some, delayed for others (issue 9): the failed ones are the bounce; the delayed
        # mail is still on its way (their records stay in `failures`, for the detail).
        final = [f for f in failures if f.permanent is not False] or failures
        if failures:
            perms = {f.permanent for f in final}
            permanent = perms.pop() if len(perms) == 1 else None
            recipients = tuple(dict.fromkeys(f.recipient for f in final if f.recipient))
            found = Bounce(recipients, permanent, "dsn", tuple(failures))
    if found is None or not found.recipients:
        text_found = read_text_bounce(parsed)
        if text_found is not None and (found is None or text_found.recipients):
            permanent = found.permanent if found else text_found.permanent
            failures = found.failures if found else tuple(
                Failure(r, permanent, text_found.status, "", text_found.reason) for r in text_found.recipients)
            found = Bounce(text_found.recipients, permanent, "text" if found is None else "dsn+text", failures)
    if found is not None and not found.recipients:
        # Exim's and Gmail's own header names the failed addresses (RFC 2047-encoded when the local
        # part is UTF-8, "🐈@example.org"), when the notice's text gives none we can read
        named = tuple(dict.fromkeys(a.strip().strip("<>").lower() for a in
                                    parsed.headers.get("x-failed-recipients", "").split(",") if "@" in a))
        if named:
            found = Bounce(named, found.permanent, found.rule + "+header", tuple(
                Failure(r, found.permanent, "", "", "") for r in named))
    origins = alias_origins(parsed) if found is not None else {}
    if origins:         # "mf.duval76@orange.fr (generated from secretariat@...)": we wrote to the alias
        found = Bounce(tuple(dict.fromkeys(origins.get(r, r) for r in found.recipients)), found.permanent, found.rule,
                       tuple(replace(f, recipient=origins.get(f.recipient, f.recipient)) for f in found.failures))
    if verp:
        if found is None:
            # Mail to our envelope sender that no rule reads: a bounce if an MTA wrote it. People and
            # vacation programs that answer the envelope sender are left to the other rules.
            if detect_auto_reply(parsed) or not (machine_sender(parsed) == "mta"
                                                 or SUBJECT_RE.match(parsed.subject.lower())):
                return None
            return Bounce(verp, None, "verp")
        return Bounce(verp, found.permanent, "verp+" + found.rule, found.failures)
    return found
