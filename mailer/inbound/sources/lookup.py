"""Find one message again in a role's folder: the store keeps no bodies, the mailbox does.

`triage show` looks for an item's message in the triage folder by its key (the sha256 of its
bytes, `pipeline.message_key`) and, failing that, by its Message-ID. Gone (purged by retention,
moved or deleted by hand) is an answer, not an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email import policy

from ...capture.maildirs import message_names
from ...config import Config
from .imap import ImapSource
from .source import folder_name


@dataclass(frozen=True)
class Found:
    raw: bytes | None        # None: not in the folder any more
    where: str               # the folder searched, for people ("IMAP user@host:143 'À trier'")
    exact: bool = False      # the bytes are the very ones read (their sha256 is the key)


def _message_id(raw: bytes) -> str:
    try:
        return str(BytesHeaderParser(policy=policy.compat32).parsebytes(raw).get("Message-ID", "")).strip()
    except Exception:       # a hostile header block: only the key can match it
        return ""


def find_message(config: Config, role: str, key: str, message_id: str) -> Found:
    """The message of `role`'s folder whose bytes hash to `key`, else the first with `message_id`."""
    name = folder_name(config.inbox, role)
    if config.inbox.source == "imap":
        source = ImapSource(config.inbox)
        try:
            raw = source.find(role, key, message_id)
        finally:
            source.close()
        where = f"IMAP {source.where} folder {name!r}"
    else:
        folder = config.inbox.maildir / f".{name}"
        where = f"Maildir folder {str(folder)!r}"
        raw = None
        fallback = None
        for path in message_names(folder):
            try:
                data = path.read_bytes()
            except FileNotFoundError:       # moved meanwhile
                continue
            if hashlib.sha256(data).hexdigest() == key:
                raw = data
                break
            if fallback is None and message_id and _message_id(data) == message_id:
                fallback = data
        raw = raw or fallback
    exact = raw is not None and hashlib.sha256(raw).hexdigest() == key
    return Found(raw, where, exact)
