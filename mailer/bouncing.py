"""What a failed delivery does to an address: its score, its hard count, and when it is suppressed.

One policy for both wings (issue 9): the inbox's applier records a delivery report proven ours
(VERP or our Message-ID, `inbound/decide.py`), and a campaign's send records a 5xx refusal at RCPT
time from its journal (`outbound/session.py`); both land here, so both reach the same count.

- Mailman's soft scoring (its defaults): 1.0 a permanent failure, 0.5 one of unknown or soft
  permanence, at most one a day, reset after 7 days without a bounce, suppressed at 5.0. Enough
  for a daily list, never reached by a bulletin sent three times a year.
- Hence hard failures, 5.1.x (the user or the domain does not exist), counted across campaigns
  with no reset, once per campaign (once per day when the campaign is not known): suppressed at
  the `[bounces] hard_limit`-th, 2 by default. A second proof that the address is dead, a bulletin
  later, and no more mail to it.
- Policy blocks (5.7.x) and a full mailbox (5.2.2 / 4.2.2) are no proof that the address is dead:
  they only ever score.
- A delay (permanent False) never scores; it is counted in `delays`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .registry import canonical_email, suppress_in, suppression_map
from .store import Snapshot, Transaction
from .store.records import BounceRecord
from .store.schema import BOUNCE_SCORES

BOUNCE_SCORE_THRESHOLD = 5.0
BOUNCE_INFO_STALE_AFTER = timedelta(days=7)
HARD_BOUNCE_SCORE = 1.0
SOFT_BOUNCE_SCORE = 0.5
HARD_LIMIT = 2                           # `[bounces] hard_limit`'s default
# The destination does not exist: 5.1.1 mailbox, 5.1.2 system, 5.1.3 address syntax, 5.1.6 moved, 5.1.10
# null MX (not 5.1.7 / 5.1.8, the sender's address, which a MAIL FROM refusal gives every recipient).
_HARD_STATUS_RE = re.compile(r"^5\.1\.(?:1|2|3|6|10)$")
REASON_CHARS = 200


@dataclass(frozen=True)
class BounceScore:
    score: float
    last: str            # ISO date of the last scored bounce
    count: int = 0       # permanent or unknown bounces scored


def score_bounce(previous: BounceScore | None, permanent: bool | None, today: date) -> BounceScore | None:
    """Mailman's scoring: stale information (older than 7 days) restarts at zero; a second bounce
    the same day does not count (a bounce storm after one bulletin is one event). A delay warning
    (permanent False) is no failure yet: it never scores. Returns None when nothing changes."""
    if permanent is False:
        return None
    weight = HARD_BOUNCE_SCORE if permanent else SOFT_BOUNCE_SCORE
    if previous is not None:
        last = date.fromisoformat(previous.last)
        if last == today:
            return None
        if today - last <= BOUNCE_INFO_STALE_AFTER:
            return BounceScore(previous.score + weight, today.isoformat(), previous.count + 1)
    return BounceScore(weight, today.isoformat(), 1)


def crosses_threshold(score: BounceScore) -> bool:
    return score.score >= BOUNCE_SCORE_THRESHOLD


def is_hard(status: str, permanent: bool | None) -> bool:
    """A final failure saying the user or the domain does not exist (RFC 3463 5.1.x)."""
    return permanent is not False and bool(_HARD_STATUS_RE.match(status.strip()))


@dataclass(frozen=True)
class Failed:
    """One failed delivery to one address, from a delivery report or a refusal at send time."""

    email: str
    permanent: bool | None       # True final and hard, None final and soft (or unknown), False a delay
    status: str = ""             # "5.1.1", or a bare reply code "550"
    reason: str = ""             # the diagnostic, as the server wrote it
    campaign: str = ""           # the campaign it was for, when known: a hard failure counts once per campaign
    source: str = ""             # the report's Message-ID, or "send:CAMPAIGN"
    refused: bool = False        # refused at send time (RCPT 550), read from the campaign's journal


def record_failure(tx: Transaction, failed: Failed, stamp: str, hard_limit: int = HARD_LIMIT) -> bool:
    """Score the failure and count it if hard; suppress the address (reason `bounce`) when either
    the score or the hard count reaches its limit. True when this failure suppressed it."""
    email = canonical_email(failed.email)
    table = tx.table(BOUNCE_SCORES)
    found = table.first("email", email)
    old = found[1] if found else BounceRecord(email=email, first=stamp)
    refused = list(old.refused or [])
    if failed.refused:                   # a send's journal is read again on a resume: once a campaign
        if failed.campaign in refused:
            return False
        refused.append(failed.campaign)
        old = replace(old, refused=refused)
    why = dict(last_bounce=stamp, status=failed.status, reason=" ".join(failed.reason.split())[:REASON_CHARS])
    if failed.permanent is False:
        table.upsert("email", email, lambda doc: replace(doc or old, delays=(doc or old).delays + 1, **why))
        return False
    previous = BounceScore(old.score, old.last, old.count or 0) if old.score is not None and old.last else None
    today = date.fromisoformat(stamp[:10])
    scored = score_bounce(previous, failed.permanent, today)
    hard_keys = list(old.hard_keys or [])
    key = f"campaign:{failed.campaign}" if failed.campaign else f"day:{today.isoformat()}"
    hard = is_hard(failed.status, failed.permanent) and key not in hard_keys
    if hard:
        hard_keys.append(key)
    new = replace(old, hard=len(hard_keys), hard_keys=hard_keys, **why)
    if scored is not None:
        new = replace(new, score=scored.score, last=scored.last, count=scored.count)
    table.upsert("email", email, lambda doc: new)
    if (hard and len(hard_keys) >= hard_limit) or (scored is not None and crosses_threshold(scored)):
        suppress_in(tx, email, "bounce", "all", failed.source, stamp)
        return True
    return False


def record_refusals(tx: Transaction, campaign: str, refusals: dict[str, str], stamp: str,
                    hard_limit: int = HARD_LIMIT) -> int:
    """A campaign's 5xx refusals at send time (address -> the server's reply, from its journal),
    each recorded once; the number of addresses this suppressed."""
    return sum(record_failure(tx, Failed(email, True, status_of(reply), reply, campaign, f"send:{campaign}",
                                         refused=True), stamp, hard_limit)
               for email, reply in refusals.items())


def status_of(text: str) -> str:
    """The enhanced status (5.1.1) of an SMTP reply's text, else its reply code (550), else ''."""
    m = re.search(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b", text)
    if m:
        return m.group(0)
    m = re.match(r"\s*([245]\d\d)\b", text)
    return m.group(1) if m else ""


def bounce_rows(snapshot: Snapshot) -> list[dict[str, object]]:
    """Each address with a failure recorded: its score, hard count, last failure and why, and
    whether it is suppressed (`mailer bounces list`), most hard failures first."""
    suppressed = suppression_map(snapshot)
    rows = []
    for doc in snapshot.table(BOUNCE_SCORES):
        stop = suppressed.get(doc.email)
        rows.append({"email": doc.email, "score": doc.score or 0.0, "hard": doc.hard or 0, "delays": doc.delays,
                     "last_bounce": doc.last_bounce or doc.last, "status": doc.status, "reason": doc.reason,
                     "suppressed": f"{stop.reason} ({stop.scope})" if stop else None})
    return sorted(rows, key=lambda r: (-int(r["hard"]), -float(r["score"]), str(r["email"])))  # type: ignore[call-overload]
