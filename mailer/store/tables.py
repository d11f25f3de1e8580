"""A typed table over one `{doc_id: doc}` dict: the one write style and the one id allocator.

Used by database.py inside a transaction (writable) and in snapshots (read-only). Indexes are built
once per transaction on first `find` and kept up to date by the writes, and the next id is
computed once then incremented: 50k inserts or upserts stay linear. Keys a record type does not
declare (written by another version) are kept when a doc is rewritten, never dropped.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from ..errors import StoreError
from .schema import TableSpec

R = TypeVar("R")
Docs = dict[str, dict[str, Any]]
Fold = Callable[[str], str]
Undo = list[Callable[[], None]]


def same(value: str) -> str:
    return value


class Table(Generic[R]):
    def __init__(self, spec: TableSpec[R], docs: Docs | ChainMap[str, dict[str, Any]], undo: Callable[[], Undo | None] | None = None,
                 on_write: Callable[[], None] | None = None) -> None:
        self.spec, self.docs = spec, docs
        self._undo, self._on_write = undo, on_write
        self._indexes: dict[tuple[str, Fold], dict[str, list[str]]] = {}
        self._next: int | None = None
        self._fields = frozenset(spec.field_names())

    # -- reads ------------------------------------------------------------------------------
    def _record(self, doc: dict[str, Any]) -> R:
        return self.spec.record.from_doc(doc)  # type: ignore[attr-defined, no-any-return]

    def get(self, doc_id: int) -> R | None:
        doc = self.docs.get(str(doc_id))
        return None if doc is None else self._record(doc)

    def __iter__(self) -> Iterator[R]:
        return (self._record(d) for d in self.docs.values())

    def items(self) -> Iterator[tuple[int, R]]:
        return ((int(k), self._record(d)) for k, d in self.docs.items())

    def __len__(self) -> int:
        return len(self.docs)

    def _index(self, name: str, fold: Fold) -> dict[str, list[str]]:
        index = self._indexes.get((name, fold))
        if index is None:
            index = {}
            for doc_id, doc in self._indexed().items():
                index.setdefault(fold(str(doc.get(name) or "")), []).append(doc_id)
            self._indexes[(name, fold)] = index
        return index

    def _indexed(self) -> Docs | ChainMap[str, dict[str, Any]]:
        """The docs `find` indexes itself."""
        return self.docs

    def find(self, name: str, value: str, fold: Fold = same) -> list[tuple[int, R]]:
        """The records whose `name` field equals `value` (both through `fold`), oldest first."""
        ids = self._index(name, fold).get(fold(value), [])
        return [(int(i), self._record(self.docs[i])) for i in ids]

    def first(self, name: str, value: str, fold: Fold = same) -> tuple[int, R] | None:
        found = self.find(name, value, fold)
        return found[0] if found else None

    # -- writes -----------------------------------------------------------------------------
    def _writable(self) -> None:
        if self._on_write is None:
            raise StoreError(f"table {self.spec.name}: read-only here (write inside a transaction)")
        self._on_write()

    def next_id(self) -> int:
        if self._next is None:
            self._next = max((int(k) for k in self.docs), default=0) + 1
        return self._next

    def _put(self, doc_id: str, doc: dict[str, Any] | None) -> None:
        """Set or remove one doc, keeping the indexes right and noting how to take it back."""
        old = self.docs.get(doc_id)
        undo = self._undo() if self._undo else None
        if undo is not None:
            undo.append(lambda: self._restore(doc_id, old))
        self._reindex(doc_id, old, doc)
        if doc is None:
            self.docs.pop(doc_id, None)
        else:
            self.docs[doc_id] = doc

    def _restore(self, doc_id: str, old: dict[str, Any] | None) -> None:
        self._reindex(doc_id, self.docs.get(doc_id), old)
        if old is None:
            self.docs.pop(doc_id, None)
        else:
            self.docs[doc_id] = old

    def _reindex(self, doc_id: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        for (name, fold), index in self._indexes.items():
            if old is not None:
                ids = index.get(fold(str(old.get(name) or "")), [])
                if doc_id in ids:
                    ids.remove(doc_id)
            if new is not None:
                index.setdefault(fold(str(new.get(name) or "")), []).append(doc_id)

    def insert(self, record: R) -> int:
        """Store a new record under the next id (also written into the doc when the table keeps ids)."""
        self._writable()
        doc_id = self.next_id()
        self._next = doc_id + 1
        doc = record.to_doc()  # type: ignore[attr-defined]
        if self.spec.stored_id:
            doc["id"] = doc_id
        self._put(str(doc_id), doc)
        return doc_id

    def update(self, doc_id: int, record: R) -> None:
        """Replace a record; keys its type does not declare stay as they were."""
        self._writable()
        key = str(doc_id)
        old = self.docs.get(key)
        if old is None:
            raise StoreError(f"table {self.spec.name}: no record {doc_id} to update")
        doc = {k: v for k, v in old.items() if k not in self._fields}
        doc.update(record.to_doc())  # type: ignore[attr-defined]
        if self.spec.stored_id:
            doc["id"] = doc_id
        self._put(key, doc)

    def upsert(self, name: str, value: str, make: Callable[[R | None], R]) -> R:
        """Update the first record whose `name` is `value` with `make(it)`, or insert `make(None)`."""
        found = self.first(name, value)
        record = make(found[1] if found else None)
        if found:
            self.update(found[0], record)
        else:
            self.insert(record)
        return record

    def delete(self, doc_id: int) -> R:
        self._writable()
        key = str(doc_id)
        old = self.docs.get(key)
        if old is None:
            raise StoreError(f"table {self.spec.name}: no record {doc_id} to delete")
        self._put(key, None)
        return self._record(old)


class LogTable(Table[R]):
    """An append-only table over a log's committed docs (applog.py), which it never copies nor scans.

    Lookups use the log's own index, kept as lines are read; this transaction's inserts sit in
    `added` (with an index of their own) until the commit appends them. Neither grows with the
    log's length, so the 100,000th message costs what the first did.
    """

    def __init__(self, spec: TableSpec[R], docs: Docs, index: Callable[[str], dict[str, list[str]]],
                 max_id: int, undo: Callable[[], Undo | None] | None = None,
                 on_write: Callable[[], None] | None = None) -> None:
        self.added: Docs = {}
        super().__init__(spec, ChainMap(self.added, docs), undo, on_write)
        self._log_index, self._log_max = index, max_id

    def _indexed(self) -> Docs:
        return self.added           # the log's docs have the log's own index

    def find(self, name: str, value: str, fold: Fold = same) -> list[tuple[int, R]]:
        if fold is not same:
            raise StoreError(f"table {self.spec.name}: the log is indexed on exact values only")
        ids = [*self._log_index(name).get(value, []), *self._index(name, fold).get(value, [])]
        return [(int(i), self._record(self.docs[i])) for i in ids if i in self.docs]

    def next_id(self) -> int:
        if self._next is None:
            self._next = max(self._log_max, max((int(k) for k in self.added), default=0)) + 1
        return self._next

    def update(self, doc_id: int, record: R) -> None:
        raise StoreError(f"table {self.spec.name} is append-only")

    def delete(self, doc_id: int) -> R:
        raise StoreError(f"table {self.spec.name} is append-only")
