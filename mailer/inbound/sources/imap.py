"""Where inbound mail comes from: an IMAP folder or a local Maildir. The only module that imports imap_tools.

Both sources obey one rule (issue 3, "exactly once"): `fetch` never marks a message seen nor moves
it; the service moves it with `move` only after the store holds its effects. A message fetched
twice (a crash between the two, a UIDVALIDITY change, a folder recreated under the same name) is
recognised by the processor from its content hash, so a source keeps no state across polls.

Folder roles: "processed", "triage" and "failed" map to `[inbox] processed_folder`,
`triage_folder`, `failed_folder`, created when missing (IMAP names in modified UTF-7 on the wire,
which imap-tools encodes: "Traités" and "À trier" work on Dovecot). The Maildir source and the
shared types live in maildir.py and source.py; this module re-exports them.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import TypeVar

from imap_tools import AND, H, OR, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxCopyError, MailboxLoginError, MailboxMoveError
from imap_tools.mailbox import BaseMailBox
from imap_tools.message import MailMessage

from ...config import Config, InboxConfig, is_loopback_host
from ...errors import ConfigError
from .maildir import MaildirSource
from .source import (ROLES, Fetched, Source, SourceError, SourceSecurityError, folder_name,  # noqa: F401
                     pick)

__all__ = ["Fetched", "ImapSource", "MaildirSource", "ROLES", "Source", "SourceError",
           "SourceSecurityError", "open_source"]

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0                  # per socket operation: a silent server is a dead server
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0)  # reconnect waits inside one operation; the service backs off further
FETCH_CHUNK = 100                       # UIDs per UID FETCH
T = TypeVar("T")


# --- IMAP --------------------------------------------------------------------------------------

_UID_RE = re.compile(rb"UID (\d+)")
_SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


class _RawMessage(MailMessage):
    """imap-tools' message without its eager compat32 parse: we only need the bytes (and the
    processor parses them once, with policy.default)."""

    def __init__(self, fetch_data: list) -> None:   # noqa: D107  (no super(): that parse is the cost)
        self.raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)


class ImapSource:
    """One IMAP folder through imap-tools, reconnecting with backoff when the connection drops."""

    def __init__(self, inbox: InboxConfig, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = TIMEOUT_SECONDS, backoff: Sequence[float] = BACKOFF_SECONDS) -> None:
        if inbox.security == "none" and not is_loopback_host(inbox.host):
            raise ConfigError(f"inbox.security: \"none\" toward the non-loopback host {inbox.host!r} would "
                              "send the password in clear; use \"tls\" or \"starttls\"")
        self.inbox = inbox
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout
        self.backoff = tuple(backoff)
        self._box: BaseMailBox | None = None
        self._ready: set[str] = set()          # role folders known to exist on this connection
        self._fetch_validity: int | None = None
        # The UIDVALIDITY each fetched UID was read under: the service fetches the next batch
        # before it moves the last one, so a move checks its own fetch's value, not the latest.
        self._validity_of: dict[str, int] = {}

    @property
    def where(self) -> str:
        return f"{self.inbox.username}@{self.inbox.host}:{self.inbox.port}"

    # connection ------------------------------------------------------------------------------
    def _open(self) -> BaseMailBox:
        inbox = self.inbox
        password = inbox.password()
        if not password:
            raise SourceError(f"IMAP {self.where}: set the password in ${inbox.password_env}")
        try:
            if inbox.security == "tls":
                box: BaseMailBox = MailBox(inbox.host, inbox.port, timeout=self.timeout,
                                           ssl_context=self.ssl_context)
            elif inbox.security == "starttls":
                # imaplib raises when STARTTLS is not advertised: we never go on in clear.
                box = MailBoxStartTls(inbox.host, inbox.port, timeout=self.timeout, ssl_context=self.ssl_context)
            else:
                box = MailBoxUnencrypted(inbox.host, inbox.port, timeout=self.timeout)
        except ssl.SSLCertVerificationError as exc:
            raise SourceSecurityError(f"IMAP {inbox.host}:{inbox.port}: certificate verify failed: "
                                      f"{exc.verify_message}; refusing to go on") from None
        except ssl.SSLError as exc:
            raise SourceSecurityError(f"IMAP {inbox.host}:{inbox.port}: TLS failed: {exc}; refusing to go on") from None
        except imaplib.IMAP4.abort as exc:
            if "TLS" in str(exc):
                raise SourceSecurityError(f"IMAP {inbox.host}:{inbox.port}: the server does not offer STARTTLS; "
                                          "refusing to log in in clear") from None
            raise
        except ImapToolsError as exc:
            raise SourceSecurityError(f"IMAP {inbox.host}:{inbox.port}: STARTTLS refused: {exc}") from None
        try:
            if password.isascii() and inbox.username.isascii():
                box.login(inbox.username, password, initial_folder=None)
            else:
                box.login_utf8(inbox.username, password, initial_folder=None)
        except (MailboxLoginError, imaplib.IMAP4.error) as exc:
            _quiet_close(box)
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            raise SourceSecurityError(f"IMAP {self.where}: login refused") from None
        # imaplib keeps the capabilities of the greeting, from before login, where Dovecot does not
        # list MOVE yet: without a fresh list imap-tools would move by COPY + EXPUNGE.
        typ, data = box.client.capability()
        if typ == "OK" and data and data[-1]:
            box.client.capabilities = tuple(data[-1].decode("ascii", "replace").upper().split())
        log.info("IMAP connected to %s (%s)", self.where, inbox.security)
        return box

    def _connected(self) -> BaseMailBox:
        if self._box is None:
            self._box = self._open()
            self._ready = set()
        return self._box

    def _drop(self) -> None:
        if self._box is not None:
            _quiet_close(self._box)
        self._box = None

    def _run(self, what: str, op: Callable[[BaseMailBox], T]) -> T:
        """Run `op` on a live connection; reconnect and retry on a dropped one, with backoff."""
        for attempt in range(len(self.backoff) + 1):
            try:
                return op(self._connected())
            except SourceError:
                self._drop()
                raise
            except (imaplib.IMAP4.abort, OSError, EOFError) as exc:
                self._drop()
                if isinstance(exc, ssl.SSLCertVerificationError) or attempt == len(self.backoff):
                    raise SourceError(f"IMAP {self.where}: {what} failed: {exc.__class__.__name__}: {exc}") from None
                log.warning("IMAP %s: connection lost during %s (%s); reconnecting in %.1fs",
                            self.where, what, exc.__class__.__name__, self.backoff[attempt])
                time.sleep(self.backoff[attempt])
            except (imaplib.IMAP4.error, ImapToolsError) as exc:
                raise SourceError(f"IMAP {self.where}: {what} refused: {exc}") from None
        raise AssertionError("unreachable")

    def _select(self, box: BaseMailBox) -> int:
        """SELECT the inbox folder; its UIDVALIDITY (a new value: UIDs seen before mean nothing)."""
        box.folder.set(self.inbox.folder)
        typ, data = box.client.response("UIDVALIDITY")
        return int(data[0]) if data and data[0] else 0

    def _ensure(self, box: BaseMailBox, role: str) -> str:
        name = folder_name(self.inbox, role)
        if role not in self._ready:
            if not box.folder.exists(name):
                box.folder.create(name)
                box.folder.subscribe(name, True)
                log.info("IMAP %s: created folder %r", self.where, name)
            self._ready.add(role)
        return name

    @staticmethod
    def _sizes(box: BaseMailBox, uids: list[str]) -> list[tuple[str, int]]:
        """RFC822.SIZE of each UID, in the given order (one round trip), before reading any body."""
        typ, data = box.client.uid("FETCH", ",".join(uids), "(RFC822.SIZE)")
        if typ != "OK":
            raise SourceError(f"UID FETCH (RFC822.SIZE) refused: {data!r}")
        found: dict[str, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            uid, size = _UID_RE.search(line or b""), _SIZE_RE.search(line or b"")
            if uid and size:
                found[uid.group(1).decode()] = int(size.group(1))
        return [(u, found[u]) for u in uids if u in found]

    # Source ---------------------------------------------------------------------------------
    def fetch(self, limit: int, exclude: Collection[str] = ()) -> list[Fetched]:
        def op(box: BaseMailBox) -> list[Fetched]:
            validity = self._select(box)
            if self._fetch_validity not in (None, validity):
                log.warning("IMAP %s: UIDVALIDITY of %r changed (%s -> %s): reading it afresh",
                            self.where, self.inbox.folder, self._fetch_validity, validity)
            self._fetch_validity = validity
            uids = [u for u in box.uids("ALL") if u not in exclude][:limit]
            if not uids:
                return []
            picked, big = pick(self._sizes(box, uids))
            box.email_message_class = _RawMessage
            fetched = [Fetched(uid, b"", size) for uid, size in big] + [
                Fetched(m.uid or "", m.raw)   # type: ignore[attr-defined]
                for m in box.fetch(uid_list=picked, mark_seen=False, bulk=FETCH_CHUNK)]
            # A UID of an earlier fetch is either excluded (in flight in this poll) or forgotten.
            self._validity_of = {u: v for u, v in self._validity_of.items() if u in exclude}
            self._validity_of.update((f.uid, validity) for f in fetched)
            return fetched
        return self._run("fetch", op)

    def move(self, uids: Sequence[str], role: str) -> None:
        if not uids:
            return

        def op(box: BaseMailBox) -> None:
            name = self._ensure(box, role)
            validity = self._select(box)
            same = [u for u in uids if self._validity_of.get(u, self._fetch_validity) == validity]
            if len(same) < len(uids):
                # The folder was recreated: these UIDs now name other messages (or none). Leave
                # them; the next fetch reads them again and the processor knows what it saw.
                log.warning("IMAP %s: UIDVALIDITY changed since the fetch; %d message(s) left for the next poll",
                            self.where, len(uids) - len(same))
            if not same:
                return
            try:
                box.move(same, name)
            except (MailboxMoveError, MailboxCopyError):
                # The target was deleted since we checked ([TRYCREATE]): create it and retry once.
                self._ready.discard(role)
                box.move(same, self._ensure(box, role))
            for uid in same:
                self._validity_of.pop(uid, None)
        self._run(f"move to {role}", op)

    # A person's rights (issue 8) ------------------------------------------------------------
    def _folders(self, box: BaseMailBox) -> list[str]:
        names = [self.inbox.folder, *(folder_name(self.inbox, role) for role in ROLES)]
        return [n for n in dict.fromkeys(names) if box.folder.exists(n)]

    def mentioning(self, needles: Sequence[str]) -> list[tuple[str, bytes]]:
        """(folder, raw) of every message whose text (headers and body, as the server decodes
        them: IMAP SEARCH TEXT) holds one of `needles`, in the inbox and the three role folders."""
        def op(box: BaseMailBox) -> list[tuple[str, bytes]]:
            found: list[tuple[str, bytes]] = []
            box.email_message_class = _RawMessage
            for name in self._folders(box):
                box.folder.set(name)
                uids = box.uids(OR(text=list(needles)), charset="UTF-8")
                found += [(name, m.raw) for m in box.fetch(uid_list=uids, mark_seen=False, bulk=FETCH_CHUNK)]  # type: ignore[attr-defined]
            return found
        return self._run("search", op) if needles else []

    def delete_mentioning(self, needles: Sequence[str]) -> int:
        """Delete (\\Deleted, then EXPUNGE) the messages `mentioning` finds; how many."""
        def op(box: BaseMailBox) -> int:
            deleted = 0
            for name in self._folders(box):
                box.folder.set(name)
                uids = box.uids(OR(text=list(needles)), charset="UTF-8")
                if uids:
                    box.delete(uids)
                    deleted += len(uids)
            return deleted
        return self._run("delete", op) if needles else 0

    def delete_before(self, role: str, before: datetime, may_go: Callable[[bytes], bool] | None = None,
                      dry_run: bool = False) -> int:
        """Delete (\\Deleted, then EXPUNGE) the messages of one role's folder that arrived before
        `before` (SEARCH BEFORE: by INTERNALDATE, whole days) and, with `may_go`, whose bytes it
        accepts; that folder only (the retention purge). How many (would have) gone."""
        def op(box: BaseMailBox) -> int:
            name = folder_name(self.inbox, role)
            if not box.folder.exists(name):
                return 0
            box.folder.set(name)
            uids = box.uids(AND(date_lt=before.date()))
            if uids and may_go is not None:
                box.email_message_class = _RawMessage
                uids = [m.uid or "" for m in box.fetch(uid_list=uids, mark_seen=False, bulk=FETCH_CHUNK)
                        if may_go(m.raw)]  # type: ignore[attr-defined]
            if uids and not dry_run:
                box.delete(uids)
            return len(uids)
        return self._run(f"purge of {role}", op)

    def find(self, role: str, key: str, message_id: str) -> bytes | None:
        """The raw message of one role's folder whose sha256 is `key` (SEARCH HEADER Message-ID,
        then every message when it has none), else one with that Message-ID; None when gone."""
        def op(box: BaseMailBox) -> bytes | None:
            name = folder_name(self.inbox, role)
            if not box.folder.exists(name):
                return None
            box.folder.set(name)
            uids = box.uids(AND(header=H("Message-ID", message_id))) if message_id else box.uids("ALL")
            if not uids:
                return None
            box.email_message_class = _RawMessage
            raws = [m.raw for m in box.fetch(uid_list=uids, mark_seen=False, bulk=FETCH_CHUNK)]  # type: ignore[attr-defined]
            exact = [r for r in raws if hashlib.sha256(r).hexdigest() == key]
            return exact[0] if exact else (raws[0] if raws and message_id else None)
        return self._run(f"search of {role}", op)

    def wait(self, timeout: float, stop: threading.Event) -> None:
        """IDLE (RFC 2177) when `[inbox] idle`, else sleep; either way return at once on `stop`."""
        if not self.inbox.idle:
            stop.wait(timeout)
            return

        def op(box: BaseMailBox) -> None:
            self._select(box)
            box.idle.start()
            deadline = time.monotonic() + min(timeout, 25 * 60)   # RFC 2177: re-issue within 29 min
            while not stop.is_set() and time.monotonic() < deadline:
                chunk = min(1.0, max(0.0, deadline - time.monotonic()))
                started = time.monotonic()
                lines = box.idle.poll(timeout=chunk)
                if any(b"EXISTS" in line or b"RECENT" in line for line in lines):
                    break
                # imap-tools' poll() swallows EOF and returns at once: without this check a server
                # gone away would turn this loop into a busy one until the deadline.
                if any(line.startswith(b"* BYE") for line in lines) or \
                        (not lines and chunk > 0.1 and time.monotonic() - started < chunk / 2):
                    raise imaplib.IMAP4.abort("the server closed the connection during IDLE")
            box.idle.stop()
        self._run("idle", op)

    def close(self) -> None:
        self._drop()


def _quiet_close(box: BaseMailBox) -> None:
    try:
        box.logout()
    except Exception:  # noqa: BLE001  (closing a connection that may already be dead)
        try:
            box.client.shutdown()
        except Exception:  # noqa: BLE001
            pass


def open_source(config: Config, ssl_context: ssl.SSLContext | None = None) -> Source:
    """The configured source: IMAP (`source = "imap"`) or the inbox Maildir (the embedded default)."""
    if config.inbox.source == "imap":
        return ImapSource(config.inbox, ssl_context=ssl_context)
    return MaildirSource(config.inbox)
