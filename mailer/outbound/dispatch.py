"""One sending worker: its threads, batches, retries, journal lines and suppression checks.

Workers (started by `workers.py`, one process per core, each its own journal file and SMTP
connections) pick recipients in batches: suppressions are checked (re-read within a second of
any change to the store), attempts are journaled and fsynced, then each message is sent and its
outcome journaled at once. Temporary failures are retried with backoff; a run of errors pauses;
an error that is not a recipient's bad data stops the send.
"""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..config import Config, load_config
from ..errors import (JournalError, PermanentSendError, RecipientDataError, SendError, StoreError,
                      UnknownOutcomeError)
from ..models import Recipient
from ..store import Store
from .files import load_campaign
from .audience import read_audience
from .journal import JournalWriter, campaign_folder
from .render import Outgoing
from .runner import CampaignService
from .send import Pacer, SmtpSetupError, SmtpTransport
from .watch import SuppressionWatch

log = logging.getLogger(__name__)

BATCH = 50
BATCH_SECONDS = 0.5          # under a rate limit, a batch holds at most this much sending
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
    fault: Any               # mp.Array('c', 300): the unexpected error that stopped the send


def put_text(array: Any, text: str) -> None:
    """Into a shared mp.Array('c', 300): UTF-8, cut to fit."""
    array.value = text.encode("utf-8", "replace")[:299]


def get_text(array: Any) -> str:
    return array.value.decode("utf-8", "replace")


class Worker:
    def __init__(self, job: WorkerJob, shared: Shared) -> None:
        self.job = job
        self.shared = shared
        self.config: Config = load_config(job.config_path)
        self.campaign = load_campaign(job.campaign_path)
        self.store = Store(self.config.storage.path, self.config.security.secret_env)
        folder = campaign_folder(self.config.state_dir, self.campaign.name)
        shares = array("I")
        with open(job.indices_file, "rb") as handle:
            shares.frombytes(handle.read())
        frozen = read_audience(folder, only=set(shares))
        assert frozen is not None, "the parent freezes the audience before starting workers"
        self.recipients = frozen.by_index
        self.renderer = CampaignService(self.config, self.store).renderer(self.campaign, frozen)
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
        put_text(self.shared.last_error, text)
        if streak >= self.config.smtp.pause_after_errors:
            self.shared.paused.set()
            self.shared.stop.set()

    def halt(self, exc: Exception) -> None:
        """An error that is not a recipient's bad data (a bug): stop the whole send, named."""
        log.error("sending stopped by an unexpected error", exc_info=exc)
        put_text(self.shared.fault, f"{type(exc).__name__}: {exc}")
        self.shared.stop.set()

    def stop_for(self, exc: JournalError | StoreError) -> None:
        """An expected error that is nobody's bad data: stop the whole send, named, without a traceback."""
        log.error("sending stopped: %s", exc)
        put_text(self.shared.fault, str(exc))
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
        """Render a batch; a recipient's bad value (a header injection) fails that recipient only.

        Any other error is a bug: the batch is released (it stays pending) and the error stops the send.
        """
        built: list[tuple[int, int, Outgoing]] = []
        with self.render_lock:              # the Jinja variant cache is shared by the threads
            for position, (index, attempt) in enumerate(work):
                try:
                    built.append((index, attempt, self.renderer.build(self.recipients[index], index)))
                except RecipientDataError as exc:
                    self.journal.failed(index, None, f"cannot build message: {exc}")
                    self.count("failed")
                except Exception:
                    for unsent in [i for i, _, _ in built] + [i for i, _ in work[position:]]:
                        self.journal.released(unsent)
                    raise
        return built

    def send(self, transport: SmtpTransport, work: list[tuple[int, int]],
             retries: list[tuple[float, int, int]]) -> None:
        """Send a batch, journaling each outcome the moment the server gives it."""
        self.journal.reserve()          # a full disk stops the send here, before anything leaves
        built = self.build(work)
        reported = 0                    # outcomes come in order: built[:reported] are settled

        def on_result(position: int, error: SendError | None) -> None:
            nonlocal reported
            reported = position + 1
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
            for index, _, _ in built[reported:]:
                self.journal.deferred(index, None, str(exc))
            raise
        except SendError as exc:                    # could not (re)connect, or a refusing greeting:
            self.failure(str(exc))                  # what the server already answered stays settled
            for index, attempt, _ in built[reported:]:
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
            put_text(self.shared.last_error, str(exc))
            self.shared.paused.set()
            self.shared.stop.set()
        except (JournalError, StoreError) as exc:   # a full disk, an unreadable store: named, not a bug
            self.stop_for(exc)
        except Exception as exc:          # the thread's edge: a bug stops the send, never a recipient
            self.halt(exc)
        finally:
            transport.close()

    def run(self) -> None:
        threads = [threading.Thread(target=self.run_thread, name=f"smtp-{i}", daemon=True)
                   for i in range(self.job.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            self.journal.close()
        except JournalError as exc:
            self.stop_for(exc)


def totals(shared: Shared) -> dict[str, int]:
    values = list(shared.counters)
    return {name: sum(values[i::len(COUNTERS)]) for i, name in enumerate(COUNTERS)}

