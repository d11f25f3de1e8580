"""The words of the inbox's answers that both wings must agree on.

The outbound wing renders the answers from these templates; the inbound wing records, with a
person's consent, which text they agreed to. Both read the templates' folders and the consent
sentence here, so the text sent and the text recorded cannot drift apart.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .config import Config

PACKAGED = Path(__file__).resolve().parents[1] / "templates" / "inbound"
CONFIRM_REQUEST_TEMPLATE = "confirm_request.txt"

# What a person agrees to when they answer the confirmation request: stored with their consent.
CONSENT_WORDING = ("En répondant à ce message, vous acceptez que l'équipe « Protégeons les personnes » "
                   "conserve votre nom et votre adresse pour vous écrire au sujet des actions bénévoles "
                   "que vous suivez. Vous pourrez vous désinscrire à tout moment en répondant « STOP ».")
# The same for a request to receive the bulletin (issue 9 §2): the bulletin only, no group.
BULLETIN_CONSENT_WORDING = ("En répondant à ce message, vous acceptez que l'équipe « Protégeons les personnes » "
                            "conserve votre nom et votre adresse pour vous envoyer son bulletin par courriel. "
                            "Vous pourrez vous désabonner à tout moment, d'un clic en bas de chaque bulletin "
                            "ou en répondant « STOP ».")


def consent_wording(scope: str = "") -> str:
    """The sentence a confirmation request shows, by the sign-up's scope ("bulletin" or "")."""
    return BULLETIN_CONSENT_WORDING if scope == "bulletin" else CONSENT_WORDING


def template_folders(config: Config) -> list[Path]:
    """Where the answers' templates are looked up: the team's own first, then the packaged ones."""
    return [config.campaigns.templates / "inbound", PACKAGED]


def template_source(config: Config, name: str) -> str:
    """A template's text, from the first folder that has it (as Jinja's FileSystemLoader finds it)."""
    for folder in template_folders(config):
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"no answer template {name} in {', '.join(map(str, template_folders(config)))}")


def wording_version(config: Config, scope: str = "") -> str:
    """Which text a person consented to: a hash of the request template and the consent sentence
    (the bulletin's for a bulletin sign-up)."""
    source = template_source(config, CONFIRM_REQUEST_TEMPLATE)
    return hashlib.sha256((source + consent_wording(scope)).encode("utf-8")).hexdigest()[:16]
