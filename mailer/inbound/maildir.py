"""The inbox Maildir the embedded capture server delivers to (`[inbox] maildir`).

Layout: Maildir++ as Dovecot writes it with `mail_location = maildir:PATH:UTF-8`. The inbox is
`[inbox] maildir` itself (new/, cur/, tmp/); each folder role is a sub-folder `.NAME` beside them
(`.Traités/`, `.À trier/`, `.Erreurs/`, each with a `maildirfolder` marker), named in UTF-8, so a
Dovecot pointed at the same folder serves the same tree. Reading never renames a file (new/ stays
new: nothing is marked seen); a move is a rename into the same sub-dir (new/ or cur/) of the
target folder: atomic, flags untouched, fsynced.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Collection, Sequence
from pathlib import Path

from ..config import InboxConfig
from ..errors import ConfigError
from ..store import ensure_private_dir, fsync_dir
from .source import Fetched, folder_name, pick

__all__ = ["MaildirSource"]


class MaildirSource:
    """The inbox Maildir the embedded capture server delivers to (`[inbox] maildir`)."""

    def __init__(self, inbox: InboxConfig) -> None:
        self.inbox = inbox
        self.root = inbox.maildir
        for sub in ("new", "cur", "tmp"):
            ensure_private_dir(self.root / sub)
        self._folders: dict[str, Path] = {}

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
        names: list[str] = []
        for sub in ("new", "cur"):
            try:
                names += [f"{sub}/{n}" for n in os.listdir(self.root / sub) if not n.startswith(".")]
            except FileNotFoundError:
                continue
        # Maildir names start with the delivery time: oldest first, as IMAP UIDs are.
        return sorted(names, key=lambda n: n.partition("/")[2])

    def fetch(self, limit: int, exclude: Collection[str] = ()) -> list[Fetched]:
        sizes: list[tuple[str, int]] = []
        for uid in self._names():
            if len(sizes) >= limit:
                break
            if uid not in exclude:
                try:
                    sizes.append((uid, os.stat(self.root / uid).st_size))
                except FileNotFoundError:  # moved by someone else meanwhile
                    continue
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
        for sub in ("new", "cur"):
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
            if self._signature() != before:
                return

    def close(self) -> None:
        pass
