"""The store: TinyDB files guarded (database.py), every table declared (schema.py) with its record
type (records.py, ../models.py), typed tables (tables.py), the inbound log (applog.py), private
files (privatefiles.py). Callers use `Store`, `Snapshot`, `Transaction` and the schema's tables."""

from .database import GuardedStorage, Snapshot, Store, Transaction

__all__ = ["GuardedStorage", "Snapshot", "Store", "Transaction"]
