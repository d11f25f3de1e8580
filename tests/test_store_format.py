"""The store's files are TinyDB databases: stock TinyDB reads what we write, and we read what it writes."""

from __future__ import annotations

from pathlib import Path

from tinydb import TinyDB

from mailer import registry
from mailer.models import SuppressionReason, SuppressionScope
from mailer.store import GuardedStorage, Store


def test_stock_tinydb_reads_the_store_and_the_store_reads_stock_tinydb(tmp_path: Path) -> None:
    store = Store(tmp_path / "var" / "mailer.json")
    registry.suppress(store, "Marie@Example.org", SuppressionReason.BOUNCE, SuppressionScope.ALL, "test")
    registry.add_subscriber(store, "paul@example.org", "Paul")

    with TinyDB(store.path, storage=GuardedStorage) as db:
        assert [d["email"] for d in db.table("suppressions").all()] == ["marie@example.org"]
        db.table("suppressions").insert({"email": "zoe@example.org", "reason": "unsubscribe", "scope": "bulletin"})
    with TinyDB(store.part_paths["subscribers"], storage=GuardedStorage) as db:
        assert [(d["email"], d["name"]) for d in db.table("subscribers").all()] == [("paul@example.org", "Paul")]

    blocked = registry.suppression_map(store.snapshot())
    assert {email: (s.reason, s.scope) for email, s in blocked.items()} == {
        "marie@example.org": ("bounce", "all"), "zoe@example.org": ("unsubscribe", "bulletin")}
    assert (store.path.stat().st_mode & 0o777) == 0o600      # written by TinyDB through our storage: still private
