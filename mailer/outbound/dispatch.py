"""Sending a campaign to its frozen audience: worker processes, threads, journal, suppressions.

One process per core (each its own journal file and SMTP connections), `max_connections`
connections in all. The parent only watches: progress, Ctrl-C, the final state. Workers pick
recipients in batches: suppressions are checked (re-read within a second of any change to
the store), attempts are journaled and fsynced, then each message is sent and its outcome
journaled at once. Temporary failures are retried with backoff; a run of errors pauses.
"""

from __future__ import annotations

import ctypes
import heapq
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..config import Config, load_config
from ..errors import PermanentSendError, SendError, UnknownOutcomeError
from ..models import CampaignState, Recipient
from ..registry import load_directory, suppression_map
from ..schema import CAMPAIGNS
from ..store import Store, write_private_file
from .campaigns import Campaign, load_campaign
from .journal import JournalWriter, campaign_folder, read_audience
from .render import CampaignRenderer, Outgoing, RenderOptions
from .send import Pacer, SmtpSetupError, SmtpTransport

log = logging.getLogger(__name__)

BATCH = 50
BATCH_SECONDS = 0.5          # under a rate limit, a batch holds at most this much sending
WATCH_SECONDS = 1.0                         # suppressions recorded during a send apply within this
COUNTERS = ("sent", "failed", "suppressed", "deferred")


@dataclass(frozen=True)
class WorkerJob:
    """Everything a worker needs, picklable (workers are spawned, not forked)."""

    config_path: str
    campaign_path: str
    worker: int
    indices_file: str        # its share of the pending indices, in a file: a pickled list of 100k ints
    threads: int             # goes through a pipe that a child dying at start never drains
    rate: float
    parent_pid: int


@dataclass
class Shared:
    counters: Any            # mp.Array('q', workers * len(COUNTERS))
    stop: Any                # mp.Event: Ctrl-C, cancel, pause
    paused: Any              # mp.Event: set when a run of errors paused the campaign
    error_streak: Any        # mp.Value('i'): consecutive failures across all workers
    last_error: Any          # mp.Array('c', 300)


class SuppressionWatch:
    """Which addresses may not receive this campaign, refreshed when the store file changes."""

    def __init__(self, store: Store, campaign: Campaign) -> None:
        self.store = store
        self.campaign = campaign
        self.signature: Any = None
        self.checked_at = 0.0
        self.blocked: dict[str, str] = {}
        self.cancelled = False
        self._lock = threading.Lock()
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self.checked_at < WATCH_SECONDS:
                return
            self.checked_at = now
            changed, signature = self.store.changed_since(self.signature)
            if not changed and not force:
                return
            snapshot = self.store.snapshot()
            self.signature = signature
            self.blocked = {email: s.reason for email, s in suppression_map(snapshot).items()
                            if s.applies_to(self.campaign.kind)}
            self.cancelled = any(r.state == CampaignState.CANCELLED
                                 for _, r in snapshot.table(CAMPAIGNS).find("name", self.campaign.name))

    def reason(self, email: str) -> str | None:
        return self.blocked.get(email.lower())


class Worker:
    def __init__(self, job: WorkerJob, shared: Shared) -> None:
        self.job = job
        self.shared = shared
        self.config: Config = load_config(job.config_path)
        self.campaign = load_campaign(job.campaign_path)
        self.store = Store(self.config.storage.path)
        folder = campaign_folder(self.config.state_dir, self.campaign.name)
        shares = array("I")
        with open(job.indices_file, "rb") as handle:
            shares.frombytes(handle.read())
        frozen = read_audience(folder, only=set(shares))
        assert frozen is not None, "the parent freezes the audience before starting workers"
        self.recipients = frozen.by_index
        options = RenderOptions(salt=frozen.salt, today=date.fromisoformat(frozen.header["today"]))
        self.renderer = CampaignRenderer(self.config, self.campaign, load_directory(self.store.snapshot()),
                                         self.store.secret(self.config.security.secret_env), options)
        self.render_lock = threading.Lock()
        self.journal = JournalWriter(folder, job.worker)
        self.watch = SuppressionWatch(self.store, self.campaign)
        self.queue: deque[int] = deque(shares)
        self.queue_lock = threading.Lock()
        self.pacer = Pacer(job.rate, shared.stop)
        # Suppressions are checked when a batch is taken: keep a batch short in time, so one
        # recorded during the send applies within WATCH_SECONDS + BATCH_SECONDS.
        per_thread = job.rate / job.threads if job.rate else 0
        self.batch = max(1, min(BATCH, int(per_thread * BATCH_SECONDS))) if per_thread else BATCH

    # -- shared state ----------------------------------------------------------------------
    def count(self, name: str) -> None:
        slot = self.job.worker * len(COUNTERS) + COUNTERS.index(name)
        with self.shared.counters.get_lock():
            self.shared.counters[slot] += 1

    def success(self) -> None:
        self.shared.error_streak.value = 0

    def failure(self, text: str) -> None:
        with self.shared.error_streak.get_lock():
            self.shared.error_streak.value += 1
            streak = self.shared.error_streak.value
        self.shared.last_error.value = text.encode("utf-8", "replace")[:299]
        if streak >= self.config.smtp.pause_after_errors:
            self.shared.paused.set()
            self.shared.stop.set()

    def stopping(self) -> bool:
        return self.shared.stop.is_set() or os.getppid() != self.job.parent_pid

    # -- work ------------------------------------------------------------------------------
    def next_batch(self) -> list[tuple[int, Recipient]]:
        with self.queue_lock:
            self.watch.refresh()
            if self.watch.cancelled:
                self.shared.stop.set()
                return []
            batch = []
            while self.queue and len(batch) < self.batch:
                index = self.queue.popleft()
                recipient = self.recipients[index]
                reason = self.watch.reason(recipient.email)
                if reason:
                    self.journal.suppressed(index, reason)
                    self.count("suppressed")
                else:
                    batch.append((index, recipient))
        self.journal.attempts(i for i, _ in batch)
        return batch

    def build(self, work: list[tuple[int, int]]) -> list[tuple[int, int, Outgoing]]:
        """Render a batch; a bad value (header injection) fails that recipient only."""
        built = []
        with self.render_lock:              # the Jinja variant cache is shared by the threads
            for index, attempt in work:
                try:
                    built.append((index, attempt, self.renderer.build(self.recipients[index], index)))
                except Exception as exc:
                    self.journal.failed(index, None, f"cannot build message: {exc}")
                    self.count("failed")
        return built

    def send(self, transport: SmtpTransport, work: list[tuple[int, int]],
             retries: list[tuple[float, int, int]]) -> None:
        """Send a batch, journaling each outcome the moment the server gives it."""
        built = self.build(work)

        def on_result(position: int, error: SendError | None) -> None:
            index, attempt, _ = built[position]
            if error is None:
                self.journal.delivered(index)
                self.count("sent")
                self.success()
            elif isinstance(error, PermanentSendError):
                self.journal.failed(index, error.code, str(error))
                self.count("failed")
                self.failure(str(error))
            else:
                if isinstance(error, UnknownOutcomeError):
                    self.journal.unknown(index, str(error))
                else:
                    self.journal.deferred(index, error.code, str(error))
                self.failure(str(error))
                self.retry_later(retries, index, attempt)

        try:
            done = transport.send_batch([m for _, _, m in built], on_result, self.pacer.wait, self.stopping,
                                        lambda position: self.journal.writing(built[position][0]))
        except SmtpSetupError as exc:               # TLS or login refused: nothing left, and it pauses
            for index, _, _ in built:
                self.journal.deferred(index, None, str(exc))
            raise
        except SendError as exc:                    # could not even connect (or a refusing greeting)
            self.failure(str(exc))
            for index, attempt, _ in built:
                self.journal.deferred(index, exc.code, str(exc))
                self.retry_later(retries, index, attempt)
            return
        for index, attempt, _ in built[done:]:      # not attempted: a stop, or a lost connection
            self.journal.released(index)
            heapq.heappush(retries, (time.monotonic(), attempt, index))

    def retry_later(self, retries: list[tuple[float, int, int]], index: int, attempt: int) -> None:
        delays = self.config.smtp.retry_seconds
        if attempt < len(delays):
            heapq.heappush(retries, (time.monotonic() + delays[attempt], attempt + 1, index))
        else:
            self.count("deferred")              # stays pending: the next `send` tries again

    def due_retries(self, retries: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
        now = time.monotonic()
        work = []
        while retries and retries[0][0] <= now and len(work) < self.batch:
            _, attempt, index = heapq.heappop(retries)
            reason = self.watch.reason(self.recipients[index].email)
            if reason:
                self.journal.suppressed(index, reason)
                self.count("suppressed")
            else:
                work.append((index, attempt))
        return work

    def run_thread(self) -> None:
        transport = SmtpTransport(self.config.smtp)
        retries: list[tuple[float, int, int]] = []      # (due, attempt, index)
        try:
            while not self.stopping():
                work = self.due_retries(retries)
                if not work:
                    work = [(index, 0) for index, _ in self.next_batch()]
                if not work:
                    if not retries:
                        return
                    self.shared.stop.wait(min(1.0, max(0.0, retries[0][0] - time.monotonic())))
                    continue
                self.send(transport, work, retries)
        except SmtpSetupError as exc:
            self.shared.last_error.value = str(exc).encode("utf-8", "replace")[:299]
            self.shared.paused.set()
            self.shared.stop.set()
        finally:
            transport.close()

    def run(self) -> None:
        threads = [threading.Thread(target=self.run_thread, name=f"smtp-{i}", daemon=True)
                   for i in range(self.job.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.journal.close()


def _die_with_parent(parent: int) -> None:
    """A worker must never outlive its parent: a resumed `send` would race an orphan."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)           # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:                  # the parent died before prctl took effect
        os._exit(1)


def worker_main(job: WorkerJob, shared: Shared) -> None:
    _die_with_parent(job.parent_pid)
    # Ctrl-C reaches the whole process group: the parent decides, workers finish what is in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING)
    Worker(job, shared).run()


def plan_workers(pending: int, max_connections: int) -> tuple[int, int]:
    """(processes, threads each): one process per core, `max_connections` connections in all."""
    cores = os.cpu_count() or 1
    processes = max(1, min(cores, max_connections, -(-pending // 500)))
    threads = max(1, -(-max_connections // processes))
    return processes, threads


def start_workers(config: Config, campaign: Campaign, pending: list[int]) -> tuple[list[Any], Shared]:
    ctx = mp.get_context("spawn")
    processes, threads = plan_workers(len(pending), config.smtp.max_connections)
    shared = Shared(counters=ctx.Array("q", processes * len(COUNTERS)), stop=ctx.Event(), paused=ctx.Event(),
                    error_streak=ctx.Value("i", 0), last_error=ctx.Array("c", 300))
    rate = config.smtp.rate_per_second / processes     # each worker's threads share one pacer
    folder = campaign_folder(config.state_dir, campaign.name)
    jobs = []
    for w in range(processes):
        share = folder / f"pending-{w}.idx"
        write_private_file(share, array("I", pending[w::processes]).tobytes())
        jobs.append(WorkerJob(str(config.source), str(campaign.source), w, str(share), threads, rate, os.getpid()))
    procs = [ctx.Process(target=worker_main, args=(job, shared), name=f"mailer-send-{job.worker}")
             for job in jobs]
    for proc in procs:
        proc.start()
    return procs, shared


def totals(shared: Shared) -> dict[str, int]:
    values = list(shared.counters)
    return {name: sum(values[i::len(COUNTERS)]) for i, name in enumerate(COUNTERS)}

