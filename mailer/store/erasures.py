"""What is kept of a person who asked to be forgotten: a keyed hash of the address, nothing else.

HMAC-SHA256 under the store's secret (`[security] secret_env`, else `secret.key`): a plain hash
of an address is reversed by hashing guesses, a keyed one is not without the key. Every check
that suppressions answer (imports, sign-ups, sends) asks `erased_check` too.

Why the hash is kept (`Erasure.reason`): "erased", the person asked (Art. 17): nothing re-adds
them, ever. "expired", the retention purge forgot a former subscriber (`[retention]
former_subscriber_days`): imports still never re-add them (a coordinator's old file must not
undo the purge), but the person's own new sign-up by mail is taken, and once they confirm it
(double opt-in: a fresh consent, `lapsed_hashes`) mail reaches them again.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from hashlib import sha256

from ..clock import parse_iso
from .database import Snapshot, Transaction
from .records import PendingStatus
from .schema import ERASURES, PENDING_PEOPLE

ERASED, EXPIRED = "erased", "expired"


def erasure_hash(key: bytes, email: str) -> str:
    return "hmac-sha256:" + hmac.new(key, email.strip().lower().encode("utf-8"), sha256).hexdigest()


def erasure_key(source: Snapshot | Transaction) -> bytes:
    return source.store.secret(source.store.secret_env)


def erased_hashes(source: Snapshot | Transaction, expired: bool = True) -> frozenset[str]:
    """The hashes kept; without those of `expired` entries when `expired` is False."""
    return frozenset(e.hash for e in source.table(ERASURES) if expired or e.reason != EXPIRED)


def lapsed_hashes(source: Snapshot | Transaction, key: bytes) -> frozenset[str]:
    """The expired entries that still stop mail: those whose person has not confirmed a new
    sign-up (a pending person activated after the entry's date) since."""
    expired = {e.hash: parse_iso(e.date) for e in source.table(ERASURES) if e.reason == EXPIRED}
    if not expired:
        return frozenset()
    for person in source.table(PENDING_PEOPLE):
        if person.status != PendingStatus.ACTIVE or not person.activated:
            continue
        digest = erasure_hash(key, person.email)
        since, activated = expired.get(digest), parse_iso(person.activated)
        if digest in expired and (since is None or (activated is not None and activated > since)):
            del expired[digest]
    return frozenset(expired)


def erased_check(source: Snapshot | Transaction, key: bytes | None = None,
                 expired: bool = True) -> Callable[[str], bool]:
    """address -> whether that person was erased (no key read while nobody was); `expired=False`:
    only those who asked (a sign-up by mail is taken from an expired address)."""
    hashes = erased_hashes(source, expired)
    if not hashes:
        return lambda email: False
    secret = key if key is not None else erasure_key(source)
    return lambda email: erasure_hash(secret, email) in hashes
