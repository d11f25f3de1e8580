"""The inbox's answers: acknowledgements, confirmation requests, unsubscribe confirmations and
référent notices, built from the `outgoing` records the inbound wing left pending, then sent.

Bodies come from small Jinja2 templates (`wording.template_folders`: plain text, no autoescape,
no HTML); headers are set through `EmailMessage` so no value can add a header line. Automatic
answers carry RFC 3834's `Auto-Submitted: auto-replied` and thread under the message they answer;
a référent notice is a message from the team, not an answer, so it carries neither.

Why a journal: marking each answer sent in the store costs one rewrite of the state file per
message (measured here: 500 answers took 32 s with a 2 MB state file). Instead each answer gets
lines `ID STATUS DATE` appended to `inbox-answers.log`, each with a single write, as the campaigns'
journal does (journal.py): `ID sending DATE` before its SMTP transaction, then its outcome (`sent`
right after the server's 250, `refused`, or `pending`: it did not leave, retried next time). The
lines are folded into the store in one transaction at the end of the run (and at the start of the
next one, after a crash).

Only an answer whose result is unknown (a `sending` line with nothing after it: the process died,
or the journal could not be written, between the transaction and its outcome) is sent again, the
one duplicate the campaigns' journal allows too. A `sending` line that cannot be written means no
send; before it, room for the lines that follow is reserved beyond the journal's end
(diskroom.py), so a disk that fills meanwhile stops the answers with a `JournalError` naming the
file, never one sent and forgotten. Lines are fsynced every `SYNC_EVERY` answers, which bounds
what a power loss can resend.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from filelock import FileLock, Timeout

from ..config import Config
from ..errors import JournalError, MailerError, PermanentSendError
from ..models import AnswerKind
from ..store.records import OutgoingStatus
from ..registry import SuppressionMap, suppression_map
from ..store.schema import OUTGOING, TableSpec
from ..store import Store
from ..wording import template_folders
from . import diskroom
from .send import Connect, SmtpTransport, Transport

log = logging.getLogger(__name__)

SUBJECTS = {
    AnswerKind.REPORT_ACK: "Bien reçu : votre compte rendu d'action",
    AnswerKind.REPORT_CONFIRM: "Votre compte rendu : est-ce bien cela ?",
    AnswerKind.CONFIRM_REQUEST: "Confirmez votre inscription",     # ReadingContext.confirm_subjects knows it
    AnswerKind.UNSUBSCRIBED: "Votre désinscription est enregistrée",
    AnswerKind.UNSUBSCRIBE_CONFIRM: "Confirmez votre désinscription",
    AnswerKind.REFERENT_NOTICE: "Nouvelle proposition d'aide bénévole",
    AnswerKind.APPROVAL_NOTICE: "Campagne approuvée",
}
JOURNAL = "inbox-answers.log"
NOT_TO = ("bounce", "complaint", "erased")      # suppressions that also stop an answer
SYNC_EVERY = 50
SENDING = "sending"         # written before the SMTP transaction; alone, the answer's result is unknown
FINAL = {OutgoingStatus.SENT, OutgoingStatus.SKIPPED, OutgoingStatus.REFUSED, OutgoingStatus.ERROR}
RESERVE = 4096              # room kept beyond the journal's end: ~60 lines


@lru_cache(maxsize=4)
def _environment(folders: tuple[Path, ...]) -> jinja2.Environment:
    """The team may override these templates (`templates/inbound/`): code a coordinator writes,
    run in Jinja's sandbox like the campaigns' (issue 8)."""
    return SandboxedEnvironment(loader=jinja2.FileSystemLoader([str(f) for f in folders]),
                                autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def render_body(config: Config, kind: AnswerKind | str, values: Mapping[str, Any]) -> str:
    template = _environment(tuple(template_folders(config))).get_template(f"{AnswerKind(kind).value}.txt")
    return template.render(team=config.team.name, **values)


def build_message(config: Config, doc: Mapping[str, Any]) -> EmailMessage:
    """An `outgoing` record -> the message to send (the record keeps its Message-ID, so a reply
    to it can be matched to what it answered)."""
    kind = AnswerKind(doc["kind"])
    msg = EmailMessage()
    msg["From"] = Address(config.team.name, addr_spec=config.team.address)
    msg["To"] = Address(addr_spec=doc["to"])
    campaign = doc.get("values", {}).get("campaign", "") if kind is AnswerKind.APPROVAL_NOTICE else ""
    msg["Subject"] = f"Campagne « {campaign} » approuvée" if campaign else SUBJECTS[kind]
    msg["Date"] = format_datetime(datetime.now(UTC).astimezone(config.team.tz))
    msg["Message-ID"] = doc["message_id"]
    if doc.get("reply_to"):
        msg["Reply-To"] = Address(config.team.name, addr_spec=doc["reply_to"])
    if doc.get("in_reply_to"):
        msg["In-Reply-To"] = doc["in_reply_to"]
        msg["References"] = " ".join([*doc.get("references", []), doc["in_reply_to"]][-10:])
    if kind is AnswerKind.APPROVAL_NOTICE:
        msg["Auto-Submitted"] = "auto-generated"        # the service's own notice to the coordinators
    elif kind is not AnswerKind.REFERENT_NOTICE:
        msg["Auto-Submitted"] = "auto-replied"          # RFC 3834 section 5
        msg["X-Auto-Response-Suppress"] = "All"         # Exchange: no out-of-office back at us
    msg.set_content(render_body(config, kind, doc.get("values", {})))
    return msg


class AnswerSender:
    """Sends the `outgoing` records marked pending, one process at a time, journaling each mark."""

    TABLE: TableSpec[Any] = OUTGOING    # the records sent and marked (the reminders reuse this sender)
    JOURNAL = JOURNAL
    WHAT = "answer"

    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 connect: Connect = SmtpTransport) -> None:
        self.config, self.store, self.clock, self.connect = config, store, clock, connect
        self.path: Path = config.state_dir / self.JOURNAL
        self.lock = FileLock(str(self.path) + ".lock", mode=0o600)

    def _read_journal(self) -> dict[str, tuple[str, str]]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return {}
        marks: dict[str, tuple[str, str]] = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 3:                  # a torn last line has fewer: ignored
                marks[parts[0]] = (parts[1], parts[2])
        return marks

    def fold(self) -> None:
        """Journal lines -> the store (one transaction), then an empty journal. Idempotent."""
        marks = self._read_journal()
        if marks:
            with self.store.transaction() as tx:
                outgoing = tx.table(self.TABLE)
                for doc_id, (status, stamp) in marks.items():
                    answer = outgoing.get(int(doc_id)) if doc_id.isdigit() else None
                    if answer is None or answer.status != OutgoingStatus.PENDING:
                        continue
                    if status in FINAL:
                        outgoing.update(int(doc_id), replace(answer, status=status, sent=stamp))
                    elif status == SENDING:
                        log.warning("%s %s: its result is unknown (it may have left at %s before its "
                                    "outcome was journaled): it stays pending and is sent again", self.WHAT,
                                    doc_id, stamp)
        if self.path.exists():
            os.truncate(self.path, 0)

    def send_pending(self) -> int:
        """Send every pending answer (outside the store lock); returns how many the server accepted."""
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            return 0                              # another process is sending them right now
        try:
            self.fold()
            return self._send()
        finally:
            self.lock.release()

    def _send(self) -> int:
        snapshot = self.store.snapshot()
        pending = [o.to_doc() for o in snapshot.table(self.TABLE) if o.status == OutgoingStatus.PENDING]
        if not pending:
            return 0
        blocked = suppression_map(snapshot)         # an erased address answers by its keyed hash
        journal = _Journal(self.path, self.clock, self.WHAT)
        sent = 0
        try:
            transport = self.connect(self.config.smtp)
            try:
                for n, doc in enumerate(pending, 1):
                    status = self._send_one(transport, doc, blocked, journal)
                    journal.mark(doc["id"], status or OutgoingStatus.PENDING, sync=n % SYNC_EVERY == 0)
                    if status is None:
                        break                     # the relay is down or busy: the rest waits
                    sent += status == OutgoingStatus.SENT
                journal.sync()
            finally:
                transport.close()
        finally:
            journal.close()
        self.fold()
        return sent

    def _send_one(self, transport: Transport, doc: dict, blocked: SuppressionMap, journal: _Journal) -> str | None:
        message = self._prepare(doc, blocked)
        if isinstance(message, str):              # a final status: skipped, or it cannot be built
            return message
        journal.mark(doc["id"], SENDING)           # raises if it cannot be written: then nothing is sent
        try:
            self._transmit(transport, message)
        except PermanentSendError as exc:
            log.warning("%s %s refused: %s", self.WHAT, doc["id"], exc)
            return OutgoingStatus.REFUSED
        except (MailerError, OSError) as exc:     # temporary, or the relay is down: next time
            log.warning("%s %s will be retried: %s", self.WHAT, doc["id"], exc)
            return None
        return OutgoingStatus.SENT

    def _prepare(self, doc: dict, blocked: SuppressionMap) -> Any:
        """The message to send for a record, or the final status it gets without being sent."""
        found = blocked.get(str(doc["to"]).lower())
        if found is not None and found.reason in NOT_TO:
            return OutgoingStatus.SKIPPED
        try:
            return build_message(self.config, doc)
        except Exception as exc:  # noqa: BLE001 - a broken template must not block the other answers
            log.error("answer %s (%s) cannot be built: %s", doc["id"], doc["kind"], type(exc).__name__)
            return OutgoingStatus.ERROR

    def _transmit(self, transport: Transport, message: Any) -> None:
        transport.send_message(message)


class _Journal:
    """`inbox-answers.log` open for appending, with room reserved beyond its end; every failure
    is a `JournalError` naming it (not an OSError, which the sender reads as a lost relay)."""

    def __init__(self, path: Path, clock: Callable[[], datetime], what: str = "answer") -> None:
        self.path, self.clock, self.reserved, self.what = path, clock, 0, what
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._error(exc) from None

    def _error(self, exc: OSError) -> JournalError:
        return JournalError(f"cannot write the {self.what}s' journal {self.path}: {exc.strerror or exc}; no "
                            f"{self.what} is sent until it can be (a full disk: free some space); they stay pending")

    def mark(self, doc_id: int, status: str, sync: bool = False) -> None:
        try:
            self.reserved = diskroom.reserve(self.fd, self.reserved, RESERVE)
            os.write(self.fd, f"{doc_id} {status} {self.clock().isoformat(timespec='seconds')}\n".encode())
            if sync:
                os.fsync(self.fd)
        except OSError as exc:
            raise self._error(exc) from None

    def sync(self) -> None:
        try:
            os.fsync(self.fd)
        except OSError as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        try:
            diskroom.give_back(self.fd, self.reserved)
        except OSError:
            pass                                  # the room stays taken until the fold empties the file
        finally:
            os.close(self.fd)
