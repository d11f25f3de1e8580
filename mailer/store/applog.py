"""An append-only JSONL table beside the store, crash-consistent with the state file.

The messages ever read grow without end; rewritten with the state file on every batch they
would slow every write (3 MB at 5,000 messages). Appended instead, they must still commit with
the effects they used to share a transaction with, or a message is applied twice or lost:

1. inside the store lock, each commit appends its lines tagged `n + 1` (n: the counter the state
   file holds, `schema.LOG_MARKS`) and fsyncs them;
2. then it writes the state file with the counter `n + 1`.

A reader ignores lines tagged above the state's counter and a torn last line: a crash between
1 and 2 leaves lines nobody reads, and the next writer truncates them before appending. Reading
is incremental (from the last offset read), so a batch does not re-parse the whole log.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from collections.abc import Callable
from typing import Any

from ..errors import StoreError
from .privatefiles import write_private_lines

Docs = dict[str, dict[str, Any]]


class AppendLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._inode: int | None = None
        self._offset = 0                # end of the last committed line read
        self._docs: Docs = {}
        self._indexes: dict[str, dict[str, list[str]]] = {}
        self.max_id = 0
        self._reading = threading.Lock()     # the cache and its offset move together

    def docs(self, committed: int) -> Docs:
        """Every doc committed up to `committed`, by id (the log's cached dict: do not mutate)."""
        with self._reading:
            try:
                return self._refresh(committed)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot read the store ({exc.strerror or exc})") from None

    def _refresh(self, committed: int) -> Docs:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._reset(None)
            return self._docs
        with os.fdopen(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            if st.st_ino != self._inode or st.st_size < self._offset:
                self._reset(st.st_ino)
            handle.seek(self._offset)
            self._read(handle.read(), committed)
        return self._docs

    def _reset(self, inode: int | None) -> None:
        self._inode, self._offset, self._docs, self._indexes, self.max_id = inode, 0, {}, {}, 0

    def index(self, name: str) -> dict[str, list[str]]:
        """Field value -> ids of the docs read so far, kept up to date as lines are read (do not mutate)."""
        with self._reading:
            index = self._indexes.get(name)
            if index is None:
                index = {}
                for doc_id, doc in self._docs.items():
                    index.setdefault(str(doc.get(name) or ""), []).append(doc_id)
                self._indexes[name] = index
            return index

    def _read(self, data: bytes, committed: int) -> None:
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                return                  # a torn last line: its commit never happened
            tag, doc, doc_id = self._entry(line)
            if tag > committed:
                return                  # appended by a commit that did not finish (or is under way)
            self._docs[doc_id] = doc
            for name, index in self._indexes.items():
                index.setdefault(str(doc.get(name) or ""), []).append(doc_id)
            self.max_id = max(self.max_id, int(doc_id))
            self._offset += len(line)

    def _entry(self, line: bytes) -> tuple[int, dict[str, Any], str]:
        """`[TAG, DOC]` -> (tag, doc, doc id); any other shape is a damaged file."""
        try:
            tag, doc = json.loads(line)
            if isinstance(tag, int) and isinstance(doc, dict):
                return tag, doc, str(int(doc["id"]))
        except (ValueError, TypeError, KeyError):
            pass
        raise StoreError(f"{self.path}: line at byte {self._offset} is not a log entry; "
                         "restore the file from a backup")

    def append(self, docs: list[dict[str, Any]], tag: int, committed: int) -> None:
        """Step 1 of a commit (under the store lock): drop what a dead writer left, append, fsync."""
        self.docs(committed)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size > self._offset:
                os.truncate(fd, self._offset)
            os.lseek(fd, self._offset, os.SEEK_SET)
            payload = b"".join(json.dumps([tag, doc], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                               + b"\n" for doc in docs)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)

    def rewrite(self, change: Callable[[dict[str, Any]], dict[str, Any] | None], committed: int,
                drop: Callable[[dict[str, Any]], bool] | None = None) -> int:
        """Replace the docs `change` alters (None: unchanged), keeping every tag, and leave out those
        `drop` names: the one exception to append-only, for an erasure or the retention purge's
        compaction (under the store lock). Returns how many lines changed or went."""
        self.docs(committed)
        lines, changed = [], 0
        try:
            data = self.path.read_bytes()[:self._offset]
        except FileNotFoundError:
            return 0
        for line in data.splitlines(keepends=True):
            tag, doc = json.loads(line)
            if drop is not None and drop(doc):
                changed += 1
                continue
            new = change(doc)
            if new is not None:
                changed += 1
                line = json.dumps([tag, new], ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
            lines.append(line)
        if changed:
            write_private_lines(self.path, lines)
            with self._reading:
                self._reset(None)
        return changed
