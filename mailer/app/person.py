"""A person's data everywhere it is held: `mailer person export` (GDPR Art. 15), `erase` (Art. 17).

The store is walked through its schema (store/personal.py); the files beside it are searched
whole. Line files (frozen audiences, journals, the answers' log) keep their lines, because a
journal names recipients by their line in the audience: the address becomes its keyed hash (a
resumed send sees an erased recipient) and the names go. A mail (the mailbox Maildir, captured
mail) or a preview that mentions the person is deleted. An IMAP mailbox is not
searched here: its messages are the server's (the report says so, the lead's SECURITY.md too).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from filelock import Timeout

from ..config import Config
from ..consent import history_doc
from ..errors import MailerError
from ..outbound.answers import AnswerSender
from ..outbound.runner import send_lock
from ..inbound.sources.imap import ImapSource
from ..registry import ERASED, EXPIRED, InvalidValueError, canonical_email, erase_from_store, now_iso
from ..store import Store
from ..store.personal import Person, StoreErasure, held, person_of
from ..store.privatefiles import write_private_lines

MAIL_FOLDERS = ("new", "cur", "tmp")
LINE_FILES = (".jsonl", ".log")


def _key(email: str) -> str:
    key = canonical_email(email)
    if not key:
        raise InvalidValueError("an address is required")
    return key


def roots(config: Config) -> list[Path]:
    """The folders that may hold a person's files: storage, mailbox (Maildir), outbox, previews."""
    found = [config.state_dir, config.smtp.outbox, config.source.parent / "preview" if config.source else None]
    if config.inbox.source == "maildir":
        found.append(config.inbox.maildir)
    unique: list[Path] = []
    for path in (p for p in found if p is not None and p.exists()):
        if not any(path.resolve().is_relative_to(u.resolve()) for u in unique):
            unique = [u for u in unique if not u.resolve().is_relative_to(path.resolve())] + [path]
    return unique


def _own_files(store: Store) -> set[Path]:
    own = {*store.files, store.folder / "secret.key", Path(str(store.path) + ".lock")}
    return {p.resolve() for p in own}


def files(config: Config, store: Store) -> Iterator[Path]:
    """Every file under the roots but the store's own (walked through the schema instead)."""
    own = _own_files(store)
    for root in roots(config):
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.resolve() not in own:
                yield path


def _is_mail(path: Path) -> bool:
    return path.parent.name in MAIL_FOLDERS or path.suffix == ".eml"


def _searchable(path: Path, data: bytes) -> str:
    """The text to look for someone in: the bytes, and for a mail its decoded headers and parts."""
    text = data.decode("utf-8", "replace")
    if _is_mail(path):
        try:
            message = message_from_bytes(data, policy=policy.default)
            text += " ".join(str(v) for v in message.values())
            text += " ".join(str(part.get_content()) for part in message.walk()
                             if part.get_content_maintype() == "text")
        except Exception:       # a hostile message still gets its raw bytes searched
            pass
    return text


@dataclass
class FileHit:
    path: Path
    lines: list[int] = field(default_factory=list)     # JSON lines that hold the person (empty: the whole file)
    text: str = ""


def file_hits(config: Config, store: Store, person: Person) -> tuple[int, list[FileHit]]:
    """(files searched, the files and lines that mention the person)."""
    searched, hits = 0, []
    for path in files(config, store):
        searched += 1
        data = path.read_bytes()
        if path.suffix in LINE_FILES and not _is_mail(path):
            lines = data.decode("utf-8", "replace").splitlines()
            found = [n for n, line in enumerate(lines) if person.mentioned_in(line)]
            if found:
                hits.append(FileHit(path, found, "\n".join(lines[n] for n in found)))
        elif person.mentioned_in(_searchable(path, data)):
            hits.append(FileHit(path, [], data.decode("utf-8", "replace")))
    return searched, hits


def _imap(config: Config) -> ImapSource | None:
    return ImapSource(config.inbox) if config.inbox.source == "imap" else None


def _needles(person: Person) -> list[str]:
    return [person.email, *person.names]


def export(config: Config, store: Store, email: str) -> dict[str, Any]:
    """Everything held about the person, as one JSON-ready document."""
    key = _key(email)
    snapshot = store.snapshot()
    person = person_of(snapshot, key)
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, doc in held(snapshot, person):
        tables.setdefault(name, []).append(doc)
    searched, hits = file_hits(config, store, person)
    imap = _imap(config)
    remote: list[tuple[str, bytes]] = []
    if imap is not None:
        try:
            remote = imap.mentioning(_needles(person))
        finally:
            imap.close()
    return {
        "email": key, "names": list(person.names), "exported": now_iso(), "store": tables,
        "consent": history_doc(snapshot, key),
        "files": [{"path": str(h.path), "kind": "lines" if h.lines else ("message" if _is_mail(h.path) else "file"),
                   "content": [_line(x) for x in h.text.splitlines()] if h.lines else h.text} for h in hits]
                 + [{"path": f"imap:{folder}", "kind": "message", "content": raw.decode("utf-8", "replace")}
                    for folder, raw in remote],
        "files_searched": searched,
        "mailbox": config.inbox.source,
    }


def _line(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _scrub(line: str, person: Person, digest: str) -> str:
    """A line without the person: the address becomes its hash, a name goes (JSON stays JSON)."""
    return person.pattern.sub(lambda m: digest if m.group(0).lower() == person.email else "", line)


@dataclass
class Erased:
    email: str
    digest: str
    store: StoreErasure
    log_lines: int
    files_deleted: list[Path]
    files_rewritten: list[Path]
    files_searched: int
    imap_deleted: int = 0


class BusyError(MailerError):
    """A campaign or the answers are being sent: their journals cannot be rewritten now."""


@contextmanager
def _senders_stopped(config: Config, store: Store) -> Iterator[None]:
    """Hold every sender's lock (each campaign's, the answers'), or refuse before changing anything:
    a journal rewritten under a running send would lose its newest lines, and resend them."""
    campaigns = config.state_dir / "campaigns"
    locks = [(f"campaign {f.name}", send_lock(f)) for f in sorted(campaigns.iterdir()) if f.is_dir()] \
        if campaigns.is_dir() else []
    locks.append(("the inbox's answers", AnswerSender(config, store).lock))
    with ExitStack() as stack:
        for what, lock in locks:
            try:
                lock.acquire(timeout=0)
            except Timeout:
                raise BusyError(f"{what} is being sent now: erase again once it has finished or paused") from None
            stack.callback(lock.release)
        yield


def erase(config: Config, store: Store, email: str, by: str) -> Erased:
    """Remove the person from the store and the files; keep only the keyed hash of the address."""
    with _senders_stopped(config, store):
        return _erase(config, store, _key(email), by)


def erase_expired(config: Config, store: Store, emails: list[str], by: str) -> int:
    """The retention purge's erasure of former subscribers (`[retention] former_subscriber_days`):
    the same removal everywhere, under the senders' locks held once, the hash marked `expired`
    (imports never re-add them; their own new sign-up may: store/erasures.py). How many."""
    with _senders_stopped(config, store):
        for email in emails:
            _erase(config, store, _key(email), by, EXPIRED)
    return len(emails)


def _erase(config: Config, store: Store, key: str, by: str, reason: str = ERASED) -> Erased:
    done = erase_from_store(store, key, by, reason)
    searched, hits = file_hits(config, store, done.person)
    deleted, rewritten = [], []
    for hit in hits:
        if hit.lines:
            change = set(hit.lines)
            lines = hit.path.read_text("utf-8").splitlines()
            write_private_lines(hit.path, [(_scrub(line, done.person, done.digest) if n in change else line) + "\n"
                                           for n, line in enumerate(lines)])
            rewritten.append(hit.path)
        else:
            hit.path.unlink()
            deleted.append(hit.path)
    imap, imap_deleted = _imap(config), 0
    if imap is not None:
        try:
            imap_deleted = imap.delete_mentioning(_needles(done.person))
        finally:
            imap.close()
    return Erased(done.person.email, done.digest, done.tables, done.log_lines, deleted, rewritten, searched,
                  imap_deleted)
