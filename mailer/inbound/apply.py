"""The inbox's tables inside one store transaction: what decide needs to know, and its effects applied.

The tables, their files and their fields are declared in store/schema.py (no message bodies anywhere:
the mailbox folders keep the messages themselves). Indexes are built once per batch, and `known`
is a live view: the second message of a batch sees what the first one did (a second bounce the
same day, an answer already sent today). Each message's effects are applied under a savepoint of
the store's transaction, so a message that fails half way leaves nothing behind (it is retried).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..config import Config
from ..models import AnswerKind, Directory, Member, Subscriber, SubscriberStatus
from ..store.records import (Ack, Approval, ApprovalVia, Consent, Inbound, InboundFailure, Outgoing, OutgoingStatus,
                       PendingPerson, PendingStatus, Report, SignupRequest, TriageItem, TriageStatus)
from ..registry import canonical_email, erased_check, narrow_in, suppress_in
from ..store.schema import (ACK_LOG, APPROVALS, BOUNCE_SCORES, INBOUND, INBOUND_FAILURES, MEMBERS, OUTGOING,
                      PENDING_PEOPLE, REPORTS, SIGNUP_REQUESTS, SUBSCRIBERS, TRIAGE)
from ..store import Snapshot, Transaction
from ..tokens import CONFIRM, KEEP, UNSUBSCRIBE, make_token, new_message_id, sub_address, unsubscribe_purpose
from ..wording import consent_wording, wording_version
from ..consent import ConsentBook, ConsentList
from . import summaries
from .understand.classify import Kind, Reading
from ..bouncing import Failed, record_failure
from .decide import Known, MessageFacts
from .actionspec import action_of
from .effects import (Activate, ConfirmReport, CreatePendingPerson, Decision, Effect, KeepMailings, RecordApproval,
                      RecordBounce, RecordReport,
                      RecordSignupRequest, SendAnswer, Suppress, ToTriage)


def _restore(mapping: dict[Any, Any], key: Any) -> Callable[[], None]:
    """An undo step for a live view: put `mapping[key]` back as it is now (or remove it if absent)."""
    if key in mapping:
        saved = mapping[key]
        return lambda: mapping.__setitem__(key, saved)
    return lambda: mapping.pop(key, None)


def reading_of(item: TriageItem) -> Reading:
    """The item's best reading as a `Reading` (an item of before issue 9 has only its kind)."""
    doc = item.reading or {}
    try:
        kind = Kind(doc.get("kind") or item.kind)
    except ValueError:
        kind = Kind.OTHER
    return Reading(kind, str(doc.get("rule") or item.rule), item.sender, name=doc.get("name"),
                   group=doc.get("group"), dossier=doc.get("dossier"),
                   actions=tuple(action_of(a) for a in doc.get("actions") or ()), scope=doc.get("scope"))


def confirm_address(config: Config, secret: bytes, email: str) -> str:
    return sub_address(config.team.address, CONFIRM, make_token(secret, CONFIRM, email))


class Ledger:
    """Reads and writes the inbox tables of one transaction (reads only, over a snapshot)."""

    def __init__(self, source: Transaction | Snapshot, config: Config, secret: bytes, directory: Directory,
                 now: datetime, unsubscribe_address: Callable[[str], str | None] = lambda token: None,
                 keep_address: Callable[[str], str | None] = lambda token: None) -> None:
        self.config, self.secret, self.directory, self.now = config, secret, directory, now
        self.source = source
        t = source.table
        self.inbound, self.failures, self.reports = t(INBOUND), t(INBOUND_FAILURES), t(REPORTS)
        self.triage, self.scores, self.pending = t(TRIAGE), t(BOUNCE_SCORES), t(PENDING_PEOPLE)
        self.signups, self.outgoing, self.acks = t(SIGNUP_REQUESTS), t(OUTGOING), t(ACK_LOG)
        outgoing, pending = list(self.outgoing), list(self.pending)
        self.known = Known(
            team_address=config.team.address, directory=directory, today=now.date(),
            coordinators=config.team.coordinators,
            answered={a.email: a.date for a in self.acks},
            ack_threads={o.message_id: o.link for o in outgoing if o.kind == AnswerKind.REPORT_ACK},
            report_confirm_threads={o.message_id: (o.to, o.link) for o in outgoing
                                    if o.kind == AnswerKind.REPORT_CONFIRM},
            confirm_reports=config.inbox.confirm_reports,
            confirm_threads={o.message_id: o.to for o in outgoing if o.kind == AnswerKind.CONFIRM_REQUEST},
            pending={p.email: (p.status, p.dossier) for p in pending},
            confirm_tokens={make_token(secret, CONFIRM, p.email): p.email for p in pending},
            unsubscribe_address=unsubscribe_address, keep_address=keep_address,
            sent={o.message_id: o.to for o in outgoing}, secret=secret,
            erased=erased_check(source, secret, expired=False),   # an expired address may sign up again
            apply_confidence=config.inbox.apply_confidence,
            subscribers={s.email.lower(): s.status for s in t(SUBSCRIBERS)},
            pending_scope={p.email: p.scope for p in pending if p.scope},
        )

    @property
    def stamp(self) -> str:
        return self.now.isoformat(timespec="seconds")

    @property
    def tx(self) -> Transaction:
        assert isinstance(self.source, Transaction), "a read-only ledger records nothing"
        return self.source

    # ------------------------------------------------------------------ recording a message
    def seen(self, key: str) -> Inbound | None:
        found = self.inbound.first("key", key)
        return found[1] if found else None

    def record(self, key: str, reading: Reading, facts: MessageFacts, subject: str, decision: Decision,
               folder: str, detail: str) -> None:
        """Apply every effect and record the message, or (if anything raises) none of it."""
        self._last_report, self._narrowed = None, True
        with self.tx.savepoint():
            for effect in decision.effects:
                self._apply(effect, key, reading, facts, subject)
        self.inbound.insert(Inbound(key=key, message_id=facts.message_id, sender=reading.sender,
                                    kind=reading.kind.value, rule=reading.rule,
                                    disposition=decision.disposition.value, folder=folder, received=self.stamp,
                                    detail=detail))

    def carry_out(self, effects: tuple[Effect, ...], key: str, reading: Reading, facts: MessageFacts,
                  subject: str) -> str | None:
        """Apply a person's effects for a message already recorded (the triage commands), all or
        none of them; the link of the report recorded, if any."""
        self._last_report, self._narrowed = None, True
        with self.tx.savepoint():
            for effect in effects:
                self._apply(effect, key, reading, facts, subject)
        return self._last_report

    def fail(self, key: str, error: str) -> int:
        def failed(old: InboundFailure | None) -> InboundFailure:
            old = old or InboundFailure(key=key)
            return replace(old, count=old.count + 1, error=error, date=self.stamp)

        return self.failures.upsert("key", key, failed).count

    # ------------------------------------------------------------------ effects
    _last_report: str | None = None
    _last_triage: str = ""
    _narrowed = True            # False after a KeepMailings that found no unsubscribe from everything

    def _confirm_report(self, effect: ConfirmReport, key: str, env: MessageFacts) -> None:
        """Record the report a sender confirmed (or corrected with the form), acknowledge it and
        resolve its triage item; an item a coordinator resolved meanwhile is left as it is."""
        item_id = int(effect.link.removeprefix("triage:"))
        item = self.triage.get(item_id)
        if item is None or item.status != TriageStatus.OPEN:
            return
        read = reading_of(item)
        actions = effect.actions if effect.actions is not None else read.actions
        pending = replace(read, kind=Kind.REPORT, actions=actions)
        self._apply(RecordReport(item.sender, pending.group, pending.dossier, actions), item.key, pending,
                    MessageFacts(item.message_id, item.sender, None), item.subject)
        report_link = self._last_report or ""
        if report_link:
            report_id = int(report_link.split(":")[1])
            change = "confirmed by its sender" if effect.actions is None else "corrected by its sender (form)"
            self.reports.update(report_id, replace(self.reports.get(report_id), triage=item_id, by=item.sender,
                                                   history=[{"date": self.stamp, "by": item.sender, "change": change,
                                                             "message_id": env.message_id}]))
            self.triage.update(item_id, replace(item, status=TriageStatus.RESOLVED, resolved=self.stamp,
                                                by=item.sender, outcome=report_link, history=[
                                                    *(item.history or []),
                                                    {"date": self.stamp, "by": item.sender, "change": change,
                                                     "detail": report_link}]))
            self._answer(SendAnswer(AnswerKind.REPORT_ACK, item.sender), pending, env, item.subject)

    def _apply(self, effect: Effect, key: str, reading: Reading, env: MessageFacts, subject: str) -> None:
        if isinstance(effect, RecordBounce):
            self._bounce(effect, env)
        elif isinstance(effect, Suppress):
            suppress_in(self.tx, canonical_email(effect.email), effect.reason, effect.scope, env.message_id or key,
                        self.stamp)
        elif isinstance(effect, KeepMailings):
            self._narrowed = narrow_in(self.tx, canonical_email(effect.email), env.message_id or key, self.stamp,
                                       "token") is not None
        elif isinstance(effect, RecordReport):
            doc_id = self.reports.insert(Report(
                date=self.stamp, message_key=key, message_id=env.message_id, sender=effect.sender,
                group=effect.group, dossier=effect.dossier, actions=[a.to_json() for a in effect.actions]))
            self._last_report = f"report:{doc_id}"
        elif isinstance(effect, CreatePendingPerson):
            self.pending.insert(PendingPerson(email=effect.email, name=effect.name, group=effect.group,
                                              dossier=effect.dossier, status=PendingStatus.PENDING,
                                              requested=self.stamp, message_id=env.message_id, message_key=key,
                                              scope=effect.scope))
            self._know(self.known.pending, effect.email, ("pending", effect.dossier))
            if effect.scope == "bulletin":
                self._pending_subscriber(effect)
            self._know(self.known.confirm_tokens, make_token(self.secret, CONFIRM, effect.email), effect.email)
        elif isinstance(effect, Activate):
            self._activate(effect, key, env)
        elif isinstance(effect, RecordSignupRequest):
            self.signups.insert(SignupRequest(email=effect.email, name=effect.name, group=effect.group,
                                              dossier=effect.dossier, date=self.stamp, message_id=env.message_id))
        elif isinstance(effect, SendAnswer):
            self._answer(effect, reading, env, subject)
        elif isinstance(effect, RecordApproval):
            b = effect.binding
            self.tx.table(APPROVALS).insert(Approval(campaign=b.campaign, file_sha256=b.file_sha256, audience=b.audience,
                                                     by=effect.by, date=self.stamp, via=ApprovalVia.REPLY,
                                                     message_id=env.message_id))
        elif isinstance(effect, ToTriage):
            item_id = self.triage.insert(TriageItem(key=key, message_id=env.message_id, sender=reading.sender,
                                                    subject=subject[:200], kind=reading.kind.value, rule=reading.rule,
                                                    reason=effect.reason, link=effect.link, date=self.stamp,
                                                    reading=reading.to_json()))
            self._last_triage = f"triage:{item_id}"
        elif isinstance(effect, ConfirmReport):
            self._confirm_report(effect, key, env)

    def _bounce(self, effect: RecordBounce, env: MessageFacts) -> None:
        """The core's policy (bouncing.py), which a refusal at send time reaches too."""
        record_failure(self.tx, Failed(effect.email, effect.permanent, effect.status, effect.reason,
                                       effect.campaign, env.message_id), self.stamp, self.config.bounces.hard_limit)

    def _pending_subscriber(self, effect: CreatePendingPerson) -> None:
        """A bulletin sign-up waiting for its confirmation: a subscriber never mailed until then."""
        self._know(self.known.pending_scope, effect.email, "bulletin")
        subscribers = self.tx.table(SUBSCRIBERS)
        if subscribers.first("email", effect.email, str.lower) is None:
            subscribers.insert(Subscriber(email=effect.email, name=effect.name or "", status=SubscriberStatus.PENDING,
                                          since=self.stamp))
            self._know(self.known.subscribers, effect.email.lower(), SubscriberStatus.PENDING.value)

    def _activate_subscriber(self, person: PendingPerson) -> None:
        subscribers = self.tx.table(SUBSCRIBERS)
        found = subscribers.first("email", person.email, str.lower)
        if found is None:
            subscribers.insert(Subscriber(email=person.email, name=person.name or "", since=self.stamp))
        else:
            doc_id, old = found
            subscribers.update(doc_id, replace(old, name=old.name or person.name or "", status=SubscriberStatus.ACTIVE))
        self._know(self.known.subscribers, person.email.lower(), SubscriberStatus.ACTIVE.value)

    def _activate(self, effect: Activate, key: str, env: MessageFacts) -> None:
        found = self.pending.first("email", effect.email)
        assert found is not None
        person_id, person = found
        self.pending.update(person_id, replace(person, status=PendingStatus.ACTIVE, activated=self.stamp,
                                               via=effect.via))
        self._know(self.known.pending, effect.email, ("active", person.dossier))
        request = next((o for _, o in reversed(self.outgoing.find("to", effect.email))
                        if o.kind == AnswerKind.CONFIRM_REQUEST), None)
        bulletin = person.scope == "bulletin"
        ConsentBook(self.tx).confirm(Consent(
            email=effect.email, list=ConsentList.SUBSCRIBERS if bulletin else ConsentList.MEMBERS, date=self.stamp,
            message_id=env.message_id, message_key=key, via=effect.via,
            request_message_id=request.message_id if request else "", signup_message_id=person.message_id or "",
            wording_version=wording_version(self.config, person.scope)), consent_wording(person.scope))
        if bulletin:                # the bulletin only: a subscriber, a member of no group
            self._activate_subscriber(person)
            return
        members = self.tx.table(MEMBERS)
        if not members.find("email", effect.email, str.lower):
            group = person.group if person.group and self.directory.group(person.group) else ""
            members.insert(Member(email=effect.email, name=person.name or "", group=group))

    def _answer(self, effect: SendAnswer, reading: Reading, env: MessageFacts, subject: str) -> None:
        if self.known.erased(effect.to):
            return                  # issue 8: nothing is written to, or about, an erased person
        if reading.rule == "unsubscribe.keep" and not self._narrowed:
            return                  # stopped by a bounce or a coordinator: "the alerts go on" would be untrue
        values: dict[str, Any] = dict(effect.values)
        link, reply_to = "", ""
        if effect.kind is AnswerKind.REPORT_ACK:
            member = self.directory.member(effect.to)
            record = RecordReport(reading.sender, reading.group, reading.dossier, reading.actions)
            values.update(name=member.name if member else "", subject=subject[:120],
                          summary=summaries.report_summary(record, self.directory))
            link = self._last_report or ""
        elif effect.kind is AnswerKind.REPORT_CONFIRM:
            member = self.directory.member(effect.to)
            record = RecordReport(reading.sender, reading.group, reading.dossier, reading.actions)
            values.update(name=member.name if member else "", subject=subject[:120],
                          summary=summaries.report_summary(record, self.directory), form=summaries.form_lines(record))
            link = self._last_triage
        elif effect.kind is AnswerKind.CONFIRM_REQUEST:
            person = self._person(effect.to)
            reply_to = confirm_address(self.config, self.secret, effect.to)
            values.update(name=person.name or "", email=effect.to, wording=consent_wording(person.scope),
                          confirm_address=reply_to, scope=person.scope)
        elif effect.kind is AnswerKind.UNSUBSCRIBED:
            values.update(email=effect.to, **self._other_scope(effect.to, str(values.get("scope", "all"))))
        elif effect.kind is AnswerKind.UNSUBSCRIBE_CONFIRM:
            reply_to, url = self._unsubscribe_links(effect.to, str(values.get("scope", "all")))
            values.update(email=effect.to, unsubscribe_address=reply_to, unsubscribe_url=url)
        elif effect.kind is AnswerKind.APPROVAL_NOTICE:
            values.update(to=effect.to)
        elif effect.kind is AnswerKind.REFERENT_NOTICE:
            person = self._person(effect.about)
            confirmed = person.status == PendingStatus.ACTIVE
            values.update(confirmed=confirmed, email=effect.about, date=self.stamp[:10],
                          name=person.name if confirmed else reading.name,
                          group=person.group if confirmed else reading.group,
                          dossier=person.dossier if confirmed else reading.dossier)
        threaded = effect.threaded and bool(env.message_id)
        message_id = new_message_id(self.config.team.domain)
        self.outgoing.insert(Outgoing(
            kind=effect.kind.value, to=effect.to, message_id=message_id,
            in_reply_to=env.message_id if threaded else "", references=list(env.references) if threaded else [],
            reply_to=reply_to, values=values, link=link, status=OutgoingStatus.PENDING, created=self.stamp))
        self._know(self.known.sent, message_id, effect.to)
        if effect.kind is AnswerKind.REPORT_ACK:
            self._know(self.known.ack_threads, message_id, link)
        elif effect.kind is AnswerKind.REPORT_CONFIRM:
            self._know(self.known.report_confirm_threads, message_id, (effect.to, link))
        elif effect.kind is AnswerKind.CONFIRM_REQUEST:
            self._know(self.known.confirm_threads, message_id, effect.to)
        if effect.kind not in (AnswerKind.REFERENT_NOTICE, AnswerKind.APPROVAL_NOTICE):    # notices, not answers
            today = self.now.date().isoformat()
            entry = self.acks.upsert("email", effect.to, lambda old: replace(old or Ack(email=effect.to), date=today))
            self._know(self.known.answered, effect.to, entry.date)

    def _other_scope(self, email: str, scope: str) -> dict[str, str]:
        """For one who gets more than the bulletin (a member, a group's address), the way to the other
        scope, since a free-text unsubscribe's scope is a reading: after "the bulletin only", a `+u-`
        that stops everything; after "everything", a `+k-` that keeps all but the bulletin."""
        if self.directory.member(email) is None and self.directory.group_by_email(email) is None:
            return {}
        if scope == "bulletin":
            address, url = self._unsubscribe_links(email, "all")
            return {"stop_all_address": address, "stop_all_url": url}
        token = make_token(self.secret, KEEP, email)
        base = self.config.web.base_url
        return {"keep_address": sub_address(self.config.team.address, KEEP, token),
                "keep_url": f"{base}/k/{token}" if base else ""}

    def _unsubscribe_links(self, email: str, scope: str) -> tuple[str, str]:
        """The `+u-` address (and the web link, when `[web] base_url` is set) that unsubscribes `email`."""
        token = make_token(self.secret, unsubscribe_purpose(scope), email)
        base = self.config.web.base_url
        return sub_address(self.config.team.address, UNSUBSCRIBE, token), f"{base}/u/{token}" if base else ""

    def _person(self, email: str) -> PendingPerson:
        """The pending person with that address, or an empty one (the old code's `{}`)."""
        found = self.pending.first("email", email)
        return found[1] if found else PendingPerson()

    def _know(self, mapping: Any, key: str, value: Any) -> None:
        """Set a live view's entry (decide reads them) so that a failed message can take it back."""
        self.tx.on_rollback(_restore(mapping, key))
        mapping[key] = value
