"""A `send`: hold the campaign's lock, freeze the audience, run the workers, record how it ended.   [edge]

The audience is resolved in a short-lived child process and frozen at the first `send`; every
later `send` resumes it. The parent only watches the workers (`dispatch.py`): progress, Ctrl-C,
and the final state and reason, which the coordinators are told.

Issue 10: a file whose `send_at` is still to come is frozen and *scheduled* instead (`schedule`):
the service runs it then (`scheduler.py`), in a thread of its own, so the parent here may be a
thread (no Ctrl-C handler then: the service's `stop` event stops it). Whoever runs it, a send
never goes on past the file's `not_after`: the watch stops the workers then, and the campaign
is `expired`.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from filelock import Timeout

from ..bouncing import record_refusals
from ..clock import Clock, system_clock
from ..config import load_config
from ..errors import CampaignBusyError, CampaignError, StoreError
from ..models import CampaignState
from ..store import Store
from .campaigns import Campaign
from .files import load_campaign
from .dispatch import COUNTERS, Shared, get_text, totals
from . import archive
from .files import read_attachments, read_markdown
from .bulletin_draft import PLACEHOLDER
from .identity import campaign_identity
from .audience import (PREPARED_AUDIENCE, FrozenAudience, freeze_prepared_audience, read_audience, read_audience_head,
                       write_audience)
from .journal import read_journals
from .notices import notify_coordinators
from .runner import CampaignService, now, send_lock
from .scheduling import SERVICE_STOPPED
from .workers import start_workers
from .status import CampaignStatus

ProgressCallback = Callable[[dict[str, int]], None]


def expired_reason(not_after: datetime | str, left: int) -> str:
    """Why a campaign stopped for good at its not_after (notices.REASONS words it in French)."""
    moment = not_after.isoformat() if isinstance(not_after, datetime) else not_after
    return f"not sent after its not_after ({moment}): {left} recipients did not get it"


@contextmanager
def sending(service: CampaignService, campaign: Campaign) -> Iterator["SendSession"]:
    """Hold the campaign's sender lock; a second `send` refuses at once."""
    record = service.record(campaign.name) or {}
    if record.get("state") == CampaignState.CANCELLED:
        raise CampaignError(f"campaign {campaign.name!r} was cancelled on {record.get('cancelled', '?')}: "
                            "it never sends again")
    lock = send_lock(service.folder(campaign))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise CampaignBusyError(f"campaign {campaign.name!r} is already being sent by another process; "
                                "wait for it, or stop it with Ctrl-C") from None
    try:
        yield SendSession(service, campaign)
    finally:
        lock.release()


def prepare_audience(config_path: str, campaign_path: str) -> None:
    """Resolve the audience and write it, not yet frozen, beside the campaign's journal.

    Runs in a short-lived child process: reading 100k subscribers costs ~100 MB that a sender
    should not keep for the whole send.
    """
    config = load_config(config_path)
    service = CampaignService(config, Store(config.storage.path, config.security.secret_env))
    campaign = load_campaign(campaign_path)
    recipients = service.current_audience(campaign)
    today = date.today()
    if campaign.send_at is not None:        # a scheduled mailing's `today` is the day it goes
        today = max(today, campaign.send_at.astimezone(config.team.tz).date())
    header = {"campaign": campaign.name, "created": now(), "today": today.isoformat(),
              "salt": secrets.token_hex(4), "total": len(recipients),
              "file_sha256": hashlib.sha256(campaign.source.read_bytes()).hexdigest(),
              "source": str(campaign.source), "identity": campaign_identity(campaign, read_attachments(campaign))}
    write_audience(service.folder(campaign), header, recipients, name=PREPARED_AUDIENCE)


@dataclass
class RunOutcome:
    """How the workers ended, as the parent saw it."""

    interrupted: bool = False
    paused_reason: str = ""             # the error that paused a run of errors
    crashed: list[str] = field(default_factory=list)
    last_error: str = ""
    fault: str = ""                     # an unexpected error (a bug) that stopped the send
    expired: bool = False               # the file's not_after came: stopped, never to go on
    stopped: bool = False               # the service's stop event (it resumes at the next start)


class SendSession:
    """A `send` holding the campaign's lock; never holds the whole audience in memory."""

    def __init__(self, service: CampaignService, campaign: Campaign) -> None:
        self.service = service
        self.campaign = campaign
        self.folder = service.folder(campaign)
        head = read_audience_head(self.folder)
        self.frozen = head is not None
        if head is None:
            with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
                pool.submit(prepare_audience, str(service.config.source), str(campaign.source)).result()
            head = read_audience_head(self.folder, PREPARED_AUDIENCE)
            assert head is not None
        self.header, self.first = head
        self.total: int = self.header["total"]
        self.journal = read_journals(self.folder)
        self.this_run = {name: 0 for name in COUNTERS}     # what this run did (the rate counts only it)

    @property
    def pending(self) -> list[int]:
        return [i for i in range(self.total) if i not in self.journal.final]

    @property
    def differences(self) -> list[str]:
        """How the file differs from the one frozen under this name: [] for a first send."""
        return self.service.differences(self.campaign, self.header) if self.frozen else []

    def check(self) -> None:
        """Render one message before anything is frozen: template errors surface now; a bulletin
        draft with a place still to write never goes."""
        if self.campaign.markdown is not None:
            text = read_markdown(self.service.config, self.campaign) or ""
            left = text.count(PLACEHOLDER)
            if left:
                raise CampaignError(f"{self.campaign.markdown}: {left} place(s) still marked \"{PLACEHOLDER} ...]\": "
                                    "write them, or remove them, then send again. Nothing was sent.")
        if self.first is not None:
            frozen = FrozenAudience(self.header, [])
            self.service.renderer(self.campaign, frozen).build(self.first, 0)

    def freeze(self) -> None:
        if not self.frozen:
            freeze_prepared_audience(self.folder)
            self.frozen = True

    def schedule(self, by: str | None, clock: Clock = system_clock) -> CampaignStatus:
        """Freeze the audience now (what was confirmed, and approved, is what goes) and record the
        schedule: the service starts it at `send_at` if the file still has this content."""
        campaign = self.campaign
        assert campaign.send_at is not None
        self.freeze()
        self.service._save(campaign.name, state=CampaignState.SCHEDULED, kind=campaign.kind,
                           source=str(campaign.source), total=self.total, reason="",
                           send_at=campaign.send_at.isoformat(),
                           not_after=campaign.not_after.isoformat() if campaign.not_after else None,
                           scheduled=clock().isoformat(timespec="seconds"), scheduled_by=by or None,
                           file_sha256=campaign.digest)
        return self.service.status(campaign)

    def run(self, on_progress: ProgressCallback | None = None, stop: threading.Event | None = None,
            clock: Clock = system_clock, scheduled: bool = False) -> CampaignStatus:
        """Send what is pending. `stop`: the service's stop event; `clock` says when not_after
        comes; `scheduled`: the service runs it for its schedule (kept for a resume), rather than
        a coordinator by hand (which takes it off the schedule)."""
        self.freeze()
        self.service.store.forget()         # the subscribers list was only needed to freeze
        if self.pending:
            # Archived as it goes out, before the first message (a send that cannot be archived
            # does not start); a resume of the same file adds nothing.
            archive.record_start(self.service, self.campaign, self.header)
        pending = self.pending
        record = self.service.record(self.campaign.name) or {}
        not_after = self.campaign.not_after
        schedule = {} if scheduled else {"send_at": None}
        self.service._save(self.campaign.name, state=CampaignState.SENDING, kind=self.campaign.kind,
                           source=str(self.campaign.source), total=self.total,
                           started=record.get("started") or now(), reason="",
                           not_after=not_after.isoformat() if not_after else None, **schedule)
        if pending and not_after is not None and clock() >= not_after:
            return self._finish(RunOutcome(expired=True))
        return self._finish(self._dispatch(pending, on_progress, stop, clock) if pending else RunOutcome())

    def _dispatch(self, pending: list[int], on_progress: ProgressCallback | None, stop: threading.Event | None,
                  clock: Clock) -> RunOutcome:
        procs, shared = start_workers(self.service.config, self.campaign, pending)
        interrupted, why = self._watch(procs, shared, on_progress, stop, clock)
        for share in self.folder.glob("pending-*.idx"):
            share.unlink()
        last_error = get_text(shared.last_error)
        stopped = interrupted or bool(why)
        return RunOutcome(interrupted, last_error if shared.paused.is_set() else "",
                          [p.name for p in procs if p.exitcode not in (0, None) and not stopped],
                          last_error, get_text(shared.fault), expired=why == "expired", stopped=why == "stopped")

    def _watch(self, procs: list[Any], shared: Shared, on_progress: ProgressCallback | None,
               stop: threading.Event | None = None, clock: Clock = system_clock) -> tuple[bool, str]:
        """Report progress until the workers end: (whether Ctrl-C stopped them, and "expired"
        when the file's not_after came or "stopped" when the service's `stop` was set)."""
        interrupts = 0
        why = ""
        not_after = self.campaign.not_after

        def on_sigint(signum: int, frame: Any) -> None:
            nonlocal interrupts
            interrupts += 1
            shared.stop.set()
            if interrupts > 1:          # a second Ctrl-C: stop now, as a crash would
                for proc in procs:
                    proc.kill()

        def report() -> None:
            self.this_run = totals(shared)
            if on_progress:
                on_progress(self.this_run)

        # Ctrl-C is the main thread's; the service runs a schedule in a thread and stops it by `stop`.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, on_sigint) if main else None
        try:
            while any(p.is_alive() for p in procs):
                report()
                if not why and not_after is not None and clock() >= not_after:
                    why = "expired"             # never a message after not_after: the rest stays unsent
                    shared.stop.set()
                elif not why and stop is not None and stop.is_set():
                    why = "stopped"
                    shared.stop.set()
                time.sleep(0.2)
            for proc in procs:
                proc.join()
            report()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        return interrupts > 0, why

    def _record_refusals(self, reason: str) -> str:
        """The journal's 5xx refusals (RCPT 550 5.1.1) through the core's bounce policy, each once
        (bouncing.py): a dead address refused at send time counts as a hard bounce does."""
        failures = self.journal.failures
        if not failures:
            return reason
        audience = read_audience(self.folder, only=set(failures))
        if audience is None:
            return reason
        refusals = {audience.by_index[i].email: text for i, text in failures.items() if i in audience.by_index}
        try:
            with self.service.store.transaction() as tx:
                record_refusals(tx, self.campaign.name, refusals, now(), self.service.config.bounces.hard_limit)
        except (StoreError, OSError) as exc:    # recorded at the next send or status: the journal keeps them
            return (f"{reason}; " if reason else "") + f"its refusals could not be recorded as bounces ({exc})"
        return reason

    def _finish(self, outcome: RunOutcome) -> CampaignStatus:
        service = self.service
        record = service.record(self.campaign.name) or {}
        self.journal = read_journals(self.folder)
        pending = len(self.pending)
        if record.get("state") == CampaignState.CANCELLED:
            state, reason = CampaignState.CANCELLED, "cancelled"
        elif pending == 0:
            state, reason = CampaignState.DONE, ""
        elif outcome.expired:
            assert self.campaign.not_after is not None
            state, reason = CampaignState.EXPIRED, expired_reason(self.campaign.not_after, pending)
        elif outcome.stopped:
            state, reason = CampaignState.PAUSED, SERVICE_STOPPED
        else:
            state = CampaignState.PAUSED
            reason = ("interrupted" if outcome.interrupted else
                      f"worker failed: {outcome.fault}" if outcome.fault else
                      f"paused after repeated errors: {outcome.paused_reason}" if outcome.paused_reason else
                      f"worker failed: {', '.join(outcome.crashed)}" if outcome.crashed else
                      f"{pending} recipients deferred after temporary errors: send again to retry"
                      + (f" (last: {outcome.last_error})" if outcome.last_error else ""))
        journal = self.journal
        reason = self._record_refusals(reason)
        summary = dict(total=self.total, sent=journal.count("D"), failed=journal.count("F"),
                       suppressed=journal.count("S"), pending=pending)
        finished = now() if state == CampaignState.DONE else None
        try:
            service._save(self.campaign.name, state=state, reason=reason, finished=finished, **summary)
        except (StoreError, OSError) as exc:   # a full disk: the journals hold the truth, say so
            reason = (f"{reason}; " if reason else "") + f"its summary could not be saved in the store ({exc})"
        try:
            archive.record_finish(service.config.state_dir, self.campaign.name, journal, state, summary)
        except (OSError, CampaignError) as exc:
            reason = (f"{reason}; " if reason else "") + f"its archive could not be updated ({exc})"
        status = service.status_of(self.campaign.name, self.header, journal)   # the journal read once
        status.state, status.reason = state, reason
        if state in (CampaignState.DONE, CampaignState.PAUSED, CampaignState.EXPIRED) \
                and not (outcome.interrupted or outcome.stopped):
            notify_coordinators(service.config, status)
        return status
