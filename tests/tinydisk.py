"""A real full disk for tests: a tiny tmpfs mounted for one test, filled and freed on demand.

Mounting needs root (or CAP_SYS_ADMIN); where the mount is refused the test is skipped with the
reason, never faked with a mock of `os.write`.
"""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class TinyDisk:
    path: Path

    @property
    def filler(self) -> Path:
        return self.path / "filler"

    def fill(self, leave: int = 0) -> None:
        """Take every free byte but about `leave` (tmpfs counts whole 4 KB pages)."""
        free = os.statvfs(self.path).f_bavail * os.statvfs(self.path).f_frsize
        with open(self.filler, "ab") as handle:
            try:
                handle.write(b"\0" * max(0, free - leave))
                handle.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def full(self) -> bool:
        try:
            with open(self.path / ".probe", "wb") as handle:
                handle.write(b"\0" * 4096)
                handle.flush()
                os.fsync(handle.fileno())
            return False
        except OSError:
            return True
        finally:
            (self.path / ".probe").unlink(missing_ok=True)


@pytest.fixture
def tiny_disk_factory(tmp_path: Path) -> Iterator[Callable[[int], TinyDisk]]:
    """`make(size_kb)` mounts a tmpfs of that size under tmp_path; unmounted when the test ends."""
    mounted: list[Path] = []

    def make(size_kb: int = 256) -> TinyDisk:
        where = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
        where.mkdir()
        try:
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(where)],
                                  capture_output=True, text=True)
            refused = done.stderr.strip() or f"exit status {done.returncode}" if done.returncode else ""
        except OSError as exc:
            refused = str(exc)
        if refused:
            pytest.skip(f"a full disk needs a tmpfs mount, refused here: {refused}")
        mounted.append(where)
        return TinyDisk(where)

    yield make
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
