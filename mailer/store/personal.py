"""A person's data in the store, found by walking the schema's personal-data declaration.

Export (GDPR Art. 15) and erasure (Art. 17) both start here: a doc is the person's when one of
its declared personal fields holds their address or their name. No table is named but the few
whose docs must outlive the person in another form: a dossier loses its référent (and its
history the name of who changed it), a report
becomes an anonymous count, a message read stays in the inbound log (its key keeps it from
being read twice) without its sender.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .database import Snapshot, Transaction
from .schema import CAMPAIGNS, DOSSIER_EVENTS, DOSSIERS, GROUPS, INBOUND, REPORTS, TABLES, Personal, TableSpec


@dataclass(frozen=True)
class Person:
    """What identifies someone in text: the canonical address and the names stored with it."""

    email: str
    names: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern[str]:
        """The address or a name as a whole word: `anne@example.org` is not in `marianne@example.org`."""
        address = rf"(?<![\w.+%&'*/=?^`{{|}}~-]){re.escape(self.email)}(?![\w-]|\.\w)"
        names = [rf"(?<!\w){re.escape(n)}(?!\w)" for n in self.names]
        return re.compile("|".join([address, *names]), re.IGNORECASE)

    def mentioned_in(self, value: Any) -> bool:
        return self.pattern.search(_text(value)) is not None


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return value if isinstance(value, str) else ""


MIN_NAME = 4        # a shorter name ("Li") would match words of other people's records


def person_of(snapshot: Snapshot, email: str) -> Person:
    """The address and every name a record with that address gives it."""
    names: set[str] = set()
    for spec in TABLES:
        name_fields = [f for f, kind in spec.personal.items() if kind is Personal.NAME]
        address_fields = [f for f, kind in spec.personal.items() if kind is Personal.ADDRESS]
        if not name_fields or spec is DOSSIERS:          # a dossier's person is someone else
            continue
        for doc in snapshot.docs(spec.name):
            if any(str(doc.get(f) or "").lower() == email for f in address_fields):
                names.update(str(doc.get(f) or "").strip() for f in name_fields)
    return Person(email, tuple(sorted(n for n in names if len(n) >= MIN_NAME)))


def _holds(spec: TableSpec[Any], doc: dict[str, Any], person: Person) -> bool:
    return any(person.mentioned_in(doc.get(name)) for name in spec.personal)


def held(snapshot: Snapshot, person: Person) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, doc) for every stored doc that holds the person's address or name."""
    for spec in TABLES:
        if spec.personal:
            for doc in snapshot.docs(spec.name):
                if _holds(spec, doc, person):
                    yield spec.name, doc


@dataclass
class StoreErasure:
    removed: dict[str, int] = field(default_factory=dict)      # table -> docs deleted
    anonymised: dict[str, int] = field(default_factory=dict)   # table -> docs kept without the person
    without_referent: list[str] = field(default_factory=list)  # dossiers that lost their référent


def erase_in(tx: Transaction, person: Person) -> StoreErasure:
    """Remove the person from every declared table (the inbound log is `anonymise_log`'s)."""
    done = StoreErasure()
    for spec in TABLES:
        if not spec.personal or spec is INBOUND:
            continue
        table = tx.table(spec)
        for doc_id, record in list(table.items()):
            doc = record.to_doc()
            if not _holds(spec, doc, person):
                continue
            if spec is DOSSIERS:
                table.update(doc_id, record.__class__.from_doc({**doc, "referent_email": ""}))
                done.without_referent.append(doc["ref"])
            elif spec is GROUPS:                        # a group is not a person: it loses the address only
                table.update(doc_id, record.__class__.from_doc({**doc, "email": ""}))
            elif spec is CAMPAIGNS:                     # a campaign outlives the coordinator who scheduled it
                table.update(doc_id, record.__class__.from_doc({**doc, "scheduled_by": None}))
            elif spec is DOSSIER_EVENTS:                # the dossier's history stays, without who or their words
                table.update(doc_id, record.__class__.from_doc(
                    {**doc, **{name: "" for name in ("by", "note") if person.mentioned_in(doc.get(name))}}))
            elif spec is REPORTS:
                # actions are counts, amounts and dates: what the dossier keeps
                # its history keeps what changed, not the notes that may name the person
                history = [{**h, "note": ""} if person.mentioned_in(h.get("note")) else h
                           for h in doc.get("history") or []]
                table.update(doc_id, record.__class__.from_doc({**doc, "sender": "", "message_id": "",
                                                                **({"history": history} if history else {})}))
            else:
                table.delete(doc_id)
                done.removed[spec.name] = done.removed.get(spec.name, 0) + 1
                continue
            done.anonymised[spec.name] = done.anonymised.get(spec.name, 0) + 1
    return done


def anonymise_inbound(doc: dict[str, Any], person: Person) -> dict[str, Any] | None:
    """An inbound log doc without the person (None: leave the line as it is)."""
    if not _holds(INBOUND, doc, person) and not person.mentioned_in(doc.get("detail")):
        return None
    return {**doc, "sender": "", "detail": "" if person.mentioned_in(doc.get("detail")) else doc.get("detail", "")}
