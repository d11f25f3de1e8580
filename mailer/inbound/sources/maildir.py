"""The inbox Maildir the embedded capture server delivers to (`[inbox] maildir`).

Layout: Maildir++ as Dovecot writes it with `mail_location = maildir:PATH:UTF-8`. The inbox is
`[inbox] maildir` itself (new/, cur/, tmp/); each folder role is a sub-folder `.NAME` beside them
(`.Traités/`, `.À trier/`, `.Erreurs/`, each with a `maildirfolder` marker), named in UTF-8, so a
Dovecot pointed at the same folder serves the same tree. Reading never renames a file (new/ stays
new: nothing is marked seen); a move is a rename into the same sub-dir (new/ or cur/) of the
target folder: atomic, flags untouched, fsynced.

A file dropped into the inbox folder itself (`var/inbox/x.eml`, as a coordinator does with a
mail saved from a client) is picked up: renamed into new/ under a Maildir name, then read like
any delivery. Only `*.eml` regular files, and only once unchanged for `SETTLE_SECONDS` (mtime
and ctime), so a copy still being written is not read half-way; the mail server's own files (Dovecot's indexes,
`maildirfolder`...) are left alone; anything else is reported once in the log, never read.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Collection, Sequence
from pathlib import Path

from ...config import InboxConfig
from ...errors import ConfigError
from ...capture.maildirs import MaildirWriter, message_names
from ...store.privatefiles import ensure_private_dir, fsync_dir
from .source import Fetched, folder_name, pick

__all__ = ["SETTLE_SECONDS", "MaildirSource"]

log = logging.getLogger(__name__)

SETTLE_SECONDS = 2.0            # a dropped file unchanged this long is taken as complete
_MAILDIR_PARTS = {"new", "cur", "tmp", "maildirfolder", "maildirsize", "subscriptions"}
_SERVER_PREFIXES = ("dovecot", "courier")     # Dovecot's and Courier's index and state files


class MaildirSource:
    """The inbox Maildir the embedded capture server delivers to (`[inbox] maildir`)."""

    def __init__(self, inbox: InboxConfig) -> None:
        self.inbox = inbox
        self.root = inbox.maildir
        for sub in ("new", "cur", "tmp"):
            ensure_private_dir(self.root / sub)
        self._folders: dict[str, Path] = {}
        self._writer: MaildirWriter | None = None
        self._reported: set[str] = set()
        self._settle_at = 0.0           # when a dropped file still settling may be picked up

    def folder(self, role: str) -> Path:
        """The Maildir++ sub-folder of a role, created (0700, with its marker) when missing."""
        if role not in self._folders:
            name = folder_name(self.inbox, role)
            if "/" in name or name.startswith(".") or not name.strip():
                raise ConfigError(f"inbox: folder name {name!r} cannot be a Maildir sub-folder")
            path = self.root / f".{name}"
            for sub in ("new", "cur", "tmp"):
                ensure_private_dir(path / sub)
            (path / "maildirfolder").touch(mode=0o600, exist_ok=True)
            self._folders[role] = path
        return self._folders[role]

    def _names(self) -> list[str]:
        # Maildir names start with the delivery time: oldest first, as IMAP UIDs are.
        return [f"{p.parent.name}/{p.name}" for p in message_names(self.root)]

    def pick_up_dropped(self, now: float | None = None) -> list[Path]:
        """Move the `*.eml` files dropped into the inbox folder itself into new/; report others."""
        now = time.time() if now is None else now
        adopted: list[Path] = []
        self._settle_at = 0.0
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return adopted
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name in _MAILDIR_PARTS or name.lower().startswith(_SERVER_PREFIXES):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if not (stat.S_ISREG(info.st_mode) and name.lower().endswith(".eml")):
                self._report(name, "only .eml files dropped there are read (or put the message file into new/)")
                continue
            # ctime too: a copy that keeps the original's mtime (cp -p) still changes it
            ready_at = max(info.st_mtime, info.st_ctime) + SETTLE_SECONDS
            if ready_at > now:          # still being copied, perhaps: next poll
                self._settle_at = min(self._settle_at or ready_at, ready_at)
                continue
            if self._writer is None:
                self._writer = MaildirWriter(self.root)
            try:
                adopted.append(self._writer.adopt(self.root / name))
            except FileNotFoundError:       # another poller took it first
                continue
            except OSError as exc:
                self._report(name, f"cannot move it into new/: {exc}")
                continue
            log.info("inbox: %s dropped into %s, moved into new/ to be read", name, self.root)
        return adopted

    def _report(self, name: str, why: str) -> None:
        if name not in self._reported:      # once per file and process: the log stays readable
            self._reported.add(name)
            log.warning("inbox: %s is not read: %s", self.root / name, why)

    def fetch(self, limit: int, exclude: Collection[str] = ()) -> list[Fetched]:
        self.pick_up_dropped()
        sizes: list[tuple[str, int]] = []
        for uid in self._names():
            if len(sizes) >= limit:
                break
            if uid not in exclude:
                try:
                    info = os.stat(self.root / uid)
                except FileNotFoundError:  # moved by someone else meanwhile
                    continue
                if not stat.S_ISREG(info.st_mode):
                    self._report(uid, "not a file (a folder inside new/ or cur/ is not a message)")
                    continue
                sizes.append((uid, info.st_size))
        picked, big = pick(sizes)
        out = [Fetched(uid, b"", size) for uid, size in big]
        for uid in picked:
            try:
                out.append(Fetched(uid, (self.root / uid).read_bytes()))
            except FileNotFoundError:
                continue
        return out

    def move(self, uids: Sequence[str], role: str) -> None:
        if not uids:
            return
        target = self.folder(role)
        touched: set[Path] = set()
        for uid in uids:
            sub, _, name = uid.partition("/")
            if sub not in ("new", "cur") or not name or "/" in name:
                raise ValueError(f"not a message of this Maildir: {uid!r}")
            try:
                os.rename(self.root / uid, target / sub / name)
            except FileNotFoundError:      # already moved (a retry after a crash)
                continue
            touched.update((self.root / sub, target / sub))
        for folder in touched:             # the renames survive a power cut once this returns
            fsync_dir(folder)

    def _signature(self) -> tuple[int, ...]:
        sig: list[int] = []
        for sub in ("new", "cur", ""):          # "": a file dropped into the folder itself
            try:
                sig.append(os.stat(self.root / sub).st_mtime_ns)
            except FileNotFoundError:
                sig.append(0)
        return tuple(sig)

    def wait(self, timeout: float, stop: threading.Event) -> None:
        """Sleep until the inbox changes (a cheap stat twice a second), the timeout, or `stop`."""
        before = self._signature()
        deadline = time.monotonic() + timeout
        while not stop.is_set() and time.monotonic() < deadline:
            stop.wait(min(0.5, max(0.0, deadline - time.monotonic())))
            if self._signature() != before or (self._settle_at and time.time() >= self._settle_at):
                return

    def close(self) -> None:
        pass
