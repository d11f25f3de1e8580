"""Per-campaign delivery state on disk, beside the TinyDB file (which only keeps summaries).

    STATE/campaigns/NAME/audience.jsonl   frozen at the first send: a header line, then one
                                           recipient per line; its line number is its index
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
with KEEP_SIZE, `RESERVE` bytes), so the W and outcome lines of a message that left always fit: a
full disk stops the send between batches, with nothing sent that the journal cannot record. Any
failed write raises `JournalError`, never an OSError (which the sender reads as a lost connection).

Crash safety: a `D` line is written with one `write()` as soon as the server accepts, so it
survives the process being killed; only a message accepted but not yet journaled is sent again
(at most one per connection). `D` lines are fsynced every `SYNC_EVERY` messages or
`SYNC_SECONDS`, which bounds what a power loss can resend. A torn last line is ignored.
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import json
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CampaignError, JournalError
from ..models import Recipient
from ..store.privatefiles import ensure_private_dir, fsync_dir, write_private_lines

SYNC_EVERY = 50
RESERVE = 128 << 10         # ~400 outcome lines of the longest kind: every thread's batch in flight (4 x 50), twice
SYNC_SECONDS = 1.0
FINAL = {"D": "sent", "F": "failed", "S": "suppressed"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


def campaign_folder(state_dir: Path, name: str) -> Path:
    return state_dir / "campaigns" / name


@dataclass(frozen=True)
class FrozenAudience:
    header: dict[str, Any]
    recipients: list[Recipient]
    by_index: dict[int, Recipient] = field(default_factory=dict)   # filled when read with `only`

    @property
    def salt(self) -> str:
        return str(self.header["salt"])


AUDIENCE = "audience.jsonl"
PREPARED_AUDIENCE = "audience.jsonl.prepared"      # resolved, shown to the coordinator, not yet frozen


def write_audience(folder: Path, header: dict[str, Any], recipients: Iterable[Recipient],
                   name: str = AUDIENCE) -> None:
    """Atomically: either the whole audience is frozen or none of it is (streamed, not built in memory)."""
    lines = itertools.chain([json.dumps(header, ensure_ascii=False) + "\n"],
                            (json.dumps([r.email, r.name, r.kind, r.group], ensure_ascii=False) + "\n"
                             for r in recipients))
    write_private_lines(folder / name, lines)


def freeze_prepared_audience(folder: Path) -> None:
    """The first `send` fixes the audience: the prepared file becomes the frozen one, atomically."""
    os.replace(folder / PREPARED_AUDIENCE, folder / AUDIENCE)
    fsync_dir(folder)


def read_audience_head(folder: Path, name: str = AUDIENCE) -> tuple[dict[str, Any], Recipient | None] | None:
    """The header and the first recipient, without reading the rest."""
    try:
        with (folder / name).open("r", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
            first = handle.readline()
        row = json.loads(first) if first else None
        if not isinstance(header, dict) or not (row is None or _is_row(row)):
            raise ValueError("not a frozen audience: a header object, then [email, name, kind, group] rows")
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise CampaignError(f"{folder / name}: unreadable audience ({exc})") from None
    return header, Recipient(*row) if row else None


def _is_row(row: Any) -> bool:
    return isinstance(row, list) and 1 <= len(row) <= 4 and all(isinstance(v, str) for v in row)


def read_audience(folder: Path, only: set[int] | None = None) -> FrozenAudience | None:
    """The frozen audience; with `only`, just those indices (a worker's share), in `by_index`."""
    path = folder / AUDIENCE
    try:
        handle = path.open("r", encoding="utf-8")
    except FileNotFoundError:
        return None
    recipients: list[Recipient] = []
    by_index: dict[int, Recipient] = {}
    try:
        with handle:
            header = json.loads(handle.readline())
            for index, line in enumerate(handle):
                if only is None:
                    recipients.append(Recipient(*json.loads(line)))
                elif index in only:
                    by_index[index] = Recipient(*json.loads(line))
    except (ValueError, TypeError) as exc:
        raise CampaignError(f"{path}: unreadable frozen audience ({exc})") from None
    return FrozenAudience(header, recipients, by_index)


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


def _fallocate() -> Any:
    """libc's fallocate(fd, mode, offset, length), or None where there is none."""
    try:
        function = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    return function


_FALLOCATE, _KEEP_SIZE, _PUNCH_HOLE, _UNLIMITED = _fallocate(), 1, 2, 1 << 62


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
        if _FALLOCATE is None:
            return
        with self._lock:
            try:
                size = os.fstat(self._fd).st_size
            except OSError as exc:
                raise self._error(exc) from None
            if self._reserved - size >= RESERVE // 2:
                return
            if _FALLOCATE(self._fd, _KEEP_SIZE, size, RESERVE) != 0:
                code = ctypes.get_errno()
                if code in (errno.EOPNOTSUPP, errno.ENOSYS):    # a file system without it: write as before
                    self._reserved = _UNLIMITED
                    return
                raise self._error(OSError(code, os.strerror(code)))
            self._reserved = size + RESERVE

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
                size = os.fstat(fd).st_size
                if _FALLOCATE is not None and size < self._reserved < _UNLIMITED:
                    _FALLOCATE(fd, _KEEP_SIZE | _PUNCH_HOLE, size, self._reserved - size)
                os.fsync(fd)
            except OSError as exc:
                raise self._error(exc) from None
            finally:
                os.close(fd)
