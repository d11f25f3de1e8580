"""A daily digest of what waits in triage, for the coordinators (`[team] coordinators`).

The service sends it at most once a day when something is open; `mailer triage digest` sends it
now. It lists what a person must look at (sender, subject, why), never a message body. It is
French from subject to signature: the triage reasons are translated by `mailer.triage`; times
are the team's. The open items come from the caller (the inbound wing's queries, through the
service), so this wing reads only its own record of when it last sent. Sending happens outside
the store lock; a crash between sending and recording may send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from ..clock import french_date
from ..config import Config
from ..store.records import Notice
from ..store.schema import NOTICES
from ..store import Store
from ..triage import french_reason
from .send import Connect, SmtpTransport
from .teammail import coordinator_notice, send_alone

log = logging.getLogger(__name__)

EVERY = timedelta(hours=24)
NOTICE = "triage_digest"
LISTED = 200              # items listed in one digest; the rest are counted

TriageItem = dict[str, Any]       # a `triage` record: id, date, sender, subject, reason...


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


def _last_sent(store: Store) -> datetime | None:
    found = store.snapshot().table(NOTICES).first("name", NOTICE)
    return datetime.fromisoformat(found[1].last) if found else None


def build_digest(config: Config, items: Sequence[TriageItem], since: datetime | None,
                 now: datetime | None = None) -> EmailMessage:
    now = now or datetime.now(UTC)
    tz = config.team.tz
    new = [i for i in items if since is None or i.get("date", "") > since.isoformat(timespec="seconds")]
    message = coordinator_notice(config, (f"À trier : {_plural(len(items), 'message en attente', 'messages en attente')}"
                          f" ({_plural(len(new), 'nouveau', 'nouveaux')})"), now)
    waiting = _plural(len(items), "message attend", "messages attendent")
    lines = ["Bonjour,", "",
             f"{waiting} une personne dans le dossier « {config.inbox.triage_folder} » "
             "de la boîte de l'équipe :", ""]
    for item in items[:LISTED]:
        lines.append(f"  n° {item.get('id')}, reçu le {french_date(item.get('date'), tz)}, "
                     f"de {item.get('sender') or 'expéditeur inconnu'}")
        lines.append(f"       « {item.get('subject', '')} » : {french_reason(str(item.get('reason', '')))}")
    if len(items) > LISTED:
        lines.append(f"  ... et {_plural(len(items) - LISTED, 'autre', 'autres')}")
    lines += ["", "Pour les voir : mailer triage list",
              "Une fois un message traité : mailer triage resolve NUMÉRO --note \"ce qui a été fait\"",
              f"(Résumé du {french_date(now, tz)}.)",
              "", "-- ", f"mailer, le service de la boîte de l'équipe « {config.team.name} »"]
    message.set_content("\n".join(lines) + "\n")
    return message


def send_triage_digest(config: Config, store: Store, items: Sequence[TriageItem], now: datetime | None = None,
                       force: bool = False, connect: Connect = SmtpTransport) -> int:
    """Send the digest of the open `items` when due (or `force`); returns how many it listed (0: not sent)."""
    now = now or datetime.now(UTC)
    last = _last_sent(store)
    if items and not config.team.coordinators:
        # Said when asked (`mailer triage digest`); the service would say it at every poll.
        log.log(logging.WARNING if force else logging.DEBUG,
                "triage: %d item(s) wait, but no digest is sent: [team] coordinators is empty in %s",
                len(items), config.source)
        return 0
    if not items or (not force and last is not None and now - last < EVERY):
        return 0
    send_alone(config, build_digest(config, items, last, now), connect)
    with store.transaction() as tx:
        notice = Notice(NOTICE, now.isoformat(timespec="seconds"), len(items))
        tx.table(NOTICES).upsert("name", NOTICE, lambda old: notice)
    return len(items)
