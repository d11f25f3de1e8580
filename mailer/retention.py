"""What the daily purge removes, chosen from records, periods and a date alone.  [pure]

The edges are `mailer/app/retention.py` (the store, the mailbox, the outbox, erasure) and
`service.py` (once a day). Each period of `[retention]` (README: Retention) gives a cutoff,
`now - N days`; a record goes when its date is before its cutoff. An empty or unreadable date
keeps the record: the purge never guesses that something is old.

- unconfirmed_days: a pending person or a pending subscriber whose request is older goes, with
  their sign-up requests and the confirmation requests sent (or failed) to them; their answer
  log entry and their sender in the inbound log go too when nothing else holds the address.
  No hash is kept: they did not confirm, they may sign up again.
- former_subscriber_days: an address stopped for all mail (any reason; erased ones have no
  suppression left) whose last contact (the suppression, its events, its last message read) is
  older is erased as `expired` (by the edge, through the one eraser).
- inbound_record_days: messages read (but the newest, which keeps the log's ids going, without its
  sender), resolved triage items (once the raw message period is over too), answers sent or
  failed, the answer log's "last answered" dates, bounce scores, suppression events but the one
  that explains a current suppression; reports keep their counts and lose their sender.
- raw_message_days: what the edge may delete in the mailbox (`raw_before`, `resolved_keys`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .clock import parse_iso
from .config import RetentionConfig
from .models import AnswerKind, SubscriberStatus, SuppressionReason, SuppressionScope
from .store.records import OutgoingStatus, PendingStatus, SuppressionAction, TriageStatus
from .store.schema import Part

INBOUND_PART = Part.INBOUND_LOG
Rows = Sequence[tuple[int, Any]]

# The categories a purge counts, in the order the command prints them.
CATEGORIES = ("unconfirmed_people", "signup_requests", "confirmation_requests", "ack_log", "former_subscribers",
              "raw_messages", "captured_mail", "inbound_records", "triage_items", "outgoing", "bounce_scores",
              "suppression_events", "reports_anonymised")


@dataclass(frozen=True)
class Tables:
    """The records a plan reads: (doc id, record) per table, as the store gives them."""

    pending_people: Rows = ()
    subscribers: Rows = ()
    signup_requests: Rows = ()
    outgoing: Rows = ()
    ack_log: Rows = ()
    members: Rows = ()
    consents: Rows = ()
    suppressions: Rows = ()
    suppression_events: Rows = ()
    inbound: Rows = ()
    triage: Rows = ()
    bounce_scores: Rows = ()
    reports: Rows = ()


@dataclass
class Plan:
    delete: dict[str, list[int]] = field(default_factory=dict)     # table -> doc ids
    unconfirmed: set[str] = field(default_factory=set)               # addresses whose request lapsed
    forget_senders: set[str] = field(default_factory=set)            # ... and that nothing else holds
    expired: list[str] = field(default_factory=list)                 # former subscribers to erase
    inbound_drop: set[int] = field(default_factory=set)              # inbound log ids to leave out
    inbound_blank: set[int] = field(default_factory=set)             # ... and kept without their sender
    reports: list[int] = field(default_factory=list)                 # reports to keep without their sender
    raw_before: datetime | None = None                               # raw mail delivered before this goes
    resolved_keys: frozenset[str] = frozenset()                      # triage/failed messages that may go
    confirmations: set[int] = field(default_factory=set)             # outgoing ids of lapsed requests

    def _add(self, table: str, doc_id: int) -> None:
        self.delete.setdefault(table, []).append(doc_id)

    def counts(self) -> dict[str, int]:
        """Per category, how many records the plan removes (the mailbox's are the edge's)."""
        d = {name: len(ids) for name, ids in self.delete.items()}
        return {
            "unconfirmed_people": d.get("pending_people", 0) + d.get("subscribers", 0),
            "signup_requests": d.get("signup_requests", 0),
            "confirmation_requests": len(self.confirmations),
            "ack_log": d.get("ack_log", 0),
            "former_subscribers": len(self.expired),
            "raw_messages": 0, "captured_mail": 0,
            "inbound_records": len(self.inbound_drop),
            "triage_items": d.get("triage", 0),
            "outgoing": d.get("outgoing", 0) - len(self.confirmations),
            "bounce_scores": d.get("bounce_scores", 0),
            "suppression_events": d.get("suppression_events", 0),
            "reports_anonymised": len(self.reports),
        }


def _before(value: str | None, cutoff: datetime) -> bool:
    moment = parse_iso(value)
    return moment is not None and moment < cutoff


def _latest(*values: str | None) -> datetime | None:
    moments = [m for m in (parse_iso(v) for v in values) if m is not None]
    return max(moments) if moments else None


def is_due(last: str, now: datetime, tz: ZoneInfo) -> bool:
    """At most once a day, by the team's calendar: due when the last run was on an earlier day."""
    moment = parse_iso(last)
    return moment is None or moment.astimezone(tz).date() < now.astimezone(tz).date()


def plan(tables: Tables, periods: RetentionConfig, now: datetime) -> Plan:
    """Everything the purge removes at `now` under `periods`."""
    found = Plan()
    _unconfirmed(found, tables, now - timedelta(days=periods.unconfirmed_days))
    _former(found, tables, now - timedelta(days=periods.former_subscriber_days))
    raw = now - timedelta(days=periods.raw_message_days)
    found.raw_before = raw
    found.resolved_keys = frozenset(t.key for _, t in tables.triage
                                    if t.status == TriageStatus.RESOLVED and _before(t.resolved, raw))
    _records(found, tables, now - timedelta(days=periods.inbound_record_days), raw)
    return found


def _unconfirmed(found: Plan, tables: Tables, cutoff: datetime) -> None:
    kept: set[str] = set()
    for doc_id, person in tables.pending_people:
        if person.status == PendingStatus.PENDING and _before(person.requested, cutoff):
            found._add("pending_people", doc_id)
            found.unconfirmed.add(person.email.lower())
        else:
            kept.add(person.email.lower())
    for doc_id, sub in tables.subscribers:
        if sub.status == SubscriberStatus.PENDING and _before(sub.since, cutoff):
            found._add("subscribers", doc_id)
            found.unconfirmed.add(sub.email.lower())
    lapsed = found.unconfirmed
    if not lapsed:
        return
    for doc_id, request in tables.signup_requests:
        if request.email.lower() in lapsed and _before(request.date, cutoff):
            found._add("signup_requests", doc_id)
    for doc_id, out in tables.outgoing:
        if (out.to.lower() in lapsed and out.kind == AnswerKind.CONFIRM_REQUEST
                and out.status != OutgoingStatus.PENDING):      # one being sent stays
            found._add("outgoing", doc_id)
            found.confirmations.add(doc_id)
    gone = set(found.delete.get("subscribers", ()))
    elsewhere = kept | {s.email.lower() for i, s in tables.subscribers if i not in gone}
    for rows, name in ((tables.members, "email"), (tables.consents, "email"), (tables.suppressions, "email"),
                       (tables.bounce_scores, "email"), (tables.triage, "sender"), (tables.reports, "sender")):
        elsewhere |= {str(getattr(r, name, "") or "").lower() for _, r in rows}
    found.forget_senders = lapsed - elsewhere
    for doc_id, ack in tables.ack_log:
        if ack.email.lower() in found.forget_senders:
            found._add("ack_log", doc_id)
    for doc_id, record in tables.inbound:
        if record.sender.lower() in found.forget_senders:
            found.inbound_blank.add(doc_id)


def _former(found: Plan, tables: Tables, cutoff: datetime) -> None:
    events: dict[str, list[str]] = {}
    for _, event in tables.suppression_events:
        events.setdefault(event.email.lower(), []).append(event.date)
    last_read: dict[str, str] = {}
    for _, record in tables.inbound:
        sender = record.sender.lower()
        if sender and record.received > last_read.get(sender, ""):
            last_read[sender] = record.received
    for _, sup in tables.suppressions:
        if sup.scope != SuppressionScope.ALL or sup.reason in (SuppressionReason.ERASED, SuppressionReason.EXPIRED):
            continue
        email = sup.email.lower()
        last = _latest(sup.date, *events.get(email, ()), last_read.get(email))
        if last is not None and last < cutoff and email not in found.expired:
            found.expired.append(email)


def _explaining(tables: Tables) -> set[int]:
    """For each current suppression, the last event that put it in place (kept whatever its age)."""
    current = {s.email.lower() for _, s in tables.suppressions}
    last: dict[str, int] = {}
    for doc_id, event in tables.suppression_events:
        if event.email.lower() in current and event.action in (SuppressionAction.SUPPRESS, SuppressionAction.UPGRADE,
                                                                  SuppressionAction.NARROW):
            last[event.email.lower()] = doc_id
    return set(last.values())


def _records(found: Plan, tables: Tables, cutoff: datetime, raw: datetime) -> None:
    newest = max((doc_id for doc_id, _ in tables.inbound), default=None)
    for doc_id, record in tables.inbound:
        if _before(record.received, cutoff):
            if doc_id == newest:        # the next id is computed from the log: keep its last line, emptied
                found.inbound_blank.add(doc_id)
            else:
                found.inbound_drop.add(doc_id)
    triage_cutoff = min(cutoff, raw)    # a resolved item stays while its raw message may still be kept
    for doc_id, item in tables.triage:
        if item.status == TriageStatus.RESOLVED and _before(item.resolved, triage_cutoff):
            found._add("triage", doc_id)
    for doc_id, out in tables.outgoing:
        if (doc_id not in found.confirmations and out.status != OutgoingStatus.PENDING
                and _before(out.sent or out.created, cutoff)):
            found._add("outgoing", doc_id)
    acked = set(found.delete.get("ack_log", ()))
    for doc_id, ack in tables.ack_log:      # it only serves "one automatic answer a day"
        if doc_id not in acked and _before(ack.date, cutoff):
            found._add("ack_log", doc_id)
    for doc_id, score in tables.bounce_scores:
        if _before(score.last or score.first, cutoff):
            found._add("bounce_scores", doc_id)
    keep = _explaining(tables)
    for doc_id, event in tables.suppression_events:
        if doc_id not in keep and _before(event.date, cutoff):
            found._add("suppression_events", doc_id)
    found.reports = [doc_id for doc_id, report in tables.reports if report.sender and _before(report.date, cutoff)]
