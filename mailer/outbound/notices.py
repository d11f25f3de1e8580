"""Mail the service writes itself to the team: notices to the coordinators.

Failing to send a notice never fails the work it reports on.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import MailerError
from ..models import CampaignState
from .send import SmtpTransport

if TYPE_CHECKING:
    from .runner import CampaignStatus

log = logging.getLogger(__name__)


def notify_coordinators(config: Config, status: "CampaignStatus") -> None:
    """A short notice to the coordinators; failing to send it never fails the campaign."""
    if not config.team.coordinators:
        return
    message = EmailMessage()
    verb = "terminée" if status.state == CampaignState.DONE else "en pause"
    message["Subject"] = f"Campagne « {status.name} » {verb} : {status.sent} envoyés sur {status.total}"
    message["From"] = config.team.address
    message["To"] = ", ".join(config.team.coordinators)
    message["Auto-Submitted"] = "auto-generated"
    lines = [f"Campagne : {status.name}", f"État : {status.state}", f"Destinataires : {status.total}",
             f"Envoyés : {status.sent}", f"Échecs définitifs : {status.failed}",
             f"Adresses supprimées (désinscrites, en erreur) : {status.suppressed}", f"Restants : {status.pending}"]
    if status.reason:
        lines.append(f"Motif : {status.reason}")
    message.set_content("\n".join(lines) + "\n\n-- \nmailer\n")
    transport = SmtpTransport(config.smtp)
    try:
        transport.send_message(message)
    except MailerError as exc:
        log.warning("could not notify the coordinators: %s", exc)
    finally:
        transport.close()
