"""The service's scheduled campaigns: started at `send_at`, never after `not_after`.   [edge]

`mailer serve` calls `tick` after each poll. What to do about each summary is `scheduling.action`
(pure); here it is done: a due campaign is sent in a thread of the service, one at a time, so the
inbox is still read while it goes; a campaign past its `not_after` is marked `expired` and the
coordinators are told, and nothing is sent. Before it starts, the file must still have the
content hash it was scheduled (and approved) with, and an approval must still hold if one is
needed: otherwise nothing goes, the campaign is paused with the reason, and the coordinators
are told (a coordinator's `send` takes it up again, confirmed and approved anew).

A restart never sends twice nor loses a campaign: the send's journal says who already has it
(a resumed send sends only the rest), and the summary says whose it is: a send the service was
running when it stopped (or crashed) is resumed at its next start, before `not_after`.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from .. import approval
from ..clock import Clock, system_clock
from ..config import Config
from ..errors import CampaignBusyError, MailerError
from ..models import CampaignState
from ..store import Store
from ..store.records import CampaignRecord
from ..store.schema import APPROVALS, CAMPAIGNS
from .audience import read_audience_head
from .files import load_campaign
from .journal import campaign_folder
from .notices import notify_coordinators
from .runner import CampaignService, lock_free
from .scheduling import FILE_CHANGED, Action, action, is_the_services, next_due
from .session import expired_reason, sending
from .status import CampaignStatus

log = logging.getLogger(__name__)

class Scheduler:
    """Starts the service's scheduled campaigns when due (one at a time, in a thread)."""

    def __init__(self, config: Config, clock: Clock = system_clock, stop: threading.Event | None = None) -> None:
        # A store of its own: its lock handle is not the poller's, so the send thread and the
        # inbox exclude each other across threads as across processes.
        self.config, self.clock = config, clock
        self.stop = stop or threading.Event()
        self.service = CampaignService(config, Store(config.storage.path, config.security.secret_env))
        self.thread: threading.Thread | None = None
        self.running: str = ""

    def _records(self) -> list[CampaignRecord]:
        return [r for r in self.service.store.snapshot().table(CAMPAIGNS) if r.name and r.send_at]

    def _live(self, name: str) -> bool:
        return not lock_free(campaign_folder(self.config.state_dir, name))

    def tick(self) -> None:
        """Check every schedule now: report the expired, start the first one due. Never raises: a
        failure is logged and the next poll checks again."""
        try:
            self._tick()
        except Exception as exc:        # noqa: BLE001  (the service outlives any schedule's failure)
            log.error("schedules not checked (%s: %s); checked again at the next poll", type(exc).__name__, exc)

    def _tick(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            return
        self.thread, self.running = None, ""
        now = self.clock()
        waiting = 0
        for record in self._records():
            what = action(record, now, self._live(record.name))
            if what is Action.EXPIRE:
                self._expire(record)
            elif what is Action.WAIT:
                waiting += 1
            elif what is Action.START and self.thread is None:
                self.running = record.name
                self.thread = threading.Thread(target=self._run, args=(record,), name=f"mailer-schedule-{record.name}")
                self.thread.start()
        log.debug("schedules checked at %s: %d waiting%s", now.isoformat(timespec="seconds"), waiting,
                  f", {self.running} started" if self.running else "")

    def seconds_to_next(self, now: datetime | None = None) -> float | None:
        """Seconds until the next `send_at` (None: none to come), so the service wakes up for it."""
        now = now or self.clock()
        due = next_due(self._records(), now)
        return None if due is None else max(0.0, (due - now).total_seconds())

    def join(self) -> None:
        """Wait for a send in progress to stop (the service's stop event stops it within a second)."""
        if self.thread is not None:
            if self.thread.is_alive():
                log.info("waiting for the scheduled send of %s to stop", self.running)
            self.thread.join()

    # -- what is done ----------------------------------------------------------------------
    def _status(self, name: str) -> CampaignStatus | None:
        head = read_audience_head(campaign_folder(self.config.state_dir, name))
        return self.service.status_of(name, head[0]) if head else None

    def _stop(self, record: CampaignRecord, state: CampaignState, reason: str) -> None:
        """Take the campaign off the service's hands, saying why, and tell the coordinators."""
        self.service.hold(record.name, state, reason)
        log.warning("campaign %s: %s", record.name, reason)
        status = self._status(record.name)
        if status is not None:
            status.state, status.reason = state, reason
            notify_coordinators(self.config, status)

    def _expire(self, record: CampaignRecord) -> None:
        status = self._status(record.name)
        left = status.pending if status is not None else int(record.total or 0)
        self._stop(record, CampaignState.EXPIRED, expired_reason(record.not_after or "", left))

    def _run(self, record: CampaignRecord) -> None:
        try:
            self._send(record)
        except Exception as exc:        # noqa: BLE001  (a thread's error would otherwise be lost)
            log.error("scheduled campaign %s failed: %s: %s", record.name, type(exc).__name__, exc)

    def _send(self, record: CampaignRecord) -> None:
        try:
            campaign = load_campaign(record.source or "")
        except MailerError as exc:
            return self._stop(record, CampaignState.PAUSED, f"its file cannot be read: {exc}")
        if campaign.name != record.name or campaign.digest != record.file_sha256:
            return self._stop(record, CampaignState.PAUSED, FILE_CHANGED)
        try:
            with sending(self.service, campaign) as session:
                current = self.service.record(record.name)
                if current is None or not is_the_services(CampaignRecord.from_doc(current), live=False):
                    return          # cancelled, or taken up by hand, since the tick
                why = approval.need(self.config, campaign.kind, session.total)
                approvals = list(self.service.store.snapshot().table(APPROVALS))
                if why and approval.holding(self.config, approvals, campaign.name, campaign.digest, session.total,
                                            record.scheduled_by) is None:
                    return self._stop(record, CampaignState.PAUSED,
                                      f"its approval no longer holds: {why}, and no other coordinator's approval "
                                      "names this file and this audience")
                log.info("scheduled campaign %s: starting (%d pending of %d)", campaign.name, len(session.pending),
                         session.total)
                status = session.run(stop=self.stop, clock=self.clock, scheduled=True)
                log.info("scheduled campaign %s: %s, %d sent, %d pending%s", campaign.name, status.state, status.sent,
                         status.pending, f" ({status.reason})" if status.reason else "")
        except CampaignBusyError:
            log.info("scheduled campaign %s is being sent by another process; checked again at the next poll",
                     record.name)
        except MailerError as exc:
            self._stop(record, CampaignState.PAUSED, f"its scheduled send failed: {exc}")
