"""The inbox's tables inside one store transaction: what decide needs to know, and its effects applied.

Every table lives in the main state file (small, hot); each doc carries its own `id`. Indexes are
built once per batch, and `known` is a live view: the second message of a batch sees what the
first one did (a second bounce the same day, an answer already sent today). Every change a message
makes is logged in `undo`, so a message that fails half way leaves nothing behind (it is retried).

Tables (no message bodies anywhere: the mailbox folders keep the messages themselves):
- inbound          key, message_id, sender, kind, rule, disposition, folder, received, detail
- inbound_failures key, count, error (exception class), date
- reports          id, date, message_key, message_id, sender, group, dossier, actions[]
- triage           id, key, message_id, sender, subject, kind, rule, reason, link, date, status, note
- bounce_scores    email, score, last, count, delays, first
- pending_people   email, name, group, dossier, status (pending|active), requested, message_id, activated
- consents         email, date, message_id, message_key, request_message_id, wording, wording_version
- signup_requests  id, email, name, group, dossier, date, message_id
- outgoing         id, kind, to, message_id, in_reply_to, references, reply_to, values, link, status
                   (pending|sent|skipped|refused|error), created, sent (outbound/answers.py journals the marks)
- ack_log          email, date (last automatic answer: at most one a day)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..config import Config
from ..models import Directory, Suppression
from ..registry import SUPPRESSION_EVENTS, SUPPRESSIONS, canonical_email
from ..tokens import CONFIRM, make_token, new_message_id, sub_address
from ..wording import CONSENT_WORDING, wording_version
from . import summaries
from .understand.classify import Reading
from .decide import (
    Activate,
    AnswerKind,
    BounceScore,
    CreatePendingPerson,
    Decision,
    Effect,
    MessageFacts,
    Known,
    RecordBounce,
    RecordReport,
    RecordSignupRequest,
    SendAnswer,
    Suppress,
    ToTriage,
    crosses_threshold,
    score_bounce,
)

Docs = dict[str, dict[str, Any]]
TABLES = ("inbound", "inbound_failures", "reports", "triage", "bounce_scores", "pending_people", "consents",
          "signup_requests", "outgoing", "ack_log")


Undo = list[Callable[[], None]]


def _restore(mapping: dict[Any, Any], key: Any) -> Callable[[], None]:
    """An undo step: put `mapping[key]` back as it is now (or remove it if absent)."""
    if key in mapping:
        old = mapping[key]
        saved = dict(old) if isinstance(old, dict) else old
        if isinstance(old, dict):
            def refill() -> None:           # the same dict object: indexes and views hold it
                old.clear()
                old.update(saved)
            return refill
        return lambda: mapping.__setitem__(key, saved)
    return lambda: mapping.pop(key, None)


class _Keyed:
    """A raw table with an index on one field, and the next free doc id; changes go to `undo`."""

    def __init__(self, docs: Docs, undo: Undo, field: str | None = None) -> None:
        self.docs = docs
        self.undo = undo
        self.field = field
        self.index = {d[field]: k for k, d in docs.items() if field and field in d} if field else {}
        self.next = max((int(k) for k in docs), default=0) + 1

    def get(self, key: str) -> dict[str, Any] | None:
        doc_id = self.index.get(key)
        return self.docs[doc_id] if doc_id is not None else None

    def add(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc_id = str(self.next)
        self.next += 1
        doc = {"id": int(doc_id), **doc}
        self.undo.append(_restore(self.docs, doc_id))
        self.docs[doc_id] = doc
        if self.field:
            self.undo.append(_restore(self.index, doc[self.field]))
            self.index[doc[self.field]] = doc_id
        return doc

    def change(self, doc: dict[str, Any], **values: Any) -> None:
        self.undo.append(_restore({0: doc}, 0))
        doc.update(values)


def confirm_address(config: Config, secret: bytes, email: str) -> str:
    return sub_address(config.team.address, CONFIRM, make_token(secret, CONFIRM, email))


class Ledger:
    """Reads and writes the inbox tables of one transaction (`peek` only, when `tx` is read-only)."""

    def __init__(self, tables: Callable[[str], Docs], config: Config, secret: bytes, directory: Directory,
                 now: datetime, unsubscribe_address: Callable[[str], str | None] = lambda token: None) -> None:
        self.config, self.secret, self.directory, self.now = config, secret, directory, now
        self._tables = tables
        self.undo: Undo = []
        u = self.undo
        t = {name: tables(name) for name in TABLES}
        self.inbound = _Keyed(t["inbound"], u, "key")
        self.failures = _Keyed(t["inbound_failures"], u, "key")
        self.reports = _Keyed(t["reports"], u)
        self.triage = _Keyed(t["triage"], u)
        self.scores = _Keyed(t["bounce_scores"], u, "email")
        self.pending = _Keyed(t["pending_people"], u, "email")
        self.consents = _Keyed(t["consents"], u)
        self.signups = _Keyed(t["signup_requests"], u)
        self.outgoing = _Keyed(t["outgoing"], u, "message_id")
        self.acks = _Keyed(t["ack_log"], u, "email")
        self.suppressions = _Keyed(tables(SUPPRESSIONS), u, "email")
        self.suppression_events = _Keyed(tables(SUPPRESSION_EVENTS), u)
        self.known = Known(
            team_address=config.team.address, directory=directory, today=now.date(),
            coordinators=config.team.coordinators,
            answered={d["email"]: d["date"] for d in self.acks.docs.values()},
            ack_threads={d["message_id"]: d.get("link", "") for d in self.outgoing.docs.values()
                         if d["kind"] == AnswerKind.REPORT_ACK},
            confirm_threads={d["message_id"]: d["to"] for d in self.outgoing.docs.values()
                             if d["kind"] == AnswerKind.CONFIRM_REQUEST},
            pending={d["email"]: (d["status"], d.get("dossier")) for d in self.pending.docs.values()},
            confirm_tokens={make_token(secret, CONFIRM, d["email"]): d["email"] for d in self.pending.docs.values()},
            unsubscribe_address=unsubscribe_address,
        )

    @property
    def stamp(self) -> str:
        return self.now.isoformat(timespec="seconds")

    # ------------------------------------------------------------------ recording a message
    def record(self, key: str, reading: Reading, facts: MessageFacts, subject: str, decision: Decision,
               folder: str, detail: str) -> None:
        """Apply every effect and record the message, or (if anything raises) none of it."""
        self.undo.clear()
        self._last_report = None
        try:
            for effect in decision.effects:
                self._apply(effect, key, reading, facts, subject)
        except BaseException:
            for step in reversed(self.undo):
                step()
            raise
        finally:
            self.undo.clear()
        self.inbound.add({"key": key, "message_id": facts.message_id, "sender": reading.sender,
                          "kind": reading.kind.value, "rule": reading.rule, "disposition": decision.disposition.value,
                          "folder": folder, "received": self.stamp, "detail": detail})

    def fail(self, key: str, error: str) -> int:
        doc = self.failures.get(key) or self.failures.add({"key": key, "count": 0})
        doc.update(count=doc["count"] + 1, error=error, date=self.stamp)
        self.undo.clear()
        return int(doc["count"])

    # ------------------------------------------------------------------ effects
    _last_report: str | None = None

    def _apply(self, effect: Effect, key: str, reading: Reading, env: MessageFacts, subject: str) -> None:
        if isinstance(effect, RecordBounce):
            self._bounce(effect, env)
        elif isinstance(effect, Suppress):
            self.suppress(effect.email, effect.reason, effect.scope, env.message_id or key)
        elif isinstance(effect, RecordReport):
            doc = self.reports.add({"date": self.stamp, "message_key": key, "message_id": env.message_id,
                                    "sender": effect.sender, "group": effect.group, "dossier": effect.dossier,
                                    "actions": [a.to_json() for a in effect.actions]})
            self._last_report = f"report:{doc['id']}"
        elif isinstance(effect, CreatePendingPerson):
            self.pending.add({"email": effect.email, "name": effect.name, "group": effect.group,
                              "dossier": effect.dossier, "status": "pending", "requested": self.stamp,
                              "message_id": env.message_id, "message_key": key})
            self._know(self.known.pending, effect.email, ("pending", effect.dossier))
            self._know(self.known.confirm_tokens, make_token(self.secret, CONFIRM, effect.email), effect.email)
        elif isinstance(effect, Activate):
            self._activate(effect, key, env)
        elif isinstance(effect, RecordSignupRequest):
            self.signups.add({"email": effect.email, "name": effect.name, "group": effect.group,
                              "dossier": effect.dossier, "date": self.stamp, "message_id": env.message_id})
        elif isinstance(effect, SendAnswer):
            self._answer(effect, reading, env, subject)
        elif isinstance(effect, ToTriage):
            self.triage.add({"key": key, "message_id": env.message_id, "sender": reading.sender,
                             "subject": subject[:200], "kind": reading.kind.value, "rule": reading.rule,
                             "reason": effect.reason, "link": effect.link, "date": self.stamp,
                             "status": "open", "note": ""})

    def _bounce(self, effect: RecordBounce, env: MessageFacts) -> None:
        email = canonical_email(effect.email)
        doc = self.scores.get(email)
        previous = BounceScore(doc["score"], doc["last"], doc.get("count", 0)) if doc else None
        if effect.permanent is False:
            if doc is not None:
                self.scores.change(doc, delays=doc.get("delays", 0) + 1)
            return
        scored = score_bounce(previous, effect.permanent, self.now.date())
        if scored is None:
            return
        if doc is None:
            doc = self.scores.add({"email": email, "first": self.stamp, "delays": 0})
        self.scores.change(doc, score=scored.score, last=scored.last, count=scored.count)
        if crosses_threshold(scored):
            self.suppress(email, "bounce", "all", env.message_id)

    def suppress(self, email: str, reason: str, scope: str, source: str) -> None:
        """registry.suppress's rules, inside this transaction (a nested one would be overwritten)."""
        key = canonical_email(email)
        new = Suppression(email=key, reason=reason, scope=scope, date=self.stamp, source=source)
        old_doc = self.suppressions.get(key)
        if old_doc is None:
            action = "suppress"
            self.suppressions.add(new.to_doc())
        else:
            old = Suppression.from_doc(old_doc)
            action = "upgrade" if old.scope == "bulletin" and scope == "all" else "repeat"
            if action == "upgrade":
                self.suppressions.change(old_doc, **new.to_doc())
        event = {"email": key, "action": action, "reason": reason, "scope": scope, "date": self.stamp, "source": source}
        events = self.suppression_events
        self._know(events.docs, str(events.next), event)        # registry's shape: no "id" field
        events.next += 1

    def _activate(self, effect: Activate, key: str, env: MessageFacts) -> None:
        person = self.pending.get(effect.email)
        assert person is not None
        self.pending.change(person, status="active", activated=self.stamp, via=effect.via)
        self._know(self.known.pending, effect.email, ("active", person.get("dossier")))
        request = next((d for d in reversed(list(self.outgoing.docs.values()))
                        if d["kind"] == AnswerKind.CONFIRM_REQUEST and d["to"] == effect.email), None)
        self.consents.add({"email": effect.email, "date": self.stamp, "message_id": env.message_id,
                           "message_key": key, "via": effect.via,
                           "request_message_id": request["message_id"] if request else "",
                           "signup_message_id": person.get("message_id", ""),
                           "wording": CONSENT_WORDING, "wording_version": wording_version(self.config)})
        members = self._tables("members")
        if not any(d.get("email", "").lower() == effect.email for d in members.values()):
            group = person.get("group") if person.get("group") and self.directory.group(person["group"]) else ""
            self._know(members, str(max((int(k) for k in members), default=0) + 1), {
                "email": effect.email, "name": person.get("name") or "", "group": group})

    def _answer(self, effect: SendAnswer, reading: Reading, env: MessageFacts, subject: str) -> None:
        values: dict[str, Any] = dict(effect.values)
        link, reply_to = "", ""
        if effect.kind is AnswerKind.REPORT_ACK:
            member = self.directory.member(effect.to)
            record = RecordReport(reading.sender, reading.group, reading.dossier, reading.actions)
            values.update(name=member.name if member else "", subject=subject[:120],
                          summary=summaries.report_summary(record, self.directory))
            link = self._last_report or ""
        elif effect.kind is AnswerKind.CONFIRM_REQUEST:
            person = self.pending.get(effect.to) or {}
            reply_to = confirm_address(self.config, self.secret, effect.to)
            values.update(name=person.get("name") or "", email=effect.to, wording=CONSENT_WORDING,
                          confirm_address=reply_to)
        elif effect.kind is AnswerKind.UNSUBSCRIBED:
            values.update(email=effect.to)
        elif effect.kind is AnswerKind.REFERENT_NOTICE:
            person = self.pending.get(effect.about) or {}
            confirmed = person.get("status") == "active"
            values.update(confirmed=confirmed, email=effect.about, date=self.stamp[:10],
                          name=person.get("name") if confirmed else reading.name,
                          group=person.get("group") if confirmed else reading.group,
                          dossier=person.get("dossier") if confirmed else reading.dossier)
        threaded = effect.threaded and bool(env.message_id)
        doc = self.outgoing.add({
            "kind": effect.kind.value, "to": effect.to, "message_id": new_message_id(self.config.team.domain),
            "in_reply_to": env.message_id if threaded else "", "references": list(env.references) if threaded else [],
            "reply_to": reply_to, "values": values, "link": link, "status": "pending", "created": self.stamp,
            "sent": ""})
        if effect.kind is AnswerKind.REPORT_ACK:
            self._know(self.known.ack_threads, doc["message_id"], link)
        elif effect.kind is AnswerKind.CONFIRM_REQUEST:
            self._know(self.known.confirm_threads, doc["message_id"], effect.to)
        if effect.kind is not AnswerKind.REFERENT_NOTICE:
            entry = self.acks.get(effect.to) or self.acks.add({"email": effect.to})
            self.acks.change(entry, date=self.now.date().isoformat())
            self._know(self.known.answered, effect.to, entry["date"])

    def _know(self, mapping: Any, key: str, value: Any) -> None:
        """Set a live view's entry (decide reads them) so that a failed message can take it back."""
        self.undo.append(_restore(mapping, key))
        mapping[key] = value
