"""The TinyDB store, guarded: the only module that imports tinydb; typed tables only.

Which table lives in which file, with which record type, is declared in schema.py; reads and
writes go through `tables.Table` (one write style, one id allocator). The files are TinyDB
databases, read and written through `GuardedStorage`, a TinyDB storage: stock TinyDB opens them
(`TinyDB(path, storage=GuardedStorage)`), but no caller sees a tinydb name. TinyDB's own tables
are not used for the hot paths: its `update` converts the whole table on every call.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from tinydb.storages import Storage

from . import schema
from .applog import AppendLog
from ..errors import StoreError
from .privatefiles import ensure_private_dir, write_private_file, write_private_files
from .records import LogMark
from .schema import INBOUND, LOG_MARKS, Part, TableSpec
from .tables import LogTable, Table

__all__ = ["Snapshot", "Store", "Table", "Transaction"]

R = TypeVar("R")

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


class _File:
    """One JSON file of the store as loaded in a transaction; remembers whether anything changed."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.dirty = False

    def touch(self) -> None:
        self.dirty = True


class Transaction:
    """What a writer sees inside the lock: typed tables (`table(schema.X)`), one write per file.

    `savepoint()` takes back every change made inside it when it raises: the inbox applies each
    message of a batch under one, so a message failing half way leaves nothing behind.
    """

    def __init__(self, store: "Store") -> None:
        self._store = self.store = store
        self._files: dict[Part, _File] = {}
        self._tables: dict[str, Table[Any]] = {}
        self._undo: list[Callable[[], None]] | None = None

    def _file(self, part: Part) -> _File:
        if part not in self._files:
            self._files[part] = _File(self._store.load(self._store.path_of(part)))
        return self._files[part]

    def table(self, spec: TableSpec[R]) -> Table[R]:
        found = self._tables.get(spec.name)
        if found is None:
            found = self._open(spec)
            self._tables[spec.name] = found
        return found

    def _open(self, spec: TableSpec[R]) -> Table[R]:
        undo = lambda: self._undo     # noqa: E731
        if spec.part is Part.INBOUND_LOG:
            log = self._store.log
            return LogTable(spec, log.docs(self._committed()), log.index, log.max_id, undo, lambda: None)
        file = self._file(spec.part)
        return Table(spec, file.data.setdefault(spec.name, {}), undo, file.touch)

    def raw(self, name: str) -> dict[str, dict[str, Any]]:
        """A table's docs as stored, to change in place: for tests writing what older versions wrote."""
        file = self._file(schema.spec(name).part)
        file.touch()
        return file.data.setdefault(name, {})

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Every change inside is taken back if the block raises (not nestable)."""
        self._undo = []
        try:
            yield
        except BaseException:
            for step in reversed(self._undo):
                step()
            raise
        finally:
            self._undo = None

    def on_rollback(self, step: Callable[[], None]) -> None:
        """Also run `step` if the current savepoint is taken back (a caller's live view)."""
        if self._undo is not None:
            self._undo.append(step)

    def rewrite_log(self, change: Callable[[dict[str, Any]], dict[str, Any] | None],
                    drop: Callable[[dict[str, Any]], bool] | None = None) -> int:
        """Rewrite the inbound log's docs `change` alters, without those `drop` names (an erasure,
        the retention purge: see applog.AppendLog.rewrite)."""
        return self._store.log.rewrite(change, self._committed(), drop)

    def _committed(self) -> int:
        mark = Table(LOG_MARKS, self._file(Part.STATE).data.get(LOG_MARKS.name, {})).first("name", INBOUND.name)
        return mark[1].committed if mark else 0

    def migrate(self) -> None:
        """A store written before a table had a file of its own: the table moves there (the
        inbound log's lines first, the state file last, as every commit writes them)."""
        state = self._file(Part.STATE)
        for spec in schema.TABLES:
            if spec.part not in (Part.STATE, Part.INBOUND_LOG) and spec.name in state.data:
                moved = state.data.pop(spec.name)
                target = self._file(spec.part)
                target.data.setdefault(spec.name, {}).update(moved)
                target.touch()
                state.touch()
        legacy = state.data.get(INBOUND.name)
        if legacy is None:
            return
        log = self.table(INBOUND)
        assert isinstance(log, LogTable)
        for doc in legacy.values():
            log.added.setdefault(str(doc.get("id") or log.next_id()), doc)
        log._next = None                # noqa: SLF001 - recomputed from the moved ids
        self._file(Part.STATE).data.pop(INBOUND.name)
        self._file(Part.STATE).touch()

    def commit(self) -> None:
        """The log's lines first, then every changed file written in full before any replaces its
        old self, the state file (which holds the log's mark) last: a full disk saves nothing."""
        log = self._tables.get(INBOUND.name)
        appended = list(log.added.values()) if isinstance(log, LogTable) else []
        try:
            if appended:
                committed = self._committed()
                self._store.log.append(appended, committed + 1, committed)
                self.table(LOG_MARKS).upsert("name", INBOUND.name, lambda old: LogMark(INBOUND.name, committed + 1))
            dirty = sorted((part for part, file in self._files.items() if file.dirty), key=lambda p: p is Part.STATE)
            write_private_files([(self._store.path_of(p), GuardedStorage.encode(self._files[p].data)) for p in dirty])
        except OSError as exc:
            raise write_error(self._store.path, exc) from None


class Snapshot:
    """A read-only view of the store, each file read when first needed."""

    def __init__(self, store: "Store") -> None:
        self._store = self.store = store

    def _docs(self, spec: TableSpec[Any]) -> dict[str, dict[str, Any]]:
        state = self._store.cached(self._store.path)
        if spec.part is not Part.INBOUND_LOG:
            docs = self._store.cached(self._store.path_of(spec.part)).get(spec.name, {})
            legacy = state.get(spec.name) if spec.part is not Part.STATE else None
            return {**legacy, **docs} if legacy else docs      # not moved yet: no writer came by
        mark = Table(LOG_MARKS, state.get(LOG_MARKS.name, {})).first("name", INBOUND.name)
        docs = self._store.log.docs(mark[1].committed if mark else 0)
        legacy = state.get(INBOUND.name)           # not migrated yet: no writer came by
        return {**legacy, **docs} if legacy else docs

    def table(self, spec: TableSpec[R]) -> Table[R]:
        docs = self._docs(spec)
        if spec.part is Part.INBOUND_LOG and INBOUND.name not in self._store.cached(self._store.path):
            log = self._store.log
            return LogTable(spec, docs, log.index, log.max_id)     # lookups without a scan of the log
        return Table(spec, docs)

    def docs(self, name: str) -> list[dict[str, Any]]:
        """A table's docs as stored, for tests and raw exports (production code reads `table`)."""
        return list(self._docs(schema.spec(name)).values())


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
