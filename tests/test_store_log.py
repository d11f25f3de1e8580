"""The inbound log beside the store: an old store migrates, a crash at either write applies once, savepoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inbound_fixtures import Inbox, fr_dev, inbox_fixture  # noqa: F401  (fixture)

from mailer import registry
from mailer.store import database as store_module
from mailer.store.applog import AppendLog
from mailer.errors import StoreError
from mailer.inbound import queries
from mailer.models import Member, SuppressionReason
from mailer.store.records import Inbound
from mailer.store.schema import INBOUND, MEMBERS, Part
from mailer.store import Store
from mailer.store.tables import LogTable

OLD_INBOUND = {"1": {"id": 1, "key": "a" * 64, "message_id": "<x@example.net>", "sender": "x@example.net",
                     "kind": "report", "rule": "report", "disposition": "apply", "folder": "processed",
                     "received": "2026-03-01T10:00:00+00:00", "detail": ""},
               "2": {"id": 2, "key": "b" * 64, "message_id": "<y@example.net>", "sender": "y@example.net",
                     "kind": "other", "rule": "other", "disposition": "triage", "folder": "triage",
                     "received": "2026-03-01T10:01:00+00:00", "detail": ""}}


def _old_store(folder: Path) -> Store:
    """The layout today's code wrote: `inbound` inside the state file, no log, no counter."""
    folder.mkdir(parents=True, exist_ok=True)
    state = {"inbound": OLD_INBOUND,
             "suppressions": {"1": {"email": "z@example.net", "reason": "bounce", "scope": "all",
                                    "date": "2026-03-01T10:00:00+00:00", "source": "<d@mx>", "id": 1}},
             "triage": {"1": {"id": 1, "key": "b" * 64, "message_id": "<y@example.net>", "sender": "y@example.net",
                              "subject": "?", "kind": "other", "rule": "other", "reason": "unclear", "link": "",
                              "date": "2026-03-01T10:01:00+00:00", "status": "open", "note": "",
                              "flag_from_a_newer_version": True}}}
    (folder / "mailer.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / "mailer.directory.json").write_text(json.dumps(
        {"members": {"1": {"email": "m@example.org", "name": "M", "group": ""}}}), encoding="utf-8")
    return Store(folder / "mailer.json")


def test_an_old_store_reads_then_migrates_on_first_write(tmp_path: Path) -> None:
    store = _old_store(tmp_path / "var")
    assert store.snapshot().docs("inbound") == list(OLD_INBOUND.values())      # read before any write
    assert not store.log.path.exists()
    registry.suppress(store, "w@example.net", SuppressionReason.COMPLAINT)
    state = json.loads(store.path.read_text(encoding="utf-8"))
    assert "inbound" not in state and state["_logs"] == {"1": {"name": "inbound", "committed": 1}}
    assert [json.loads(line) for line in store.log.path.read_text().splitlines()] == \
        [[1, doc] for doc in OLD_INBOUND.values()]
    snapshot = Store(store.path).snapshot()
    assert snapshot.docs("inbound") == list(OLD_INBOUND.values())
    assert {s.email for s in snapshot.table(registry.SUPPRESSIONS)} == {"z@example.net", "w@example.net"}
    assert [m.email for m in snapshot.table(MEMBERS)] == ["m@example.org"]
    # a key this version does not know is kept when the doc is rewritten
    queries.resolve_triage(store, 1, "vu")
    (item,) = store.snapshot().docs("triage")
    assert item["status"] == "resolved" and item["flag_from_a_newer_version"] is True


def test_a_crash_during_migration_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _old_store(tmp_path / "var")

    def crash(*args: object) -> None:
        raise KeyboardInterrupt("kill -9 between the log and the state")

    monkeypatch.setattr(store_module, "write_private_files", crash)
    with pytest.raises(KeyboardInterrupt):
        registry.suppress(store, "w@example.net", SuppressionReason.COMPLAINT)
    monkeypatch.undo()
    assert store.log.path.exists() and store.snapshot().docs("inbound") == list(OLD_INBOUND.values())
    registry.suppress(store, "w@example.net", SuppressionReason.COMPLAINT)
    assert len(store.log.path.read_text().splitlines()) == 2          # the dead writer's lines were dropped
    assert Store(store.path).snapshot().docs("inbound") == list(OLD_INBOUND.values())


@pytest.mark.parametrize("point", ["before the log", "between the log and the state"])
def test_a_crash_at_either_write_processes_the_message_again_exactly_once(
        inbox: Inbox, monkeypatch: pytest.MonkeyPatch, point: str) -> None:
    raws = [fr_dev("003.eml"), fr_dev("020.eml")]

    def crash(*args: object) -> None:
        raise KeyboardInterrupt("kill -9 stand-in")

    if point == "before the log":
        monkeypatch.setattr(AppendLog, "append", crash)
    else:
        monkeypatch.setattr(store_module, "write_private_files", crash)
    with pytest.raises(KeyboardInterrupt):
        inbox.processor().process_batch(raws)
    monkeypatch.undo()
    assert inbox.docs("inbound") == [] and inbox.docs("reports") == []
    assert [o.disposition for o in inbox.processor().process_batch(raws)] == ["apply", "apply"]
    again = inbox.processor().process_batch(raws)
    assert [o.detail for o in again] == ["already processed"] * 2
    assert len(inbox.docs("inbound")) == 2 and len(inbox.docs("reports")) == 2
    assert len(inbox.docs("outgoing")) == 2
    assert len(inbox.store.log.path.read_text().splitlines()) == 2


def test_a_torn_last_line_is_ignored_then_dropped(inbox: Inbox) -> None:
    inbox.processor().process_batch([fr_dev("003.eml")])
    with inbox.store.log.path.open("ab") as handle:
        handle.write(b'[2,{"id":2,"key":"c')
    assert len(Store(inbox.store.path).snapshot().docs("inbound")) == 1
    inbox.processor().process_batch([fr_dev("020.eml")])
    lines = inbox.store.log.path.read_text().splitlines()
    assert [json.loads(line)[0] for line in lines] == [1, 2]
    assert len(Store(inbox.store.path).snapshot().docs("inbound")) == 2


def test_the_log_is_read_from_where_it_stopped(tmp_path: Path) -> None:
    log = AppendLog(tmp_path / "x.inbound.jsonl")
    log.append([{"id": 1, "key": "a"}], 1, 0)
    assert list(log.docs(1)) == ["1"]
    log.append([{"id": 2, "key": "b"}], 2, 1)
    assert list(log.docs(1)) == ["1"]               # line 2 is not committed yet
    offset = log._offset
    assert list(log.docs(2)) == ["1", "2"] and log._offset > offset


def test_a_savepoint_takes_back_every_change(tmp_path: Path) -> None:
    store = Store(tmp_path / "var" / "mailer.json")
    with store.transaction() as tx:
        members = tx.table(MEMBERS)
        first = members.insert(Member("a@example.org", "A"))
        with pytest.raises(RuntimeError), tx.savepoint():
            members.insert(Member("b@example.org", "B"))
            members.update(first, Member("a@example.org", "changed"))
            assert members.first("email", "b@example.org")
            raise RuntimeError("half way")
        assert [m.name for m in members] == ["A"] and members.first("email", "b@example.org") is None
        assert members.first("email", "a@example.org") == (first, Member("a@example.org", "A"))
        ids = [members.insert(Member(f"p{i}@example.org")) for i in range(3)]
    assert ids == [3, 4, 5]                           # one allocator; a taken-back id is not reused
    assert [d["email"] for d in store.snapshot().docs("members")][:1] == ["a@example.org"]
    assert store.path_of(Part.DIRECTORY).exists() and INBOUND.part is Part.INBOUND_LOG


def test_the_log_table_is_append_only_and_looks_up_without_a_scan(tmp_path: Path) -> None:
    store = Store(tmp_path / "var" / "mailer.json")
    with store.transaction() as tx:
        log = tx.table(INBOUND)
        assert log.insert(Inbound(key="a")) == 1
    with store.transaction() as tx:
        log = tx.table(INBOUND)
        assert isinstance(log, LogTable) and not log.added
        with pytest.raises(RuntimeError), tx.savepoint():
            log.insert(Inbound(key="b"))
            assert [r.key for _, r in log.find("key", "b")] == ["b"]
            raise RuntimeError("half way")
        assert log.find("key", "b") == [] and log.first("key", "a") == (1, Inbound(id=1, key="a"))
        with pytest.raises(StoreError):
            log.update(1, Inbound(key="c"))
        assert log.insert(Inbound(key="c")) == 3          # the taken-back id 2 is not reused
    assert [r.key for r in store.snapshot().table(INBOUND)] == ["a", "c"]
    assert store.log.index("key") == {"a": ["1"], "c": ["3"]}       # kept as lines are read
