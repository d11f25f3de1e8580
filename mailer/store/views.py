"""What callers hold of the store: a `Transaction` (a writer inside the lock: typed tables, every
change kept in memory, then one write per changed file) and a `Snapshot` (a reader: typed tables
over the files as last written, no lock). The files themselves, the lock and the cache belong to
`database.Store`, which opens both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from . import schema
from .records import LogMark
from .schema import INBOUND, LOG_MARKS, Part, TableSpec
from .tables import LogTable, Table

if TYPE_CHECKING:
    from .database import Store

R = TypeVar("R")


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

    def __init__(self, store: Store) -> None:
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
        old self, the state file (which holds the log's mark) last: a full disk saves nothing.
        Raises OSError; `Store.transaction` names it."""
        log = self._tables.get(INBOUND.name)
        appended = list(log.added.values()) if isinstance(log, LogTable) else []
        if appended:
            committed = self._committed()
            self._store.log.append(appended, committed + 1, committed)
            self.table(LOG_MARKS).upsert("name", INBOUND.name, lambda old: LogMark(INBOUND.name, committed + 1))
        dirty = sorted((part for part, file in self._files.items() if file.dirty), key=lambda p: p is Part.STATE)
        self._store.write_parts([(p, self._files[p].data) for p in dirty])


class Snapshot:
    """A read-only view of the store, each file read when first needed."""

    def __init__(self, store: Store) -> None:
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
