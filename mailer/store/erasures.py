"""What is kept of a person who asked to be forgotten: a keyed hash of the address, nothing else.

HMAC-SHA256 under the store's secret (`[security] secret_env`, else `secret.key`): a plain hash
of an address is reversed by hashing guesses, a keyed one is not without the key. Every check
that suppressions answer (imports, sign-ups, sends) asks `erased_check` too.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from hashlib import sha256

from .database import Snapshot, Transaction
from .schema import ERASURES


def erasure_hash(key: bytes, email: str) -> str:
    return "hmac-sha256:" + hmac.new(key, email.strip().lower().encode("utf-8"), sha256).hexdigest()


def erasure_key(source: Snapshot | Transaction) -> bytes:
    return source.store.secret(source.store.secret_env)


def erased_hashes(source: Snapshot | Transaction) -> frozenset[str]:
    return frozenset(e.hash for e in source.table(ERASURES))


def erased_check(source: Snapshot | Transaction, key: bytes | None = None) -> Callable[[str], bool]:
    """address -> whether that person was erased (no key read while nobody was)."""
    hashes = erased_hashes(source)
    if not hashes:
        return lambda email: False
    secret = key if key is not None else erasure_key(source)
    return lambda email: erasure_hash(secret, email) in hashes
