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
from .journal import read_journals
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
            statuses.append((folder, service.status_of(folder.name, head[0])))
    unsubscribed = _unsubscribed([(folder, s.started or "") for folder, s in statuses], left)
    rows = [Delivery(s.name, s.kind, str(s.state), s.started, s.total, s.sent, s.failed, s.suppressed,
                     bounced.get(s.name, 0), unsubscribed.get(s.name, 0)) for _, s in statuses]
    return sorted(rows, key=lambda d: d.started or "", reverse=True)


def _unsubscribed(campaigns: list[tuple[Path, str]], left: dict[str, str]) -> dict[str, int]:
    """Each address that left, for the last campaign delivered to it that started before it left."""
    if not left:
        return {}
    last: dict[str, tuple[datetime, str]] = {}     # address -> (started, campaign) of its last delivery
    for folder, started in campaigns:
        when = parse_iso(started)
        if when is None:
            continue
        delivered = {i for i, code in read_journals(folder).final.items() if code == "D"}
        frozen = read_audience(folder)
        for index, recipient in enumerate(frozen.recipients if frozen else ()):
            email = recipient.email.strip().lower()
            if not email.isascii():
                email = canonical_email(email)      # the suppression key has the IDN domain in ASCII
            gone = parse_iso(left.get(email))
            if index in delivered and gone is not None and when <= gone \
                    and (email not in last or last[email][0] < when):
                last[email] = (when, folder.name)
    counts: dict[str, int] = {}
    for _, name in last.values():
        counts[name] = counts.get(name, 0) + 1
    return counts
