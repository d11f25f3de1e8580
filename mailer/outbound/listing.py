"""Every campaign a coordinator has: sent, being sent, cancelled, and drafts in the campaigns folder.

Sent campaigns are read exactly as `campaign status` reads them (`CampaignService.status_of`), so
the two commands agree. A file in the folder is a draft until it is sent; one that cannot be read
is listed as `invalid` with its error, and one whose `name` is already taken by a different
campaign as `conflict` (the copied-file trap): nothing in the folder is silently left out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..errors import MailerError
from ..models import CampaignState
from ..store.schema import CAMPAIGNS
from .campaigns import Campaign
from .files import load_campaign, read_attachments
from .identity import campaign_identity, differences
from .audience import AUDIENCE, read_audience_head
from .runner import CampaignService
from .status import CampaignStatus

INVALID = "invalid"
CONFLICT = "conflict"


def catalogue(service: CampaignService) -> list[CampaignStatus]:
    """All campaigns, most recently changed first."""
    state_dir = service.config.state_dir / "campaigns"
    records = {r.name: r.to_doc() for r in service.store.snapshot().table(CAMPAIGNS) if r.name}
    headers = {}
    for folder in sorted(state_dir.glob(f"*/{AUDIENCE}")):
        head = read_audience_head(folder.parent)
        if head is not None:
            headers[folder.parent.name] = head[0]
    rows = [service.status_of(name, header) for name, header in headers.items()]
    for name, record in records.items():
        if name not in headers:            # cancelled before its first send
            total = int(record.get("total") or 0)
            rows.append(CampaignStatus(name, record.get("state", CampaignState.DRAFT), total, 0, 0, 0, total,
                                       kind=record.get("kind", ""), reason=record.get("reason", ""),
                                       file=record.get("source", ""), updated=record.get("updated")))
    taken = {row.name: row for row in rows}
    rows += _drafts(service, taken, headers)
    return sorted(rows, key=lambda r: r.updated or "", reverse=True)


def _drafts(service: CampaignService, taken: dict[str, CampaignStatus],
            headers: dict[str, dict]) -> list[CampaignStatus]:
    folder = service.config.campaigns.folder
    drafts: list[CampaignStatus] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        updated = datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")
        try:
            campaign = load_campaign(path)
        except MailerError as exc:
            drafts.append(CampaignStatus(path.stem, INVALID, 0, 0, 0, 0, 0, file=str(path), reason=str(exc),
                                         updated=updated))
            continue
        owner = taken.get(campaign.name)
        if owner is not None:
            conflict = _conflict(campaign, owner, headers.get(campaign.name))
            if conflict:
                drafts.append(CampaignStatus(campaign.name, CONFLICT, 0, 0, 0, 0, 0, kind=campaign.kind,
                                             file=str(path), reason=conflict, updated=updated))
            continue
        if campaign.name in seen:
            drafts.append(CampaignStatus(campaign.name, CONFLICT, 0, 0, 0, 0, 0, kind=campaign.kind,
                                         file=str(path), updated=updated,
                                         reason=f"same name as the draft {seen[campaign.name].name}"))
            continue
        seen[campaign.name] = path
        drafts.append(_draft(service, campaign, updated))
    return drafts


def _conflict(campaign: Campaign, owner: CampaignStatus, header: dict | None) -> str:
    """Why this file cannot be sent under its name ('' when it is the campaign itself)."""
    if owner.file and Path(owner.file) == campaign.source:
        return ""
    if header is not None and "identity" in header:
        changed = differences(header["identity"], campaign_identity(campaign, read_attachments(campaign)))
        if not changed:
            return ""                       # an identical copy: the same campaign
        fields = ", ".join(line.partition(":")[0] for line in changed)
        return f"name already used by {Path(owner.file).name or owner.name} ({owner.state}); differs in {fields}"
    return f"name already used by {Path(owner.file).name or owner.name} ({owner.state})"


def _draft(service: CampaignService, campaign: Campaign, updated: str) -> CampaignStatus:
    try:
        total = len(service.current_audience(campaign))
    except MailerError as exc:
        return CampaignStatus(campaign.name, INVALID, 0, 0, 0, 0, 0, kind=campaign.kind, file=str(campaign.source),
                              reason=str(exc), updated=updated)
    return CampaignStatus(campaign.name, CampaignState.DRAFT, total, 0, 0, 0, total, kind=campaign.kind,
                          file=str(campaign.source), updated=updated)
