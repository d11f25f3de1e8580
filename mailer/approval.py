"""Which campaigns need a second coordinator's approval, who may give it, and whether one holds.   [pure]

Issue 10: with `[approval] required` (the default when `team.coordinators` lists two or more
people), a campaign of kind `bulletin`, or larger than `[approval] min_recipients`, sends only
once a coordinator other than its sender approved it: by `mailer campaign approve FILE --by
EMAIL`, or by replying from their own address to the `+a-` token of the approval request they
were mailed (the inbound wing reads it). An approval names one version of the campaign: its
file's content hash and its audience size. Any change of either and it no longer holds; `send`
then refuses and says who can approve.

Both wings read these rules (the outbound one before it sends or schedules, the inbound one
when a reply approves), so they live in the core, on values: the records come from the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .config import Config
from .models import CampaignKind
from .store.records import Approval, ApprovalRequest, RequestStatus


def need(config: Config, kind: str, audience: int) -> str:
    """Why this campaign needs a second coordinator's approval ('' when it does not)."""
    settings = config.approval
    if not settings.required:
        return ""
    if kind == CampaignKind.BULLETIN:
        return "it is a bulletin"
    if audience > settings.min_recipients:
        return f"{audience} recipients, more than approval.min_recipients ({settings.min_recipients})"
    return ""


def coordinator(config: Config, email: str | None) -> str | None:
    """`email` as `team.coordinators` spells it (case aside), or None when it is not one of them."""
    wanted = (email or "").strip().lower()
    return next((c for c in config.team.coordinators if c.lower() == wanted), None) if wanted else None


def approvers(config: Config, sender: str | None) -> tuple[str, ...]:
    """The coordinators who may approve what `sender` sends: every other one."""
    mine = (sender or "").strip().lower()
    return tuple(dict.fromkeys(c.lower() for c in config.team.coordinators if c.lower() != mine))


def holding(config: Config, approvals: Iterable[Approval], campaign: str, file_sha256: str, audience: int,
            sender: str | None) -> Approval | None:
    """The approval that lets `sender` send this version now: same file, same audience size, given
    by a coordinator (still one) who is not the sender. The latest, if several."""
    allowed = set(approvers(config, sender))
    found = [a for a in approvals if a.campaign == campaign and a.file_sha256 == file_sha256
             and a.audience == audience and a.by.lower() in allowed]
    return max(found, key=lambda a: a.date) if found else None


def voided(approvals: Iterable[Approval], campaign: str, file_sha256: str, audience: int) -> Approval | None:
    """The latest approval of another version of this campaign: what a change voided."""
    found = [a for a in approvals if a.campaign == campaign and (a.file_sha256, a.audience) != (file_sha256, audience)]
    return max(found, key=lambda a: a.date) if found else None


def requests_for(requests: Iterable[ApprovalRequest], campaign: str, file_sha256: str,
                 audience: int) -> list[ApprovalRequest]:
    """The requests mailed (or being mailed) for this version, oldest first."""
    return sorted((r for r in requests if r.campaign == campaign and r.file_sha256 == file_sha256
                   and r.audience == audience), key=lambda r: r.date)


@dataclass(frozen=True)
class ApprovalView:
    """What `campaign status` shows about a campaign's approval (`approval` in its JSON)."""

    needed: bool
    why: str = ""
    approved_by: str = ""
    approved_at: str = ""
    via: str = ""
    can_approve: list[str] = field(default_factory=list)
    requested_from: list[str] = field(default_factory=list)
    voided: str = ""            # an approval of an earlier version, which a change voided

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def view(config: Config, approvals: Sequence[Approval], requests: Sequence[ApprovalRequest], campaign: str,
         kind: str, file_sha256: str, audience: int, sender: str | None) -> ApprovalView:
    """Where a campaign's approval stands for this version of its file and this audience size."""
    why = need(config, kind, audience)
    if not why:
        return ApprovalView(False)
    asked = requests_for(requests, campaign, file_sha256, audience)
    sender = sender or (asked[-1].by if asked else None)
    found = holding(config, approvals, campaign, file_sha256, audience, sender)
    old = voided(approvals, campaign, file_sha256, audience) if found is None else None
    return ApprovalView(
        True, why, found.by if found else "", found.date if found else "", str(found.via) if found else "",
        list(approvers(config, sender)), [r.to for r in asked if r.status == RequestStatus.SENT],
        f"{old.by} approved another version on {old.date} (file {old.file_sha256[:12]}, {old.audience} "
        "recipients): a change of the file or of the audience voids an approval" if old else "")
