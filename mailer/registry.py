"""The team's data over `Store`: directory, subscribers, suppressions, and bulk upserts.

Writes go through one `Store.transaction()` each (one lock, one file rewrite); reads take a
lock-free `Snapshot`. Bulk upserts work on `tx.raw(table)` dicts with an index built once,
because TinyDB's `update` walks the whole table on every call (50k rows would be quadratic).

Suppressions are facts about people (they unsubscribed, bounced, complained, were erased): an
import updates the records of suppressed addresses but never lifts the suppression; only
`unsuppress` does, and it is recorded in `suppression_events` with who and when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from . import importer
from .errors import MailerError
from .importer import ImportKind, Problem, RowError
from .models import (Directory, Dossier, Group, Member, Subscriber, Suppression, SuppressionReason,
                     SuppressionScope)
from .store import Snapshot, Store, Transaction

GROUPS = "groups"
DOSSIERS = "dossiers"
MEMBERS = "members"
SUBSCRIBERS = "subscribers"
SUPPRESSIONS = "suppressions"
SUPPRESSION_EVENTS = "suppression_events"


class RegistryError(MailerError):
    """A request about the team's data that cannot be honoured (shown to the coordinator)."""


class NotSuppressedError(RegistryError):
    """`unsuppress` of an address that is not on the suppression list."""


class NotSubscribedError(RegistryError):
    """`remove_subscriber` of an address that is not a subscriber."""


class InvalidValueError(RegistryError):
    """An address or name given on the command line failed the import's checks."""


@dataclass(frozen=True)
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    suppressed: int = 0     # rows whose address is suppressed: stored, still not mailed


@dataclass(frozen=True)
class ImportReport:
    kind: ImportKind
    source: str
    rows: int
    result: UpsertResult
    rejected: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def complete(self) -> bool:
        """Every row went in (the CLI's exit status 0)."""
        return not self.rejected


def now_iso() -> str:
    """ISO 8601 UTC, to the second: every date this module writes."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def canonical_email(email: str) -> str:
    """The suppression key: lower-cased, IDN domain in ASCII when the address parses.

    Lenient on purpose: a bounce may name an address we would refuse to import, and it must
    still be suppressed under the same key the sender looks up.
    """
    text = email.strip()
    try:
        ascii_email = validate_email(text, check_deliverability=False).ascii_email
    except EmailNotValidError:
        ascii_email = None
    return (ascii_email or text).lower()


# --- reads (lock-free snapshots) -------------------------------------------------------------

def load_directory(snapshot: Snapshot) -> Directory:
    return Directory(
        groups=tuple(Group.from_doc(d) for d in snapshot.docs(GROUPS)),
        dossiers=tuple(Dossier.from_doc(d) for d in snapshot.docs(DOSSIERS)),
        members=tuple(Member.from_doc(d) for d in snapshot.docs(MEMBERS)),
    )


def subscribers(snapshot: Snapshot) -> list[Subscriber]:
    return list(iter_subscribers(snapshot))


def iter_subscribers(snapshot: Snapshot) -> Iterator[Subscriber]:
    """One at a time: resolving a 100k audience should not hold 100k of them at once."""
    return (Subscriber.from_doc(d) for d in snapshot.iter_docs(SUBSCRIBERS))


def suppression_map(snapshot: Snapshot) -> dict[str, Suppression]:
    """Lower-cased address -> its suppression, for O(1) checks at send time."""
    return {d["email"].lower(): Suppression.from_doc(d) for d in snapshot.docs(SUPPRESSIONS)}


def suppression_events(snapshot: Snapshot) -> list[dict[str, Any]]:
    """The audit trail, oldest first: every suppress, upgrade, repeat and unsuppress."""
    return snapshot.docs(SUPPRESSION_EVENTS)


# --- suppressions ----------------------------------------------------------------------------

def _next_id(raw: dict[str, dict[str, Any]]) -> str:
    return str(max((int(k) for k in raw), default=0) + 1)


def _append(raw: dict[str, dict[str, Any]], doc: dict[str, Any]) -> None:
    raw[_next_id(raw)] = doc


def _find(raw: dict[str, dict[str, Any]], email: str) -> str | None:
    return next((k for k, d in raw.items() if d.get("email", "").lower() == email), None)


def suppress(store: Store, email: str, reason: SuppressionReason,
             scope: SuppressionScope = SuppressionScope.ALL, source: str = "") -> Suppression:
    """Put an address on the suppression list (idempotent; a wider scope wins).

    Suppressing again keeps the record; an `all` suppression replaces a `bulletin` one, and then
    the record takes the new reason and date so it explains why everything is stopped.
    """
    key = canonical_email(email)
    if not key:
        raise InvalidValueError("cannot suppress an empty address")
    with store.transaction() as tx:
        return _suppress_in(tx, key, reason, scope, source)


def _suppress_in(tx: Transaction, key: str, reason: SuppressionReason, scope: SuppressionScope,
                 source: str) -> Suppression:
    date = now_iso()
    new = Suppression(email=key, reason=SuppressionReason(reason).value,
                      scope=SuppressionScope(scope).value, date=date, source=source)
    table = tx.raw(SUPPRESSIONS)
    doc_id = _find(table, key)
    if doc_id is None:
        action, record = "suppress", new
        _append(table, record.to_doc())
    else:
        old = Suppression.from_doc(table[doc_id])
        widen = old.scope == SuppressionScope.BULLETIN and new.scope == SuppressionScope.ALL
        if reason == SuppressionReason.ERASED:
            widen = True            # an erasure always becomes the recorded reason
        action, record = ("upgrade", new) if widen else ("repeat", old)
        table[doc_id] = record.to_doc()
    _append(tx.raw(SUPPRESSION_EVENTS), {"email": key, "action": action, "reason": new.reason,
                                          "scope": new.scope, "date": date, "source": source})
    return record


def erase(store: Store, email: str, by: str) -> int:
    """Right to erasure: drop the person's member and subscriber records, keep only the address
    on the suppression list (reason `erased`) so no import or sign-up brings them back.
    Returns how many records were removed. Frozen audiences of past campaigns are left as sent."""
    key = canonical_email(email)
    if not key:
        raise InvalidValueError("cannot erase an empty address")
    removed = 0
    with store.transaction() as tx:
        for name in (MEMBERS, SUBSCRIBERS):
            table = tx.raw(name)
            for doc_id in [i for i, d in table.items() if str(d.get("email", "")).lower() == key]:
                del table[doc_id]
                removed += 1
        _suppress_in(tx, key, SuppressionReason.ERASED, SuppressionScope.ALL, f"erased by {by}")
    return removed


def unsuppress(store: Store, email: str, by: str) -> Suppression:
    """A coordinator re-enables an address; returns the lifted suppression."""
    key = canonical_email(email)
    with store.transaction() as tx:
        table = tx.raw(SUPPRESSIONS)
        doc_id = _find(table, key)
        if doc_id is None:
            raise NotSuppressedError(f"{key} is not on the suppression list")
        lifted = Suppression.from_doc(table.pop(doc_id))
        _append(tx.raw(SUPPRESSION_EVENTS), {"email": key, "action": "unsuppress", "reason": lifted.reason,
                                              "scope": lifted.scope, "date": now_iso(), "by": by})
    return lifted


# --- bulk upserts ----------------------------------------------------------------------------

def _upsert(store: Store, table_name: str, key: str, docs: Iterable[dict[str, Any]],
            address: str, on_insert: Callable[[], dict[str, Any]] | None = None) -> UpsertResult:
    """Add or update by key in one transaction; never deletes, never duplicates.

    Fields absent from a doc are kept (a subscriber's status survives a re-import); fields
    present replace the stored value, empty or not: the file is the truth for its columns.
    """
    added = updated = unchanged = suppressed = 0
    with store.transaction() as tx:
        table = tx.raw(table_name)
        fold = str.lower if key == "email" else str
        index = {fold(d.get(key, "")): doc_id for doc_id, d in table.items()}
        blocked = {d.get("email", "").lower() for d in tx.peek(SUPPRESSIONS).values()}
        next_id = max((int(k) for k in table), default=0) + 1
        for doc in docs:
            doc_id = index.get(fold(doc[key]))
            if doc_id is None:
                table[str(next_id)] = {**(on_insert() if on_insert else {}), **doc}
                index[fold(doc[key])] = str(next_id)
                next_id += 1
                added += 1
            else:
                merged = {**table[doc_id], **doc}
                if merged != table[doc_id]:
                    table[doc_id] = merged
                    updated += 1
                else:
                    unchanged += 1
            if doc.get(address) and doc[address].lower() in blocked:
                suppressed += 1
    return UpsertResult(added, updated, unchanged, suppressed)


def upsert_groups(store: Store, groups: Sequence[Group]) -> UpsertResult:
    return _upsert(store, GROUPS, "code", (g.to_doc() for g in groups), "email")


def upsert_dossiers(store: Store, dossiers: Sequence[Dossier]) -> UpsertResult:
    return _upsert(store, DOSSIERS, "ref", (d.to_doc() for d in dossiers), "referent_email")


def upsert_members(store: Store, members: Sequence[Member]) -> UpsertResult:
    return _upsert(store, MEMBERS, "email", (m.to_doc() for m in members), "email")


def upsert_subscribers(store: Store, subs: Sequence[Subscriber]) -> UpsertResult:
    """Only email and name come from a file: status and `since` are set once, on insert."""
    docs = ({"email": s.email, "name": s.name} for s in subs)
    return _upsert(store, SUBSCRIBERS, "email", docs, "email",
                   on_insert=lambda: {"status": "active", "since": now_iso()})


UPSERTS: dict[ImportKind, Callable[[Store, Any], UpsertResult]] = {
    ImportKind.GROUPS: upsert_groups,
    ImportKind.DOSSIERS: upsert_dossiers,
    ImportKind.MEMBERS: upsert_members,
    ImportKind.SUBSCRIBERS: upsert_subscribers,
}


def import_file(store: Store, kind: ImportKind, path: Path) -> ImportReport:
    """Read, validate and store one CSV file; bad rows are reported, the rest goes in.

    Group references are checked against the groups stored when the import starts (groups are
    never deleted, so a code known then is still known when the rows are written).
    """
    kind = ImportKind(kind)
    known = {d["code"] for d in store.snapshot().docs(GROUPS)}
    parsed = importer.read_file(Path(path), kind, known)
    result = UPSERTS[kind](store, parsed.records) if parsed.records else UpsertResult()
    return ImportReport(kind, parsed.source, parsed.rows, result,
                        tuple(parsed.rejected), tuple(parsed.warnings))


# --- subscribers by hand ---------------------------------------------------------------------

def add_subscriber(store: Store, email: str, name: str = "") -> Subscriber:
    """Add (or re-activate) one subscriber; a suppression on the address is left in place."""
    try:
        key = importer.normalize_email(email)
        name = importer.clean_text(name, "name")
    except RowError as exc:
        raise InvalidValueError(str(exc)) from None
    with store.transaction() as tx:
        table = tx.raw(SUBSCRIBERS)
        doc_id = _find(table, key)
        if doc_id is None:
            doc_id = _next_id(table)
            table[doc_id] = Subscriber(email=key, name=name, status="active", since=now_iso()).to_doc()
        else:
            table[doc_id] = {**table[doc_id], "name": name or table[doc_id].get("name", ""),
                             "status": "active"}
        return Subscriber.from_doc(table[doc_id])


def remove_subscriber(store: Store, email: str) -> Subscriber:
    """The person no longer receives bulletins because a coordinator said so.

    Not a suppression: the person did not ask anything, and a later import or sign-up may add
    them back. Their own unsubscribe goes through `suppress(..., scope=BULLETIN)` instead.
    """
    key = canonical_email(email)
    with store.transaction() as tx:
        table = tx.raw(SUBSCRIBERS)
        doc_id = _find(table, key)
        if doc_id is None:
            raise NotSubscribedError(f"{key} is not a subscriber")
        return Subscriber.from_doc(table.pop(doc_id))
