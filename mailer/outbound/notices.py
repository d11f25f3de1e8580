"""Mail the service writes itself to the team: campaign notices to the coordinators.

Written in French from subject to signature: the runner's states and reasons are data (English
identifiers), translated here through a table; an SMTP server's own reply text is quoted as it
came. Times are the team's (`[team] timezone`). Like every mail we send, a notice carries Date
and a Message-ID minted from `secrets`. Failing to send a notice never fails the work it reports on.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from ..clock import french_date
from ..config import Config
from ..errors import MailerError
from ..models import CampaignState
from .send import Connect, SmtpTransport
from .teammail import coordinator_notice, send_alone

if TYPE_CHECKING:
    from .status import CampaignStatus

log = logging.getLogger(__name__)

# Subject verb and "État" line per campaign state.
STATES: dict[str, tuple[str, str]] = {
    CampaignState.DRAFT: ("en préparation", "brouillon, pas encore envoyée"),
    CampaignState.SENDING: ("en cours d'envoi", "envoi en cours"),
    CampaignState.PAUSED: ("en pause", "en pause : une partie des destinataires n'a pas encore reçu le message"),
    CampaignState.DONE: ("terminée", "terminée : tous les destinataires ont été traités"),
    CampaignState.CANCELLED: ("annulée", "annulée : plus rien ne sera envoyé"),
    CampaignState.SCHEDULED: ("programmée", "programmée : le service l'enverra à l'heure prévue"),
    CampaignState.EXPIRED: ("non envoyée à temps", "expirée : sa date limite (not_after) est passée, plus rien "
                            "ne sera envoyé"),
}

# The reasons session.py writes (CampaignStatus.reason), as patterns: what follows the colon is
# an SMTP reply or a process name, kept as it came.
REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"interrupted"), "envoi interrompu (Ctrl-C ou arrêt du service) ; "
                                 "relancez « mailer campaign send » pour le reprendre"),
    (re.compile(r"cancelled"), "campagne annulée par un coordinateur"),
    (re.compile(r"paused after repeated errors: (?P<detail>.*)", re.S),
     "mise en pause après des erreurs répétées du serveur d'envoi ; dernière réponse : {detail}"),
    (re.compile(r"worker failed: (?P<detail>.*)", re.S),
     "un processus d'envoi s'est arrêté sur une erreur ({detail}) ; relancez l'envoi pour continuer"),
    (re.compile(r"(?P<n>\d+) recipients? deferred after temporary errors: send again to retry"
                r"(?: \(last: (?P<last>.*)\))?"),
     "{n} destinataire(s) reporté(s) après des erreurs temporaires ; relancez l'envoi pour réessayer"
     "{last_error}"),
    # a scheduled campaign's (issue 10: session.py, scheduler.py)
    (re.compile(r"not sent after its not_after \((?P<when>[^)]*)\): (?P<n>\d+) recipients did not get it"),
     "sa date limite d'envoi (not_after, {when}) est passée : {n} destinataire(s) ne l'ont pas reçue, et ne la "
     "recevront pas"),
    (re.compile(r"stopped with the service: it resumes when the service starts again"),
     "envoi interrompu par l'arrêt du service ; il reprendra à son redémarrage"),
    (re.compile(r"its file changed after it was scheduled: (?P<detail>.*)", re.S),
     "son fichier a changé depuis sa programmation : rien n'est parti ; relancez « mailer campaign send » sur "
     "le fichier pour confirmer (et faire approuver) ce qui doit partir"),
    (re.compile(r"its file cannot be read: (?P<detail>.*)", re.S),
     "son fichier ne peut pas être lu ({detail}) : rien n'est parti"),
    (re.compile(r"its approval no longer holds: (?P<detail>.*)", re.S),
     "son approbation ne vaut plus : rien n'est parti ; relancez « mailer campaign send » sur le fichier"),
    (re.compile(r"its scheduled send failed: (?P<detail>.*)", re.S),
     "son envoi programmé a échoué ({detail}) ; relancez « mailer campaign send » sur le fichier"),
)


def french_reason(reason: str) -> str:
    """A runner reason in French; an unknown one is kept (and logged, so the table grows)."""
    for pattern, french in REASONS:
        found = pattern.fullmatch(reason.strip())
        if found:
            groups = found.groupdict()
            last = groups.pop("last", None)
            return french.format(**groups, last_error=f" (dernière erreur : {last})" if last else "")
    log.warning("notice: no French wording for the campaign reason %r", reason)
    return reason


def _number(n: int) -> str:
    """12 345: French digit grouping (a narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")


def campaign_notice(config: Config, status: CampaignStatus, now: datetime) -> EmailMessage:
    """The notice for one campaign's end or pause, ready to send."""
    verb, state_line = STATES.get(status.state, (str(status.state), str(status.state)))
    tz = config.team.tz
    message = coordinator_notice(config, (f"Campagne « {status.name} » {verb} : {_number(status.sent)} "
                          f"envoyé{'s' if status.sent > 1 else ''} sur {_number(status.total)}"), now)
    lines = ["Bonjour,", "", f"Campagne : {status.name}", f"État : {state_line}"]
    if status.reason:
        lines.append(f"Motif : {french_reason(status.reason)}")
    if status.send_at:
        lines.append(f"Envoi programmé le {french_date(status.send_at, tz)}")
    if status.not_after:
        lines.append(f"Date limite d'envoi : le {french_date(status.not_after, tz)}")
    if status.started:
        lines.append(f"Commencée le {french_date(status.started, tz)}")
    if status.finished:
        lines.append(f"Terminée le {french_date(status.finished, tz)}")
    lines += ["", f"Destinataires : {_number(status.total)}", f"Envoyés : {_number(status.sent)}",
              f"Échecs définitifs : {_number(status.failed)}",
              f"Adresses écartées (désinscrites, en erreur) : {_number(status.suppressed)}",
              f"Restant à envoyer : {_number(status.pending)}", "",
              "Pour le détail : « mailer campaign list », puis « mailer campaign status FICHIER.toml ».",
              "", "-- ", f"mailer, le service d'envoi de l'équipe « {config.team.name} »"]
    message.set_content("\n".join(lines) + "\n")
    return message


def notify_coordinators(config: Config, status: CampaignStatus, connect: Connect = SmtpTransport) -> None:
    """Send the notice; failing to send it never fails the campaign."""
    if not config.team.coordinators:
        log.info("no notice for campaign %s: [team] coordinators is empty in %s", status.name, config.source)
        return
    message = campaign_notice(config, status, datetime.now(UTC))
    try:
        send_alone(config, message, connect)
    except MailerError as exc:
        log.warning("could not notify the coordinators: %s", exc)
