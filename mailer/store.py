"""The TinyDB store, guarded: the only module that imports tinydb.

- One writer at a time across processes: an exclusive file lock around each read-modify-write,
  the file re-read inside the lock (the service and the CLI run together).
- Atomic writes: a temp file, fsync, `os.replace`, fsync of the folder. A crash at any instant
  leaves either the old or the new file, never a truncated one. Readers take no lock.
- Personal data: the file is 0600 and its folder 0700.
- TinyDB rewrites the whole file on each write, so a transaction groups every change into one
  write, per-recipient delivery state lives in journals beside it (outbound/journal.py), and
  the bulky reference tables sit in files of their own (`NAME.directory.json`,
  `NAME.subscribers.json`) under the same lock.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb import Query, TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from .errors import StoreError

__all__ = ["Query", "Store", "Table", "Transaction", "ensure_private_dir", "write_private_file",
           "write_private_lines"]

LOCK_TIMEOUT_SECONDS = 60


def ensure_private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700; tighten `path` if it already exists."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`, mode 0600, durable once this returns."""
    write_private_lines(path, [data])


def write_private_lines(path: Path, chunks: Iterable[bytes | str]) -> None:
    """Replace `path` atomically with the chunks (str as UTF-8), streamed; mode 0600, fsynced."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 16) as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


class _MemoryStorage(Storage):
    """TinyDB storage over a dict we loaded ourselves; remembers whether anything changed."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.dirty = False

    def read(self) -> dict[str, Any]:
        return self.data

    def write(self, data: dict[str, Any]) -> None:
        self.data = data
        self.dirty = True


# The bulky reference tables live in a file of their own, so that the hot, small state
# (suppressions, campaign summaries, inbox records) is re-read and rewritten without them:
# a sender re-reads suppressions every second of a send, and a bounce storm writes them often.
# Subscribers (the bulletin's list, the largest table) get a file of their own: senders and the
# inbox read groups, dossiers and members often, and never need 100k subscribers for that.
TABLE_FILES = {"groups": "directory", "dossiers": "directory", "members": "directory",
               "subscribers": "subscribers"}


class Transaction:
    """What a writer sees inside the lock: TinyDB tables, plus raw dicts for bulk work.

    `raw(name)` returns the table's `{doc_id: doc}` dict to mutate directly: TinyDB's `update`
    converts the whole table on every call, which makes 50k upserts quadratic. `peek(name)` is
    the same dict for reading only.
    """

    def __init__(self, store: "Store") -> None:
        self._store = store
        self._storages: dict[Path, _MemoryStorage] = {}

    def _storage(self, table: str) -> _MemoryStorage:
        path = self._store.file_for(table)
        if path not in self._storages:
            self._storages[path] = _MemoryStorage(self._store.load(path))
        return self._storages[path]

    def table(self, name: str) -> Table:
        storage = self._storage(name)
        return TinyDB(storage=lambda: storage).table(name, cache_size=0)  # type: ignore[arg-type]

    def raw(self, name: str) -> dict[str, dict[str, Any]]:
        storage = self._storage(name)
        storage.dirty = True
        return storage.data.setdefault(name, {})

    def peek(self, name: str) -> dict[str, dict[str, Any]]:
        return self._storage(name).data.get(name, {})

    @staticmethod
    def next_id(raw: dict[str, Any]) -> int:
        return max((int(k) for k in raw), default=0) + 1

    def commit(self) -> None:
        for path, storage in self._storages.items():
            if storage.dirty:
                payload = json.dumps(storage.data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                write_private_file(path, payload)


class Snapshot:
    """A read-only view of the store, each file read when first needed."""

    def __init__(self, store: "Store") -> None:
        self._store = store

    def _data(self, table: str) -> dict[str, Any]:
        return self._store.cached(self._store.file_for(table))

    def docs(self, name: str) -> list[dict[str, Any]]:
        return list(self._data(name).get(name, {}).values())

    def iter_docs(self, name: str) -> Iterator[dict[str, Any]]:
        return iter(self._data(name).get(name, {}).values())

    def table(self, name: str) -> Table:
        storage = _MemoryStorage(self._data(name))
        return TinyDB(storage=lambda: storage).table(name, cache_size=0)  # type: ignore[arg-type]


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        suffix = path.suffix or ".json"
        self.part_paths = {part: path.with_name(f"{path.stem}.{part}{suffix}") for part in set(TABLE_FILES.values())}
        self.directory_path = self.part_paths["directory"]
        self.lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS, mode=0o600)
        self._cache: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}

    @property
    def folder(self) -> Path:
        return self.path.parent

    def file_for(self, table: str) -> Path:
        part = TABLE_FILES.get(table)
        return self.part_paths[part] if part else self.path

    @property
    def files(self) -> list[Path]:
        return [self.path, *sorted(self.part_paths.values())]

    def load(self, path: Path) -> dict[str, Any]:
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"{path}: cannot read the store: {exc}") from None
        if not text.strip():
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StoreError(f"{path}: the store is not valid JSON ({exc}); restore it from a backup") from None
        if not isinstance(data, dict):
            raise StoreError(f"{path}: the store is not a TinyDB file")
        return data

    @staticmethod
    def signature(path: Path) -> tuple[int, int, int] | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def cached(self, path: Path) -> dict[str, Any]:
        """A file's content, re-read only when it changed (cheap to call often)."""
        sig = self.signature(path)
        if sig is None:
            return {}
        known = self._cache.get(path)
        if known is None or known[0] != sig:
            known = (sig, self.load(path))
            self._cache[path] = known
        return known[1]

    def snapshot(self) -> Snapshot:
        return Snapshot(self)

    def forget(self) -> None:
        """Drop cached file contents (a long-running process that no longer needs them)."""
        self._cache.clear()

    def changed_since(self, signature: tuple[int, int, int] | None) -> tuple[bool, tuple[int, int, int] | None]:
        """Whether the state file (suppressions, campaigns, inbox) changed: cheap, a stat."""
        sig = self.signature(self.path)
        return sig != signature, sig

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Exclusive read-modify-write; never hold it across network IO."""
        ensure_private_dir(self.folder)
        try:
            self.lock.acquire()
        except Timeout:
            raise StoreError(f"{self.path}: another process has held the store lock for "
                             f"{LOCK_TIMEOUT_SECONDS}s") from None
        try:
            tx = Transaction(self)
            yield tx
            tx.commit()
        finally:
            self.lock.release()

    def secret(self, env_name: str) -> bytes:
        """The token key: from the environment, else a random key kept 0600 beside the store."""
        value = os.environ.get(env_name)
        if value:
            return value.encode("utf-8")
        key_path = self.folder / "secret.key"
        try:
            return key_path.read_bytes()
        except FileNotFoundError:
            pass
        ensure_private_dir(self.folder)
        with self.lock:
            if not key_path.exists():
                write_private_file(key_path, secrets.token_hex(32).encode("ascii"))
            return key_path.read_bytes()
