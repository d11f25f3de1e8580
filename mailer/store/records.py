"""The inbox's and the campaigns' records: one dataclass per table (schema.py says where each lives).

Every field has a default so that a doc written by an older version (fewer keys) still reads.
`optional` fields are written only once set, so a new doc has exactly the keys today's code
writes. Tables whose docs carry their own `id` (the inbox's) have an `id` field the store sets
on insert. Kinds decided by the inbound wing (`outgoing.kind` is a `decide.AnswerKind`) stay
plain strings here: the core does not import a wing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..models import CampaignState, SuppressionReason, SuppressionScope, _Record, optional


class TriageStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class PendingStatus(StrEnum):
    PENDING = "pending"         # a double opt-in waits for the person's confirmation
    ACTIVE = "active"


class OutgoingStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"         # the address is suppressed (bounce, complaint, erased)
    REFUSED = "refused"         # the server answered 5xx
    ERROR = "error"             # the answer could not be built


class SuppressionAction(StrEnum):
    SUPPRESS = "suppress"
    UPGRADE = "upgrade"         # a wider scope, or an erasure, replaced the record
    REPEAT = "repeat"
    UNSUPPRESS = "unsuppress"
    NARROW = "narrow"           # the person kept the other mailings: an `all` unsubscribe became `bulletin`


@dataclass(frozen=True)
class Inbound(_Record):
    """One message ever read (kept in the append-only inbound log, not the state file)."""

    id: int = 0
    key: str = ""               # sha256 of the message's bytes
    message_id: str = ""
    sender: str = ""
    kind: str = ""
    rule: str = ""
    disposition: str = ""
    folder: str = ""
    received: str = ""
    detail: str = ""


@dataclass(frozen=True)
class InboundFailure(_Record):
    id: int = 0
    key: str = ""
    count: int = 0
    error: str = optional()     # the exception's class name, never its text
    date: str = optional()


class ReportState(StrEnum):
    CORRECTED = "corrected"     # recorded or changed by a person (`triage apply`, `reports edit`)
    DELETED = "deleted"         # `reports delete`: kept with its history, counted nowhere


@dataclass(frozen=True)
class Report(_Record):
    id: int = 0
    date: str = ""
    message_key: str = ""
    message_id: str = ""
    sender: str = ""
    group: str | None = None
    dossier: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    # A person's corrections (issue 9, inbound/corrections.py). No state: recorded as read.
    state: ReportState | str = optional()
    triage: int = optional(0)                   # the triage item a coordinator applied it from
    by: str = optional()                        # who recorded it, when a person did (`--by`)
    history: list[dict[str, Any]] = optional(None)  # each change: date, by, change, note, was (before it)


@dataclass(frozen=True)
class TriageItem(_Record):
    id: int = 0
    key: str = ""
    message_id: str = ""
    sender: str = ""
    subject: str = ""
    kind: str = ""
    rule: str = ""
    reason: str = ""
    link: str = ""
    date: str = ""
    status: TriageStatus = TriageStatus.OPEN
    note: str = ""
    resolved: str = optional()
    reading: dict[str, Any] = optional(None)    # the best reading (`Reading.to_json()`), for a human to finish
    by: str = optional()                        # who resolved it
    outcome: str = optional()                   # what resolving it did: "report:7", "pending person", ...
    history: list[dict[str, Any]] = optional(None)  # what people did about it: date, by, change, detail


@dataclass(frozen=True)
class BounceRecord(_Record):
    id: int = 0
    email: str = ""
    first: str = ""
    delays: int = 0
    score: float = optional(None)
    last: str = optional()
    count: int = optional(None)
    hard: int = optional(0)              # hard failures (5.1.x) counted, once per campaign (bouncing.py)
    hard_keys: list[str] = optional(None)   # "campaign:NAME" / "day:DATE" each counted once
    refused: list[str] = optional(None)     # campaigns whose send-time refusal is recorded (once each)
    last_bounce: str = optional()        # when the last failure (of any kind) was recorded
    status: str = optional()             # its status ("5.1.1", "550", "4.2.2")
    reason: str = optional()             # its diagnostic, as the server wrote it


@dataclass(frozen=True)
class PendingPerson(_Record):
    id: int = 0
    email: str = ""
    name: str = ""
    group: str | None = None
    dossier: str | None = None
    status: PendingStatus = PendingStatus.PENDING
    requested: str = ""
    message_id: str = ""
    message_key: str = ""
    activated: str = optional()
    via: str = optional()
    scope: str = optional()       # "bulletin": the confirmation makes a bulletin subscriber, not a member


class ConsentEvent(StrEnum):
    CONFIRMED = "confirmed"     # the person confirmed (by mail), or a coordinator vouched (import, CLI)
    WITHDRAWN = "withdrawn"     # they asked to stop (unsubscribe, complaint)


@dataclass(frozen=True)
class Consent(_Record):
    """One event of a person's consent to one list (consent.py); a record written before lists
    were named is a confirmation by mail for the members' mailings."""

    id: int = 0
    email: str = ""
    list: str = "members"       # consent.ConsentList
    event: ConsentEvent = ConsentEvent.CONFIRMED
    date: str = ""
    via: str = ""               # token | thread (by mail), import, cli; empty for a withdrawal
    source: str = optional()    # an import's file and digest, a CLI command, a suppression's source
    message_id: str = optional()
    message_key: str = optional()
    request_message_id: str = optional()
    signup_message_id: str = optional()
    wording: str = optional()   # records of before kept the text; today's keep it once, in consent_wordings
    wording_version: str = optional()


@dataclass(frozen=True)
class ConsentWording(_Record):
    """A text people consented to, kept once by its version (an import writes 50k consents)."""

    version: str = ""
    text: str = ""
    first_used: str = ""


@dataclass(frozen=True)
class SignupRequest(_Record):
    id: int = 0
    email: str = ""
    name: str = ""
    group: str | None = None
    dossier: str | None = None
    date: str = ""
    message_id: str = ""


@dataclass(frozen=True)
class Outgoing(_Record):
    """An answer the inbox decided to send; outbound sends it and marks it."""

    id: int = 0
    kind: str = ""
    to: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    reply_to: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    link: str = ""
    status: OutgoingStatus = OutgoingStatus.PENDING
    created: str = ""
    sent: str = ""


@dataclass(frozen=True)
class Ack(_Record):
    """The last automatic answer to an address: at most one a day."""

    id: int = 0
    email: str = ""
    date: str = optional()


@dataclass(frozen=True)
class Erasure(_Record):
    """A person who asked to be forgotten: only a keyed hash of the address is kept (never the
    address), so that imports, sign-ups and sends can still recognise it (`registry.is_erased`)."""

    hash: str = ""              # HMAC-SHA256 of the canonical address under the store's secret
    date: str = ""
    by: str = ""
    reason: str = "erased"      # "erased": an Art. 17 request; "expired": the retention period (erasures.py)


@dataclass(frozen=True)
class SuppressionEvent(_Record):
    email: str = ""
    action: SuppressionAction = SuppressionAction.SUPPRESS
    reason: SuppressionReason | str = ""
    scope: SuppressionScope | str = ""
    date: str = ""
    source: str = optional(None)
    by: str = optional(None)


@dataclass(frozen=True)
class CampaignRecord(_Record):
    """A campaign's summary; per-recipient state is in its journals (outbound/journal.py)."""

    name: str = ""
    updated: str = optional(None)
    state: CampaignState | str = optional(None)
    kind: str = optional(None)
    source: str = optional(None)
    total: int | None = optional(None)
    started: str | None = optional(None)
    finished: str | None = optional(None)
    cancelled: str | None = optional(None)
    reason: str | None = optional(None)
    sent: int | None = optional(None)
    failed: int | None = optional(None)
    suppressed: int | None = optional(None)
    pending: int | None = optional(None)
    # its schedule (issue 10), set by a `send` of a file with a future `send_at`: the service starts
    # it then, if its file still has this content hash, and never after `not_after`
    send_at: str | None = optional(None)
    not_after: str | None = optional(None)
    scheduled: str | None = optional(None)          # when `send` scheduled it
    scheduled_by: str | None = optional(None)       # the coordinator who did (`send --by`)
    file_sha256: str | None = optional(None)        # the file's content hash then


class ApprovalVia(StrEnum):
    COMMAND = "command"         # `mailer campaign approve FILE --by EMAIL`
    REPLY = "reply"             # a reply to the `+a-` token of an approval request, from its coordinator


@dataclass(frozen=True)
class Approval(_Record):
    """A second coordinator's approval of one version of a campaign: its file's content hash and
    its audience size (mailer/approval.py); any change of either and it no longer holds."""

    campaign: str = ""
    file_sha256: str = ""
    audience: int = 0
    by: str = ""                # the coordinator who approved
    date: str = ""
    via: ApprovalVia | str = ApprovalVia.COMMAND
    message_id: str = optional()    # via reply: the reply's Message-ID


class RequestStatus(StrEnum):
    PENDING = "pending"         # recorded, not yet accepted by the server
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class ApprovalRequest(_Record):
    """An approval request mailed to one coordinator (its `+a-` token is rebuilt from these fields)."""

    campaign: str = ""
    file_sha256: str = ""
    audience: int = 0
    to: str = ""                # the coordinator asked
    by: str = ""                # the coordinator who sends the campaign and asked
    date: str = ""
    message_id: str = ""
    status: RequestStatus | str = RequestStatus.PENDING
    error: str = optional()
    file: str = optional()      # the campaign file, as the sender gave it (for the notices' command)


class ReminderKind(StrEnum):
    REMINDER = "reminder"               # to the group: the dossier's news and the reply form (+r-)
    REFERENT_NOTE = "referent_note"     # to the référent, instead of a third unanswered reminder


@dataclass(frozen=True)
class Reminder(_Record):
    """One reminder (or référent note) the daily run decided to send (mailer/reminders.py plans
    it, outbound/reminders.py sends it and marks it through its journal, as the answers are)."""

    id: int = 0
    kind: ReminderKind = ReminderKind.REMINDER
    group: str = ""
    dossier: str = ""
    to: str = ""                        # the group's address; the référent's, or the coordinators' (", ")
    day: str = ""                       # the run's day in the team's zone (YYYY-MM-DD)
    planned: str = ""                   # when the run recorded it (ISO 8601): reports after it answer it
    label: str = ""                     # the name its +r- token and Message-ID are bound to (tokens.py)
    reason: str = ""                    # why it is due (reminders.Reason)
    last_report: str = optional()       # when the group's last report on the dossier was received
    values: dict[str, Any] = field(default_factory=dict)   # what the message says (news, dates...)
    status: OutgoingStatus = OutgoingStatus.PENDING
    sent: str = optional()


@dataclass(frozen=True)
class Notice(_Record):
    """When a periodic notice (the triage digest) was last sent."""

    name: str = ""
    last: str = ""
    items: int = 0


class DossierEventKind(StrEnum):
    ADDED = "added"             # `mailer dossiers add`
    EDITED = "edited"           # `mailer dossiers edit`: `changes` names the fields
    STATUS = "status"           # `mailer dossiers set-status`
    IMPORTED = "imported"       # `mailer import dossiers` added or changed it


@dataclass(frozen=True)
class DossierEvent(_Record):
    """One dated change of a dossier (issue 10), so that its history can be shown: the status and
    outcome after the change, the day it happened (given by the coordinator) and when it was
    recorded. Field names only in `changes`: the values (a référent's address) stay in the dossier."""

    id: int = 0
    ref: str = ""
    date: str = ""              # the day the change happened, YYYY-MM-DD (`--date`, default today)
    kind: DossierEventKind | str = ""
    status: str = ""            # the dossier's status after the change (DossierStatus)
    outcome: str = optional()   # its outcome after the change (DossierOutcome), when it has one
    note: str = optional()
    changes: list[str] = optional(None)     # the fields an edit or an import changed
    thanks: str = optional()    # the thank-you campaign file written for a release or an acquittal
    by: str = ""                # who recorded it (`--by`, default cli:<login>; "import")
    recorded: str = ""          # when it was recorded, ISO 8601 UTC


@dataclass(frozen=True)
class LogMark(_Record):
    """How far an append-only log is committed (see applog.py: lines above it are ignored)."""

    name: str = ""
    committed: int = 0
