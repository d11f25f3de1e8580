"""Maildir files on disk: unique names, private delivery, and the order mail arrived in.

Shared by the capture server (writes), the inbox source (reads, adopts dropped files) and
`mailer outbox` (reads). A name is `SECONDS.MMICROSP<pid>Q<n>R<random>.HOST` as the Maildir
specification suggests (cr.yp.to/proto/maildir.html); readers sort on the time in the name,
numerically, since a string sort puts `M99999` after `M100000`.
"""

from __future__ import annotations

import itertools
import mailbox
import os
import re
import socket
import time
from pathlib import Path

from ..store.privatefiles import ensure_private_dir, fsync_dir

__all__ = ["MaildirWriter", "arrival_key", "message_names"]

_TIMED = re.compile(r"(\d+)(?:\.M(\d+))?")


def arrival_key(path: Path) -> tuple[float, str]:
    """When a Maildir file arrived: the time in its name, else its mtime; the name breaks ties."""
    found = _TIMED.match(path.name)
    if found:
        seconds, micros = found.groups()
        return int(seconds) + (int(micros) / 1e6 if micros else 0.0), path.name
    try:
        return path.stat().st_mtime, path.name
    except FileNotFoundError:
        return 0.0, path.name


def message_names(root: Path) -> list[Path]:
    """The messages of one Maildir folder (new/ and cur/), oldest first."""
    paths: list[Path] = []
    for sub in ("new", "cur"):
        try:
            paths += [root / sub / n for n in os.listdir(root / sub) if not n.startswith(".")]
        except FileNotFoundError:
            continue
    return sorted(paths, key=arrival_key)


class MaildirWriter:
    """Deliver bytes into one Maildir: written 0600 in tmp/, fsynced, then renamed into new/.

    `mailbox.Maildir.add` creates files with the process umask (usually 0644): messages hold
    personal data, so the file is created by hand, private from its first byte.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        ensure_private_dir(path.parent)
        mailbox.Maildir(str(path), create=True)        # tmp/, new/, cur/ created 0700
        for sub in ("", "tmp", "new", "cur"):
            ensure_private_dir(path / sub)
        self._counter = itertools.count()
        host = socket.gethostname() or "localhost"
        self._host = host.replace("/", r"\057").replace(":", r"\072")

    def unique_name(self) -> str:
        now = time.time()
        seconds, micros = divmod(int(now * 1e6), 1_000_000)
        return (f"{seconds}.M{micros:06d}P{os.getpid()}"
                f"Q{next(self._counter)}R{os.urandom(4).hex()}.{self._host}")

    def deliver(self, data: bytes) -> Path:
        name = self.unique_name()
        tmp = self.path / "tmp" / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            final = self.path / "new" / name
            os.rename(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(self.path / "new")
        return final

    def adopt(self, path: Path) -> Path:
        """Move a file of the same file system into new/ under a fresh name: one atomic rename,
        so a reader sees it whole or not at all. Made private (0600) first: it holds mail."""
        os.chmod(path, 0o600)
        final = self.path / "new" / self.unique_name()
        os.rename(path, final)
        fsync_dir(self.path / "new")
        fsync_dir(path.parent)
        return final
