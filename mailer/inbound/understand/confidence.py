"""How sure a reading of human mail is: the checks that fired, and a confidence from them.   [pure]

New phrasings keep arriving, so the rules will keep misreading some mail; what the service
applies (records, acknowledges) must still be right. Each reading of a report, a sign-up or a
free-text unsubscribe starts from its rule's confidence and loses `PENALTY` for each check
below that fires; `decide` applies it only at `[inbox] apply_confidence` or above and sends the
rest to triage with the reading pre-filled and the checks named. A check is a reason a careful
reader would hesitate, explained in a word a coordinator can read in `triage show`. A report's
own checks are in `report_checks`; here are the rules' confidences, the checks of whose a reading
is (shared with reports) and those of sign-ups and unsubscribes:

- several_dossiers, several_groups: more than one named;
- group_contradicts_sender: the sender's known group is not the group the report names;
- group_disowned: the writer, a known member or a group's address, says they act on their own ("à titre
  personnel", "pas au nom du cercle"): the report is read with no group, and a person confirms it;
- group_asked (sign-up): the group is named only in a question ("un groupe à Metz ?"), or by someone
  who says they are not in it;
- dossier_by_country (sign-up): the dossier was read from a country alone ("le dossier de Bahreïn");
- outsider: a sign-up in a journalist's, a vendor's or another organisation's words;
- dossier_aside (sign-up): the dossier's person is named only where the writer tells what they once
  did ("j'ai signé votre pétition pour Yesenia"), not where they ask to act;
- dossier_unread, group_unread (sign-up): the writer speaks of one dossier ("le dossier des
  paysans de San Isidro") or of the structure they belong to ("membre de l'antenne jeunes") and
  none was read;
- close_to_person (sign-up): the writer is the person's family, friend or fellow activist, a contact
  for the référent rather than a volunteer;
- tells_deeds (sign-up): the text also reports the writer's deeds, with a figure or a date;
- on_behalf, negated, long_unsubscribe: an unsubscribe asked for someone else, refused ("je ne
  veux pas me désabonner"), or buried in a long message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .extract import NOT_A_MEMBER, ON_OWN_BEHALF, sentences_naming
from .unsubscribe import REFUSED
from .lookup import BELONGS_CUE, DirectoryIndex

PENALTY = 0.3

# A rule's own confidence, before any check: tokens we minted are certain, free text is not.
BASE: dict[str, float] = {
    "report.actions": 0.95,
    "report.form_text": 0.95,      # a filled block without our token: certain figures, whose from the text
    "signup.volunteer": 0.9,
    "signup.offer": 0.85,          # an offer of help in other words (read after the report rule)
    "unsubscribe.token": 1.0,
    "unsubscribe.keep": 1.0,          # a mail to the +k- address we gave: only its recipient had it
    "unsubscribe.text": 0.9,
    "unsubscribe.subject": 0.85,
}


@dataclass(frozen=True)
class Assessment:
    confidence: float
    checks: tuple[str, ...] = ()


def assess(rule: str, checks: Sequence[str]) -> Assessment:
    fired = tuple(dict.fromkeys(checks))
    return Assessment(round(max(0.0, BASE.get(rule, 1.0) - PENALTY * len(fired)), 2), fired)


ON_BEHALF = re.compile(r"\b(?:mon mari|ma femme|mon epouse|mon epoux|mon conjoint|ma conjointe|mon compagnon"
                       r"|ma compagne|ma mere|mon pere|mon fils|ma fille|ma soeur|mon frere|mes parents"
                       r"|de la part de|au nom de|pour le compte de|son adresse|sa boite|ses coordonnees"
                       r"|cette personne|il ne souhaite|elle ne souhaite|ils ne souhaitent"
                       # "Paulette... n'utilise plus cette adresse et souhaite ne plus recevoir": whose wish the
                       # sentence does not say; "me demande de vous transmettre sa demande"
                       r"|(?:et|,) (?:souhaite|veut|desire|voudrait)\w* ne plus|me demande de vous (?:transmettre|dire"
                       r"|faire part))\b")


def attribution_checks(index: DirectoryIndex, folded: str, writer: str, group: str | None,
                 group_mentions: Sequence[str], named: Sequence[str] = ()) -> list[str]:
    """Whose it is: more than one dossier (by ref, person or country: `named`) or group named, or the
    writer's known group not the one read."""
    checks = []
    if len({*index.refs_in(folded), *named}) > 1:
        checks.append("several_dossiers")
    if len(set(group_mentions)) > 1:
        checks.append("several_groups")
    known = index.member_group.get(writer) or index.group_by_email.get(writer)
    if known and group and known != group:
        checks.append("group_contradicts_sender")
    if (group or known) and ON_OWN_BEHALF.search(folded):
        checks.append("group_disowned")              # "à titre personnel (pas au nom du cercle)": read as none
    return checks




OUTSIDER = re.compile(r"\b(?:je suis journaliste|en tant que journaliste|journaliste (?:a|au|pour|chez)"
                      r"|radio|emissions?|interview\w*|podcasts?|animat(?:eur|rice) (?:a|de|sur|chez)"
                      r"|pour (?:un|notre|mon) (?:article|reportage|sujet)|notre redaction|notre (?:journal|magazine"
                      r"|media|agence|societe|entreprise|cabinet)|devis|tarifs?|offre (?:speciale|commerciale)|promotion"
                      r"|nos services|partenariat commercial|webinaire|formation payante"
                      r"|proposition de partenariat|(?:notre|votre) partenariat|notre (?:association|collectif|club"
                      r"|compagnie|federation|structure|festival))\b")     # an organisation's offer is no volunteer's


# A particular dossier spoken of ("le dossier des paysans de San Isidro", "celui de Günel"), not any
# dossier ("un dossier", "les dossiers qui concernent l'Iran", "un second dossier")
THE_DOSSIER = re.compile(r"\b(?:le|ce|du|au|votre) dossier (?:de |des |du |d'|sur |concernant |consacre )"
                         r"|\bdossier :? ?(?:de |d')?[a-z]+ [a-z]+ (?:et|qui|dont)\b|\bcelui (?:de |d')")


# The writer says they belong to one of our structures ("membre du groupe local", "je suis à l'antenne")
MY_STRUCTURE = re.compile(BELONGS_CUE + r"(?:groupe|cercle|antenne)\b")


_OWN_PAST = re.compile(r"\bj'ai (?:deja )?(?:signe|ecrit|envoye|participe|assiste)\b")


def _named_only_aside(index: DirectoryIndex, folded: str, ref: str) -> bool:
    """The dossier's person is named only in sentences telling what the writer once did, not in one
    that asks to act on it."""
    tokens = next((set(d.tokens) for d in index.dossiers if d.ref == ref), set())
    naming = [s for s in re.split(r"(?<=[.!?])\s+|\n", folded) if tokens & set(re.findall(r"[a-z][\w-]*", s))]
    return bool(naming) and all(_OWN_PAST.search(s) for s in naming)


# The person at risk's family, friend or fellow activist writing: a contact for the référent, not a
# volunteer's sign-up to apply ("je connais personnellement Brenda : nous avons milité ensemble")
# (kin with "de" or a possessive: "je suis la sœur de Ksenia", "nous sommes sa famille"; not "je suis une
# fille de 17 ans")
_KIN = r"(?:soeur|frere|cousine?|tante|oncle|niece|neveu|mere|pere|fille|fils|epouse|mari|famille|proche|amie?|collegue)s?"
CLOSE_TO_PERSON = re.compile(r"\b(?:je (?:la |le |les )?connais personnellement|connue? personnellement"
                             r"|(?:avons|ont) milite ensemble|(?:je suis|nous sommes) (?:sa |son |ses )" + _KIN + r"\b"
                             r"|(?:je suis|nous sommes) (?:la |le |les |une? )" + _KIN + r" (?:de|d') ?[a-z]{3,})")


def signup_checks(index: DirectoryIndex, folded: str, sender: str, group: str | None,
                  group_mentions: Sequence[str], dossier: str | None = None,
                  named: Sequence[str] = ()) -> list[str]:
    checks = ["outsider"] if OUTSIDER.search(folded) else []   # a journalist's or a vendor's words
    if CLOSE_TO_PERSON.search(folded):
        checks.append("close_to_person")
    if dossier is None and THE_DOSSIER.search(folded):
        checks.append("dossier_unread")          # a dossier is named and none was read: which one?
    if group is None and MY_STRUCTURE.search(folded):
        checks.append("group_unread")            # "membre de l'antenne jeunes": which one?
    if dossier is not None and _named_only_aside(index, folded, dossier):
        checks.append("dossier_aside")           # "j'ai signé votre pétition pour X" then a wish for the list
    if group is not None:
        naming = sentences_naming(index, folded, group)
        if naming and all(s.rstrip().endswith("?") or NOT_A_MEMBER.search(s) for s in naming):
            checks.append("group_asked")             # asked about, or "je n'en fais pas partie"
    return checks + attribution_checks(index, folded, sender, group, group_mentions, named)


def unsubscribe_checks(own_folded: str, via: str) -> list[str]:
    if via in ("token", "keep"):
        return []
    checks = []
    if ON_BEHALF.search(own_folded):
        checks.append("on_behalf")
    if REFUSED.search(own_folded):
        checks.append("negated")
    if len(own_folded.split()) > 120:
        checks.append("long_unsubscribe")
    return checks
