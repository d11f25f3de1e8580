"""Captured mail, read for people: what the capture server kept in the outbox Maildir.

Maildir file names carry no `.eml` extension (and a mail client reading the folder appends
`:2,S` flags to them), so nobody opens them with a double-click. `mailer outbox` lists them,
shows one in the terminal and exports copies as `.eml` files with CRLF line endings, the form
mail clients on every system open.

Numbers follow arrival, oldest = 1: a number keeps meaning the same message while new mail
arrives (a list numbered from the newest would shift under the reader between `list` and
`show`). Text shown on a terminal loses its control characters: a captured mail is input, and
an escape sequence in a subject must not drive the terminal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

from ..clock import for_people
from ..errors import MailerError
from ..htmltext import text_version
from ..store.privatefiles import make_private_dirs
from .maildirs import arrival_key, message_names

__all__ = ["Captured", "OutboxError", "captured", "export", "headers_of", "pick", "read_bytes", "readable", "to_eml"]

HEADER_BYTES = 64 * 1024        # enough for any header block; the list never reads a whole body
SHOWN_HEADERS = ("Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-ID", "List-Unsubscribe")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9@._+-]+")


class OutboxError(MailerError):
    """A message number that is not there, a file that cannot be read or written."""


@dataclass(frozen=True)
class Captured:
    """One captured message: its number (arrival order, from 1) and its file."""

    number: int
    path: Path

    @property
    def arrived(self) -> datetime:
        return datetime.fromtimestamp(arrival_key(self.path)[0], UTC)

    @property
    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0


def captured(folder: Path) -> list[Captured]:
    """Every message of the Maildir `folder`, oldest first, numbered from 1 ([] if none yet)."""
    return [Captured(n, p) for n, p in enumerate(message_names(folder), start=1)]


def pick(folder: Path, numbers: Iterable[int]) -> list[Captured]:
    """The messages with these numbers; one that is not there is an error naming the range."""
    every = captured(folder)
    chosen: list[Captured] = []
    for number in numbers:
        if not 1 <= number <= len(every):
            held = f"it holds messages 1 to {len(every)}" if every else "it is empty"
            raise OutboxError(f"no message {number} in {folder}: {held} (see `mailer outbox list`)")
        chosen.append(every[number - 1])
    return chosen


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except OSError as exc:
        raise OutboxError(f"cannot read {path}: {exc.strerror or exc}") from None


def parse(path: Path) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(read_bytes(path))  # type: ignore[return-value]


def readable(text: object) -> str:
    """A value for a terminal: control characters (escape sequences, CR) become '?', tabs stay."""
    return _CONTROL.sub("?", str(text))


def _head(path: Path) -> EmailMessage:
    """The header block only: a list of 10,000 campaign messages never reads their bodies."""
    data = read_bytes(path, HEADER_BYTES)
    return BytesParser(policy=policy.default).parsebytes(data, headersonly=True)  # type: ignore[return-value]


def _header(message: EmailMessage, name: str) -> str:
    """A header decoded (RFC 2047), unfolded onto one line; one policy.default cannot parse, raw."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError, AttributeError):
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
    return " ".join(str(value or "").split())


def headers_of(item: Captured, tz: ZoneInfo) -> dict[str, object]:
    """What the list shows: read from the header block only."""
    message = _head(item.path)
    to = _header(message, "To") or ", ".join(message.get_all("Delivered-To", []))
    return {"number": item.number, "captured": item.arrived.astimezone(tz).isoformat(timespec="seconds"),
            "shown": for_people(item.arrived, tz), "from": _header(message, "From"), "to": to,
            "to_addresses": _addresses(message) or to, "subject": _header(message, "Subject"),
            "size": item.size, "path": str(item.path)}


def _addresses(message: EmailMessage) -> str:
    """The To addresses without display names: what fits a column at 80 characters."""
    try:
        header = message.get("To")
        found = [a.addr_spec for a in getattr(header, "addresses", ())]
    except (ValueError, IndexError, TypeError, AttributeError):
        return ""
    return ", ".join(found)


def _text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError, AssertionError):  # unknown charset, bad bytes
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    return content if isinstance(content, str) else content.decode("utf-8", "replace")


def describe(item: Captured, tz: ZoneInfo) -> str:
    """Headers, envelope, attachments and the text part, for reading in a terminal."""
    message = parse(item.path)
    lines = [f"Message {item.number}, captured {for_people(item.arrived, tz, seconds=True)} ({item.path})"]
    lines += [f"{name}: {_header(message, name)}" for name in SHOWN_HEADERS if message.get(name) is not None]
    envelope = message.get_all("Delivered-To", [])
    if envelope:
        lines.append(f"Envelope: from {_header(message, 'Return-Path') or '<>'} to {', '.join(envelope)}")
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True) if not part.is_multipart() else None
        size = len(payload) if payload is not None else len(part.as_bytes())    # message/rfc822: the message
        lines.append(f"Attachment: {part.get_filename() or '(no name)'} ({part.get_content_type()}, {size} bytes)")
    body = message.get_body(("plain", "html"))
    if body is None:
        text = "(no text part)"
    elif body.get_content_type() == "text/html":
        text = "(no text part; the HTML part as text:)\n" + text_version(_text(body))   # type: ignore[arg-type]
    else:
        text = _text(body)  # type: ignore[arg-type]
    out = "\n".join(lines) + "\n\n" + text.rstrip("\n")
    return "\n".join(readable(line) for line in out.split("\n")) + "\n"


def to_eml(data: bytes) -> bytes:
    """RFC 5322's line endings (CRLF): the capture server keeps LF, as Maildir files do."""
    return re.sub(rb"\r?\n", b"\r\n", data)


def _eml_name(item: Captured) -> str:
    """`0007-claire.martin@example.com.eml`: sorts like the list; safe on every file system."""
    to = _head(item.path).get_all("Delivered-To", []) or [""]
    who = _UNSAFE_NAME.sub("_", str(to[0]).strip())[:60].strip("._") or "message"
    return f"{item.number:04d}-{who}.eml"


def export(items: Sequence[Captured], folder: Path) -> tuple[list[Path], list[Path]]:
    """Write each message as `NNNN-recipient.eml` in `folder` (created 0700): (written, unchanged).

    A file already there with other content is never overwritten: nothing is written, and the
    error names it. Two passes, one message in memory at a time (an outbox can hold a campaign).
    """
    names = [(item, folder / _eml_name(item)) for item in items]
    try:
        unchanged = [path for item, path in names
                     if path.exists() and path.read_bytes() == to_eml(read_bytes(item.path))]
        same = set(unchanged)
        clashes = [path for _, path in names if path not in same and path.exists()]
        if clashes:
            more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
            raise OutboxError(f"{clashes[0]} already exists with other content{more}: "
                              "nothing exported; choose another folder")
        make_private_dirs(folder)
        written: list[Path] = []
        for item, path in names:
            if path in same:
                continue
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)   # personal data: private
            with os.fdopen(fd, "wb") as handle:
                handle.write(to_eml(read_bytes(item.path)))
            written.append(path)
    except OSError as exc:
        raise OutboxError(f"cannot export to {folder}: {exc}") from None
    return written, unchanged
