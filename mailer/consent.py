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
from dataclasses import dataclass
from enum import StrEnum

from .models import SuppressionReason, SuppressionScope
from .store import Snapshot, Transaction
from .store.records import Consent, ConsentEvent
from .store.schema import CONSENTS


class ConsentList(StrEnum):
    MEMBERS = "members"             # the action mailings: `members`, `group:` audiences
    SUBSCRIBERS = "subscribers"     # the bulletin


LISTS_OF_SCOPE = {SuppressionScope.ALL: (ConsentList.MEMBERS, ConsentList.SUBSCRIBERS),
                  SuppressionScope.BULLETIN: (ConsentList.SUBSCRIBERS,)}
WITHDRAWALS = (SuppressionReason.UNSUBSCRIBE, SuppressionReason.COMPLAINT)

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


def is_active(tx: Transaction, email: str, lst: ConsentList) -> bool:
    events = _events((c for _, c in tx.table(CONSENTS).find("email", email, str.lower)), lst)
    return bool(events) and events[-1].event == ConsentEvent.CONFIRMED


def confirm_in(tx: Transaction, consent: Consent) -> bool:
    """Record a confirmation, unless the person's consent to that list already stands."""
    if is_active(tx, consent.email, ConsentList(consent.list)):
        return False
    tx.table(CONSENTS).insert(consent)
    return True


def withdraw_in(tx: Transaction, email: str, scope: SuppressionScope, source: str, date: str) -> list[ConsentList]:
    """Record the withdrawal of every standing consent the scope covers; the lists it closed."""
    closed = [lst for lst in LISTS_OF_SCOPE[scope] if is_active(tx, email, lst)]
    for lst in closed:
        tx.table(CONSENTS).insert(Consent(email=email, list=lst, event=ConsentEvent.WITHDRAWN, date=date,
                                          source=source))
    return closed


def reopened_lists(tx: Transaction, email: str, scope: SuppressionScope) -> list[ConsentList]:
    """The lists of the scope whose consent was withdrawn: lifting the suppression reopens them."""
    found = []
    for lst in LISTS_OF_SCOPE[scope]:
        events = _events((c for _, c in tx.table(CONSENTS).find("email", email, str.lower)), lst)
        if events and events[-1].event == ConsentEvent.WITHDRAWN:
            found.append(lst)
    return found


@dataclass(frozen=True)
class ListConsent:
    list: ConsentList
    confirmed: Consent | None       # the latest confirmation
    withdrawn: Consent | None       # the latest withdrawal
    active: bool                    # the latest event is a confirmation


def history(snapshot: Snapshot, email: str) -> list[ListConsent]:
    """Per list the person has records for: their latest confirmation and withdrawal."""
    key = email.strip().lower()
    mine = [c for c in snapshot.table(CONSENTS) if c.email.lower() == key]
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
