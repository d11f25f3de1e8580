"""Every table of the store, declared once: its name, its file, its record type, its personal data.

The personal-data declaration is what export, erasure and retention walk: a table or an address
field missing here is data they would forget, so `tests/test_schema.py` fills a store through
real flows and fails on any table or address-holding field not declared below.

Files (`Part`): the hot state file (suppressions, campaign summaries, the inbox's tables) is small
and rewritten often; the directory and the subscribers are bulky and rarely written, so they
have files of their own under the same lock, and so do the consents (a record per imported
person); the messages ever read grow without end, so they
go to an append-only log (applog.py) instead of being rewritten with the state on every batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Generic, TypeVar

from ..models import Dossier, Group, Member, Subscriber, Suppression
from .records import (Ack, Approval, ApprovalRequest, BounceRecord, CampaignRecord, Consent, ConsentWording, DossierEvent,
                      Erasure, Inbound, InboundFailure, LogMark, Notice, Outgoing, PendingPerson, Reminder, Report,
                      SignupRequest,
                      SuppressionEvent, TriageItem)

R = TypeVar("R")


class Part(StrEnum):
    """The file a table lives in, beside the state file `NAME.json`."""

    STATE = "state"                 # NAME.json
    DIRECTORY = "directory"         # NAME.directory.json
    SUBSCRIBERS = "subscribers"     # NAME.subscribers.json
    CONSENTS = "consents"           # NAME.consents.json: one record per person and list at least
    INBOUND_LOG = "inbound"         # NAME.inbound.jsonl, append-only


class Personal(StrEnum):
    """What kind of personal data a field holds (GDPR: what an export or an erasure must find)."""

    ADDRESS = "address"             # an e-mail address
    NAME = "name"                   # a person's name
    FREE_TEXT = "free_text"         # text a person wrote (a subject, a note, values quoted back)
    RAW_MESSAGE = "raw_message"     # a message's bytes or headers


@dataclass(frozen=True)
class TableSpec(Generic[R]):
    name: str
    part: Part
    record: type[R]
    personal: dict[str, Personal] = field(default_factory=dict)
    stored_id: bool = False         # each doc carries its own `id` (the inbox's tables)

    def field_names(self) -> list[str]:
        return [f.name for f in fields(self.record)]  # type: ignore[arg-type]

    def __hash__(self) -> int:
        return hash(self.name)


A, N, T = Personal.ADDRESS, Personal.NAME, Personal.FREE_TEXT

GROUPS = TableSpec("groups", Part.DIRECTORY, Group, {"email": A})
DOSSIERS = TableSpec("dossiers", Part.DIRECTORY, Dossier, {"person": N, "referent_email": A})
DOSSIER_EVENTS = TableSpec("dossier_events", Part.DIRECTORY, DossierEvent, {"by": A, "note": T}, stored_id=True)
MEMBERS = TableSpec("members", Part.DIRECTORY, Member, {"email": A, "name": N})
SUBSCRIBERS = TableSpec("subscribers", Part.SUBSCRIBERS, Subscriber, {"email": A, "name": N})
SUPPRESSIONS = TableSpec("suppressions", Part.STATE, Suppression, {"email": A})
SUPPRESSION_EVENTS = TableSpec("suppression_events", Part.STATE, SuppressionEvent, {"email": A})
ERASURES = TableSpec("erasures", Part.STATE, Erasure)     # keyed hashes only: nothing personal left
CAMPAIGNS = TableSpec("campaigns", Part.STATE, CampaignRecord, {"scheduled_by": A})
APPROVALS = TableSpec("approvals", Part.STATE, Approval, {"by": A})
APPROVAL_REQUESTS = TableSpec("approval_requests", Part.STATE, ApprovalRequest,
                              {"to": A, "by": A})
NOTICES = TableSpec("notices", Part.STATE, Notice)
LOG_MARKS = TableSpec("_logs", Part.STATE, LogMark)

INBOUND = TableSpec("inbound", Part.INBOUND_LOG, Inbound, {"sender": A}, stored_id=True)
INBOUND_FAILURES = TableSpec("inbound_failures", Part.STATE, InboundFailure, stored_id=True)
REPORTS = TableSpec("reports", Part.STATE, Report, {"sender": A, "actions": T, "history": T}, stored_id=True)
TRIAGE = TableSpec("triage", Part.STATE, TriageItem, {"sender": A, "subject": T, "note": T, "reading": T,
                                               "history": T},
                   stored_id=True)
BOUNCE_SCORES = TableSpec("bounce_scores", Part.STATE, BounceRecord, {"email": A, "reason": T}, stored_id=True)
PENDING_PEOPLE = TableSpec("pending_people", Part.STATE, PendingPerson, {"email": A, "name": N}, stored_id=True)
CONSENTS = TableSpec("consents", Part.CONSENTS, Consent, {"email": A}, stored_id=True)
CONSENT_WORDINGS = TableSpec("consent_wordings", Part.CONSENTS, ConsentWording)
SIGNUP_REQUESTS = TableSpec("signup_requests", Part.STATE, SignupRequest, {"email": A, "name": N},
                            stored_id=True)
OUTGOING = TableSpec("outgoing", Part.STATE, Outgoing, {"to": A, "reply_to": A, "values": T}, stored_id=True)
ACK_LOG = TableSpec("ack_log", Part.STATE, Ack, {"email": A}, stored_id=True)
REMINDERS = TableSpec("reminders", Part.STATE, Reminder, {"to": A, "values": T}, stored_id=True)

TABLES: tuple[TableSpec[Any], ...] = (
    GROUPS, DOSSIERS, MEMBERS, SUBSCRIBERS, SUPPRESSIONS, SUPPRESSION_EVENTS, ERASURES, CAMPAIGNS, NOTICES, LOG_MARKS,
    INBOUND, INBOUND_FAILURES, REPORTS, TRIAGE, BOUNCE_SCORES, PENDING_PEOPLE, CONSENTS, SIGNUP_REQUESTS,
    OUTGOING, ACK_LOG, CONSENT_WORDINGS, DOSSIER_EVENTS, REMINDERS, APPROVALS, APPROVAL_REQUESTS,
)
BY_NAME: dict[str, TableSpec[Any]] = {spec.name: spec for spec in TABLES}


def spec(name: str) -> TableSpec[Any]:
    """The declaration of a table by its name (raw reads in tests and exports)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"table {name!r} is not declared in mailer/store/schema.py") from None
