"""Why a message waits for a person: the reasons the inbound wing records, and their French words.

`inbound/decide.py` records these reasons (English identifiers, stored as they are in the
`triage` table) and the outbound digest shows them to the coordinators in French: both wings
read them here, so a new reason cannot be written in one wing and forgotten in the other.
"""

from __future__ import annotations

import logging
from enum import StrEnum

log = logging.getLogger(__name__)


class TriageReason(StrEnum):
    """A ToTriage reason; the last two are the classifier's rule names for mail no rule reads."""

    BOUNCE_NO_RECIPIENT = "bounce naming no recipient"
    COMPLAINT_NO_RECIPIENT = "complaint naming no recipient"
    BOUNCE_NOT_PROVEN = "bounce not proven to be about mail we sent (no token or Message-ID of ours): nothing done"
    COMPLAINT_NOT_PROVEN = ("complaint not proven to be about mail we sent (no token or Message-ID of ours): "
                            "nothing done")
    UNVERIFIABLE_CONFIRMATION = "confirmation we cannot verify (no token, no thread)"
    UNSUBSCRIBE_NO_ADDRESS = "unsubscribe without an address"
    UNSUBSCRIBE_UNPROVEN = "unsubscribe from a sender we cannot verify nor answer: nothing done"
    UNSUBSCRIBE_UNKNOWN_TOKEN = ("unsubscribe token we did not issue to any known address "
                                 "(a test message's link?): nothing done")
    UNSUBSCRIBE_ALSO_ASKS = "unsubscribe applied; the message also asks something else of us"
    SIGNUP_ALREADY_CONFIRMED = "sign-up from a volunteer already confirmed"
    REPORT_UNKNOWN_SENDER = "report from an unknown sender: not applied"
    REPLY_TO_ACKNOWLEDGEMENT = "reply to an acknowledgement"
    UNSURE = "reading not sure enough to apply (see its checks): nothing done"
    AWAITING_CONFIRMATION = ("free-text report: its sender was asked to confirm our reading (a reply OUI "
                             "records it); nothing recorded yet")
    REPLY_TO_REPORT_CONFIRMATION = "reply to a report confirmation that is neither OUI nor a filled form"
    NO_RULE = "other.no_rule"
    NOTHING_DONE = "other.nothing_done"
    NEWSLETTER = "other.newsletter"
    CALL_DECLINED = "other.call_declined"       # a refusal sent to a call's +v- address (issue 9 §2)
    QUESTION = "other.question"                 # a stranger asks us something; deeds it tells are doubtful
    # replies to an approval request's +a- address (issue 10): only a yes from its coordinator approves
    APPROVAL_UNKNOWN_TOKEN = "approval token we did not mail for any campaign now: nothing approved"
    APPROVAL_WRONG_SENDER = ("reply to an approval request from another address than the coordinator it was "
                             "mailed to (forwarded, or forged): nothing approved")
    APPROVAL_NOT_APPROVER = ("approval from someone who may not approve it now (no longer a coordinator, or the "
                             "campaign's own sender): nothing approved")
    APPROVAL_DECLINED = "approval request answered no: nothing approved"
    APPROVAL_UNCLEAR = "reply to an approval request that is no short yes: nothing approved"


class NotAnswered(StrEnum):
    """Why no automatic answer goes out (RFC 3834 section 2); also said after SIGNUP_UNCONFIRMED."""

    NEVER_BOUNCE = "never answer a bounce"
    NEVER_COMPLAINT = "never answer a complaint"
    NEVER_AUTO_REPLY = "never answer a auto_reply"
    AUTOMATIC = "automatic or list mail"
    EMPTY_RETURN_PATH = "empty return path"
    OUR_OWN = "our own mail"
    ALREADY_TODAY = "already answered today"


SIGNUP_UNCONFIRMED = "sign-up we cannot confirm: "


def signup_unconfirmed(why: NotAnswered) -> str:
    """The reason a sign-up waits: the prefix, then why we may not send it a confirmation request."""
    return f"{SIGNUP_UNCONFIRMED}{why}"


FRENCH: dict[str, str] = {   # keyed by TriageReason: a test checks every one is here
    TriageReason.BOUNCE_NO_RECIPIENT: "avis de non-remise qui ne nomme aucun destinataire",
    TriageReason.COMPLAINT_NO_RECIPIENT: "plainte pour spam qui ne nomme aucun destinataire",
    TriageReason.BOUNCE_NOT_PROVEN:
        "avis de non-remise qui ne prouve pas porter sur un envoi de notre part : rien n'a été fait",
    TriageReason.COMPLAINT_NOT_PROVEN:
        "plainte pour spam qui ne prouve pas porter sur un envoi de notre part : rien n'a été fait",
    TriageReason.UNVERIFIABLE_CONFIRMATION:
        "confirmation d'inscription invérifiable (ni jeton, ni réponse à notre demande)",
    TriageReason.UNSUBSCRIBE_NO_ADDRESS: "désinscription sans adresse reconnaissable",
    TriageReason.UNSUBSCRIBE_UNPROVEN:
        "désinscription d'un expéditeur que nous ne pouvons ni vérifier ni interroger : rien n'a été fait",
    TriageReason.UNSUBSCRIBE_ALSO_ASKS:
        "désinscription faite ; le message demande aussi autre chose, à quoi il faut répondre",
    TriageReason.SIGNUP_ALREADY_CONFIRMED: "inscription d'un ou d'une bénévole déjà confirmé·e",
    TriageReason.REPORT_UNKNOWN_SENDER: "compte rendu d'un expéditeur inconnu : non enregistré",
    TriageReason.UNSUBSCRIBE_UNKNOWN_TOKEN:
        "lien de désinscription émis pour aucune adresse connue (celui d'un message de test ?) : rien n'a été fait",
    TriageReason.REPLY_TO_ACKNOWLEDGEMENT: "réponse à un accusé de réception (peut-être une correction)",
    TriageReason.UNSURE: "lecture trop incertaine pour être appliquée (voir ses vérifications) : rien n'a été fait",
    TriageReason.AWAITING_CONFIRMATION:
        "compte rendu en texte libre : nous avons demandé à son auteur de confirmer notre lecture (un OUI "
        "l'enregistre) ; rien n'est encore enregistré",
    TriageReason.REPLY_TO_REPORT_CONFIRMATION:
        "réponse à notre demande de confirmation d'un compte rendu, ni OUI ni formulaire rempli",
    TriageReason.NO_RULE: "message qu'aucune règle ne reconnaît",
    TriageReason.NOTHING_DONE: "message qui annonce des actions prévues, pas encore faites",
    TriageReason.NEWSLETTER: "lettre d'information ou envoi en nombre d'un tiers : rien n'a été lu comme action",
    TriageReason.CALL_DECLINED: "réponse négative à un appel à bénévoles : personne n'a été inscrit",
    TriageReason.QUESTION: "question d'une personne qui n'est ni membre ni un groupe ; ce qu'elle dit avoir fait "
                           "n'est pas enregistré (la commande proposée le reprend)",
    TriageReason.APPROVAL_UNKNOWN_TOKEN:
        "réponse à une demande d'approbation que nous ne retrouvons pas : rien n'a été approuvé",
    TriageReason.APPROVAL_WRONG_SENDER:
        "réponse à une demande d'approbation venue d'une autre adresse que celle du coordinateur ou de la "
        "coordinatrice sollicité·e (transférée, ou falsifiée) : rien n'a été approuvé",
    TriageReason.APPROVAL_NOT_APPROVER:
        "approbation d'une personne qui ne peut pas approuver cette campagne (plus coordinatrice, ou son "
        "expéditrice elle-même) : rien n'a été approuvé",
    TriageReason.APPROVAL_DECLINED: "demande d'approbation refusée : rien n'a été approuvé",
    TriageReason.APPROVAL_UNCLEAR:
        "réponse à une demande d'approbation qui n'est pas un simple « oui » : rien n'a été approuvé",
}
NEVER = "on ne répond jamais à ce type de message"
NOT_ANSWERED_FRENCH: dict[str, str] = {   # keyed by NotAnswered
    NotAnswered.NEVER_BOUNCE: NEVER,
    NotAnswered.NEVER_COMPLAINT: NEVER,
    NotAnswered.NEVER_AUTO_REPLY: NEVER,
    NotAnswered.AUTOMATIC: "message automatique ou de liste",
    NotAnswered.EMPTY_RETURN_PATH: "adresse de retour vide",
    NotAnswered.OUR_OWN: "message venant de nous",
    NotAnswered.ALREADY_TODAY: "déjà répondu aujourd'hui",
}


def french_reason(reason: str) -> str:
    """Why an item waits, in French; an unknown reason is kept and logged so the table grows."""
    if reason in FRENCH:
        return FRENCH[reason]
    if reason.startswith(SIGNUP_UNCONFIRMED):
        why = reason.removeprefix(SIGNUP_UNCONFIRMED)
        why_fr = NEVER if why.startswith("never answer a ") else NOT_ANSWERED_FRENCH.get(why, why)
        return f"inscription impossible à confirmer : {why_fr}"
    log.warning("digest: no French wording for the triage reason %r", reason)
    return reason
