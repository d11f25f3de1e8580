"""A person finishes a triage item: the report as corrected, a sign-up or an unsubscribe accepted,
the sender made a member (issue 9 §4; `mailer triage apply|accept|member`).

Each command is one store transaction that checks everything first (the item is open, the group,
dossier and actions exist and parse), then applies its effects through the same `Ledger` as the
inbox, so a report applied here is acknowledged with the same `report_ack` answer (an `outgoing`
row the outbound wing sends and journals), and a sign-up still gets its confirmation request:
double opt-in holds whoever accepts it. Every change records who (`by`) and when, on the item
(`history`, and `by`/`outcome` when it resolves it) and on what it wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ..config import Config
from ..consent import COMMAND_WORDING, ConsentBook, ConsentList
from ..errors import MailerError
from ..models import AnswerKind, Directory, Member
from ..registry import canonical_email, load_directory, suppress_in
from ..store import Store, Transaction
from ..store.records import Consent, ReportState, TriageItem, TriageStatus
from ..store.schema import MEMBERS, REPORTS, TRIAGE
from .actionspec import merge
from .apply import Ledger, reading_of
from .decide import MessageFacts
from .effects import CreatePendingPerson, Effect, RecordReport, RecordSignupRequest, SendAnswer
from .queries import RecordNotFound
from .understand.classify import Kind, Reading

NOT_REPORTS = (Kind.BOUNCE, Kind.COMPLAINT, Kind.AUTO_REPLY, Kind.CONFIRM, Kind.APPROVAL)


class CorrectionError(MailerError):
    """A triage or report command that cannot be done as asked (nothing was changed)."""


def known_place(directory: Directory, group: str | None, dossier: str | None) -> tuple[str | None, str | None]:
    """The group code and dossier ref as the directory writes them; an unknown one is an error."""
    if group is not None:
        found = directory.group(group)
        if found is None:
            raise CorrectionError(f"no group {group!r} (see `mailer groups list`)")
        group = found.code
    if dossier is not None:
        ref = directory.dossier(dossier)
        if ref is None:
            raise CorrectionError(f"no dossier {dossier!r} (see `mailer dossiers list`)")
        dossier = ref.ref
    return group, dossier


@dataclass
class _Work:
    """One command's transaction: the open item, a ledger over it, and the time it is done."""

    tx: Transaction
    config: Config
    item: TriageItem
    ledger: Ledger
    by: str

    @property
    def stamp(self) -> str:
        return self.ledger.stamp

    @property
    def directory(self) -> Directory:
        return self.ledger.directory

    def facts(self) -> MessageFacts:
        return MessageFacts(self.item.message_id, self.item.sender, None)

    def carry_out(self, effects: Sequence[Effect], reading: Reading) -> str | None:
        return self.ledger.carry_out(tuple(effects), self.item.key, reading, self.facts(), self.item.subject)

    def answer(self, kind: AnswerKind, to: str, **values: Any) -> list[Effect]:
        """An answer to the sender, unless it is one of our own addresses (never write to ourselves)."""
        return [] if self.ledger.known.is_ours(to) else [SendAnswer(kind, to.lower(), values=values)]

    def note(self, change: str, detail: str = "", resolve: str = "", note: str = "") -> TriageItem:
        """Record on the item what was done, by whom and when; resolve it when `resolve` says what it did."""
        entry = {"date": self.stamp, "by": self.by, "change": change, **({"detail": detail} if detail else {})}
        item = replace(self.item, history=[*(self.item.history or []), entry])
        if resolve:
            item = replace(item, status=TriageStatus.RESOLVED, resolved=self.stamp, by=self.by, outcome=resolve,
                           note=note or item.note)
        self.tx.table(TRIAGE).update(item.id, item)
        return item


def _outside(config: Config, store: Store) -> tuple[bytes, Directory]:
    """The token key and the directory, read before the store's lock is taken (as the inbox does)."""
    return store.secret(config.security.secret_env), load_directory(store.snapshot())


def _open(config: Config, prepared: tuple[bytes, Directory], tx: Transaction, item_id: int, by: str,
          now: datetime | None) -> _Work:
    item = tx.table(TRIAGE).get(item_id)
    if item is None:
        raise RecordNotFound(f"no triage item {item_id} (see `mailer triage list --all`)")
    if item.status != TriageStatus.OPEN:
        who = f" by {item.by}" if item.by else ""
        raise CorrectionError(f"triage item {item_id} is already resolved ({item.resolved or 'earlier'}{who}"
                              f"{': ' + item.outcome if item.outcome else ''}); nothing changed")
    secret, directory = prepared
    ledger = Ledger(tx, config, secret, directory, now or datetime.now(UTC))
    if ledger.known.erased(item.sender):
        raise CorrectionError(f"triage item {item_id}: the sender asked to be forgotten (erased): nothing is "
                              "recorded about them again")
    return _Work(tx, config, item, ledger, by)


def _own_group(work: _Work) -> str | None:
    """The sender's group when the reading found none: a member's (perhaps made one by `triage
    member` since) or the group's own address."""
    directory, sender = work.directory, work.item.sender
    member = directory.member(sender)
    found = directory.group_by_email(sender)
    return (member.group if member else None) or (found.code if found else None)


def apply_item(config: Config, store: Store, item_id: int, group: str | None, dossier: str | None,
               actions: Sequence[str], by: str, note: str = "", now: datetime | None = None) -> dict[str, Any]:
    """Record the item's message as a report: its reading with the options replacing what they name;
    acknowledge it to the sender and resolve the item. Returns the report's doc."""
    prepared = _outside(config, store)
    with store.transaction() as tx:
        work = _open(config, prepared, tx, item_id, by, now)
        read = reading_of(work.item)
        if work.item.link.startswith("report:"):
            report_id = work.item.link.removeprefix("report:")
            raise CorrectionError(f"triage item {item_id} answers the acknowledgement of report {report_id}: a "
                                  f"correction, never a second report: `mailer reports edit {report_id} "
                                  f"--triage {item_id} ...` or `mailer reports delete {report_id} --triage {item_id}`")
        if read.kind in NOT_REPORTS:
            raise CorrectionError(f"triage item {item_id} is a {read.kind.value}, not a report: "
                                  "see `mailer triage accept` or `mailer triage resolve`")
        group, dossier = known_place(work.directory, group, dossier)
        corrected = replace(read, kind=Kind.REPORT, group=group or read.group or _own_group(work),
                            dossier=dossier if dossier is not None else read.dossier,
                            actions=merge(read.actions, actions))
        if not corrected.actions:
            raise CorrectionError(f"triage item {item_id}: no action to record: give --action TYPE=COUNT[@DATE]")
        record = RecordReport(work.item.sender, corrected.group, corrected.dossier, corrected.actions)
        link = work.carry_out([record, *work.answer(AnswerKind.REPORT_ACK, work.item.sender)], corrected)
        assert link is not None
        reports = tx.table(REPORTS)
        report_id = int(link.split(":")[1])
        was = {"group": read.group, "dossier": read.dossier, "actions": [a.to_json() for a in read.actions]}
        report = replace(reports.get(report_id), state=ReportState.CORRECTED, triage=item_id, by=by,
                         history=[{"date": work.stamp, "by": by, "change": "triage apply", "was": was,
                                   **({"note": note} if note else {})}])
        reports.update(report_id, report)
        work.note("apply", link, resolve=link, note=note)
        return report.to_doc()


def accept_item(config: Config, store: Store, item_id: int, by: str, note: str = "",
                now: datetime | None = None) -> str:
    """A sign-up (a pending person and a confirmation request, or for someone we know a request passed
    to the référent) or an unsubscribe (applied: the coordinator vouches for the sender). What it did."""
    prepared = _outside(config, store)
    with store.transaction() as tx:
        work = _open(config, prepared, tx, item_id, by, now)
        read = reading_of(work.item)
        sender = work.item.sender
        if work.ledger.known.is_ours(sender):
            raise CorrectionError(f"triage item {item_id} comes from one of our own addresses ({sender})")
        if read.kind is Kind.SIGNUP:
            done = _signup(work, read)
        elif read.kind is Kind.UNSUBSCRIBE:
            done = _unsubscribe(work, read, item_id)
        else:
            raise CorrectionError(f"triage item {item_id} is a {read.kind.value}, not a sign-up nor an unsubscribe"
                                  + (": see `mailer triage apply`" if read.kind in (Kind.REPORT, Kind.OTHER) else ""))
        work.note("accept", done, resolve=done, note=note)
        return done


def _signup(work: _Work, read: Reading) -> str:
    known, sender = work.ledger.known, work.item.sender
    status = known.pending.get(sender, (None, None))[0]
    if read.scope == "bulletin":        # a request for the bulletin: its own double opt-in, no référent
        if known.subscribers.get(sender.lower()) == "active":
            return "already a bulletin subscriber: nothing sent"
        bulletin: list[Effect] = [] if status else [CreatePendingPerson(sender, read.name, None, None, scope="bulletin")]
        work.carry_out([*bulletin, SendAnswer(AnswerKind.CONFIRM_REQUEST, sender, values={"scope": "bulletin"})], read)
        return "pending bulletin subscriber, confirmation request sent"
    if known.is_known_sender(sender) or status == "active":
        notices = [SendAnswer(AnswerKind.REFERENT_NOTICE, to, threaded=False, about=sender)
                   for to in known.referents(read.dossier)]
        work.carry_out([RecordSignupRequest(sender, read.name, read.group, read.dossier), *notices], read)
        return "sign-up request passed to " + (", ".join(known.referents(read.dossier)) or "nobody")
    effects: list[Effect] = [] if status else [CreatePendingPerson(sender, read.name, read.group, read.dossier)]
    work.carry_out([*effects, SendAnswer(AnswerKind.CONFIRM_REQUEST, sender)], read)
    return "pending person, confirmation request sent"


def _unsubscribe(work: _Work, read: Reading, item_id: int) -> str:
    sender, scope = canonical_email(work.item.sender), read.scope or "all"
    source = (f"{work.item.message_id or work.item.key} (mailer triage accept {item_id} --by {work.by}: "
              "the sender proven by the coordinator's decision)")
    suppress_in(work.tx, sender, "unsubscribe", scope, source, work.stamp, by=work.by)
    work.carry_out(work.answer(AnswerKind.UNSUBSCRIBED, sender, scope=scope, email=sender), read)
    return f"unsubscribed ({scope}), sender proven by {work.by}"


def member_item(config: Config, store: Store, item_id: int, group: str, by: str, name: str = "",
                now: datetime | None = None) -> Member:
    """Make the item's sender a member of `group` (the coordinator vouches for their consent). The
    item stays open: its report or request is then applied, accepted or resolved."""
    prepared = _outside(config, store)
    with store.transaction() as tx:
        work = _open(config, prepared, tx, item_id, by, now)
        code, _ = known_place(work.directory, group, None)
        sender = canonical_email(work.item.sender)
        if work.ledger.known.is_ours(sender):
            raise CorrectionError(f"triage item {item_id} comes from one of our own addresses ({sender})")
        current = work.directory.member(sender)
        if current is not None:
            where = f"group {current.group}" if current.group else "no group"
            raise CorrectionError(f"{sender} is already a member ({where}); nothing changed")
        member = Member(email=sender, name=name or reading_of(work.item).name or "", group=code or "")
        tx.table(MEMBERS).insert(member)
        ConsentBook(tx).confirm(Consent(email=sender, list=ConsentList.MEMBERS, date=work.stamp, via="cli",
                                        source=f"mailer triage member {item_id} --group {code} --by {by}"),
                                COMMAND_WORDING)
        work.note("member", f"member of {code}")
        return member
