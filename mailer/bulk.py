"""Bulk upserts: validated records (from a file or a caller) into the store, in one transaction each.

Works through the store's typed tables, whose index is built once per transaction and whose
id allocator counts on from the last id (50k rows stay linear). An import never deletes, never lifts a
suppression, and writes only the columns its file has. `registry` re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from .sheets import importer
from .store import schema
from .clock import now_iso
from .sheets.columns import exported
from .sheets.importer import ImportKind, Problem
from .models import Dossier, Group, Member, Subscriber, SubscriberStatus, code_key
from .store.erasures import erased_check
from .store.schema import SUPPRESSIONS
from .store import Store, Transaction
from .lifecycle import import_events
from .consent import IMPORT_WORDING, ConsentBook, ConsentList, file_source, version_of
from .store.records import Consent


@dataclass(frozen=True)
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    suppressed: int = 0     # rows whose address is suppressed: stored, still not mailed
    held: tuple[str, ...] = ()   # keys whose stored value a rule kept (a pending opt-in stays pending)
    erased: int = 0         # rows of people who asked to be forgotten: not stored (issue 8)


@dataclass(frozen=True)
class ImportReport:
    kind: ImportKind
    source: str
    rows: int
    result: UpsertResult
    rejected: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    kept: tuple[str, ...] = ()      # fields the file has no column for: stored values left alone

    @property
    def complete(self) -> bool:
        """Every row went in (the CLI's exit status 0)."""
        return not self.rejected


Adjust = Callable[[dict[str, Any] | None, dict[str, Any]], tuple[dict[str, Any], bool]]
Vouch = Callable[[Transaction, Any], None]
Changed = Callable[[Transaction, Any, Any], None]     # (tx, stored record or None, new record)
FOLD: dict[str, Callable[[str], str]] = {"email": str.lower, "code": code_key, "ref": code_key}


def _upsert(store: Store, table_name: str, key: str, docs: Iterable[dict[str, Any]], address: str,
            fields: Collection[str] | None = None, adjust: Adjust | None = None,
            vouch: Vouch | None = None, changed: Changed | None = None) -> UpsertResult:
    """Add or update by key in one transaction; never deletes, never duplicates.

    A new record is stored whole. An existing one takes only `fields` (all when None): a column
    absent from the file leaves its stored value alone, a column present replaces it, empty or
    not (the file is the truth for its columns). Keys match in any case (`FOLD`). `adjust`
    (stored doc or None, doc) -> (doc, held) lets a kind keep a stored value on purpose.
    `vouch(tx, record)` records the import as the consent of each person it stores who has not
    withdrawn (a suppressed address keeps its withdrawal). `changed(tx, stored, record)` is told
    of every record added or changed (a dossier's history records it).
    """
    added = updated = unchanged = suppressed = erased = 0
    held: list[str] = []
    fold = FOLD[key]
    spec = schema.spec(table_name)         # ImportKind.GROUPS is the table "groups"...
    with store.transaction() as tx:
        table = tx.table(spec)
        blocked = {s.email.lower() for s in tx.table(SUPPRESSIONS)}
        forgotten = erased_check(tx)
        for doc in docs:
            if doc.get(address) and forgotten(doc[address]):
                erased += 1
                if address == key:
                    continue                    # a member or subscriber: the row is not stored
                doc = {**doc, address: ""}      # a group's address, a référent: the field stays empty
            found = table.first(key, doc[key], fold)
            stored = None if found is None else found[1].to_doc()
            if stored is not None and fields is not None:
                doc = {k: v for k, v in doc.items() if k in fields or k == key}
            if adjust:
                doc, kept = adjust(stored, doc)
                if kept:
                    held.append(doc[key])
            if found is None or stored is None:
                record = spec.record.from_doc(doc)
                table.insert(record)
                added += 1
                if changed is not None:
                    changed(tx, None, record)
            else:
                record = spec.record.from_doc({**stored, **doc})
                # Compared as records: a field written only once set (`models.optional`) that a
                # file's empty cell clears is "" in `doc` and absent from `stored`, the same value.
                if record != found[1]:
                    table.update(found[0], record)
                    updated += 1
                    if changed is not None:
                        changed(tx, found[1], record)
                else:
                    unchanged += 1
            if doc.get(address) and doc[address].lower() in blocked:
                suppressed += 1
            elif vouch is not None:
                vouch(tx, record)
    return UpsertResult(added, updated, unchanged, suppressed, tuple(held), erased)


def upsert_groups(store: Store, groups: Sequence[Group], fields: Collection[str] | None = None) -> UpsertResult:
    return _upsert(store, ImportKind.GROUPS, "code", (g.to_doc() for g in groups), "email", fields)


# The dossier fields a doc holds only once set: a file's empty cell for one must still clear it.
DOSSIER_BLANKS: dict[str, Any] = {"summary": "", "outcome": "", "public": []}


def upsert_dossiers(store: Store, dossiers: Sequence[Dossier], fields: Collection[str] | None = None,
                    changed: Changed | None = None) -> UpsertResult:
    return _upsert(store, ImportKind.DOSSIERS, "ref", ({**DOSSIER_BLANKS, **d.to_doc()} for d in dossiers),
                   "referent_email", fields, changed=changed)


def upsert_members(store: Store, members: Sequence[Member], fields: Collection[str] | None = None,
                   vouch: Vouch | None = None) -> UpsertResult:
    return _upsert(store, ImportKind.MEMBERS, "email", (m.to_doc() for m in members), "email", fields, vouch=vouch)


def _subscriber_doc(stored: dict[str, Any] | None, doc: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """An empty status or date keeps the stored one (new: active, now). A file never turns a
    pending double opt-in active: only the person's confirmation (or `subscribers add`) does."""
    doc = {k: v for k, v in doc.items() if v != "" or k not in ("status", "since")}
    if stored is None:
        return {"status": SubscriberStatus.ACTIVE.value, "since": now_iso(), **doc}, False
    hold = stored.get("status") == SubscriberStatus.PENDING and doc.get("status") == SubscriberStatus.ACTIVE
    if hold:
        doc.pop("status")
    return doc, hold


def upsert_subscribers(store: Store, subs: Sequence[Subscriber],
                       fields: Collection[str] = ("email", "name"), vouch: Vouch | None = None) -> UpsertResult:
    """Email and name, plus status and `since` when the file has those columns."""
    docs = ({k: v for k, v in s.to_doc().items() if k in fields or k == "email"} for s in subs)
    return _upsert(store, ImportKind.SUBSCRIBERS, "email", docs, "email", fields, _subscriber_doc, vouch)


def import_vouch(kind: ImportKind, path: Path, data: bytes) -> Vouch | None:
    """An import's consent for each person it stores (a pending subscriber has not confirmed)."""
    lists = {ImportKind.MEMBERS: ConsentList.MEMBERS, ImportKind.SUBSCRIBERS: ConsentList.SUBSCRIBERS}
    if kind not in lists:
        return None
    source, date, version = file_source(path.name, data), now_iso(), version_of(IMPORT_WORDING)
    books: list[ConsentBook] = []          # one per import: its transaction's standings, read once

    def vouch(tx: Transaction, record: Member | Subscriber) -> None:
        if isinstance(record, Subscriber) and record.status != SubscriberStatus.ACTIVE:
            return
        if not books:
            books.append(ConsentBook(tx).bulk())
        books[0].confirm(Consent(email=record.email.lower(), list=lists[kind], date=date, source=source, via="import",
                             wording_version=version), IMPORT_WORDING)
    return vouch


UPSERTS: dict[ImportKind, Callable[..., UpsertResult]] = {
    ImportKind.GROUPS: upsert_groups,
    ImportKind.DOSSIERS: upsert_dossiers,
    ImportKind.MEMBERS: upsert_members,
    ImportKind.SUBSCRIBERS: upsert_subscribers,
}


def import_file(store: Store, kind: ImportKind, path: Path, skip: Collection[str] = (),
                tz: tzinfo = UTC) -> ImportReport:
    """Read, validate and store one CSV file; bad rows are reported, the rest goes in.

    Group references are checked against the groups stored when the import starts (groups are
    never deleted, so a code known then is still known when the rows are written). `skip`
    names columns left out on purpose; `tz` is the zone of dates written without offset.
    """
    kind = ImportKind(kind)
    known = {code_key(g.code) for g in store.snapshot().table(schema.GROUPS)}
    parsed = importer.read_file(Path(path), kind, known, skip, tz)
    vouch = import_vouch(kind, Path(path), Path(path).read_bytes())
    extra: dict[str, Any] = {"vouch": vouch} if vouch else {}
    if kind == ImportKind.DOSSIERS:         # a dossier's history shows what a file changed
        extra["changed"] = import_events(Path(path).name, tz)
    result = UPSERTS[kind](store, parsed.records, parsed.fields, **extra) if parsed.records else UpsertResult()
    held = [Problem(parsed.lines.get(key, 0), f"{key} waits for its double opt-in confirmation: the "
                                              "file's status 'active' is not applied (the person confirms "
                                              f"by mail, or: mailer subscribers add {key})")
            for key in result.held]
    kept = tuple(c.field for c in exported(kind) if c.field not in parsed.fields)
    return ImportReport(kind, parsed.source, parsed.rows, result, tuple(parsed.rejected),
                        tuple(sorted([*parsed.warnings, *held], key=lambda p: p.line)), kept)
