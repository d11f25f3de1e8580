"""A daily digest of what waits in triage, for the coordinators (`[team] coordinators`).

The service sends it at most once a day when something is open; `mailer triage digest` sends it
now. It lists what a person must look at (sender, subject, why), never a message body. Sending
happens outside the store lock; a crash between sending and recording may send it twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

from ..config import Config
from ..store import Query, Store
from .records import triage_items

EVERY = timedelta(hours=24)
NOTICE = "triage_digest"


def _last_sent(store: Store) -> datetime | None:
    doc = store.snapshot().table("notices").get(Query().name == NOTICE)
    return datetime.fromisoformat(doc["last"]) if doc else None   # type: ignore[index]


def build_digest(config: Config, items: list[dict[str, Any]], since: datetime | None) -> EmailMessage:
    new = [i for i in items if since is None or i.get("date", "") > since.isoformat(timespec="seconds")]
    message = EmailMessage()
    message["Subject"] = f"À trier : {len(items)} message(s) en attente ({len(new)} nouveau(x))"
    message["From"] = config.team.address
    message["To"] = ", ".join(config.team.coordinators)
    message["Auto-Submitted"] = "auto-generated"
    lines = ["Bonjour,", "",
             f"{len(items)} message(s) attendent une personne dans le dossier « {config.inbox.triage_folder} » "
             "de la boîte de l'équipe :", ""]
    for item in items[:200]:
        lines.append(f"  #{item.get('id')}  {str(item.get('date', ''))[:10]}  {item.get('sender', '')}")
        lines.append(f"       « {item.get('subject', '')} » — {item.get('reason', '')}")
    if len(items) > 200:
        lines.append(f"  ... et {len(items) - 200} autre(s)")
    lines += ["", "Pour les voir : mailer triage list ; une fois traité : mailer triage resolve ID --note \"...\"",
              "", "-- ", "mailer"]
    message.set_content("\n".join(lines) + "\n")
    return message


def send_triage_digest(config: Config, store: Store, now: datetime | None = None, force: bool = False) -> int:
    """Send the digest when due (or `force`); returns how many open items it listed (0: not sent)."""
    from ..outbound.send import SmtpTransport      # the only smtplib importer, loaded when needed

    now = now or datetime.now(timezone.utc)
    last = _last_sent(store)
    items = triage_items(store)
    if not items or not config.team.coordinators or (not force and last is not None and now - last < EVERY):
        return 0
    transport = SmtpTransport(config.smtp)
    try:
        transport.send_message(build_digest(config, items, last))
    finally:
        transport.close()
    with store.transaction() as tx:
        tx.table("notices").upsert({"name": NOTICE, "last": now.isoformat(timespec="seconds"),
                                    "items": len(items)}, Query().name == NOTICE)
    return len(items)
