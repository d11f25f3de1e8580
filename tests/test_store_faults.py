"""The store when the disk is full, when a writer was killed mid-write, when a file has the wrong shape.

A real full disk (a tiny tmpfs, tinydisk.py), real kills (-9 of a writing process), real files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mailer.errors import StoreError
from mailer.models import Subscriber, Suppression, SuppressionReason
from mailer.store import Store
from mailer.store.privatefiles import write_private_file
from mailer.store.schema import SUBSCRIBERS, SUPPRESSIONS

if TYPE_CHECKING:
    from tinydisk import TinyDisk

pytest_plugins = ("tinydisk",)

REPO = Path(__file__).resolve().parent.parent


def store_files(store: Store) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(store.folder.iterdir()) if p.is_file() and p.suffix != ".lock"}


def temps(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


@pytest.fixture
def disk(tiny_disk_factory) -> "TinyDisk":
    return tiny_disk_factory(256)


def seeded_store(disk: "TinyDisk") -> Store:
    store = Store(disk.path / "var" / "mailer.json")
    with store.transaction() as tx:
        tx.table(SUPPRESSIONS).insert(Suppression("ancien@example.net", SuppressionReason.UNSUBSCRIBE))
        tx.table(SUBSCRIBERS).insert(Subscriber("abonne@example.net", "Abonnée"))
    return store


def test_a_full_disk_is_a_store_error_that_names_the_file_and_changes_nothing(disk: "TinyDisk") -> None:
    store = seeded_store(disk)
    before = store_files(store)
    disk.fill()
    with pytest.raises(StoreError) as raised:
        with store.transaction() as tx:
            tx.table(SUPPRESSIONS).insert(Suppression("x@example.net", SuppressionReason.BOUNCE))
    assert "No space left on device" in str(raised.value) and str(store.folder) in str(raised.value)
    assert store_files(store) == before
    assert temps(store.folder) == []


def test_a_commit_of_two_files_that_fills_the_disk_half_way_writes_neither(disk: "TinyDisk") -> None:
    """The state file (small) fits, the subscribers file (big) does not: both stay as they were."""
    store = seeded_store(disk)
    before = store_files(store)
    disk.fill(leave=8192)
    with pytest.raises(StoreError):
        with store.transaction() as tx:
            tx.table(SUPPRESSIONS).insert(Suppression("x@example.net", SuppressionReason.BOUNCE))
            subscribers = tx.table(SUBSCRIBERS)
            for i in range(400):
                subscribers.insert(Subscriber(f"abonne{i}@example.net", f"Abonnée numéro {i} " * 3))
    assert store_files(store) == before
    assert temps(store.folder) == []
    disk.free()
    with store.transaction() as tx:                  # space is back: the same commit goes through
        tx.table(SUPPRESSIONS).insert(Suppression("x@example.net", SuppressionReason.BOUNCE))
    assert len(store.snapshot().table(SUPPRESSIONS)) == 2


def test_a_write_to_dev_full_is_a_store_error(tmp_path: Path) -> None:
    """One write that fails with ENOSPC: the state file's temp file is /dev/full."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    store = Store(tmp_path / "var" / "mailer.json")
    store.folder.mkdir(mode=0o700)
    (store.folder / f".mailer.json.{os.getpid()}.{threading.get_ident()}.tmp").symlink_to("/dev/full")
    with pytest.raises(StoreError, match="No space left on device"):
        with store.transaction() as tx:
            tx.table(SUPPRESSIONS).insert(Suppression("x@example.net", SuppressionReason.BOUNCE))
    assert not store.path.exists() and temps(store.folder) == []


# -- stale temp files ---------------------------------------------------------------------------

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _temp(folder: Path, name: str, pid: int, tid: int = 1, size: int = 1024, age: float = 0) -> Path:
    path = folder / f".{name}.{pid}.{tid}.tmp"
    path.write_bytes(b"x" * size)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def test_the_next_write_in_the_folder_removes_temp_files_of_dead_writers_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "var" / "mailer.json")
    with store.transaction() as tx:
        tx.table(SUPPRESSIONS).insert(Suppression("a@example.net", SuppressionReason.BOUNCE))
    folder = store.folder
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.2)
        dead = _temp(folder, "mailer.json", _dead_pid(), size=2 << 20)
        reused = _temp(folder, "mailer.json", live.pid, age=3600)      # its PID now names a newer process
        writing = _temp(folder, "mailer.json", live.pid, tid=2)              # a live writer's: never touched
        other_file = _temp(folder, "mailer.subscribers.json", _dead_pid())   # another file of the folder
        not_ours = folder / "notes.1.2.tmp"
        not_ours.write_bytes(b"x")
        with store.transaction() as tx:
            tx.table(SUPPRESSIONS).insert(Suppression("b@example.net", SuppressionReason.BOUNCE))
        assert not dead.exists() and not reused.exists() and not other_file.exists()
        assert writing.exists() and not_ours.exists()
    finally:
        live.kill()
        live.wait()


WRITER = """
import sys, time
from pathlib import Path
from mailer.store.privatefiles import write_private_lines

def chunks():
    yield b"x" * (2 << 20)
    print("writing", flush=True)
    time.sleep(60)

write_private_lines(Path(sys.argv[1]), chunks())
"""


def test_twenty_kills_during_atomic_writes_leave_one_temp_file_then_none(tmp_path: Path) -> None:
    target = tmp_path / "var" / "mailer.json"
    write_private_file(target, b"{}")
    for _ in range(20):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=REPO,
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert len(temps(target.parent)) == 1             # each writer removed the one killed before it
    write_private_file(target, b'{"after": {}}')
    assert temps(target.parent) == [] and json.loads(target.read_bytes()) == {"after": {}}


# -- files of the wrong shape -------------------------------------------------------------------

@pytest.mark.parametrize("content", ["[]", '"text"', '{"suppressions": []}', '{"suppressions": {"1": []}}',
                                     '{"suppressions": {"1": "x"}}', '{"subscribers": 3}'])
@pytest.mark.parametrize("file", ["mailer.json", "mailer.subscribers.json"])
def test_a_store_file_of_the_wrong_shape_is_a_store_error(tmp_path: Path, file: str, content: str) -> None:
    store = Store(tmp_path / "var" / "mailer.json")
    store.folder.mkdir(mode=0o700)
    (store.folder / file).write_text(content, encoding="utf-8")
    spec = SUPPRESSIONS if file == "mailer.json" else SUBSCRIBERS
    for attempt in (lambda: list(store.snapshot().table(spec)),
                    lambda: list(Store(store.path).snapshot().table(spec)),
                    lambda: store.transaction().__enter__().table(spec)):
        with pytest.raises(StoreError, match=f"{file}.*(restore it from a backup|not a TinyDB)"):
            attempt()
        store.lock.release(force=True)


def test_an_unreadable_store_file_is_a_store_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "var" / "mailer.json")
    store.path.mkdir(parents=True)                    # root reads any file: a folder in its place
    with pytest.raises(StoreError, match="cannot read the store"):
        list(store.snapshot().table(SUPPRESSIONS))


@pytest.mark.parametrize("line", ['[1, []]', '[1, {"no_id": 1}]', '["one", {"id": 1}]', '{"id": 1}'])
def test_a_log_line_of_the_wrong_shape_is_a_store_error(tmp_path: Path, line: str) -> None:
    from mailer.store.schema import INBOUND, LOG_MARKS
    store = Store(tmp_path / "var" / "mailer.json")
    store.folder.mkdir(mode=0o700)
    store.path.write_text(json.dumps({LOG_MARKS.name: {"1": {"name": INBOUND.name, "committed": 5}}}))
    store.log.path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(StoreError, match="is not a log entry"):
        list(store.snapshot().table(INBOUND))
