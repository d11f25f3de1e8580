"""Per-campaign delivery state on disk, beside the TinyDB file (which only keeps summaries).

    STATE/campaigns/NAME/audience.jsonl   the frozen audience (audience.py): line number = index
    STATE/campaigns/NAME/journal-W.log    append-only, one per sending worker:
                                           A i  attempt (written, and fsynced, a batch at a time,
                                                before sending: what a power cut may have sent)
                                           W i  its body is leaving for the server (one write, no
                                                fsync): from here on it may be delivered
                                           D i  delivered (written right after the server's 250)
                                           F i code text   permanent failure (5xx): never retried
                                           S i reason      suppressed at send time
                                           T i code text   temporary failure (not delivered), to retry later
                                           U i text        outcome unknown: the connection died after the
                                                           message left, before the server's reply
                                           R i             released: attempted but never sent (a stop, a
                                                           lost connection earlier in the batch)
                                           B               a worker's run begins (appended to the same file)

Every `W` is followed by one of D, F, T, U in the same run unless the process died: a `W`
still open at the next `B` or at the end of the file, or a `U`, is an outcome the journal
cannot prove, the only case where a recipient may get a second copy (at most one per
connection per crash). An `A` never followed by a `W` never reached the server.

Disk space: before each batch a worker reserves room in its journal beyond its end (fallocate
with KEEP_SIZE, `RESERVE` bytes: diskroom.py), so the W and outcome lines of a message that left always fit: a
full disk stops the send between batches, with nothing sent that the journal cannot record. Any
failed write raises `JournalError`, never an OSError (which the sender reads as a lost connection).

Crash safety: a `D` line is written with one `write()` as soon as the server accepts, so it
survives the process being killed; only a message accepted but not yet journaled is sent again
(at most one per connection). `D` lines are fsynced every `SYNC_EVERY` messages or
`SYNC_SECONDS`, which bounds what a power loss can resend. A torn last line is ignored.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import JournalError
from ..store.privatefiles import ensure_private_dir, fsync_dir
from . import diskroom

SYNC_EVERY = 50
RESERVE = 128 << 10         # ~400 outcome lines of the longest kind: every thread's batch in flight (4 x 50), twice
SYNC_SECONDS = 1.0
FINAL = {"D": "sent", "F": "failed", "S": "suppressed"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


def campaign_folder(state_dir: Path, name: str) -> Path:
    return state_dir / "campaigns" / name


@dataclass
class JournalState:
    """What the journals say: the final outcome of each index, and which attempts have none."""

    final: dict[int, str] = field(default_factory=dict)        # index -> "D" | "F" | "S"
    attempted: set[int] = field(default_factory=set)
    deferred: dict[int, str] = field(default_factory=dict)     # index -> last temporary error
    failures: dict[int, str] = field(default_factory=dict)     # index -> permanent error text
    unknown: set[int] = field(default_factory=set)             # an attempt whose outcome is not known

    def count(self, code: str) -> int:
        return sum(1 for c in self.final.values() if c == code)

    def in_flight(self) -> set[int]:
        """Not final, and an attempt may have been delivered: the next send may be a second copy."""
        return self.unknown - self.final.keys()

    def possible_duplicates(self) -> set[int]:
        """Delivered after an attempt whose outcome was unknown: may have received two copies."""
        return {i for i in self.unknown if self.final.get(i) == "D"}


def _lines(path: Path) -> Iterator[str]:
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.endswith("\n"):        # a line torn by a crash has no newline: ignore it
                yield line[:-1]


def read_journals(folder: Path) -> JournalState:
    state = JournalState()
    for path in sorted(folder.glob("journal-*.log")):
        open_attempts: set[int] = set()       # a W with no outcome yet, in this run of this file
        for line in _lines(path):
            code, _, rest = line.partition(" ")
            if code == "B":                   # a new run: what the last one left open, it never settled
                state.unknown |= open_attempts
                open_attempts = set()
                continue
            index_text, _, detail = rest.partition(" ")
            if not index_text.isdigit():
                continue
            index = int(index_text)
            if code == "A":
                state.attempted.add(index)
                continue
            if code == "W":
                open_attempts.add(index)
                continue
            open_attempts.discard(index)
            if code == "U":
                state.unknown.add(index)
                state.deferred[index] = detail
            elif code in FINAL:
                # A delivery outranks anything else recorded for the same index.
                if state.final.get(index) != "D":
                    state.final[index] = code
                if code == "F":
                    state.failures[index] = detail
            elif code == "T":
                state.deferred[index] = detail
        state.unknown |= open_attempts        # the writer died between sending and recording
    return state


def _clean(text: str) -> str:
    return _UNSAFE.sub(" ", text)[:300]


class JournalWriter:
    """Appends to one worker's journal; shared by that worker's threads."""

    def __init__(self, folder: Path, worker: int) -> None:
        self.path = folder / f"journal-{worker}.log"
        self._fd, self._lock, self._unsynced, self._last_sync = -1, threading.Lock(), 0, time.monotonic()
        self._reserved = 0                  # the file offset up to which room is reserved
        try:
            ensure_private_dir(folder)
            created = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if created:
                fsync_dir(folder)
        except OSError as exc:
            raise self._error(exc) from None
        self._write("B\n", sync=True)

    def _error(self, exc: OSError) -> JournalError:
        return JournalError(f"cannot write the delivery journal {self.path}: {exc.strerror or exc}; nothing "
                            "more is sent; fix that (a full disk: free some space), then send again to resume")

    def _write(self, text: str, sync: bool = False, counted: bool = True) -> None:
        with self._lock:
            try:
                os.write(self._fd, text.encode("utf-8"))
                self._unsynced += counted
                now = time.monotonic()
                if sync or self._unsynced >= SYNC_EVERY or now - self._last_sync >= SYNC_SECONDS:
                    os.fsync(self._fd)
                    self._unsynced = 0
                    self._last_sync = now
            except OSError as exc:
                raise self._error(exc) from None

    def reserve(self) -> None:
        """Before a batch: room for its lines, so a message that leaves always gets its outcome line."""
        with self._lock:
            try:
                self._reserved = diskroom.reserve(self._fd, self._reserved, RESERVE)
            except OSError as exc:
                raise self._error(exc) from None

    def attempts(self, indices: Iterable[int]) -> None:
        text = "".join(f"A {i}\n" for i in indices)
        if text:
            self._write(text, sync=True)

    def writing(self, index: int) -> None:
        self._write(f"W {index}\n", counted=False)      # a process crash keeps it; fsyncs stay per outcome

    def delivered(self, index: int) -> None:
        self._write(f"D {index}\n")

    def failed(self, index: int, code: int | None, text: str) -> None:
        self._write(f"F {index} {code or 0} {_clean(text)}\n")

    def suppressed(self, index: int, reason: str) -> None:
        self._write(f"S {index} {_clean(reason)}\n")

    def deferred(self, index: int, code: int | None, text: str) -> None:
        self._write(f"T {index} {code or 0} {_clean(text)}\n")

    def unknown(self, index: int, text: str) -> None:
        self._write(f"U {index} {_clean(text)}\n")

    def released(self, index: int) -> None:
        self._write(f"R {index}\n")

    def close(self) -> None:
        """Sync, give back the room reserved beyond the end, close."""
        with self._lock:
            if self._fd < 0:
                return
            fd, self._fd = self._fd, -1
            try:
                diskroom.give_back(fd, self._reserved)
                os.fsync(fd)
            except OSError as exc:
                raise self._error(exc) from None
            finally:
                os.close(fd)
