"""The TinyDB store, guarded: the only module that imports tinydb; typed tables only.

Which table lives in which file, with which record type, is declared in schema.py; reads and
writes go through `tables.Table` (one write style, one id allocator). The files are TinyDB
databases, read and written through `GuardedStorage`, a TinyDB storage: stock TinyDB opens them
(`TinyDB(path, storage=GuardedStorage)`), but no caller sees a tinydb name. TinyDB's own tables
are not used for the hot paths: its `update` converts the whole table on every call. What a
writer or a reader holds (`Transaction`, `Snapshot`) is in views.py; this module keeps the files,
the lock and the cache.

- One writer at a time across processes: an exclusive file lock around each read-modify-write,
  the file re-read inside the lock (the service and the CLI run together).
- Atomic writes: a temp file, fsync, `os.replace`, fsync of the folder. A crash at any instant
  leaves either the old or the new file, never a truncated one. Readers take no lock.
- Personal data: the file is 0600 and its folder 0700.
- TinyDB rewrites the whole file on each write, so a transaction groups every change into one
  write, per-recipient delivery state lives in journals beside it (outbound/journal.py), and
  the bulky reference tables sit in files of their own (`NAME.directory.json`,
  `NAME.subscribers.json`) under the same lock, and the messages ever read are appended to
  `NAME.inbound.jsonl` (applog.py) rather than rewritten with the state.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb.storages import Storage

from .applog import AppendLog
from ..errors import StoreError
from .privatefiles import ensure_private_dir, write_private_file, write_private_files
from .schema import Part
from .tables import Table
from .views import Snapshot, Transaction

__all__ = ["Snapshot", "Store", "Table", "Transaction"]

LOCK_TIMEOUT_SECONDS = 60


class GuardedStorage(Storage):
    """TinyDB's storage interface over one of our files: read whole, replaced atomically (0600,
    fsynced), a clear error for a file that is not a TinyDB database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read the store: {exc}") from None
        if not text.strip():
            return None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StoreError(f"{self.path}: the store is not valid JSON ({exc}); restore it from a backup") from None
        if not isinstance(data, dict):
            raise StoreError(f"{self.path}: the store is not a TinyDB file (found {_kind(data)}); "
                             "restore it from a backup")
        for name, docs in data.items():
            if not isinstance(docs, dict) or not all(isinstance(doc, dict) for doc in docs.values()):
                raise StoreError(f"{self.path}: table {name!r} is not a table of records "
                                 f"(found {_kind(docs)}); restore it from a backup")
        return data

    @staticmethod
    def encode(data: dict[str, Any]) -> bytes:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def write(self, data: dict[str, Any]) -> None:
        write_private_file(self.path, self.encode(data))


def _kind(value: Any) -> str:
    """What a JSON value is, in words, without quoting it (it may hold personal data)."""
    if isinstance(value, dict):
        return "an object of other values"
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def write_error(path: Path, exc: OSError) -> StoreError:
    """A failed write of the store (a full disk...): nothing of the transaction was saved."""
    return StoreError(f"{path}: cannot write the store ({exc.strerror or exc}); "
                      "nothing of this change was saved: free some space (or fix the folder) and try again")


class Store:
    def __init__(self, path: Path, secret_env: str = "MAILER_SECRET") -> None:
        self.path = path
        self.secret_env = secret_env        # `[security] secret_env`: the key of tokens and erasure hashes
        suffix = path.suffix or ".json"
        self.part_paths = {part: path.with_name(f"{path.stem}.{part}{suffix}")
                           for part in (Part.DIRECTORY, Part.SUBSCRIBERS, Part.CONSENTS)}
        self.directory_path = self.part_paths[Part.DIRECTORY]
        self.log = AppendLog(path.with_name(f"{path.stem}.{Part.INBOUND_LOG}.jsonl"))
        self.lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_SECONDS, mode=0o600)
        self._cache: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}

    @property
    def folder(self) -> Path:
        return self.path.parent

    def path_of(self, part: Part) -> Path:
        if part is Part.INBOUND_LOG:
            return self.log.path
        return self.part_paths.get(part, self.path)

    @property
    def files(self) -> list[Path]:
        return [self.path, *sorted(self.part_paths.values()), self.log.path]

    def load(self, path: Path) -> dict[str, Any]:
        return GuardedStorage(path).read() or {}

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

    def write_parts(self, parts: list[tuple[Part, dict[str, Any]]]) -> None:
        """Each file written in full before any replaces its old self, in the order given."""
        write_private_files([(self.path_of(part), GuardedStorage.encode(data)) for part, data in parts])

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
        """Exclusive read-modify-write; never hold it across network IO. Migrates an old store."""
        try:
            ensure_private_dir(self.folder)
            self.lock.acquire()
        except Timeout:
            raise StoreError(f"{self.path}: another process has held the store lock for "
                             f"{LOCK_TIMEOUT_SECONDS}s") from None
        except OSError as exc:
            raise write_error(self.path, exc) from None
        try:
            tx = Transaction(self)
            tx.migrate()
            yield tx
            try:
                tx.commit()
            except OSError as exc:
                raise write_error(self.path, exc) from None
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
        except OSError as exc:
            raise StoreError(f"{key_path}: cannot read the token key ({exc.strerror or exc})") from None
        try:
            ensure_private_dir(self.folder)
            with self.lock:
                if not key_path.exists():
                    write_private_file(key_path, secrets.token_hex(32).encode("ascii"))
                return key_path.read_bytes()
        except OSError as exc:
            raise write_error(key_path, exc) from None
