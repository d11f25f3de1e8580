"""Poll once / run forever: wires the two wings to their edges and to each other.

The inbound wing reads the inbox and records what to send (source -> processor -> store); the
outbound wing sends it (pending answers after each batch, the triage digest when due). Neither
wing imports the other: this module is where they meet.

Scheduled campaigns (issue 10): after each poll the scheduler (`outbound/scheduler.py`) starts a
campaign whose `send_at` has come, in a thread of its own while the inbox is still read, and
reports one whose `not_after` has passed; the wait between polls is shortened to wake up for the
next `send_at`. Stopping the service stops that send within a second, and the next start resumes it.

Exactly once (issue 3): for each batch the processor records every message and its effects in
one store transaction, and only then does the source move the messages out of the inbox. A crash
between the two leaves them in the inbox; the next poll fetches them again and the processor
recognises each by its content hash, so nothing is applied twice and nothing is lost.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from .config import Config
from .errors import ConfigError, MailerError
from .inbound.pipeline import Outcome, Processor
from .inbound.queries import triage_items
from .inbound.sources.imap import Fetched, Source, open_source
from .outbound.answers import AnswerSender
from .outbound.digest import send_triage_digest
from .outbound.scheduler import Scheduler
from .outbound.send import Connect, SmtpTransport
from .store import Store

__all__ = ["BATCH_SIZE", "Summary", "poll_once", "send_digest", "serve"]

log = logging.getLogger(__name__)

BATCH_SIZE = 500          # messages per store transaction: TinyDB rewrites its file once per batch
MAX_BACKOFF_SECONDS = 300.0


class ProcessorLike(Protocol):
    """What `mailer.inbound.pipeline.Processor` offers the service."""

    def process_batch(self, raws: Sequence[bytes]) -> Sequence[Outcome]: ...


class AnswersLike(Protocol):
    """What `mailer.outbound.answers.AnswerSender` offers the service."""

    def send_pending(self) -> int: ...


@dataclass
class Summary:
    """What one poll did, by kind, by disposition and by destination folder."""

    fetched: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    dispositions: Counter[str] = field(default_factory=Counter)
    folders: Counter[str] = field(default_factory=Counter)   # role -> messages moved; "" = left in place
    acknowledgements: int = 0

    def add(self, other: Summary) -> None:
        self.fetched += other.fetched
        self.kinds.update(other.kinds)
        self.dispositions.update(other.dispositions)
        self.folders.update(other.folders)
        self.acknowledgements += other.acknowledgements

    def lines(self) -> list[str]:
        if not self.fetched:
            return ["No new message."]
        out = [f"{self.fetched} message(s) read."]
        out += [f"  {kind:<12} {n}" for kind, n in sorted(self.kinds.items())]
        moved = ", ".join(f"{role or 'left in inbox'}: {n}" for role, n in sorted(self.folders.items()))
        out.append(f"Folders: {moved}.")
        out.append(f"Acknowledgements sent: {self.acknowledgements}.")
        return out


def send_digest(config: Config, store: Store, now: datetime | None = None, force: bool = False,
                connect: Connect = SmtpTransport) -> int:
    """The triage digest: the inbound wing's open items, sent by the outbound wing when due."""
    return send_triage_digest(config, store, triage_items(store), now, force, connect)


def poll_once(config: Config, store: Store, source: Source, processor: ProcessorLike,
              batch_size: int = BATCH_SIZE, answers: AnswersLike | None = None) -> Summary:
    """Process every message now in the inbox, a batch at a time, until none is new; after each
    batch is recorded, move it and send the answers it left pending (`answers`, by default an
    `AnswerSender` over `config` and `store`).

    A message the processor leaves in place (`folder == ""`: retry later) is not fetched again
    in this poll; the processor counts its failures and sends it to the failed folder at the
    third. `config` and `store` are the processor's; they are taken here so callers wire the
    three together explicitly.
    """
    if answers is None:
        answers = AnswerSender(config, store)
    summary = Summary()
    seen_uids: set[str] = set()
    seen_keys: set[str] = set()
    # One thread talks to the source, in submission order: while a batch is read and stored here,
    # it fetches the next one and moves the one before, so the mailbox's round trips overlap the
    # reading. A batch is moved only once its effects are stored, as before.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailer-inbox") as io:
        ahead = io.submit(source.fetch, batch_size, frozenset())
        moves: list[Future[None]] = []
        while True:
            batch = ahead.result()
            if not batch:
                break
            fresh = _file_too_big(io, source, batch, summary, seen_uids, moves)
            batch = [f for f in batch if not f.too_big]
            seen_uids.update(f.uid for f in batch)
            ahead = io.submit(source.fetch, batch_size, frozenset(seen_uids))
            outcomes = processor.process_batch([f.raw for f in batch]) if batch else []
            if len(outcomes) != len(batch):
                raise MailerError(f"the processor returned {len(outcomes)} outcomes for {len(batch)} messages")
            for done in moves:          # the last batch's moves: a failure stops the poll here
                done.result()
            moves = []
            by_folder: dict[str, list[str]] = {}
            for fetched, outcome in zip(batch, outcomes):
                fresh |= outcome.key not in seen_keys
                seen_keys.add(outcome.key)
                summary.fetched += 1
                summary.kinds[outcome.kind] += 1
                summary.dispositions[outcome.disposition] += 1
                summary.folders[outcome.folder] += 1
                if outcome.folder:
                    by_folder.setdefault(outcome.folder, []).append(fetched.uid)
                # One line per message: its hash, never a body nor an address's secret token.
                detail = outcome.detail.removeprefix(outcome.rule).strip()
                log.info("inbox: %s %s rule=%s %s -> %s%s", outcome.key[:16], outcome.kind, outcome.rule,
                         outcome.disposition, outcome.folder or "inbox (retry later)", f" ({detail})" if detail else "")
            moves = [io.submit(source.move, uids, role) for role, uids in by_folder.items()]
            try:
                summary.acknowledgements += answers.send_pending()
            except MailerError as exc:        # the acknowledgements stay pending for the next poll
                log.warning("inbox: acknowledgements not sent yet: %s", exc)
            if not fresh:
                # Only messages this poll already handled (moves that could not happen, e.g. a
                # UIDVALIDITY change): stop here rather than loop; the next poll tries again.
                break
        for done in moves:
            done.result()
    return summary


def _file_too_big(io: ThreadPoolExecutor, source: Source, batch: Sequence[Fetched], summary: Summary,
                  seen: set[str], moves: list[Future[None]]) -> bool:
    """Messages over the size limit go to the failed folder unread: nothing in them was applied,
    and a coordinator finds them there. Returns whether there were any."""
    big = [f for f in batch if f.too_big]
    for fetched in big:
        seen.add(fetched.uid)
        summary.fetched += 1
        summary.kinds["error"] += 1
        summary.dispositions["error"] += 1
        summary.folders["failed"] += 1
        log.info("inbox: message %s too big to read (%d bytes) -> failed", fetched.uid, fetched.too_big)
    if big:
        moves.append(io.submit(source.move, [f.uid for f in big], "failed"))
    return bool(big)


def _now() -> datetime:
    return datetime.now(UTC)


def _purge_when_due(config: Config, store: Store, now: datetime) -> None:
    """The daily retention purge; never fatal: a failure (a campaign being sent, a full disk, a
    lost IMAP server) is logged by kind and the purge is tried again at the next poll."""
    from .app.retention import purge_if_due
    try:
        done = purge_if_due(config, store, now)
    except Exception as exc:        # noqa: BLE001  (the service outlives any purge failure)
        why = str(exc) if isinstance(exc, (MailerError, OSError)) else ""
        log.error("retention purge failed (%s%s); trying again at the next poll", type(exc).__name__,
                  f": {why}" if why else "")
        return
    if done is not None:
        log.info("retention purge: %s", done.summary())


def _reminders_when_due(config: Config, store: Store, now: datetime, connect: Connect = SmtpTransport) -> None:
    """The day's reminders from `[reminders] hour` (app/reminders.py), and any still pending; never
    fatal: a failure is logged and tried again at the next poll (the day's records stay)."""
    from .app.reminders import run_if_due
    try:
        run = run_if_due(config, store, now, connect)
    except Exception as exc:        # noqa: BLE001  (the service outlives any reminder failure)
        why = str(exc) if isinstance(exc, (MailerError, OSError)) else ""
        log.error("reminders failed (%s%s); trying again at the next poll", type(exc).__name__,
                  f": {why}" if why else "")
        return
    if run.recorded or run.sent:
        log.info("reminders for %s: %d recorded, %d sent", run.day, run.recorded, run.sent)


def serve(config: Config, stop: threading.Event, *, embedded: bool | None = None,
          source_factory: Callable[[Config], Source] = open_source,
          processor_factory: Callable[[Config, Store], ProcessorLike] | None = None,
          answers_factory: Callable[[Config, Store], AnswersLike] | None = None,
          clock: Callable[[], datetime] | None = None) -> Summary:
    """Run until `stop` is set: the capture server (when `[smtp] embedded`) and the unsubscribe
    endpoint (when `[web] base_url`), then poll, wait, poll.

    A lost server, a refused login, a store error or a full disk is logged and retried with a
    growing pause (capped at 5 minutes); the service never dies of a server restart or a failed
    write, and a message stays in the inbox until its effects are stored.

    After each poll, the retention purge runs if it has not yet today (`app/retention.py`); it
    logs counts only, and a failure is logged and tried again at the next poll, never fatal. So do
    the day's reminders, from `[reminders] hour` (`app/reminders.py`). Then the scheduled campaigns
    are checked (`Scheduler.tick`). `clock` is the service's time for all of it: the default
    processor's stamps (when a report was received, which the reminders count from), the default
    answers' journal, the triage digest's day, the purge, the reminders and the schedules.
    """
    from .app.web import WebEndpoint
    from .capture.devsmtp import CaptureServer
    store = Store(config.storage.path, config.security.secret_env)
    now = clock or _now
    processor = processor_factory(config, store) if processor_factory else Processor(config, store, clock=now)
    answers = answers_factory(config, store) if answers_factory else AnswerSender(config, store, clock=now)
    capture = CaptureServer(config).start() if (config.smtp.embedded if embedded is None else embedded) else None
    total = Summary()
    source: Source | None = None
    failures = 0
    scheduler = Scheduler(config, now, stop)
    log.info("service started: inbox %s, every %ss%s", config.inbox.source, config.inbox.poll_seconds,
             " (IDLE)" if config.inbox.idle and config.inbox.source == "imap" else "")
    web: WebEndpoint | None = None
    try:
        if config.web.base_url:     # List-Unsubscribe advertises BASE_URL/u/TOKEN: the service answers it
            web = WebEndpoint(config, store).start()
        while not stop.is_set():
            try:
                if source is None:
                    source = source_factory(config)
                summary = poll_once(config, store, source, processor, answers=answers)
                total.add(summary)
                if summary.fetched:
                    log.info("poll: %s", " ".join(summary.lines()))
                if send_digest(config, store, now()):
                    log.info("triage digest sent to the coordinators")
                _purge_when_due(config, store, now())
                _reminders_when_due(config, store, now())
                scheduler.tick()
                failures = 0
                until = scheduler.seconds_to_next()
                source.wait(config.inbox.poll_seconds if until is None else min(config.inbox.poll_seconds, until + 0.5),
                            stop)
            except ConfigError:
                raise
            except (MailerError, OSError) as exc:       # a full disk, a lost server: wait, then again
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 2.0 ** min(failures, 9))
                log.error("poll failed (%s); retrying in %.0fs", exc, delay)
                if source is not None:
                    source.close()
                    source = None
                stop.wait(delay)
    finally:
        stop.set()                  # a scheduled send in progress stops with the service (and resumes after)
        scheduler.join()
        if source is not None:
            source.close()
        if capture is not None:
            capture.stop()
        if web is not None:
            web.stop()
        log.info("service stopped")
    return total
