"""What every inbox source offers the service, and the limits both sources apply.   [no IO]

A source (IMAP or Maildir) fetches without marking anything seen and moves a message only when
told to, after the store holds its effects (issue 3). Sizes are checked before any body is read:
a message over the parser's limit is handed over empty (`too_big`) for the failed folder, and a
batch never holds more than MAX_BATCH_BYTES, so memory stays bounded whatever arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from ...config import InboxConfig
from ...errors import MailerError
from ..mime.parts import DEFAULT_LIMITS

__all__ = ["Fetched", "MAX_BATCH_BYTES", "MAX_MESSAGE_BYTES", "ROLES", "Source", "SourceError",
           "SourceSecurityError", "folder_name", "pick"]

ROLES = ("processed", "triage", "failed")
MAX_MESSAGE_BYTES = DEFAULT_LIMITS.max_bytes   # bigger goes to the failed folder unread (the parser's limit)
MAX_BATCH_BYTES = 64 << 20              # one batch holds at most this much mail in memory (or one message)


class SourceError(MailerError):
    """The mailbox cannot be reached or refused an operation (worth retrying later)."""


class SourceSecurityError(SourceError):
    """TLS could not be established or verified, or login was refused: never downgraded."""


@dataclass(frozen=True)
class Fetched:
    uid: str                 # the source's handle for `move` (IMAP UID, or Maildir `new/NAME`)
    raw: bytes               # b"" when too big: never downloaded, memory stays bounded
    too_big: int = 0         # the size, when over MAX_MESSAGE_BYTES (the service files it as failed)


def pick(sizes: Sequence[tuple[str, int]]) -> tuple[list[str], list[tuple[str, int]]]:
    """(UIDs to read, in order, within MAX_BATCH_BYTES; UIDs too big to read at all, with sizes)."""
    picked: list[str] = []
    big: list[tuple[str, int]] = []
    total = 0
    for uid, size in sizes:
        if size > MAX_MESSAGE_BYTES:
            big.append((uid, size))
        elif picked and total + size > MAX_BATCH_BYTES:
            break
        else:
            picked.append(uid)
            total += size
    return picked, big


class Source(Protocol):
    """An inbox the service reads from; `wait` returns early when new mail may have arrived."""

    def fetch(self, limit: int, exclude: Collection[str] = ()) -> list[Fetched]: ...
    def move(self, uids: Sequence[str], role: str) -> None: ...
    def wait(self, timeout: float, stop: threading.Event) -> None: ...
    def close(self) -> None: ...


def folder_name(inbox: InboxConfig, role: str) -> str:
    names = {"processed": inbox.processed_folder, "triage": inbox.triage_folder, "failed": inbox.failed_folder}
    if role not in names:
        raise ValueError(f"unknown folder role {role!r} (expected one of {', '.join(ROLES)})")
    return names[role]
