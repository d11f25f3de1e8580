"""The store: TinyDB files guarded (database.py), what a writer and a reader hold (views.py),
every table declared (schema.py) with its record type (records.py, ../models.py), typed tables
(tables.py), the inbound log (applog.py), private files (privatefiles.py). Callers use `Store`,
`Snapshot`, `Transaction` and the schema's tables."""

from .database import GuardedStorage, Store
from .views import Snapshot, Transaction

__all__ = ["GuardedStorage", "Snapshot", "Store", "Transaction"]
