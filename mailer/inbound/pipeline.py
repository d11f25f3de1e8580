"""The IO edge of the inbound wing: raw messages in, effects in the store.

`Processor.process_batch` parses and reads every message of a batch outside the store lock, then
decides and applies all of them in ONE transaction (TinyDB rewrites the whole file on each write:
one transaction per message would cap the service far below a bounce storm's 1,000 msg/s).
A message's identity is the sha256 of its bytes, so a batch seen again after a crash (before the
source moved it) returns the recorded outcomes and applies nothing twice.

Answers are only recorded here (`outgoing` rows marked pending); the outbound wing sends them
(`outbound/answers.py`), wired by the service after each batch.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Config
from ..models import AnswerKind, Directory
from ..registry import load_directory
from ..store.records import ReminderKind
from ..store.schema import APPROVAL_REQUESTS, INBOUND, OUTGOING, PENDING_PEOPLE, REMINDERS, SUBSCRIBERS, SUPPRESSIONS
from ..store import Snapshot, Store, Transaction
from ..tokens import BOUNCE, CONFIRM, KEEP, UNSUBSCRIBE, ReplyIndex, TokenIndex, approval_purpose, call_purpose, make_token
from .understand.approval import ApprovalBinding
from .understand.classify import Reading, ReadingContext, read_message
from .decide import MessageFacts, decide
from .effects import Decision, Disposition
from .apply import Ledger
from .mime.parse import MessageTooComplex, parse_message

log = logging.getLogger(__name__)

MAX_FAILURES = 3
FOLDERS = {Disposition.APPLY: "processed", Disposition.IGNORE: "processed", Disposition.TRIAGE: "triage"}
AUDIENCE_GLOB = "campaigns/*/audience.jsonl"


@dataclass(frozen=True)
class Outcome:
    key: str          # sha256 hex of the raw bytes: the message's identity in the store
    kind: str         # reading kind, or "error"
    rule: str
    disposition: str  # "apply" | "triage" | "ignore" | "error"
    folder: str       # where the source must move it: "processed" | "triage" | "failed" | "" (retry later)
    detail: str = ""  # one line for the log (never a message body)


def message_key(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _rows(lines: Iterable[str]) -> Iterable[list[Any]]:
    """A frozen audience's recipient rows ([email, name, kind, group]); other lines are skipped."""
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, list) and row and isinstance(row[0], str):
            yield row


def _audience_addresses(path: Path) -> Iterable[str]:
    with path.open(encoding="utf-8") as handle:
        for row in _rows(handle):
            yield row[0]


def _reply_rows(path: Path, replies: ReplyIndex, calls: ReplyIndex) -> None:
    """An alert's or a reminder's frozen audience -> its `+r-` tokens, a call's -> its `+v-` tokens
    (see `outbound.mime.reply_prefix`)."""
    with path.open(encoding="utf-8") as handle:
        try:
            header = json.loads(handle.readline())
        except ValueError:
            return
        identity = header.get("identity") if isinstance(header, dict) else None
        if not isinstance(identity, dict) or identity.get("kind") not in ("alert", "reminder", "call") \
                or identity.get("reply_to") or not isinstance(header.get("campaign"), str):
            return
        rows = [(row[0], row[3] if len(row) > 3 and isinstance(row[3], str) else None) for row in _rows(handle)]
    (calls if identity["kind"] == "call" else replies).add(header["campaign"], identity.get("dossier") or None, rows)


def _readonly_secret(config: Config, store: Store) -> bytes:
    """The token key without creating one (`parse` writes nothing): no key yet means no token issued."""
    value = os.environ.get(config.security.secret_env)
    if value:
        return value.encode("utf-8")
    try:
        return (store.folder / "secret.key").read_bytes()
    except FileNotFoundError:
        return secrets.token_bytes(32)


@dataclass
class _Item:
    key: str
    reading: Reading | None = None
    facts: MessageFacts | None = None
    subject: str = ""
    error: str = ""
    too_complex: bool = False


class Reader:
    """Parse and read messages against the store's directory and the tokens we issued (no writes)."""

    def __init__(self, config: Config, store: Store, secret: bytes,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.config, self.store, self.clock = config, store, clock
        self.tokens = TokenIndex(secret)
        self.replies = ReplyIndex(secret)
        self.calls = ReplyIndex(secret, call_purpose)
        self._signatures: dict[Path, object] = {}
        self._directory: tuple[object, Directory] | None = None
        self._reminders_seen: set[int] = set()

    def directory(self) -> Directory:
        sig = Store.signature(self.store.directory_path)
        if self._directory is None or self._directory[0] != sig:
            self._directory = (sig, load_directory(self.store.snapshot()))
        return self._directory[1]

    def refresh_tokens(self) -> None:
        """Members, groups, subscribers, suppressions, pending people and frozen audiences."""
        snap, store = self.store.snapshot(), self.store
        if self._changed(store.directory_path):
            d = self.directory()
            self.tokens.add([m.email for m in d.members] + [g.email for g in d.groups]
                            + [x.referent_email for x in d.dossiers])
        if self._changed(store.path_of(SUBSCRIBERS.part)):
            self.tokens.add(s.email for s in snap.table(SUBSCRIBERS))
        if self._changed(store.path):
            self.tokens.add(s.email for s in snap.table(SUPPRESSIONS))
            self.tokens.add(p.email for p in snap.table(PENDING_PEOPLE))
            # whoever we asked to confirm an unsubscribe can use the +u- address we gave them
            self.tokens.add(o.to for o in snap.table(OUTGOING) if o.kind == AnswerKind.UNSUBSCRIBE_CONFIRM)
            self._reminder_tokens(snap)
        for path in sorted(self.config.state_dir.glob(AUDIENCE_GLOB)):
            if self._changed(path):
                self.tokens.add(_audience_addresses(path))
                _reply_rows(path, self.replies, self.calls)

    def _reminder_tokens(self, snap: Snapshot) -> None:
        """The daily reminders' `+r-` addresses (outbound/reminders.py): bound, as an alert's, to the
        group's address, the run's label and the dossier; each record's token computed once."""
        for doc_id, row in snap.table(REMINDERS).items():
            if doc_id not in self._reminders_seen and row.kind == ReminderKind.REMINDER:
                self.replies.add(row.label, row.dossier or None, [(row.to, row.group)])
            self._reminders_seen.add(doc_id)

    def _changed(self, path: Path) -> bool:
        """Whether a file of addresses changed since we last added its addresses (a stat)."""
        sig = Store.signature(path)
        if self._signatures.get(path) == sig:
            return False
        self._signatures[path] = sig
        return sig is not None

    def context(self) -> ReadingContext:
        snap = self.store.snapshot()
        pending = {make_token(self.tokens.secret, CONFIRM, p.email) for p in snap.table(PENDING_PEOPLE)}
        requests: set[str] = set()          # our confirmation requests; our "est-ce bien cela ?" mails
        asked: set[str] = set()
        for o in snap.table(OUTGOING):      # one pass over the answers table, per batch
            if o.kind == "confirm_request":
                requests.add(o.message_id)
            elif o.kind == "report_confirm":
                asked.add(o.message_id)
        # the approval requests mailed (issue 10): a handful of rows, their tokens rebuilt per batch
        approvals = {make_token(self.tokens.secret, approval_purpose(r.campaign, r.file_sha256, r.audience), r.to):
                     ApprovalBinding(r.campaign, r.file_sha256, r.audience, r.to, r.by, r.file)
                     for r in snap.table(APPROVAL_REQUESTS)}
        return ReadingContext(
            team_address=self.config.team.address,
            resolve_bounce_token=lambda token: self.tokens.address(token, BOUNCE),
            unsubscribe_scope=self.tokens.scope,
            confirm_token=lambda token: token.lower() in pending,
            confirmation_ids=lambda mid: mid in requests,
            reply_token=self._reply_token,
            call_token=self._call_token,
            report_confirm_ids=lambda mid: mid in asked,
            approval_token=lambda token: approvals.get(token.lower()),
        )

    def _reply_token(self, token: str) -> tuple[str | None, str | None] | None:
        found = self.replies.resolve(token)
        return None if found is None else (found[1], found[2])

    def _call_token(self, token: str) -> tuple[str, str | None, str | None] | None:
        found = self.calls.resolve(token)
        return None if found is None else found[:3]

    def read(self, key: str, raw: bytes, context: ReadingContext, directory: Directory) -> _Item:
        item = _Item(key)
        try:
            parsed = parse_message(raw)
            item.reading = read_message(parsed, directory, context)
            item.facts = MessageFacts.of(parsed, self.clock(), self.config.inbox.authserv_id)
            item.subject = parsed.subject or ""
        except MessageTooComplex as exc:
            item.error, item.too_complex = f"too complex: {exc}", True
        except Exception as exc:   # one bad message must not stop the batch
            # The class name only: an exception's text may quote the message (never log a body).
            log.warning("message %s: reading failed: %s", key[:16], type(exc).__name__)
            log.debug("message %s: traceback", key[:16], exc_info=True)
            item.error = type(exc).__name__
        return item

    def unsubscribe_address(self, token: str) -> str | None:
        return self.tokens.address(token, UNSUBSCRIBE)

    def keep_address(self, token: str) -> str | None:
        return self.tokens.address(token, KEEP)


def _detail(reading: Reading, decision: Decision) -> str:
    names = sorted({type(e).__name__ for e in decision.effects})
    return " ".join(filter(None, [reading.rule, ",".join(names), decision.note]))


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused for one batch. Reading 500 messages allocates enough to
    run its full passes over every live object (the store's records included) several times: ~10%
    of a bounce storm's time, for nothing, since parsing and reading make no reference cycles
    (reference counting frees their garbage at once). Memory stays bounded by the batch."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Processor:
    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime] | None = None) -> None:
        self.config, self.store = config, store
        self.clock = clock or (lambda: datetime.now(UTC))
        self.secret = store.secret(config.security.secret_env)
        self.reader = Reader(config, store, self.secret, self.clock)

    def _ledger(self, tx: Transaction, directory: Directory) -> Ledger:
        return Ledger(tx, self.config, self.secret, directory, self.clock(), self.reader.unsubscribe_address,
                      self.reader.keep_address)

    def process_batch(self, raws: Sequence[bytes]) -> list[Outcome]:
        """Parse, classify, decide each message; record every message and its effects in ONE store
        transaction; idempotent by the sha256 of the bytes. A message whose pipeline raises is not
        recorded as processed: its failure count goes up and it stays (folder "") until it has
        failed 3 times ("failed"); MessageTooComplex goes to "failed" at once."""
        if not raws:
            return []
        with _no_cycle_collection():
            return self._process(raws)

    def _process(self, raws: Sequence[bytes]) -> list[Outcome]:
        keys = [message_key(raw) for raw in raws]
        seen = self.store.snapshot().table(INBOUND)          # the log, read from where we last stopped
        self.reader.refresh_tokens()
        directory, context = self.reader.directory(), self.reader.context()
        items = [_Item(k) if seen.first("key", k) else self.reader.read(k, raw, context, directory) for k, raw in zip(keys, raws)]
        outcomes: list[Outcome] = []
        with self.store.transaction() as tx:
            ledger = self._ledger(tx, directory)
            for item in items:
                outcomes.append(self._one(ledger, item))
        return outcomes

    def _one(self, ledger: Ledger, item: _Item) -> Outcome:
        recorded = ledger.seen(item.key)
        if recorded is not None:
            return Outcome(item.key, recorded.kind, recorded.rule, recorded.disposition, recorded.folder,
                           "already processed")
        if not item.error:
            assert item.reading is not None and item.facts is not None
            try:
                decision = decide(item.reading, item.facts, ledger.known)
                folder = FOLDERS[decision.disposition]
                detail = _detail(item.reading, decision)
                ledger.record(item.key, item.reading, item.facts, item.subject, decision, folder, detail)
                return Outcome(item.key, item.reading.kind.value, item.reading.rule, decision.disposition.value,
                               folder, detail)
            except Exception as exc:   # its effects were taken back; the batch goes on
                log.warning("message %s: deciding failed: %s", item.key[:16], type(exc).__name__)
                log.debug("message %s: traceback", item.key[:16], exc_info=True)
                item.error = type(exc).__name__
        count = ledger.fail(item.key, item.error)
        failed = item.too_complex or count >= MAX_FAILURES
        return Outcome(item.key, "error", "error.too_complex" if item.too_complex else "error.pipeline", "error",
                       "failed" if failed else "", f"{item.error} (failure {count})")


@dataclass(frozen=True)
class FileReading:
    reading: Reading | None
    disposition: str            # what `poll` would do: apply | triage | ignore | error
    error: str = ""
    applied: bool = False       # whether it would act on the reading (`Decision.applied`)


def read_files(config: Config, store: Store, raws: Iterable[bytes]) -> Iterable[FileReading]:
    """`mailer parse`: read and decide each message against the store, writing nothing. Each file is
    decided on its own, against the store as it is (not after the previous file's effects)."""
    reader = Reader(config, store, _readonly_secret(config, store))
    reader.refresh_tokens()
    directory, context = reader.directory(), reader.context()

    known = Ledger(store.snapshot(), config, reader.tokens.secret, directory, reader.clock(), reader.unsubscribe_address,
                   reader.keep_address).known
    for raw in raws:
        item = reader.read(message_key(raw), raw, context, directory)
        if item.error or item.reading is None or item.facts is None:
            yield FileReading(None, "error", item.error)
            continue
        decision = decide(item.reading, item.facts, known)
        yield FileReading(item.reading, decision.disposition.value, applied=decision.applied)


def read_file(config: Config, store: Store, raw: bytes) -> FileReading:
    return next(iter(read_files(config, store, [raw])))
