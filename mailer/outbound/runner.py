"""A campaign's life: preview, test, freeze, send, resume, status, cancel.

The audience is frozen (written atomically to disk) at the first `send` and every later `send`
resumes it. One sender per campaign at a time: a lock file in the campaign's folder, held by the
parent for the whole run. TinyDB keeps one summary document per campaign, written at freeze,
pause, cancel and end of run: never per message.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing as mp
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..config import Config, load_config
from ..errors import CampaignBusyError, CampaignError
from ..models import CampaignState, Recipient
from ..registry import iter_subscribers, load_directory
from ..records import CampaignRecord
from ..schema import CAMPAIGNS
from ..store import Store, ensure_private_dir
from .dispatch import COUNTERS, start_workers, totals
from .campaigns import Campaign, audience_gaps, load_campaign, resolve_audience
from .identity import campaign_identity, differences
from .journal import (PREPARED_AUDIENCE, FrozenAudience, JournalState, campaign_folder, freeze_prepared_audience, read_audience,
                      read_audience_head, read_journals, write_audience)
from .render import CampaignRenderer, RenderOptions
from .notices import notify_coordinators

log = logging.getLogger(__name__)
ProgressCallback = Callable[[dict[str, int]], None]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class CampaignService:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store

    # -- audience and rendering ------------------------------------------------------------
    def folder(self, campaign: Campaign) -> Path:
        return campaign_folder(self.config.state_dir, campaign.name)

    def current_audience(self, campaign: Campaign) -> list[Recipient]:
        snapshot = self.store.snapshot()
        return resolve_audience(campaign, load_directory(snapshot), iter_subscribers(snapshot))

    def audience_gaps(self, campaign: Campaign) -> list[str]:
        return audience_gaps(campaign, load_directory(self.store.snapshot()))

    def audience(self, campaign: Campaign) -> tuple[list[Recipient], FrozenAudience | None]:
        frozen = read_audience(self.folder(campaign))
        return (frozen.recipients, frozen) if frozen else (self.current_audience(campaign), None)

    def renderer(self, campaign: Campaign, frozen: FrozenAudience | None = None, test: bool = False) -> CampaignRenderer:
        options = RenderOptions(test=test)
        if frozen:
            options = RenderOptions(salt=frozen.salt, today=date.fromisoformat(frozen.header["today"]), test=test)
        # A test message's tokens come from a key nobody keeps: its unsubscribe link and return
        # path resolve to no address, so a proof-reader clicking them changes nothing.
        secret = secrets.token_bytes(32) if test else self.store.secret(self.config.security.secret_env)
        return CampaignRenderer(self.config, campaign, load_directory(self.store.snapshot()), secret, options)

    # -- summaries in TinyDB ---------------------------------------------------------------
    def record(self, name: str) -> dict[str, Any] | None:
        found = self.store.snapshot().table(CAMPAIGNS).first("name", name)
        return found[1].to_doc() if found else None

    def _save(self, name: str, **fields: Any) -> None:
        with self.store.transaction() as tx:
            tx.table(CAMPAIGNS).upsert("name", name, lambda old: replace(old or CampaignRecord(name=name),
                                                                         updated=_now(), **fields))

    def _lock(self, campaign: Campaign) -> FileLock:
        return _send_lock(self.folder(campaign))

    def is_sending(self, campaign: Campaign) -> bool:
        return not self._lock_free(self.folder(campaign))

    @staticmethod
    def _lock_free(folder: Path) -> bool:
        lock = _send_lock(folder)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return False
        lock.release()
        return True

    def status(self, campaign: Campaign) -> CampaignStatus:
        """Where the campaign named in `campaign` stands, and how the file differs from the frozen one."""
        frozen = read_audience_head(self.folder(campaign))
        if frozen is None:
            record = self.record(campaign.name) or {}
            total = len(self.current_audience(campaign))
            state = record.get("state", CampaignState.DRAFT)
            return CampaignStatus(campaign.name, state, total, 0, 0, 0, total, kind=campaign.kind,
                                  reason=record.get("reason", ""), file=str(campaign.source))
        status = self.status_of(campaign.name, frozen[0])
        status.differs = self.differences(campaign, frozen[0])
        return status

    def status_of(self, name: str, header: dict[str, Any], journal: JournalState | None = None) -> CampaignStatus:
        """A frozen campaign's status from its journals: the one place `status` and `list` read."""
        record = self.record(name) or {}
        folder = campaign_folder(self.config.state_dir, name)
        journal = journal or read_journals(folder)
        total = header["total"]
        sent, failed, suppressed = journal.count("D"), journal.count("F"), journal.count("S")
        state = record.get("state", CampaignState.SENDING)
        if state == CampaignState.SENDING and not self._lock_free(folder):
            in_flight = 0                          # being sent now: its attempts are live, not lost
        else:
            in_flight = len(journal.in_flight())
            if state == CampaignState.SENDING:
                state = CampaignState.PAUSED       # its sender died: `send` again resumes
        return CampaignStatus(name, state, total, sent, failed, suppressed, total - sent - failed - suppressed,
                              in_flight, record.get("kind") or header.get("identity", {}).get("kind", ""),
                              record.get("started"), record.get("finished"), record.get("reason", ""),
                              len(journal.possible_duplicates()), record.get("source") or header.get("source", ""),
                              updated=record.get("updated") or header.get("created"))

    @staticmethod
    def differences(campaign: Campaign, header: dict[str, Any]) -> list[str]:
        """How `campaign`'s file differs from the one frozen under its name ([] when it does not)."""
        if "identity" in header:
            return differences(header["identity"], campaign_identity(campaign))
        digest = hashlib.sha256(campaign.source.read_bytes()).hexdigest()
        if header.get("file_sha256") in (None, digest):
            return []
        return ["the file changed (frozen by an earlier version of mailer, which did not record its fields)"]

    def cancel(self, campaign: Campaign) -> None:
        """A cancelled campaign never sends again; a running sender stops within a second."""
        self._save(campaign.name, state=CampaignState.CANCELLED, kind=campaign.kind, cancelled=_now(),
                   source=str(campaign.source))

    # -- sending ---------------------------------------------------------------------------
    @contextmanager
    def sending(self, campaign: Campaign) -> Iterator["SendSession"]:
        """Hold the campaign's sender lock; a second `send` refuses at once."""
        record = self.record(campaign.name) or {}
        if record.get("state") == CampaignState.CANCELLED:
            raise CampaignError(f"campaign {campaign.name!r} was cancelled on {record.get('cancelled', '?')}: "
                                "it never sends again")
        lock = self._lock(campaign)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise CampaignBusyError(f"campaign {campaign.name!r} is already being sent by another process; "
                                    "wait for it, or stop it with Ctrl-C") from None
        try:
            yield SendSession(self, campaign)
        finally:
            lock.release()


def _send_lock(folder: Path) -> FileLock:
    return FileLock(str(ensure_private_dir(folder) / "send.lock"), mode=0o600)


def prepare_audience(config_path: str, campaign_path: str) -> None:
    """Resolve the audience and write it, not yet frozen, beside the campaign's journal.

    Runs in a short-lived child process: reading 100k subscribers costs ~100 MB that a sender
    should not keep for the whole send.
    """
    config = load_config(config_path)
    service = CampaignService(config, Store(config.storage.path))
    campaign = load_campaign(campaign_path)
    recipients = service.current_audience(campaign)
    header = {"campaign": campaign.name, "created": _now(), "today": date.today().isoformat(),
              "salt": secrets.token_hex(4), "total": len(recipients),
              "file_sha256": hashlib.sha256(campaign.source.read_bytes()).hexdigest(),
              "source": str(campaign.source), "identity": campaign_identity(campaign)}
    write_audience(service.folder(campaign), header, recipients, name=PREPARED_AUDIENCE)


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
        """Render one message before anything is frozen: template errors surface now."""
        if self.first is not None:
            frozen = FrozenAudience(self.header, [])
            self.service.renderer(self.campaign, frozen).build(self.first, 0)

    def freeze(self) -> None:
        if not self.frozen:
            freeze_prepared_audience(self.folder)
            self.frozen = True

    def run(self, on_progress: ProgressCallback | None = None) -> CampaignStatus:
        self.freeze()
        self.service.store.forget()         # the subscribers list was only needed to freeze
        pending = self.pending
        config = self.service.config
        record = self.service.record(self.campaign.name) or {}
        self.service._save(self.campaign.name, state=CampaignState.SENDING, kind=self.campaign.kind,
                           source=str(self.campaign.source), total=self.total,
                           started=record.get("started") or _now(), reason="")
        interrupted = False
        if pending:
            procs, shared = start_workers(config, self.campaign, pending)
            interrupts = 0

            def on_sigint(signum: int, frame: Any) -> None:
                nonlocal interrupts, interrupted
                interrupts += 1
                interrupted = True
                shared.stop.set()
                if interrupts > 1:          # a second Ctrl-C: stop now, as a crash would
                    for proc in procs:
                        proc.kill()

            previous = signal.signal(signal.SIGINT, on_sigint)
            try:
                while any(p.is_alive() for p in procs):
                    self.this_run = totals(shared)
                    if on_progress:
                        on_progress(self.this_run)
                    time.sleep(0.2)
                for proc in procs:
                    proc.join()
                self.this_run = totals(shared)
                if on_progress:
                    on_progress(self.this_run)
            finally:
                signal.signal(signal.SIGINT, previous)
            for share in self.folder.glob("pending-*.idx"):
                share.unlink()
            last_error = shared.last_error.value.decode("utf-8", "replace")
            paused_reason = last_error if shared.paused.is_set() else ""
            crashed = [p.name for p in procs if p.exitcode not in (0, None) and not interrupted]
        else:
            paused_reason, crashed, last_error = "", [], ""
        return self._finish(interrupted, paused_reason, crashed, last_error)

    def _finish(self, interrupted: bool, paused_reason: str, crashed: list[str],
                last_error: str = "") -> CampaignStatus:
        service = self.service
        record = service.record(self.campaign.name) or {}
        self.journal = read_journals(self.folder)
        pending = len(self.pending)
        if record.get("state") == CampaignState.CANCELLED:
            state, reason = CampaignState.CANCELLED, "cancelled"
        elif pending == 0:
            state, reason = CampaignState.DONE, ""
        else:
            state = CampaignState.PAUSED
            reason = ("interrupted" if interrupted else
                      f"paused after repeated errors: {paused_reason}" if paused_reason else
                      f"worker failed: {', '.join(crashed)}" if crashed else
                      f"{pending} recipients deferred after temporary errors: send again to retry"
                      + (f" (last: {last_error})" if last_error else ""))
        journal = self.journal
        summary = dict(total=self.total, sent=journal.count("D"), failed=journal.count("F"),
                       suppressed=journal.count("S"), pending=pending)
        finished = _now() if state == CampaignState.DONE else None
        service._save(self.campaign.name, state=state, reason=reason, finished=finished, **summary)
        status = service.status_of(self.campaign.name, self.header, journal)   # the journal read once
        status.state, status.reason = state, reason
        if state in (CampaignState.DONE, CampaignState.PAUSED) and not interrupted:
            notify_coordinators(service.config, status)
        return status
