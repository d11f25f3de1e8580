"""Campaign files written for a coordinator to review: an urgent alert, a thank-you.   [pure]

TOML written by tomli-w, the exact inverse of the tomllib that reads campaign files, under a
header (in French, for the coordinator) saying what to check and how to preview and send. Data
never becomes template source: the subject names `{{ dossier.person }}`, and a dossier's summary
goes into `[vars]`, which templates print as values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import tomli_w

from ..models import CampaignKind, Dossier, DossierOutcome
from .campaigns import NAME_RE

ALERT_TEMPLATE = "action_alert"
THANKS_TEMPLATE = "thank_you"
ALERT_SUBJECT = "Action urgente : {{ dossier.person }}{% if dossier.country %} ({{ dossier.country }}){% endif %}"
THANKS_SUBJECT = "Merci : bonne nouvelle pour {{ dossier.person }}"


def slug(ref: str) -> str:
    """A ref as a campaign name's part: `DI-2025-014` -> `di-2025-014`."""
    return re.sub(r"[^a-z0-9._-]+", "-", ref.lower()).strip("-._") or "dossier"


def draft_name(prefix: str, ref: str, day: date, attempt: int = 1) -> str:
    """`alerte-di-2025-014-2026-03-20`, then `...-2`, `...-3` when that name is taken."""
    name = f"{prefix}-{slug(ref)}-{day.isoformat()}" + (f"-{attempt}" if attempt > 1 else "")
    assert NAME_RE.match(name[:80]), name
    return name[:80]


def _file(header: Sequence[str], fields: dict[str, Any]) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + tomli_w.dumps(fields,
                                                                                        multiline_strings=True)


def _commands(path: str) -> list[str]:
    return [f"  aperçu : mailer campaign preview {path}", f"  envoi :  mailer campaign send {path}"]


def alert_file(dossier: Dossier, name: str, path: str, deadline: date, template: str = ALERT_TEMPLATE,
               written_on: date | None = None) -> str:
    """The campaign of an urgent action on `dossier`: its groups and its référent, by `deadline`."""
    variables: dict[str, Any] = {"deadline": deadline.isoformat()}
    if dossier.summary:
        variables["situation"] = dossier.summary
    header = [f"Alerte pour le dossier {dossier.ref}, écrite par `mailer alert`"
              + (f" le {written_on.isoformat()}" if written_on else "") + " : relisez-la avant l'envoi.",
              "Complétez [vars] si besoin : situation, authority (à qui écrire), asks (ce que demandent",
              f"les lettres), letter_url, petition_url (voir templates/{template}.html).", *_commands(path)]
    return _file(header, {"name": name, "kind": CampaignKind.ALERT.value, "subject": ALERT_SUBJECT,
                          "template": template, "audience": f"dossier:{dossier.ref}", "dossier": dossier.ref,
                          "vars": variables})


def thanks_file(dossier: Dossier, name: str, path: str, groups: Sequence[str], day: date) -> str:
    """The thank-you to every group that worked on `dossier` (`groups`), for its outcome on `day`."""
    outcome = DossierOutcome(dossier.outcome).label if dossier.outcome in set(DossierOutcome) else dossier.outcome
    header = [f"Remerciements pour le dossier {dossier.ref} ({outcome} le {day.isoformat()}), écrits par",
              "`mailer dossiers set-status` : rien n'est envoyé sans vous. Relisez le texte, ajoutez si",
              "vous le souhaitez un mot de l'équipe dans [vars] message, retirez un groupe de l'audience.",
              *_commands(path)]
    return _file(header, {"name": name, "kind": CampaignKind.CUSTOM.value, "subject": THANKS_SUBJECT,
                          "template": THANKS_TEMPLATE, "audience": "groups:" + ",".join(groups),
                          "dossier": dossier.ref, "vars": {"outcome": str(dossier.outcome), "date": day.isoformat()}})
