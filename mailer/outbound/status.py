"""Where a campaign stands, from its summary record and its journals.   [pure]

`campaign status` and `campaign list` both read a frozen campaign through `frozen_status`, so
the two commands agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..models import CampaignState
from .campaigns import Campaign
from .journal import JournalState


STOPPED_UNRECORDED = ("its last send stopped before it could record how it ended (killed, or a full disk): "
                      "send again to resume")


@dataclass
class CampaignStatus:
    name: str
    state: str
    total: int
    sent: int
    failed: int
    suppressed: int
    pending: int
    in_flight: int = 0          # pending, and an attempt's outcome is unknown: may get a second copy
    kind: str = ""
    started: str | None = None
    finished: str | None = None
    reason: str = ""
    possible_duplicates: int = 0    # delivered after an attempt whose outcome was unknown
    file: str = ""                  # the campaign file it was sent from (or is drafted in)
    differs: list[str] = field(default_factory=list)   # how the file given differs from the frozen one
    updated: str | None = None      # last change of its summary (a draft: its file's)
    # issue 10: its schedule (as recorded by `send`, else as its file says) and its approval
    send_at: str | None = None
    not_after: str | None = None
    scheduled_by: str = ""
    approval: dict[str, Any] | None = None      # approval.ApprovalView.to_json(); None: not looked at

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def draft_status(campaign: Campaign, record: dict[str, Any], total: int) -> CampaignStatus:
    """A campaign not frozen yet: its whole current audience is pending."""
    return with_schedule(CampaignStatus(campaign.name, record.get("state", CampaignState.DRAFT), total, 0, 0, 0,
                                        total, kind=campaign.kind, reason=record.get("reason", ""),
                                        file=str(campaign.source)), record, campaign)


def with_schedule(status: CampaignStatus, record: dict[str, Any], campaign: Campaign | None = None) -> CampaignStatus:
    """The schedule `send` recorded; else, for a file given, the one it asks for."""
    if record.get("send_at") or record.get("state") == CampaignState.SCHEDULED:
        status.send_at, status.not_after = record.get("send_at"), record.get("not_after")
        status.scheduled_by = record.get("scheduled_by") or ""
    elif campaign is not None:
        status.send_at = campaign.send_at.isoformat() if campaign.send_at else None
        status.not_after = campaign.not_after.isoformat() if campaign.not_after else record.get("not_after")
    else:
        status.not_after = record.get("not_after")
    return status


def frozen_status(name: str, header: dict[str, Any], record: dict[str, Any], journal: JournalState,
                  live: bool) -> CampaignStatus:
    """A frozen campaign's status; `live`: a sender holds its lock now."""
    total = header["total"]
    sent, failed, suppressed = journal.count("D"), journal.count("F"), journal.count("S")
    state = record.get("state", CampaignState.SENDING)
    reason = record.get("reason", "")
    if state == CampaignState.SENDING and live:
        in_flight = 0                          # being sent now: its attempts are live, not lost
    else:
        in_flight = len(journal.in_flight())
        if state == CampaignState.SENDING:
            state = CampaignState.PAUSED       # its sender died: `send` again resumes
            reason = reason or STOPPED_UNRECORDED
    return with_schedule(CampaignStatus(
        name, state, total, sent, failed, suppressed, total - sent - failed - suppressed, in_flight,
        record.get("kind") or header.get("identity", {}).get("kind", ""), record.get("started"), record.get("finished"),
        reason, len(journal.possible_duplicates()), record.get("source") or header.get("source", ""),
        updated=record.get("updated") or header.get("created")), record)
