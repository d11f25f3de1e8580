"""The French mails the inbox sends: acknowledgements, confirmation requests, notices.

Bodies come from small Jinja2 templates in `templates/inbound/` (plain text: no autoescape, no
HTML); headers are set through `EmailMessage` so no value can add a header line. Automatic
answers carry RFC 3834's `Auto-Submitted: auto-replied` and thread under the message they answer;
a référent notice is a message from the team, not an answer, so it carries neither.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ..config import Config
from ..models import Directory
from ..tokens import new_message_id as _mint_message_id
from .decide import AnswerKind, RecordReport

PACKAGED = Path(__file__).resolve().parents[2] / "templates" / "inbound"

SUBJECTS = {
    AnswerKind.REPORT_ACK: "Bien reçu : votre compte rendu d'action",
    AnswerKind.CONFIRM_REQUEST: "Confirmez votre inscription",     # ReadingContext.confirm_subjects knows it
    AnswerKind.UNSUBSCRIBED: "Votre désinscription est enregistrée",
    AnswerKind.REFERENT_NOTICE: "Nouvelle proposition d'aide bénévole",
}

# What a person agrees to when they answer the confirmation request: stored with their consent.
CONSENT_WORDING = ("En répondant à ce message, vous acceptez que l'équipe « Protégeons les personnes » "
                   "conserve votre nom et votre adresse pour vous écrire au sujet des actions bénévoles "
                   "que vous suivez. Vous pourrez vous désinscrire à tout moment en répondant « STOP ».")

ACTION_LABELS = {
    "petition": ("Pétition", "signature"),
    "letter_authorities": ("Lettres aux autorités", "lettre"),
    "letter_support": ("Lettres de soutien", "lettre"),
    "advocacy": ("Plaidoyer", "rencontre ou interpellation"),
    "awareness": ("Sensibilisation", "événement"),
    "collaboration": ("Collaboration avec d'autres structures", ""),
    "fund": ("Collecte de fonds", ""),
}


def _plural(word: str, n: int) -> str:
    return word if n < 2 or not word else " ".join(w + "s" if w not in ("ou",) else w for w in word.split())


def action_line(action: Mapping[str, Any]) -> str:
    """'Pétition : 214 signatures, le 07/03/2026' (unknown values are said to be unknown)."""
    label, unit = ACTION_LABELS.get(str(action.get("type")), (str(action.get("type")), ""))
    parts = []
    if action.get("count") is not None and unit:
        parts.append(f"{action['count']} {_plural(unit, int(action['count']))}")
    if action.get("amount_eur") is not None:
        amount = float(action["amount_eur"])
        parts.append(f"{amount:,.2f} €".replace(",", " ").replace(".", ",").replace(",00 €", " €"))
    if action.get("date"):
        y, m, d = str(action["date"]).split("-")
        parts.append(f"le {d}/{m}/{y}")
    return f"{label} : {', '.join(parts)}" if parts else f"{label} (sans nombre ni date)"


def report_summary(record: RecordReport, directory: Directory) -> list[str]:
    """What we understood, in the words a volunteer can check."""
    group = directory.group(record.group) if record.group else None
    dossier = directory.dossier(record.dossier) if record.dossier else None
    lines = [f"Groupe : {group.name} ({group.code})" if group else "Groupe : non identifié",
             f"Dossier : {dossier.ref}, {dossier.person} ({dossier.country})" if dossier else "Dossier : non identifié"]
    lines += [action_line(a.to_json()) for a in record.actions]
    return lines


@lru_cache(maxsize=4)
def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(folder), str(PACKAGED)]),
                              autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


def templates_folder(config: Config) -> Path:
    return config.campaigns.templates / "inbound"


def render_body(config: Config, kind: AnswerKind | str, values: Mapping[str, Any]) -> str:
    template = _environment(templates_folder(config)).get_template(f"{AnswerKind(kind).value}.txt")
    return template.render(team=config.team.name, **values)


def wording_version(config: Config) -> str:
    """Which text a person consented to: a hash of the request template and the consent sentence."""
    env = _environment(templates_folder(config))
    source, _, _ = env.loader.get_source(env, "confirm_request.txt")  # type: ignore[union-attr]
    return hashlib.sha256((source + CONSENT_WORDING).encode("utf-8")).hexdigest()[:16]


def new_message_id(config: Config) -> str:
    """Stored with the `outgoing` record before sending: a reply naming it threads to what it answered."""
    return _mint_message_id(config.team.domain)


def build_message(config: Config, doc: Mapping[str, Any]) -> EmailMessage:
    """An `outgoing` record -> the message to send (the record keeps its Message-ID, so a reply
    to it can be matched to what it answered)."""
    kind = AnswerKind(doc["kind"])
    msg = EmailMessage()
    msg["From"] = Address(config.team.name, addr_spec=config.team.address)
    msg["To"] = Address(addr_spec=doc["to"])
    msg["Subject"] = SUBJECTS[kind]
    msg["Date"] = format_datetime(datetime.now(UTC).astimezone(config.team.tz))
    msg["Message-ID"] = doc["message_id"]
    if doc.get("reply_to"):
        msg["Reply-To"] = Address(config.team.name, addr_spec=doc["reply_to"])
    if doc.get("in_reply_to"):
        msg["In-Reply-To"] = doc["in_reply_to"]
        msg["References"] = " ".join([*doc.get("references", []), doc["in_reply_to"]][-10:])
    if kind is not AnswerKind.REFERENT_NOTICE:
        msg["Auto-Submitted"] = "auto-replied"          # RFC 3834 section 5
        msg["X-Auto-Response-Suppress"] = "All"         # Exchange: no out-of-office back at us
    msg.set_content(render_body(config, kind, doc.get("values", {})))
    return msg
