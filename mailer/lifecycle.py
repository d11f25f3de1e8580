"""A dossier's lifecycle in the store: added, edited, its status set; every change a dated event.

Each command is one transaction that changes the dossier and appends its `dossier_events` row,
so the history never misses a change nor shows one that did not happen. Values given on the
command line go through the import's own parsers (`importer.parse_values`): `actif`, `Personne,
Pays`, `G021;G088` and a référent's address are read and refused exactly as in a file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from .clock import now_iso
from .errors import MailerError
from .models import Dossier, DossierStatus, code_key
from .sheets.columns import ImportKind
from .sheets.importer import RowError, parse_values
from .sheets.labels import NO_OUTCOME
from .store import Snapshot, Store, Transaction
from .store.records import DossierEvent, DossierEventKind
from .store.schema import DOSSIER_EVENTS, DOSSIERS, GROUPS

# What `dossiers edit` may change (the status and outcome are `set-status`'s, with a date).
EDITABLE = ("person", "country", "referent_email", "groups", "summary", "public")

Cells = Mapping[str, tuple[str, str]]           # field -> (the option it came from, its text)
Prepare = Callable[[Transaction, Dossier | None, Dossier], str]


class DossierError(MailerError):
    """A dossier change that cannot be made (shown to the coordinator as is)."""


@dataclass(frozen=True)
class Change:
    before: Dossier | None
    after: Dossier
    event: DossierEvent | None = None       # None: nothing changed, nothing was recorded


def _values(tx: Transaction | Snapshot, cells: Cells) -> dict[str, Any]:
    known = [g.code for g in tx.table(GROUPS)]
    try:
        return parse_values(ImportKind.DOSSIERS, dict(cells), known)
    except RowError as exc:
        raise DossierError(str(exc)) from None


def _ref(text: str) -> str:
    try:
        return str(parse_values(ImportKind.DOSSIERS, {"ref": ("REF", text)})["ref"])
    except RowError as exc:
        raise DossierError(str(exc)) from None


def _find(tx: Transaction | Snapshot, ref: str) -> tuple[int, Dossier]:
    found = tx.table(DOSSIERS).first("ref", ref, code_key)
    if found is None:
        raise DossierError(f"no dossier {ref!r} (mailer dossiers list; mailer dossiers add {ref} --person ...)")
    return found


def _changed_fields(before: Dossier, after: Dossier) -> list[str]:
    old, new = before.to_doc(), after.to_doc()
    return [name for name in Dossier.__dataclass_fields__ if old.get(name) != new.get(name)]


def _event(after: Dossier, kind: DossierEventKind, day: date, by: str, note: str = "",
           changes: list[str] | None = None, thanks: str = "") -> DossierEvent:
    return DossierEvent(ref=after.ref, date=day.isoformat(), kind=kind, status=str(after.status),
                        outcome=str(after.outcome or ""), note=note.strip(), changes=changes or None,
                        thanks=thanks, by=by, recorded=now_iso())


def add_dossier(store: Store, ref: str, cells: Cells, status: str, by: str, day: date, note: str = "") -> Change:
    """A new dossier (`person` required), recorded as `added` on `day`."""
    key = _ref(ref)
    with store.transaction() as tx:
        table = tx.table(DOSSIERS)
        if table.first("ref", key, code_key) is not None:
            raise DossierError(f"dossier {key} already exists: change it with mailer dossiers edit {key}")
        values = _values(tx, {**cells, "status": ("--status", status)})
        if not values.get("person"):
            raise DossierError("--person is required: the name of the person (or people) the dossier is for")
        dossier = Dossier.from_doc({"country": "", **values, "ref": key})
        table.insert(dossier)
        event = _event(dossier, DossierEventKind.ADDED, day, by, note)
        tx.table(DOSSIER_EVENTS).insert(event)
    return Change(None, dossier, event)


def edit_dossier(store: Store, ref: str, cells: Cells, by: str, day: date, note: str = "") -> Change:
    """Change the given fields (an empty text clears one); recorded as `edited` with the names
    of the fields that changed, or not at all when none did."""
    unknown = set(cells) - set(EDITABLE)
    if unknown:
        raise DossierError(f"cannot edit {', '.join(sorted(unknown))} (editable: {', '.join(EDITABLE)})")
    if not cells:
        raise DossierError("nothing to change: give at least one of --person, --country, --referent, --groups, "
                           "--summary, --public")
    with store.transaction() as tx:
        doc_id, before = _find(tx, _ref(ref))
        values = _values(tx, cells)
        after = replace(before, **values)
        changes = _changed_fields(before, after)
        if not changes and not note.strip():
            return Change(before, before)
        tx.table(DOSSIERS).update(doc_id, after)
        event = _event(after, DossierEventKind.EDITED, day, by, note, changes)
        tx.table(DOSSIER_EVENTS).insert(event)
    return Change(before, after, event)


def parse_outcome(text: str | None) -> str | None:
    """None: keep the stored outcome; "" clears it (`aucun`, `none`); otherwise its code."""
    if text is None:
        return None
    if text.strip().lower() in NO_OUTCOME or not text.strip():
        return ""
    try:
        return str(parse_values(ImportKind.DOSSIERS, {"outcome": ("--outcome", text)})["outcome"])
    except RowError as exc:
        raise DossierError(f"{exc}, or aucun to clear it") from None


def set_status(store: Store, ref: str, status: str, outcome: str | None, day: date, by: str, note: str = "",
               prepare: Prepare | None = None) -> Change:
    """The dossier's status (and outcome, when given) as of `day`, recorded as a `status` event.

    `prepare(tx, before, after)` runs before the change is committed and returns a file it
    wrote for it (the thank-you campaign of a release), kept in the event: written first, so a
    crash in between leaves a draft and no event, and the same command run again finds the draft.
    Nothing changed and no note: nothing is recorded.
    """
    code = parse_outcome(outcome)
    with store.transaction() as tx:
        doc_id, before = _find(tx, _ref(ref))
        new_status = _values(tx, {"status": ("STATUS", status)})["status"]
        after = replace(before, status=DossierStatus(new_status), outcome=before.outcome if code is None else code)
        if after == before and not note.strip():
            return Change(before, before)
        thanks = prepare(tx, before, after) if prepare else ""
        tx.table(DOSSIERS).update(doc_id, after)
        event = _event(after, DossierEventKind.STATUS, day, by, note, thanks=thanks)
        tx.table(DOSSIER_EVENTS).insert(event)
    return Change(before, after, event)


def history(snapshot: Snapshot, ref: str) -> tuple[Dossier, list[DossierEvent]]:
    """The dossier and its events in the order they were recorded (each with the day it happened)."""
    _, dossier = _find(snapshot, _ref(ref))
    key = code_key(dossier.ref)
    events = [e for e in snapshot.table(DOSSIER_EVENTS) if code_key(e.ref) == key]
    return dossier, sorted(events, key=lambda e: e.id)


def import_events(source: str, tz: tzinfo) -> Callable[[Transaction, Dossier | None, Dossier], None]:
    """`bulk.upsert_dossiers`' `changed` hook for a file: each dossier it adds or changes gets an
    `imported` event, dated the day of the import in the team's zone."""
    def record(tx: Transaction, before: Dossier | None, after: Dossier) -> None:
        day = datetime.now(UTC).astimezone(tz).date()
        changes = None if before is None else _changed_fields(before, after)
        tx.table(DOSSIER_EVENTS).insert(_event(after, DossierEventKind.IMPORTED, day, "import", source, changes))
    return record
