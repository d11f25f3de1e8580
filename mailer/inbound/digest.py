"""A daily digest of what waits in triage, for the coordinators (`[team] coordinators`).

The service sends it at most once a day when something is open; `mailer triage digest` sends it
now. It lists what a person must look at (sender, subject, why), never a message body. It is
French from subject to signature: the deciding rules' reasons (English identifiers, see
decide.py) are translated through a table here; times are the team's. Sending happens outside
the store lock; a crash between sending and recording may send it twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from ..clock import french_date
from ..config import Config
from ..records import Notice
from ..schema import NOTICES
from ..store import Store
from ..teammail import coordinator_notice
from .queries import triage_items

log = logging.getLogger(__name__)

EVERY = timedelta(hours=24)
NOTICE = "triage_digest"
LISTED = 200              # items listed in one digest; the rest are counted

# ToTriage reasons (decide.py) and the rule names used as reasons (classify.py), in French.
REASONS = {
    "bounce naming no recipient": "avis de non-remise qui ne nomme aucun destinataire",
    "complaint naming no recipient": "plainte pour spam qui ne nomme aucun destinataire",
    "confirmation we cannot verify (no token, no thread)":
        "confirmation d'inscription invérifiable (ni jeton, ni réponse à notre demande)",
    "unsubscribe without an address": "désinscription sans adresse reconnaissable",
    "sign-up from a volunteer already confirmed": "inscription d'un ou d'une bénévole déjà confirmé·e",
    "report from an unknown sender: not applied": "compte rendu d'un expéditeur inconnu : non enregistré",
    "unsubscribe token we did not issue to any known address (a test message's link?): nothing done":
        "lien de désinscription émis pour aucune adresse connue (celui d'un message de test ?) : rien n'a été fait",
    "reply to an acknowledgement": "réponse à un accusé de réception (peut-être une correction)",
    "other.no_rule": "message qu'aucune règle ne reconnaît",
    "other.nothing_done": "message qui annonce des actions prévues, pas encore faites",
}
# why_not_answer (decide.py), after "sign-up we cannot confirm: ".
NOT_ANSWERED = {
    "automatic or list mail": "message automatique ou de liste",
    "empty return path": "adresse de retour vide",
    "our own mail": "message venant de nous",
    "already answered today": "déjà répondu aujourd'hui",
}
SIGNUP_PREFIX = "sign-up we cannot confirm: "


def french_reason(reason: str) -> str:
    """Why an item waits, in French; an unknown reason is kept and logged so the table grows."""
    if reason in REASONS:
        return REASONS[reason]
    if reason.startswith(SIGNUP_PREFIX):
        why = reason.removeprefix(SIGNUP_PREFIX)
        if why.startswith("never answer a "):
            why_fr = "on ne répond jamais à ce type de message"
        else:
            why_fr = NOT_ANSWERED.get(why, why)
        return f"inscription impossible à confirmer : {why_fr}"
    log.warning("digest: no French wording for the triage reason %r", reason)
    return reason


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"


def _last_sent(store: Store) -> datetime | None:
    found = store.snapshot().table(NOTICES).first("name", NOTICE)
    return datetime.fromisoformat(found[1].last) if found else None


def build_digest(config: Config, items: list[dict[str, Any]], since: datetime | None,
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


def send_triage_digest(config: Config, store: Store, now: datetime | None = None, force: bool = False) -> int:
    """Send the digest when due (or `force`); returns how many open items it listed (0: not sent)."""
    from ..outbound.send import SmtpTransport      # the only smtplib importer, loaded when needed

    now = now or datetime.now(UTC)
    last = _last_sent(store)
    items = triage_items(store)
    if items and not config.team.coordinators:
        # Said when asked (`mailer triage digest`); the service would say it at every poll.
        log.log(logging.WARNING if force else logging.DEBUG,
                "triage: %d item(s) wait, but no digest is sent: [team] coordinators is empty in %s",
                len(items), config.source)
        return 0
    if not items or (not force and last is not None and now - last < EVERY):
        return 0
    transport = SmtpTransport(config.smtp)
    try:
        transport.send_message(build_digest(config, items, last, now))
    finally:
        transport.close()
    with store.transaction() as tx:
        notice = Notice(NOTICE, now.isoformat(timespec="seconds"), len(items))
        tx.table(NOTICES).upsert("name", NOTICE, lambda old: notice)
    return len(items)
