"""Consent, per person and list: when and how each person agreed, to which words, and when they left.

The question a data-protection officer asks ("how did this address get on our lists, and when
did it ask to leave?") is answered from `consents` (a file of its own: an import writes a record
per new person). A consent is confirmed by the person (their answer to the confirmation request:
the inbox's applier records the message, the request and the wording) or vouched for by a
coordinator (an import names its file and digest, `subscribers add` the command); it is withdrawn
by an unsubscribe or a complaint (`registry.suppress_in` records it for the lists its scope
covers), and reopened when a coordinator lifts that suppression (`suppressions remove`, recorded
as their word). A bounce is not a withdrawal, nor a coordinator's `subscribers remove`. People on a list
before consent was recorded have no record: `history` says so instead of inventing one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from .models import SuppressionReason, SuppressionScope
from .store import Snapshot, Transaction
from .store.records import Consent, ConsentEvent, ConsentWording
from .store.schema import CONSENT_WORDINGS, CONSENTS


class ConsentList(StrEnum):
    MEMBERS = "members"             # the action mailings: `members`, `group:` audiences
    SUBSCRIBERS = "subscribers"     # the bulletin


LISTS_OF_SCOPE = {SuppressionScope.ALL: (ConsentList.MEMBERS, ConsentList.SUBSCRIBERS),
                  SuppressionScope.BULLETIN: (ConsentList.SUBSCRIBERS,)}
WITHDRAWALS = (SuppressionReason.UNSUBSCRIBE, SuppressionReason.COMPLAINT)
# What the person's own `+k-` mail or link vouches for: it was sent only to them, with their unsubscribe.
KEEP_WORDING = ("Maintien des envois de l'équipe « Protégeons les personnes » (alertes, rappels, appels) "
                "demandé par la personne elle-même, par le lien ou l'adresse reçus avec la confirmation "
                "de sa désinscription ; le bulletin reste arrêté.")

# What a coordinator's import or command vouches for (recorded as the wording of that consent).
IMPORT_WORDING = ("Inscription par un·e coordinateur·rice (import d'un fichier) : la personne a donné son "
                  "accord à l'équipe « Protégeons les personnes » en dehors de ce service.")
COMMAND_WORDING = ("Inscription par un·e coordinateur·rice (commande mailer) : la personne a donné son "
                   "accord à l'équipe « Protégeons les personnes » en dehors de ce service.")


def version_of(wording: str) -> str:
    return hashlib.sha256(wording.encode("utf-8")).hexdigest()[:16]


def file_source(name: str, data: bytes) -> str:
    """How an import is named in the records: the file and the digest of what it held."""
    return f"{name} sha256:{hashlib.sha256(data).hexdigest()[:16]}"


def _events(records: Iterable[Consent], lst: ConsentList) -> list[Consent]:
    return sorted((c for c in records if c.list == lst), key=lambda c: c.id)


class ConsentBook:
    """The consents as one transaction writes them: a person's standing per list, and each
    wording's text kept once. `bulk()` reads every standing at once for an import of 50k rows
    (one pass) instead of a lookup per row."""

    def __init__(self, tx: Transaction) -> None:
        self.table = tx.table(CONSENTS)
        self.wordings = tx.table(CONSENT_WORDINGS)
        self._standing: dict[tuple[str, str], str] | None = None
        self._versions: set[str] | None = None

    def bulk(self) -> ConsentBook:
        if self._standing is None:
            self._standing = {}
            for doc in sorted(self.table.docs.values(), key=lambda d: int(d.get("id") or 0)):
                self._standing[(str(doc.get("email", "")).lower(), doc.get("list", ConsentList.MEMBERS))] = \
                    doc.get("event", ConsentEvent.CONFIRMED)
        return self

    def standing(self, email: str, lst: ConsentList) -> ConsentEvent | None:
        """The person's latest event on that list, None when nothing was recorded."""
        if self._standing is not None:
            found = self._standing.get((email.lower(), lst))
            return ConsentEvent(found) if found else None
        events = _events((c for _, c in self.table.find("email", email, str.lower)), lst)
        return ConsentEvent(events[-1].event) if events else None

    def _insert(self, consent: Consent) -> None:
        self.table.insert(consent)
        if self._standing is not None:
            self._standing[(consent.email.lower(), consent.list)] = consent.event

    def confirm(self, consent: Consent, wording: str) -> bool:
        """Record a confirmation (its wording kept once, by version) unless it already stands."""
        if self.standing(consent.email, ConsentList(consent.list)) == ConsentEvent.CONFIRMED:
            return False
        if not consent.wording_version:
            consent = replace(consent, wording_version=version_of(wording))
        if self._versions is None:
            self._versions = {w.version for w in self.wordings}
        if consent.wording_version not in self._versions:
            self.wordings.insert(ConsentWording(version=consent.wording_version, text=wording, first_used=consent.date))
            self._versions.add(consent.wording_version)
        self._insert(consent)
        return True

    def withdraw(self, email: str, scope: SuppressionScope, source: str, date: str) -> list[ConsentList]:
        """Record the withdrawal of every standing consent the scope covers; the lists it closed."""
        closed = [lst for lst in LISTS_OF_SCOPE[scope] if self.standing(email, lst) == ConsentEvent.CONFIRMED]
        for lst in closed:
            self._insert(Consent(email=email, list=lst, event=ConsentEvent.WITHDRAWN, date=date, source=source))
        return closed

    def reopened(self, email: str, scope: SuppressionScope) -> list[ConsentList]:
        """The lists of the scope whose consent was withdrawn: lifting the suppression reopens them."""
        return [lst for lst in LISTS_OF_SCOPE[scope] if self.standing(email, lst) == ConsentEvent.WITHDRAWN]


@dataclass(frozen=True)
class ListConsent:
    list: ConsentList
    confirmed: Consent | None       # the latest confirmation
    withdrawn: Consent | None       # the latest withdrawal
    active: bool                    # the latest event is a confirmation


def history(snapshot: Snapshot, email: str) -> list[ListConsent]:
    """Per list the person has records for: their latest confirmation (with its wording's text)
    and withdrawal."""
    key = email.strip().lower()
    texts = {w.version: w.text for w in snapshot.table(CONSENT_WORDINGS)}
    mine = [c if c.wording or not c.wording_version else replace(c, wording=texts.get(c.wording_version, ""))
            for c in snapshot.table(CONSENTS) if c.email.lower() == key]
    found = []
    for lst in ConsentList:
        events = _events(mine, lst)
        if not events:
            continue
        confirmed = [e for e in events if e.event == ConsentEvent.CONFIRMED]
        withdrawn = [e for e in events if e.event == ConsentEvent.WITHDRAWN]
        found.append(ListConsent(lst, confirmed[-1] if confirmed else None, withdrawn[-1] if withdrawn else None,
                                 events[-1].event == ConsentEvent.CONFIRMED))
    return found


def history_doc(snapshot: Snapshot, email: str) -> list[dict[str, object]]:
    """`history` as JSON-ready objects (`person consent --json`, `person export`)."""
    doc = lambda c: c.to_doc() if c else None      # noqa: E731
    return [{"list": h.list.value, "active": h.active, "confirmed": doc(h.confirmed), "withdrawn": doc(h.withdrawn)}
            for h in history(snapshot, email)]
