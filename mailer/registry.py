"""The team's data over `Store`: directory, subscribers, suppressions, and (from `bulk`) imports.

Writes go through one `Store.transaction()` each (one lock, one file rewrite); reads take a
lock-free `Snapshot`. Bulk upserts and file imports live in `bulk` and are re-exported here.

Suppressions are facts about people (they unsubscribed, bounced, complained, were erased): an
import updates the records of suppressed addresses but never lifts the suppression; only
`unsuppress` does, and it is recorded in `suppression_events` with who and when.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from .sheets import importer
from .bulk import (UPSERTS, ImportReport, UpsertResult, import_file, upsert_dossiers,  # noqa: F401  (re-exported)
                   upsert_groups, upsert_members, upsert_subscribers)
from .errors import MailerError
from .sheets.importer import RowError
from .models import (Directory, Dossier, Group, Member, Subscriber, SubscriberStatus, Suppression,
                     SuppressionReason, SuppressionScope, code_key)
from .consent import COMMAND_WORDING, KEEP_WORDING, LISTS_OF_SCOPE, WITHDRAWALS, ConsentBook, ConsentList
from .store.records import Consent, Erasure, SuppressionAction, SuppressionEvent
from .store.schema import DOSSIERS, ERASURES, GROUPS, MEMBERS, SUBSCRIBERS, SUPPRESSION_EVENTS, SUPPRESSIONS
from .store import Snapshot, Store, Transaction
from .store.personal import Person, StoreErasure, anonymise_inbound, erase_in, person_of
from .store.erasures import (ERASED, EXPIRED, erased_check, erased_hashes, erasure_hash,  # noqa: F401  (re-exported)
                             erasure_key, lapsed_hashes)


class RegistryError(MailerError):
    """A request about the team's data that cannot be honoured (shown to the coordinator)."""


class NotSuppressedError(RegistryError):
    """`unsuppress` of an address that is not on the suppression list."""


class NotSubscribedError(RegistryError):
    """`remove_subscriber` of an address that is not a subscriber."""


class InvalidValueError(RegistryError):
    """An address or name given on the command line failed the import's checks."""


def now_iso() -> str:
    """ISO 8601 UTC, to the second: every date this module writes."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# A dot-atom address in ASCII: validate_email returns it as it is, or refuses it (then we keep it as it is)
_PLAIN_ASCII = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\Z")


def canonical_email(email: str) -> str:
    """The suppression key: lower-cased, IDN domain in ASCII when the address parses.

    Lenient on purpose: a bounce may name an address we would refuse to import, and it must
    still be suppressed under the same key the sender looks up.
    """
    text = email.strip()
    if _PLAIN_ASCII.match(text):        # the validator could only lower-case it: skip its ~0.3 ms
        return text.lower()
    try:
        ascii_email = validate_email(text, check_deliverability=False).ascii_email
    except EmailNotValidError:
        ascii_email = None
    return (ascii_email or text).lower()


# --- reads (lock-free snapshots) -------------------------------------------------------------

def load_directory(snapshot: Snapshot) -> Directory:
    """Codes and refs in upper case, whatever an older store holds (`g021` is `G021`)."""
    def group(g: Group) -> Group:
        return replace(g, code=code_key(g.code))

    def dossier(d: Dossier) -> Dossier:
        return replace(d, ref=code_key(d.ref), groups=[code_key(c) for c in d.groups])

    def member(m: Member) -> Member:
        return replace(m, group=code_key(m.group))

    return Directory(
        groups=tuple(group(g) for g in snapshot.table(GROUPS)),
        dossiers=tuple(dossier(d) for d in snapshot.table(DOSSIERS)),
        members=tuple(member(m) for m in snapshot.table(MEMBERS)),
    )


def subscribers(snapshot: Snapshot) -> list[Subscriber]:
    return list(iter_subscribers(snapshot))


def iter_subscribers(snapshot: Snapshot) -> Iterator[Subscriber]:
    """One at a time: resolving a 100k audience should not hold 100k of them at once."""
    return iter(snapshot.table(SUBSCRIBERS))


HASHED = "hmac-sha256:"      # how a kept hash starts (store/erasures.py)


class SuppressionMap(dict[str, Suppression]):
    """Lower-cased address -> its suppression; an erased address (known only by its keyed hash)
    answers too, as an `erased` suppression, so every check (`get`, `in`) also checks the hash."""

    def __init__(self, found: Iterable[tuple[str, Suppression]], erased: frozenset[str] = frozenset(),
                 key: bytes = b"", expired: frozenset[str] = frozenset()) -> None:
        super().__init__(found)
        self.erased, self.key, self.expired = erased, key, expired

    def get(self, email: str, default: Suppression | None = None) -> Suppression | None:  # type: ignore[override]
        found = super().get(email)
        if found is None and email.startswith(HASHED):      # a scrubbed audience line: never an address to mail
            return Suppression(email=email, reason=SuppressionReason.ERASED)
        if found is None and (self.erased or self.expired):
            digest = erasure_hash(self.key, email)
            if digest in self.erased:
                return Suppression(email=digest, reason=SuppressionReason.ERASED)
            if digest in self.expired:      # forgotten by retention and not signed up again since
                return Suppression(email=digest, reason=SuppressionReason.EXPIRED)
        return found if found is not None else default

    def __getitem__(self, email: str) -> Suppression:
        found = self.get(email)
        if found is None:
            raise KeyError(email)
        return found

    def __contains__(self, email: object) -> bool:
        return isinstance(email, str) and self.get(email) is not None

    def only(self, campaign_kind: str) -> "SuppressionMap":
        """The suppressions that stop a campaign of this kind (an erasure stops every kind)."""
        return SuppressionMap(((e, s) for e, s in self.items() if s.applies_to(campaign_kind)), self.erased, self.key,
                              self.expired)


def erased_suppressions(snapshot: Snapshot) -> list[Suppression]:
    """The erased people as `suppressions list` shows them: the hash in place of the address,
    `erased` (they asked) or `expired` (the retention period)."""
    return [Suppression(email=e.hash, reason=SuppressionReason.EXPIRED if e.reason == EXPIRED else SuppressionReason.ERASED,
                        date=e.date, source=f"{'expired' if e.reason == EXPIRED else 'erased'} by {e.by}")
            for e in snapshot.table(ERASURES)]


def suppression_map(snapshot: Snapshot | Transaction) -> SuppressionMap:
    """Lower-cased address -> its suppression, for O(1) checks at send time (erased ones by hash)."""
    every = erased_hashes(snapshot)
    key = erasure_key(snapshot) if every else b""
    return SuppressionMap(((s.email.lower(), s) for s in snapshot.table(SUPPRESSIONS)),
                          erased_hashes(snapshot, expired=False), key, lapsed_hashes(snapshot, key) if every else frozenset())


def suppression_events(snapshot: Snapshot) -> list[dict[str, Any]]:
    """The audit trail as stored, oldest first: every suppress, upgrade, repeat and unsuppress."""
    return [event.to_doc() for event in snapshot.table(SUPPRESSION_EVENTS)]


# --- suppressions ----------------------------------------------------------------------------

def suppress(store: Store, email: str, reason: SuppressionReason,
             scope: SuppressionScope = SuppressionScope.ALL, source: str = "") -> Suppression:
    """Put an address on the suppression list (idempotent; a wider scope wins); see `suppress_in`."""
    key = canonical_email(email)
    if not key:
        raise InvalidValueError("cannot suppress an empty address")
    with store.transaction() as tx:
        return suppress_in(tx, key, reason, scope, source, now_iso())


def suppress_in(tx: Transaction, key: str, reason: SuppressionReason | str, scope: SuppressionScope | str,
                source: str, date: str, by: str | None = None) -> Suppression:
    """The suppression rules, for every caller (the CLI, erasure, the inbox's applier).

    Suppressing again keeps the record; an `all` suppression replaces a `bulletin` one, and then
    the record takes the new reason and date so it explains why everything is stopped; an
    erasure always becomes the recorded reason. Every call appends an event, except for an erased
    address, which is never stored again. `key` is the
    address as `canonical_email` gives it (done once by the caller: it is the slow part).
    """
    new = Suppression(email=key, reason=SuppressionReason(reason), scope=SuppressionScope(scope), date=date,
                      source=source)
    if erased_check(tx, expired=False)(key):    # stopped for good, by its hash: the address is not stored again
        return replace(new, email=erasure_hash(erasure_key(tx), key), reason=SuppressionReason.ERASED)
    table = tx.table(SUPPRESSIONS)
    found = table.first("email", key, str.lower)
    if found is None:
        action, record = SuppressionAction.SUPPRESS, new
        table.insert(record)
    else:
        doc_id, old = found
        widen = old.scope == SuppressionScope.BULLETIN and new.scope == SuppressionScope.ALL
        if new.reason == SuppressionReason.ERASED:
            widen = True
        action, record = (SuppressionAction.UPGRADE, new) if widen else (SuppressionAction.REPEAT, old)
        if widen:
            table.update(doc_id, record)
    tx.table(SUPPRESSION_EVENTS).insert(SuppressionEvent(email=key, action=action, reason=new.reason,
                                                         scope=new.scope, date=date, source=source, by=by))
    if new.reason in WITHDRAWALS:
        ConsentBook(tx).withdraw(key, new.scope, source, date)
    return record


def narrow_in(tx: Transaction, key: str, source: str, date: str, via: str) -> Suppression | None:
    """The person's own "keep the other mailings" (a `+k-` mail or link): an unsubscribe from
    everything becomes one from the bulletin, and the lists it closed beside the bulletin reopen.
    Only an unsubscribe narrows: a bounce, a complaint, an erasure or a coordinator's suppression
    stays (None, nothing written)."""
    table = tx.table(SUPPRESSIONS)
    found = table.first("email", key, str.lower)
    if found is None or found[1].scope != SuppressionScope.ALL or found[1].reason != SuppressionReason.UNSUBSCRIBE:
        return None
    record = replace(found[1], scope=SuppressionScope.BULLETIN, date=date, source=source)
    table.update(found[0], record)
    tx.table(SUPPRESSION_EVENTS).insert(SuppressionEvent(email=key, action=SuppressionAction.NARROW,
                                                         reason=record.reason, scope=record.scope, date=date,
                                                         source=source))
    book = ConsentBook(tx)
    for lst in book.reopened(key, SuppressionScope.ALL):
        if lst not in LISTS_OF_SCOPE[SuppressionScope.BULLETIN]:
            book.confirm(Consent(email=key, list=lst, date=date, via=via, source=source), KEEP_WORDING)
    return record


def narrow(store: Store, email: str, source: str, via: str) -> Suppression | None:
    """`narrow_in` in a transaction of its own (the web link's)."""
    with store.transaction() as tx:
        return narrow_in(tx, canonical_email(email), source, now_iso(), via)


def records_of(snapshot: Snapshot, email: str) -> dict[str, int]:
    """How many member and subscriber records hold this address."""
    key = canonical_email(email)
    return {spec.name: sum(1 for r in snapshot.table(spec) if r.email.lower() == key)  # type: ignore[attr-defined]
            for spec in (MEMBERS, SUBSCRIBERS)}


def forget_in(tx: Transaction, key: str, by: str, date: str, reason: str = ERASED) -> str:
    """Keep only the keyed hash of an erased address: its suppressions and their events go, an
    `erasures` row stays (`suppressions list` shows it as `erased`, or `expired` when the
    retention purge forgot it: `reason`). An Art. 17 request replaces an expired row; an expiry
    again renews one. Returns the hash."""
    digest = erasure_hash(erasure_key(tx), key)
    for spec in (SUPPRESSIONS, SUPPRESSION_EVENTS):
        table = tx.table(spec)
        for doc_id, _ in table.find("email", key, str.lower):
            table.delete(doc_id)
    erasures = tx.table(ERASURES)
    found = erasures.first("hash", digest)
    if found is None:
        erasures.insert(Erasure(hash=digest, date=date, by=by, reason=reason))
    elif found[1].reason == EXPIRED:
        erasures.update(found[0], Erasure(hash=digest, date=date, by=by, reason=reason))
    return digest


@dataclass(frozen=True)
class StoreErased:
    person: Person
    digest: str
    tables: StoreErasure
    log_lines: int                  # inbound log entries rewritten without the person


def erase_from_store(store: Store, email: str, by: str, reason: str = ERASED) -> StoreErased:
    """Right to erasure in the store (the files beside it are `mailer/app/person.py`'s): every
    declared personal field walked (store/personal.py), one transaction, only the hash kept
    (`reason`: "erased" on request, "expired" by the retention purge)."""
    key = canonical_email(email)
    if not key:
        raise InvalidValueError("cannot erase an empty address")
    who = person_of(store.snapshot(), key)
    with store.transaction() as tx:
        done = erase_in(tx, who)
        log_lines = tx.rewrite_log(lambda doc: anonymise_inbound(doc, who))
        digest = forget_in(tx, key, by, now_iso(), reason)
    return StoreErased(who, digest, done, log_lines)


def erase(store: Store, email: str, by: str) -> int:
    """`erase_from_store`; returns how many records were deleted."""
    return sum(erase_from_store(store, email, by).tables.removed.values())


def unsuppress(store: Store, email: str, by: str) -> Suppression:
    """A coordinator re-enables an address; returns the lifted suppression."""
    key = canonical_email(email)
    with store.transaction() as tx:
        table = tx.table(SUPPRESSIONS)
        found = table.first("email", key, str.lower)
        if found is None:
            raise NotSuppressedError(f"{key} is not on the suppression list")
        lifted = table.delete(found[0])
        date = now_iso()
        tx.table(SUPPRESSION_EVENTS).insert(SuppressionEvent(
            email=key, action=SuppressionAction.UNSUPPRESS, reason=lifted.reason, scope=lifted.scope,
            date=date, by=by))
        book = ConsentBook(tx)
        for lst in book.reopened(key, SuppressionScope(lifted.scope)):   # the coordinator vouches again
            book.confirm(Consent(email=key, list=lst, date=date, via="cli",
                                 source=f"mailer suppressions remove --by {by}"), COMMAND_WORDING)
    return lifted


# --- subscribers by hand ---------------------------------------------------------------------

def add_subscriber(store: Store, email: str, name: str = "") -> Subscriber:
    """Add (or re-activate) one subscriber; a suppression on the address is left in place."""
    try:
        key = importer.normalize_email(email)
        name = importer.clean_text(name, "name")
    except RowError as exc:
        raise InvalidValueError(str(exc)) from None
    with store.transaction() as tx:
        table = tx.table(SUBSCRIBERS)
        found = table.first("email", key, str.lower)
        if found is None:
            record = Subscriber(email=key, name=name, status=SubscriberStatus.ACTIVE, since=now_iso())
            table.insert(record)
        else:
            doc_id, old = found
            record = replace(old, name=name or old.name, status=SubscriberStatus.ACTIVE)
            table.update(doc_id, record)
        if tx.table(SUPPRESSIONS).first("email", key, str.lower) is None:
            ConsentBook(tx).confirm(Consent(email=key, list=ConsentList.SUBSCRIBERS, date=now_iso(), via="cli",
                                            source="mailer subscribers add"), COMMAND_WORDING)
        return record


def remove_subscriber(store: Store, email: str) -> Subscriber:
    """The person no longer receives bulletins because a coordinator said so.

    Not a suppression: the person did not ask anything, and a later import or sign-up may add
    them back. Their own unsubscribe goes through `suppress(..., scope=BULLETIN)` instead.
    """
    key = canonical_email(email)
    with store.transaction() as tx:
        table = tx.table(SUBSCRIBERS)
        found = table.first("email", key, str.lower)
        if found is None:
            raise NotSubscribedError(f"{key} is not a subscriber")
        return table.delete(found[0])
