"""A campaign's state: its audience, renderer, summary record, status, cancel.   [edge]

The audience is frozen (written atomically to disk) at the first `send` and every later `send`
resumes it (`session.py`). One sender per campaign at a time: a lock file in the campaign's
folder, held by the parent for the whole run. TinyDB keeps one summary document per campaign,
written at freeze, pause, cancel and end of run: never per message.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .. import approval
from ..config import Config
from ..figures import dossier_figures, entries
from ..models import CampaignState, Recipient
from ..registry import iter_subscribers, load_directory
from ..store.records import CampaignRecord
from ..store.schema import APPROVAL_REQUESTS, APPROVALS, CAMPAIGNS, REPORTS
from ..store.privatefiles import ensure_private_dir
from ..store import Store
from .campaigns import Campaign, audience_gaps, resolve_audience
from .files import campaign_attachments, read_attachments, read_contacts, read_markdown, template_loader
from .identity import campaign_identity, differences
from .audience import FrozenAudience, read_audience, read_audience_head
from .journal import JournalState, campaign_folder, read_journals
from .render import CampaignRenderer, RenderOptions
from .scheduling import FILE_CHANGED
from .status import CampaignStatus, draft_status, frozen_status, with_schedule


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def render_options(frozen: FrozenAudience | None = None, test: bool = False) -> RenderOptions:
    """A frozen campaign keeps the salt and date it was frozen with; a draft gets fresh ones."""
    if frozen:
        return RenderOptions(frozen.salt, date.fromisoformat(frozen.header["today"]), time.time, test)
    return RenderOptions(secrets.token_hex(4), date.today(), time.time, test)


class CampaignService:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store

    # -- audience and rendering ------------------------------------------------------------
    def folder(self, campaign: Campaign) -> Path:
        return campaign_folder(self.config.state_dir, campaign.name)

    def current_audience(self, campaign: Campaign) -> list[Recipient]:
        snapshot = self.store.snapshot()
        return resolve_audience(campaign, load_directory(snapshot), iter_subscribers(snapshot),
                                read_contacts(campaign))

    def audience_gaps(self, campaign: Campaign) -> list[str]:
        return audience_gaps(campaign, load_directory(self.store.snapshot()))

    def audience(self, campaign: Campaign) -> tuple[list[Recipient], FrozenAudience | None]:
        frozen = read_audience(self.folder(campaign))
        return (frozen.recipients, frozen) if frozen else (self.current_audience(campaign), None)

    def renderer(self, campaign: Campaign, frozen: FrozenAudience | None = None, test: bool = False,
                 throwaway_tokens: bool = False) -> CampaignRenderer:
        # A test message's tokens come from a key nobody keeps: its unsubscribe link and return
        # path resolve to no address, so a proof-reader clicking them changes nothing (an
        # archived copy's too: `throwaway_tokens`).
        throwaway = test or throwaway_tokens
        secret = secrets.token_bytes(32) if throwaway else self.store.secret(self.config.security.secret_env)
        snapshot = self.store.snapshot()
        directory = load_directory(snapshot)
        options = render_options(frozen, test)
        figures = None
        if campaign.dossier:
            # Read when the renderer starts (each send or resume), up to the campaign's day.
            found = entries(snapshot.table(REPORTS), self.config.team.tz)
            figures = dossier_figures(found, directory, campaign.dossier, campaign.figures_since, options.today)
        return CampaignRenderer(self.config, campaign, directory, secret, options, template_loader(self.config),
                                campaign_attachments(self.config, campaign), figures,
                                read_markdown(self.config, campaign))

    # -- summaries in TinyDB ---------------------------------------------------------------
    def record(self, name: str) -> dict[str, Any] | None:
        found = self.store.snapshot().table(CAMPAIGNS).first("name", name)
        return found[1].to_doc() if found else None

    def _save(self, name: str, **fields: Any) -> None:
        with self.store.transaction() as tx:
            tx.table(CAMPAIGNS).upsert("name", name, lambda old: replace(old or CampaignRecord(name=name),
                                                                         updated=now(), **fields))

    def status(self, campaign: Campaign) -> CampaignStatus:
        """Where the campaign named in `campaign` stands, how the file differs from the frozen one,
        its schedule and its approval (for this file's content and that audience size)."""
        frozen = read_audience_head(self.folder(campaign))
        record = self.record(campaign.name) or {}
        if frozen is None:
            status = draft_status(campaign, record, len(self.current_audience(campaign)))
        else:
            status = with_schedule(self.status_of(campaign.name, frozen[0]), record, campaign)
            status.differs = self.differences(campaign, frozen[0])
            if status.state == CampaignState.SCHEDULED and record.get("file_sha256") not in (None, campaign.digest):
                status.reason = f"{FILE_CHANGED} (the service will not send it as it is)"
        status.approval = self.approval_view(campaign, status.total, record.get("scheduled_by")).to_json()
        return status

    def approval_view(self, campaign: Campaign, total: int, sender: str | None) -> approval.ApprovalView:
        """Where this version's approval stands (mailer/approval.py)."""
        snapshot = self.store.snapshot()
        return approval.view(self.config, list(snapshot.table(APPROVALS)), list(snapshot.table(APPROVAL_REQUESTS)),
                             campaign.name, campaign.kind, campaign.digest, total, sender)

    def status_of(self, name: str, header: dict[str, Any], journal: JournalState | None = None) -> CampaignStatus:
        """A frozen campaign's status from its journals: the one place `status` and `list` read."""
        record = self.record(name) or {}
        folder = campaign_folder(self.config.state_dir, name)
        live = record.get("state", CampaignState.SENDING) == CampaignState.SENDING and not lock_free(folder)
        return frozen_status(name, header, record, journal or read_journals(folder), live)

    @staticmethod
    def differences(campaign: Campaign, header: dict[str, Any]) -> list[str]:
        """How `campaign`'s file differs from the one frozen under its name ([] when it does not)."""
        if "identity" in header:
            return differences(header["identity"], campaign_identity(campaign, read_attachments(campaign)))
        digest = hashlib.sha256(campaign.source.read_bytes()).hexdigest()
        if header.get("file_sha256") in (None, digest):
            return []
        return ["the file changed (frozen by an earlier version of mailer, which did not record its fields)"]

    def hold(self, name: str, state: CampaignState, reason: str) -> None:
        """Stop a scheduled campaign, saying why; the service then leaves it (paused: a coordinator's
        `send` takes it up again; expired: its not_after passed, nothing more is sent)."""
        self._save(name, state=state, reason=reason)

    def cancel(self, campaign: Campaign) -> None:
        """A cancelled campaign never sends again; a running sender stops within a second."""
        self._save(campaign.name, state=CampaignState.CANCELLED, kind=campaign.kind, cancelled=now(),
                   source=str(campaign.source))


def send_lock(folder: Path) -> FileLock:
    return FileLock(str(ensure_private_dir(folder) / "send.lock"), mode=0o600)


def lock_free(folder: Path) -> bool:
    """No sender holds the campaign's lock now."""
    lock = send_lock(folder)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    lock.release()
    return True
