"""How each sent campaign was delivered: sent, failed, bounced, unsubscribed (`mailer dashboard`).

Sent, failed and suppressed are the campaign's journals, read as `campaign status` reads them.
The other two come back later by mail, and are counted only where the store can say which
campaign they were about:
- bounced: recipients whose hard failure (5.1.x) came back naming this campaign (our Message-ID
  in the bounce: bouncing.py keeps `campaign:NAME` per address); a refusal at send time is a
  failure (`F`), not a bounce, and a soft failure or a delay is kept per address, not per campaign;
- unsubscribed: recipients this campaign reached who then unsubscribed or complained, each
  counted once, for the last campaign that reached them before they left (tokens name an
  address and a scope, not a campaign).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..clock import parse_iso
from ..models import SuppressionReason
from ..registry import canonical_email
from ..store.schema import BOUNCE_SCORES, SUPPRESSIONS
from .audience import AUDIENCE, read_audience, read_audience_head
from .journal import JournalState, read_journals
from .runner import CampaignService

LEFT = (SuppressionReason.UNSUBSCRIBE, SuppressionReason.COMPLAINT)


@dataclass(frozen=True)
class Delivery:
    name: str
    kind: str
    state: str
    started: str | None
    total: int
    sent: int
    failed: int
    suppressed: int
    bounced: int
    unsubscribed: int


def deliveries(service: CampaignService) -> list[Delivery]:
    """Every campaign whose audience was frozen, the most recently started first."""
    folders = sorted(p.parent for p in (service.config.state_dir / "campaigns").glob(f"*/{AUDIENCE}"))
    snapshot = service.store.snapshot()
    bounced: dict[str, int] = {}
    for record in snapshot.table(BOUNCE_SCORES):
        refused = set(record.refused or [])
        for key in record.hard_keys or []:
            name = key.removeprefix("campaign:")
            if key.startswith("campaign:") and name not in refused:
                bounced[name] = bounced.get(name, 0) + 1
    left = {s.email: s.date for s in snapshot.table(SUPPRESSIONS) if s.reason in LEFT}
    statuses = []
    for folder in folders:
        head = read_audience_head(folder)
        if head is not None:
            journal = read_journals(folder)             # read once, for the status and the unsubscribes
            statuses.append((folder, journal, service.status_of(folder.name, head[0], journal), head[0]))
    unsubscribed = _unsubscribed([(folder, journal, s.started or str(header.get("created", "")))
                                  for folder, journal, s, header in statuses], left)
    rows = [(s.started or "", (folder / AUDIENCE).stat().st_mtime_ns,
             Delivery(s.name, s.kind, str(s.state), s.started, s.total, s.sent, s.failed, s.suppressed,
                      bounced.get(s.name, 0), unsubscribed.get(s.name, 0))) for folder, _, s, _ in statuses]
    # started within the same second: the audience frozen last is the later campaign
    return [row for *_, row in sorted(rows, key=lambda r: r[:2], reverse=True)]


def _unsubscribed(campaigns: list[tuple[Path, JournalState, str]], left: dict[str, str]) -> dict[str, int]:
    """Each address that left, for the last campaign delivered to it that started before it left."""
    if not left:
        return {}
    last: dict[str, tuple[datetime, str]] = {}     # address -> (started, campaign) of its last delivery
    latest = max((d for d in map(parse_iso, left.values()) if d is not None), default=None)
    for folder, journal, started in campaigns:
        when = parse_iso(started)
        if when is None or latest is None or when > latest:
            continue                                # nobody left after it: its audience need not be read
        delivered = {i for i, code in journal.final.items() if code == "D"}
        frozen = read_audience(folder)
        for index, recipient in enumerate(frozen.recipients if frozen else ()):
            email = recipient.email.strip().lower()
            if not email.isascii():
                email = canonical_email(email)      # the suppression key has the IDN domain in ASCII
            gone = parse_iso(left.get(email))
            if index in delivered and gone is not None and when <= gone \
                    and (email not in last or last[email] < (when, folder.name)):   # (a tie: by name)
                last[email] = (when, folder.name)
    counts: dict[str, int] = {}
    for _, name in last.values():
        counts[name] = counts.get(name, 0) + 1
    return counts
