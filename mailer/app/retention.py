"""The retention purge at the edges: the store, the mailbox, the outbox; `mailer purge`, and once a
day from the service (`purge_if_due`).

What goes is chosen by `mailer/retention.py` (pure); here it is removed. Former subscribers are
erased through the one eraser (`person.erase_expired`, under every sender's lock: erasure rewrites
journals), then one transaction recomputes the plan under the store lock and applies it, then the
mailbox and the outbox lose their old raw mail. Everything is idempotent: a purge stopped half way
(a crash, a full disk) is simply done again at the next try, and the day is marked done only once
all of it succeeded.

Raw mail's age: on IMAP its INTERNALDATE (SEARCH BEFORE, which counts whole days), on a Maildir
the file's mtime (the delivery: a move to another folder is a rename and keeps it).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..capture.maildirs import message_names
from ..config import Config
from ..inbound.sources.imap import ImapSource
from ..inbound.sources.source import folder_name
from ..retention import CATEGORIES, Plan, Tables, is_due, plan
from ..store import Snapshot, Store, Transaction
from ..store import schema
from ..store.records import Notice
from . import person

log = logging.getLogger(__name__)

RUN = "retention"           # the `notices` row that records the last purge (name, last, items removed)
BY = "retention"            # who erased a former subscriber, in `erasures`


@dataclass(frozen=True)
class Purged:
    as_of: datetime
    dry_run: bool
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(timespec="seconds"), "dry_run": self.dry_run, "counts": self.counts}

    def summary(self) -> str:
        """Counts only: what the service logs (never an address)."""
        return " ".join(f"{name}={self.counts.get(name, 0)}" for name in CATEGORIES)


def tables_of(source: Snapshot | Transaction) -> Tables:
    def rows(name: str) -> list[tuple[int, Any]]:
        return list(source.table(schema.spec(name)).items())

    return Tables(**{name: rows(name) for name in Tables.__dataclass_fields__})


def purge(config: Config, store: Store, now: datetime | None = None, dry_run: bool = False) -> Purged:
    """Remove (or with `dry_run`, count) what the periods of `[retention]` say is over at `now`."""
    now = now or datetime.now(UTC)
    chosen = plan(tables_of(store.snapshot()), config.retention, now)
    counts = {name: 0 for name in CATEGORIES} | chosen.counts()
    if dry_run:
        counts.update(_purge_mailbox(config, chosen, dry_run=True))
        return Purged(now, True, counts)
    if chosen.expired:
        person.erase_expired(config, store, chosen.expired, BY)
    with store.transaction() as tx:
        fresh = plan(tables_of(tx), config.retention, now)
        counts.update({k: v for k, v in fresh.counts().items() if k != "former_subscribers"})
        _apply(tx, fresh)
    counts.update(_purge_mailbox(config, fresh, dry_run=False))
    return Purged(now, False, counts)


def _apply(tx: Transaction, chosen: Plan) -> None:
    for name, ids in chosen.delete.items():
        table = tx.table(schema.spec(name))
        for doc_id in ids:
            table.delete(doc_id)
    reports = tx.table(schema.REPORTS)
    for doc_id in chosen.reports:          # the dossier keeps the counts; the sender goes, as in an erasure
        report = reports.get(doc_id)
        if report is not None:
            reports.update(doc_id, replace(report, sender="", message_id=""))
    drop, blank = chosen.inbound_drop, chosen.inbound_blank
    if drop or blank:
        tx.rewrite_log(lambda doc: {**doc, "sender": "", "detail": ""} if int(doc["id"]) in blank else None,
                       drop=lambda doc: int(doc["id"]) in drop)


def _purge_mailbox(config: Config, chosen: Plan, dry_run: bool) -> dict[str, int]:
    """Old raw mail: the processed folder by age; the triage and failed folders only for items
    resolved before the period; the outbox (captured mail) by age."""
    before = chosen.raw_before
    assert before is not None

    def resolved(raw: bytes) -> bool:
        return hashlib.sha256(raw).hexdigest() in chosen.resolved_keys

    raw = 0
    if config.inbox.source == "imap":
        source = ImapSource(config.inbox)
        try:
            raw += source.delete_before("processed", before, dry_run=dry_run)
            for role in ("triage", "failed"):
                raw += source.delete_before(role, before, resolved, dry_run) if chosen.resolved_keys else 0
        finally:
            source.close()
    else:
        root = config.inbox.maildir
        raw += _old_files(root / f".{folder_name(config.inbox, 'processed')}", before, dry_run)
        for role in ("triage", "failed"):
            raw += _old_files(root / f".{folder_name(config.inbox, role)}", before, dry_run, resolved)
    return {"raw_messages": raw, "captured_mail": _old_files(config.smtp.outbox, before, dry_run)}


def _old_files(folder: Path, before: datetime, dry_run: bool, may_go: Any = None) -> int:
    """Delete the messages of a Maildir folder delivered (mtime) before `before`; how many."""
    count = 0
    for path in message_names(folder):
        try:
            if path.stat().st_mtime >= before.timestamp():
                continue
            if may_go is not None and not may_go(path.read_bytes()):
                continue
            if not dry_run:
                path.unlink()
        except FileNotFoundError:       # moved or deleted meanwhile
            continue
        count += 1
    return count


def last_run(store: Store) -> str:
    found = store.snapshot().table(schema.NOTICES).first("name", RUN)
    return found[1].last if found else ""


def purge_if_due(config: Config, store: Store, now: datetime | None = None) -> Purged | None:
    """The service's daily purge: at most once per day of the team's calendar, recorded in the store
    (a restart does not purge twice nor skip a day); the day is marked only once the purge is done."""
    now = now or datetime.now(UTC)
    if not is_due(last_run(store), now, config.team.tz):
        return None
    done = purge(config, store, now)
    stamp, removed = now.isoformat(timespec="seconds"), sum(done.counts.values())
    with store.transaction() as tx:
        tx.table(schema.NOTICES).upsert("name", RUN, lambda old: Notice(name=RUN, last=stamp, items=removed))
    return done

