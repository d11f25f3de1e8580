"""French sign-ups, action reports, unsubscribes and confirmations -> facts.   [pure]

Nothing here knows a group, a dossier or a person by name: every name, city, number and country
comes from the `Directory` passed in, so the same rules read mail about structures and people they
have never seen. The pieces, in the order a message meets them:

- `segments.Mail`: the text once (own words without quoted replies, plus a forwarded message's body),
  cut into segments (sentences and list items) that carry their own dates and done-ness.
- `actions.find_actions`: typed actions with count, amount and date; planned or hypothetical ones are left out.
- `lookup.DirectoryIndex`: groups by number / city / name, dossiers by ref / person (fuzzy) / country.
- here, one reader per kind: `read_unsubscribe`, `read_confirm`, `read_signup`, `read_report`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ...models import Directory
from ...tokens import KEEP, parse_sub_address
from .actions import Action, ActionType, SegmentReading, find_actions
from .action_words import THEIR_NEWS
from .countries import find_countries
from .french import TITLES, fold, looks_like_name, to_digits
from .lookup import BELONGS_CUE, REF, DirectoryIndex, index_for
from ..mime.parse import ParsedMessage
from .segments import MAX_CHARS, Body, Mail, Segment, segments, signature_lines, split_body, strip_reply

__all__ = ["MAX_CHARS", "REF", "Action", "ActionType", "Body", "Confirm", "DirectoryIndex", "Mail", "Report",
           "REFUSED", "Segment", "Signup", "Unsubscribe", "find_actions", "index_for", "offers_help", "person_name", "read_confirm",
           "read_report", "read_signup", "read_unsubscribe", "segments", "sentences_naming", "signature_lines", "signature_name",
           "split_body", "strip_reply", "sub_address_token"]


@dataclass(frozen=True)
class Unsubscribe:
    scope: str                   # "all" | "bulletin"
    via: str                     # "token" | "keep" | "subject" | "text"
    token: str | None = None
    asks: tuple[str, ...] = ()   # what else the mail asks of us ("pourriez-vous m'envoyer mon reçu ?")


@dataclass(frozen=True)
class Confirm:
    via: str                     # "token" | "thread" | "reply"
    token: str | None = None
    verified: bool = False       # the token or the thread is one we issued


@dataclass(frozen=True)
class Signup:
    name: str | None
    group: str | None
    dossier: str | None
    by_country: bool = False     # the dossier was read from "le dossier de Bahreïn" alone: a check
    named: tuple[str, ...] = ()  # every dossier whose person the text names (two: which one?)
    joins: str | None = None     # a structure they ask to join, not one they say they belong to


@dataclass(frozen=True)
class Report:
    group: str | None
    dossier: str | None
    actions: tuple[Action, ...]
    named: tuple[str, ...] = ()      # every dossier the text points at (ref, person, country): a check


def sub_address_token(parsed: ParsedMessage, team_address: str, prefix: str) -> str | None:
    """The TOKEN of team+PREFIX-TOKEN@domain among the message's recipients."""
    for address in parsed.to:
        found = parse_sub_address(team_address, address)
        if found and found[0] == prefix:
            return found[1]
    return None


_UNSUB_SUBJECT = re.compile(r"^(?:(?:re|tr|fwd?|aw)\s*:\s*)*(?:stop|desinscription|desabonnement|unsubscribe"
                            r"|(?:se |me )?desinscri\w*|(?:se |me )?desabonne\w*)\b")
_ASK = (r"(?:merci de|merci d'|veuillez|pouvez-vous|pourriez-vous|(?<!vous )pouvez vous|vous pouvez(?! vous)"
        r"|vous pourriez(?! vous)"
        r"|tu peux(?! te)"     # not a footer's "vous pouvez vous désinscrire de cette liste"
        r"|je vous saurais (?:donc |bien )?gre de|je vous serais (?:donc )?reconnaissante? de"
        r"|je vous (?:demande|prie|remercie) (?:donc |bien )?de"
        r"|je (?:souhaite|voudrais|souhaiterais|veux)|j'aimerais|nous (?:souhaitons|voudrions|vous demandons de))")
_UNSUB = re.compile(
    r"^\W*stop(?:\W+(?:a tout|svp|merci|s'il vous plait|(?:le |les |au |aux )?(?:bulletins?|newsletters?|mails?"
    r"|envois)))*\W*$"
    r"|\b(?:je|j'|nous)\s*(?:[a-z']+\s+){0,3}?(?:me desinscrire|me desabonner|nous desinscrire|nous desabonner"
    r"|m'en (?:desinscrire|desabonner|retirer)|nous en (?:desinscrire|desabonner|retirer)"
    r"|etre (?:retiree?|desinscrite?|desabonnee?|rayee?))"
    r"|\b(?:merci de |merci d'|veuillez |pouvez-vous |pourriez-vous |pourrais-tu |peux-tu |je vous (?:demande|prie) de "
    r"|vous pouvez (?!vous)|vous pourriez (?!vous)|(?<!vous )pouvez vous |tu peux (?!te)"
    r"|je vous remercie de )(?:bien vouloir )?"
    r"(?:me (?:retirer|desinscrire|desabonner|supprimer|rayer|enlever)|m'(?:enlever|oter)|ne plus m'envoyer"
    r"|(?:retirer|supprimer|enlever|rayer|desinscrire|desabonner) (?:mon adresse|mon nom|mon courriel|mon e-?mail)"
    r"|(?:arreter|cesser) de m'envoyer)"
    r"|\b(?:desinscrivez|desabonnez|retirez|supprimez|enlevez|rayez)-moi"
    r"|\b(?:retirez|supprimez|enlevez|rayez|effacez) (?:mon adresse|mon nom|mon courriel|mon e-?mail|mes coordonnees)"
    r"|\bne plus (?:me|nous) (?:l'|les )envoyer"
    r"|\b(?:je|j'|nous) ne (?:souhaite|veux|desire|voudrais|souhaitons|voulons)\w* plus (?:rien )?recevoir"
    r"|\b(?:je|j'|j|nous) ?(?:veux|veut|voulons) plus (?:rien )?recevoir\b"    # a phone's negation, no "ne"
    r"|\bretirer mon adresse|\bne plus m'envoyer|\bne plus (?:rien )?recevoir (?:de votre part|vos)"
    # an ask to stop sending, in any form: "pouvez-vous arrêter l'envoi de la Lettre ?", "arretez de
    # m'envoyer la newsletter", "pourriez-vous ne plus rien lui envoyer ?" (on someone's behalf)
    r"|(?:" + _ASK + r")\s+(?:bien vouloir )?(?:arreter|cesser|stopper|suspendre) (?:l'envoi|les envois|d'envoyer"
    r"|de (?:m'|me |lui |nous |leur )(?:envoyer|adresser|ecrire))"
    r"|\b(?:arretez|cessez|stoppez) (?:donc )?(?:l'envoi|les envois|d'envoyer|de (?:m'|me |lui |nous |leur )(?:envoyer|adresser|ecrire))"
    r"|(?:" + _ASK + r")\s+(?:bien vouloir )?ne plus (?:rien )?(?:m'|me |lui |nous |leur )(?:rien )?(?:envoyer|adresser|ecrire)"
    r"|(?:" + _ASK + r")\s+(?:bien vouloir )?ne plus (?:me |nous |lui |leur )?(?:l'|le |la |les )(?:envoyer|adresser)\b"
    r"|(?:" + _ASK + r")\s+(?:bien vouloir )?ne plus rien (?:envoyer|adresser|ecrire)\b"      # "merci de ne plus rien envoyer"
    r"|\b(?:arreter|cesser) de m'envoyer"
    # a negative imperative: "ne m'envoyez plus le bulletin", "n'envoyez plus rien a ma mere"
    r"|\bne (?:m'|me |nous |lui |leur )?(?:l'|le |la |les )?(?:envoyez|adressez|ecrivez) plus\b"
    r"|\bn'(?:envoyez|adressez|ecrivez) plus\b"
    # on someone else's behalf ("le retirer de vos listes", "elle ne souhaite plus recevoir"): an
    # unsubscribe all the same, which the confidence check `on_behalf` keeps from being applied
    r"|\b(?:le|la|les) (?:desinscrire|desabonner)\b|\b(?:le|la|les) (?:retirer|supprimer|rayer|enlever) (?:de|des|du)"
    r" (?:vos|la|votre|cette|ces|notre|nos|liste|fichier|base|diffusion)"   # not "merci de le supprimer" (a mail)
    r"|\b(?:supprimer|retirer|enlever|rayer) (?:son|sa|leur|ses) (?:adresse|nom|courriel|e-?mail)"
    r"|\b(?:il|elle|ils|elles) ne (?:souhaite|veut|desire)\w* plus (?:rien )?recevoir"
    # a removal asked from our lists in any words: an ask, a removal verb, a list ("merci de retirer
    # cette adresse de toutes vos listes", "de supprimer mes coordonnees de vos fichiers"), or an ask
    # that we stop writing; a third person's wish ("mon mari ne souhaite plus recevoir") but never the
    # "vous" of a footer ("si vous ne souhaitez plus recevoir")
    r"|" + _ASK + r"[^\n]{0,40}?\b(?:retir|supprim|enlev|ray|radi|eff?ac|desinscri|desabonn)\w*[^\n]{0,80}?"
    r"\b(?:de|des|du) (?:[a-z']+ ){0,2}(?:listes?|fichiers?|envois|diffusions?|mailings?|bases? de donnees"
    r"|bulletins?|newsletters?|infolettres?|alertes?)\b"     # "pourriez-vous désinscrire mon mari du bulletin"
    r"|" + _ASK + r"[^\n]{0,20}?\bne plus (?:[a-z']+ ){0,2}?(?:m'|nous )(?:adresser|envoyer|ecrire)\b"
    r"|(?<!vous )\bne (?:souhaite|veut|desire)(?:s|nt)? plus (?:rien )?recevoir"
    r"|(?<!vous )(?<!si vous )\b(?:souhaite|veut|desire|voudrait|prefere)(?:rait|nt)? ne plus (?:rien |aucun \w+ )?recevoir"
    r"|(?:" + _ASK + r"|je prefere|je prefererais|j'aimerais mieux)\s+(?:[a-z']+\s+){0,2}?ne plus (?:rien )?recevoir\b",
    re.M)   # "je souhaiterais ne plus recevoir le"
# "Je ne veux pas me désabonner": a refusal, read by the unsubscribe reader and by confidence.py
REFUSED = re.compile(r"\b(?:ne|n')\s*(?:[a-z']+\s+){0,2}(?:pas|surtout pas|nullement)\s+(?:[a-z']+\s+){0,3}"
                     r"(?:me desinscrire|me desabonner|etre (?:retiree?|desinscrite?|desabonnee?)|quitter)")
# The writer keeps our other mailings: "gardez-moi pour les actions urgentes", "je continuerai à signer"
_KEEP = re.compile(r"\b(?:continuer a recevoir|je reste|je garde|les autres envois|seulement|uniquement"
                   r"|mais (?:pas|plus) (?:le|la|les)|cette liste-la|gardez-moi|garde[rz] (?:mon adresse )?pour"
                   r"|je continuerai|je continue a (?:recevoir|signer|lire|repondre)|je lis toujours vos)\b")
_LISTS = (r"(?:bulletins?|newsletters?|lettres?|alertes?|appels?|rappels?|mails?|e-?mails?|messages?|courriels?|envois?"
          r"|informations?|infos?|sollicitations?|invitations?)\b")
# Every list: "de toutes vos listes", "plus rien", "aucun mail", "ni le bulletin ni les alertes"; not a
# word that happens to be there ("tous les quatre mois", "le bulletin de votre part", "définitivement")
_SCOPE_ALL = re.compile(r"\b(?:tou(?:te)?s|toute|tout) (?:[a-z']+ ){0,2}?(?:listes?|envois?|mails?|e-?mails?|messages?|courriels?"
                        r"|communications?|informations?|fichiers?|diffusions?|sollicitations?|correspondances?"
                        r"|publications?|infos?)\b|\b(?:plus|ne|n') rien\b|\brien (?:recevoir|de (?:votre|vos))\b"
                        r"|\baucune? (?:[a-z']+ )?(?:mails?|e-?mails?|messages?|envois?|courriels?|communications?"
                        r"|informations?|sollicitations?|nouvelles?|infos?)\b|\bl'ensemble\b|\b(?:de|a) tout\b"
                        r"|\btoute communication\b|\bvos fichiers\b|\btout (?:court|arreter|envoi|courrier)\b"
                        r"|\bplus jamais\b|\bd'aucune?\b"
                        # both lists: "de la liste des alertes et de celle du bulletin", "du bulletin et des alertes"
                        r"|\balertes?\b[^.;]{0,30}?\bet (?:de celle |de la liste |des? |les? |la |aussi )?(?:du |le )?bulletins?\b"
                        r"|\bbulletins?\b[^.;]{0,30}?\bet (?:de celle |de la liste |aussi )?(?:des |les |aux )alertes?\b"
                        # "ne souhaite plus recevoir le bulletin papier ni les mails": the mails too
                        r"|\bni (?:les |vos |aucun )?(?:mails?|e-?mails?|alertes?|courriels?|messages?|appels?)\b"
                        r"|\bni (?:le |la |les |l'|vos |votre |aux? )?" + _LISTS + r" ni (?:le |la |les |l'|vos |votre |aux? )?"
                        + _LISTS)       # "ni le bulletin ni les alertes", not "ni par courrier ni par mail"
_LIST_WORD = re.compile(r"\b" + _LISTS)
_CHANNEL = re.compile(r"\b(?:par|en|sur) (?:e-?)?(?:mails?|courriels?|messagerie|internet)\b")   # how, not what
_BULLETIN = re.compile(r"\b(?:bulletins?|newsletters?|lettres? d'info(?:rmation)?s?|lettre mensuelle|infolettres?)\b")


def sentences_and_lines(text: str, ends: str = ".!?;") -> list[str]:
    """The lines ("STOP" alone on one) and the sentences whose lines a mail client wrapped ("merci de
    retirer\nX de vos listes", "je souhaiterais être ajouté à la\nliste du dossier"), each once."""
    end = "[" + re.escape(ends) + "]"
    return list(dict.fromkeys([*re.split(rf"(?<={end})\s+|\n", text),
                               *(re.sub(r"\s*\n\s*", " ", s) for s in re.split(rf"(?<={end})\s+|\n\s*\n", text))]))


# A publication named by its title, with the capital a title has: "je ne souhaite plus recevoir la
# Lettre", "votre Lettre n°19"; not a letter one writes ("la lettre aux autorités", "Lettre ouverte")
_TITLED = re.compile(r"\b(?:la|La|votre|Votre|cette|Cette|vos|notre) Lettres?\b"
                     r"(?! (?:aux?|à|de soutien|ouvertes?|de (?:protestation|plainte|motivation|relance)))")
# The unsubscribe's object is a pronoun ("merci de ne plus me l'envoyer", "ne plus la recevoir"): it
# stands for what the writer named before, or the subject did
_PRONOUN_OBJECT = re.compile(r"\b(?:me |nous )?(?:l'|le |la |les )(?:envoyer|recevoir|adresser|expedier)\b")


def names_the_bulletin(folded: str, raw: str = "") -> bool:
    return bool(_BULLETIN.search(folded) or (raw and _TITLED.search(raw)))


def _scope(text: str, raw: str = "") -> str:
    if _SCOPE_ALL.search(text):
        return "all"
    return "bulletin" if names_the_bulletin(text, raw) else "all"


# A sentence asking us something besides the unsubscribe: a question, or an ask to send, tell, change
# ("je n'ai pas reçu mon reçu fiscal, pourriez-vous me l'envoyer ?"); not about the unsubscribe itself
_OTHER_ASK = re.compile(r"\?|\b(?:pourriez-vous|pouvez-vous|pourrais-tu|peux-tu|auriez-vous|est-il possible"
                        r"|serait-il possible|merci de (?:me |nous )?(?:faire parvenir|envoyer|transmettre|indiquer"
                        r"|dire|rappeler|recontacter|mettre a jour|corriger|changer|modifier)|je n'ai (?:pas|jamais) recu"
                        r"|j'aimerais savoir|je voudrais savoir|par ailleurs"
                        r"|merci de (?:bien )?noter|(?:ma|notre) nouvelle adresse|changement d'adresse)\b")
_ABOUT_IT = re.compile(r"\bconfirm\w*|\bpris en compte|\bc'est fait|\bbien note|\bdesinscri|\bdesabonn|\bretir"
                       r"|\barret\w* (?:l'envoi|les envois|d'envoyer|de m'envoyer)|\bcess\w* (?:l'envoi|d'envoyer|de m'envoyer)"
                       r"|\bsupprim|\bne plus|\bstop\b")


# An outsider's proposal to us, which a person answers: "si vos groupes locaux sont intéressés, les
# inscriptions se font par retour de mail", "contactez-nous"
_PROPOSAL = re.compile(r"\bsi (?:vous (?:etes|souhaitez|voulez) (?:interesse\w*|participer|venir|tenir|vous inscrire)"
                       r"|vos \w+(?: \w+)? (?:sont|souhaitent|veulent))\b"      # not "si vous voulez, je vous envoie"
                       r"|\binscriptions? (?:se font|par retour|avant le|aupres)|\bcontactez-(?:nous|moi)\b"
                       r"|\bn'hesitez pas a (?:nous|me) (?:contacter|ecrire|repondre)\b"
                       r"|\bnous serions (?:heureu\w*|ravi\w*) que\b"
                       r"|\b(?:sera|seront|serait|est|sont|mettons) a (?:votre|vos) disposition\b"   # not "je reste à"
                       r"|\b(?:sont|etes) invitee?s? a\b|\ba le plaisir de vous (?:convier|inviter)\b")
# A question about a receipt for a gift, or a correction to what we published: told deeds are its
# background ("j'ai fait un don de 120 euros le 15 décembre... je n'ai pas reçu de reçu fiscal"; "dans le
# bulletin, il est écrit que le groupe 88 a recueilli 1 200 signatures ; le bon chiffre est 1 020")
RECEIPT_ASKED = re.compile(r"\b(?:recus? fiscal|recus? fiscaux|attestations? (?:de (?:versement|don)|fiscale)"
                           r"|justificatifs? (?:de (?:versement|don)|fiscal))\b")
_ERRATUM = re.compile(r"\berreurs? dans (?:le|votre|l'|cet|ce) (?:dernier )?(?:bulletin|encadre|numero|article)\b")
_CORRECTS = re.compile(r"\b(?:petite rectification|il est ecrit que|vous (?:attribuez|avez attribue) (?:au|a)|le bon chiffre)\b")
_PUBLICATION = re.compile(r"\b(?:bulletin|numero|encadre|lettre d'information)\b")


def corrects_us(own_folded: str) -> bool:
    """A correction to what we published (not a member quoting an alert: the bulletin is named)."""
    return bool(_ERRATUM.search(own_folded) or (_CORRECTS.search(own_folded) and _PUBLICATION.search(own_folded)))


def asks_us(own_folded: str) -> bool:
    """Whether the writer's own words ask us something (a question, an ask to send or tell, a proposal)."""
    return any((_OTHER_ASK.search(s) or _PROPOSAL.search(s)) and len(s.split()) >= 3
               for s in re.split(r"(?<=[.!?;])\s+|\n\s*\n", own_folded))


def other_asks(own_folded: str) -> tuple[str, ...]:
    """The sentences of the writer's own text that ask us something else than to stop: a person must
    answer them even when the unsubscribe is applied at once."""
    sentences = (re.sub(r"\s*\n\s*", " ", s) for s in re.split(r"(?<=[.!?;])\s+|\n\s*\n", own_folded))
    return tuple(dict.fromkeys(s.strip() for s in sentences     # whole sentences, not a wrapped line's half
                               if _OTHER_ASK.search(s) and not _ABOUT_IT.search(s) and len(s.split()) >= 3))


def read_unsubscribe(mail: Mail, team_address: str = "",
                     token_scope: Callable[[str], str | None] | None = None) -> Unsubscribe | None:
    """'STOP', 'merci de me retirer de la liste', a mail to team+u-TOKEN@... -> scope all | bulletin;
    a mail to team+k-TOKEN@... (keep all but the bulletin) -> scope bulletin, via "keep"."""
    own = mail.own_folded
    kept = sub_address_token(mail.parsed, team_address, KEEP) if team_address else None
    if kept:
        return Unsubscribe("bulletin", "keep", kept, other_asks(own))
    sentences = [s for s in sentences_and_lines(own, ".!?:;") if _UNSUB.search(s.strip()) and not REFUSED.search(s)]
    subject = fold(mail.parsed.subject or "").strip()
    by_subject = _UNSUB_SUBJECT.match(subject) is not None
    raw = f"{mail.parsed.subject or ''}\n{mail.body.own}"
    asked = " ".join(sentences)
    text_scope = _scope(" ".join(sentences + ([subject] if by_subject else [])),
                        "\n".join(s for s in sentences_and_lines(raw, ".!?:;") if _UNSUB.search(fold(s).strip())))
    if text_scope == "all" and not _SCOPE_ALL.search(asked) and names_the_bulletin(f"{subject} {own}", raw) \
            and (_KEEP.search(own) or (_PRONOUN_OBJECT.search(asked) and not _LIST_WORD.search(_CHANNEL.sub("", asked)))):
        # "merci de me retirer de cette liste-la seulement", "ne plus me l'envoyer" under a bulletin subject
        text_scope = "bulletin"
    token = sub_address_token(mail.parsed, team_address, "u") if team_address else None
    if token:
        scope = token_scope(token) if token_scope else None
        return Unsubscribe(scope if scope in ("all", "bulletin") else text_scope, "token", token, other_asks(own))
    if sentences:
        return Unsubscribe(text_scope, "text", asks=other_asks(own))
    if by_subject and len(own.strip()) < 400:
        return Unsubscribe(text_scope, "subject", asks=other_asks(own))
    return None


_YES = re.compile(r"^\W*(?:oui|yes|ok|okay|d'accord|je confirme|confirme|c'est confirme|bien sur|volontiers)\b"
                  r"|\bje (?:vous )?confirme\b")
_NO = re.compile(r"^\W*non\b|\bpas moi\b|\bn'ai (?:jamais|pas) demande|\bje ne (?:confirme|souhaite) pas\b"
                 r"|\berreur\b|\bne suis pas (?:a l'origine|inscrit)")


def read_confirm(mail: Mail, team_address: str = "", known_token: Callable[[str], bool] | None = None,
                 sent_request: Callable[[str], bool] | None = None,
                 subjects: Iterable[str] = ()) -> Confirm | None:
    """A reply confirming a sign-up: to team+c-TOKEN@..., in the thread of a confirmation request we
    sent, or 'oui, je confirme' under its subject. Whether it activates anyone is decided later."""
    own = mail.own_folded.strip()
    refused = _NO.search(own[:300]) is not None
    token = sub_address_token(mail.parsed, team_address, "c") if team_address else None
    if token and not refused:
        return Confirm("token", token, bool(known_token and known_token(token)))
    if refused:
        return None
    if sent_request and any(sent_request(mid) for mid in mail.parsed.in_reply_to):
        return Confirm("thread", None, True)
    subject = fold(mail.parsed.subject or "")
    if any(fold(s) in subject for s in subjects if s) and _YES.search(own[:300]):
        return Confirm("reply")
    return None


_SIGNUP = re.compile(
    r"\b(?:(?:proposer|je propose|nous proposons|je vous propose|vous proposer) (?:mon|notre|de l') ?aide"
    r"|offrir (?:mon|notre) aide|(?:me|nous) port\w* volontaires?"
    r"|(?<!en attendant de )rejoindre (?:l'|le |la |les |un |une |votre |vos |notre )?(?:equipe|benevoles|structures? qui|reseau|action"
    r"|antenne|groupe|cercle|association|mouvement)|devenir benevoles?|(?:m'|nous )investir (?:dans|aupres|pour|a vos)"
    r"|(?:m'|nous |s')engager (?:(?:plus|davantage|activement|aussi|egalement|moi-meme|personnellement) )*"
    r"(?:sur|pour|aupres de|dans|a suivre|comme) (?:un |le |ce |les |des |votre |vos |son "
    r"|l')?(?:nouveau |autre |second |deuxieme |troisieme )?(?:dossiers?|equipe|benevol\w*|cause)"
    r"|suivre (?:aussi |egalement |en plus )?(?:un|le|ce|son) (?:nouveau |autre |second |deuxieme )?dossier"
    r"|m'inscrire (?:a|sur) (?:votre|vos|la|les) (?:listes?|mailing|diffusion)|(?:m'|nous )inscrire comme benevoles?|prendre en charge (?:un|le|ce) (?:nouveau |autre |second |deuxieme |troisieme )?dossier"
    # back on the lists ("pourriez-vous me réinscrire au bulletin et aux alertes ?"); a structure that
    # takes one more dossier ("le groupe a décidé de prendre un troisième dossier", "nous ajouter à la
    # liste des groupes qui le suivent")
    r"|(?:me|nous) reinscrire|(?:m'|nous )inscrire (?:a nouveau|de nouveau)|(?:me|nous) remettre (?:sur|dans) (?:la|vos|votre|les) listes?"
    r"|prendre (?:un|ce|le) (?:nouveau |autre |second |deuxieme |troisieme |quatrieme )?dossier"
    r"|nous ajouter a la liste des (?:groupes|structures)"
    r"|(?:etre rattache\w*|me rattacher|nous rattacher) (?:a|au|aux) (?:un |une |le |la |l'|ce |cette |votre )?"
    r"(?:nouveau |autre )?(?:dossiers?|groupe|cercle|antenne|equipe)"
    r"|(?:inscrivez|notez|mettez|comptez)-(?:moi|nous) (?:pour|sur|au|a la|a l'|aux|comme|dans)\b"   # a slot of a call
    r"|me mettre a (?:votre )?disposition|donner (?:un coup de main|de mon temps)|aider (?:\W+ |plus |davantage |un peu )?sur (?:un|son|le|ce) dossier"
    r"|(?:je|nous) (?:souhaite|voudrais|aimerais|souhaiterais|souhaitons|voudrions|aimerions) (?:vous )?aider\b)")
# "Monsieur le Député ... il ne manquera pas de suivre ce dossier": an office's promise, no sign-up.
# A third person's sign-up is told as their wish ("elle souhaite suivre le dossier", on their
# behalf); a third person's phrase with no first person and no wish is not the writer's intent.
_THIRD_PERSON = re.compile(r"\b(?:il|elle|ils|elles|celui-ci|celle-ci)\b")
_FIRST_PERSON = re.compile(r"\b(?:je|j'|nous|me|m'|moi|mon|ma|mes|notre|nos)\b")
_WISH = re.compile(r"\b(?:souhait\w*|voudr\w*|veu\w*|aimer\w*|desir\w*|pret\w*|partant\w*|ravie?s?|heureu\w*"
                   r"|envie|interesse\w*)\b")


# "et deux personnes ont demandé à rejoindre le groupe": a clause whose subject is others
_OTHERS_WISH = re.compile(r"\b(?:ont|sont|veulent|souhaitent|voudraient|aimeraient|desirent|veut|voudrait|aimerait"
                          r"|souhaiterait)\b|\b(?:ont|a) (?:demande|exprime|manifeste)\b")
# "le groupe 175 souhaiterait s'engager": the writer's structure speaking
_STRUCTURE_SUBJECT = re.compile(r"\b(?:groupe|cercle|antenne|section|equipe|structure)\b")
_CLAUSE_BREAK = re.compile(r"[,;:]|\b(?:et|mais|puis)\b")


def _writers_own(text: str, at: int) -> bool:
    """Whether the sign-up words at `at` are the writer's wish, not someone else's they tell of."""
    start = max(text.rfind(".", 0, at), text.rfind("!", 0, at), text.rfind("?", 0, at), text.rfind("\n", 0, at)) + 1
    before = text[start:at]
    clause = _CLAUSE_BREAK.split(before)[-1]
    if _OTHERS_WISH.search(clause) and not _FIRST_PERSON.search(clause) and not _STRUCTURE_SUBJECT.search(clause):
        return False
    return not _THIRD_PERSON.search(before) or bool(_FIRST_PERSON.search(before) or _WISH.search(before))


def group_mentions(directory: Directory, mail: Mail, signup: bool = False) -> list[str]:
    """The groups the text names as acting (a partner's or a contact's group is left out)."""
    index = index_for(directory)
    if signup:
        return index.group_mentions(to_digits(fold(f"{mail.parsed.subject}\n{mail.body.own}")), _NOT_MEMBER)
    return index.group_mentions(mail.all_folded, _PARTNER)


_NOT_MEMBER = re.compile(r"(?:\bpas|\bplus|\baucun|\bni|\bpres de|\bcontacter|\bavec|\bpour)\s+(?:\w+\s+){0,2}$")
# A structure named as the one to join, to be put in touch with, or whose members (volunteers) they met: not theirs
# "je viens de rejoindre l'antenne": joined already (venir de + infinitive is a recent past), theirs
_TO_JOIN = re.compile(r"(?:(?<!\bviens de )(?<!\bvient de )(?<!\bvenons de )\brejoindre"
                      r"|(?<!\bviens d')(?<!\bvient d')(?<!\bvenons d')\bintegrer|\badherer|\bm'inscrire|\bparticiper|\bcoordonnees|\bcontact"
                      r"|\bresponsable|\bmembres|\bbenevoles|\bmilitant\w*|\bpres de|\bexiste|\by a-t-il|\bun|\bquel"
                      r"|\bparle|\bparler)\s+(?:\w+\s+){0,3}(?:l')?$"     # "un pote m'a parlé de l'antenne de X"
                      r"|" + _NOT_MEMBER.pattern)
NOT_A_MEMBER = re.compile(r"\bn'en (?:fais|suis) pas\b|\bne (?:fais|suis) pas (?:encore )?(?:partie|membre)"
                          r"|\bpas (?:encore )?membre|\bfais pas (?:encore )?partie")
# "je n'appartiens à aucun groupe", "je ne fais partie d'aucune structure": no group is theirs, and
# one is to join only if they say so ("mais j'aimerais rejoindre celui de Saumur")
NO_GROUP = re.compile(r"\b(?:n'appartiens?|ne (?:fais|suis|milite)\w*|ne participe|pas inscrite?)\b[^.!?\n]{0,30}?"
                      r"\b(?:a |dans |d')?aucune? (?:groupe|structure|cercle|antenne|section)s?\b")
_PARTNER = re.compile(r"\b(?:avec|aupres de|et)\s+(?:le |la |les |l')?$"
                      # "en attendant de rejoindre le groupe de La Rochelle, j'ai écrit...": not the reporter's yet
                      r"|\b(?:rejoindre|integrer)\s+(?:le |la |les |l'|un |une )?$")
_ORG_WORD = re.compile(r"^(?:le |la |les |l')?(?:groupe|cercle|antenne|equipe|section|association|collectif"
                       r"|comite|bureau|service|secretariat|redaction)\b")


def signature_name(mail: Mail) -> str | None:
    """The person's name in the signature ('Léa Moreau', 'Chloé, pour l'antenne...' -> 'Chloé')."""
    for line in mail.signature:
        candidate = re.split(r"\s*(?:,|\(|\s[-–—]\s|\spour\s|\s/\s)", line, maxsplit=1)[0].strip()
        candidate = TITLES.sub("", candidate).strip()
        if candidate and looks_like_name(candidate) and not _ORG_WORD.match(fold(candidate)):
            return candidate
    return None


def person_name(mail: Mail) -> str | None:
    """From the signature, or from the display name when the signature gives only a first name."""
    signed = signature_name(mail)
    display = TITLES.sub("", (mail.parsed.sender_name or "").strip().strip('"')).strip()
    display_ok = bool(display) and looks_like_name(display) and not _ORG_WORD.match(fold(display))
    if signed and len(signed.split()) >= 2:
        return signed
    if display_ok and len(display.split()) >= 2:
        return display
    return signed or (display if display_ok else None)


def _ignored_people(index: DirectoryIndex, mail: Mail) -> set[tuple[str, str]]:
    """Name pairs that are not the dossier's person: our members, the sender, the signer."""
    pairs = set(index.person_pairs)
    DirectoryIndex.add_person(mail.parsed.sender_name, pairs)
    for line in mail.signature:
        if len(line.split()) <= 6:      # a name, a role; not a whole sentence taken for the signature
            DirectoryIndex.add_person(line, pairs)
    return pairs


# Someone offering to help, in whatever words: a first-person wish, offer or availability, and
# something to contribute or to receive, in one sentence ("j'aimerais bosser sur le dossier",
# "si vous avez besoin de traductions, je suis disponible", "comptez sur moi pour les stands").
_OFFER = re.compile(    # "jvoudrais", "jpeux": a phone's "je" written with no apostrophe
    r"\b(?:(?:je|j'|j(?=voudr|aimer|souhait|veu|peu|pourr|suis)|nous)\s*(?:[a-z']+\s+){0,2}?(?:aimerai[st]?|aimerions|voudrai[st]?|voudrions|souhaite\w*"
    r"|desire\w*|veux|voulons|serai[st]? (?:heureu\w*|ravie?s?|contente?s?|prete?s?)|suis (?:prete?|partante?"
    r"|dispo\w*|volontaire|motivee?|pret a)|sommes (?:prete?s|partante?s|dispo\w*)|me propose|nous proposons"
    r"|propose|peux|pouvons|pourrai[st]?|cherche a|tiens a)"
    r"|je me porte|me porter volontaire|comptez sur (?:moi|nous)|compter sur (?:moi|nous)|je suis dispo\w*"
    r"|pourrais-je|puis-je|pourrions-nous|pouvons-nous|est-ce que je (?:peux|pourrais)"
    r"|(?:est-(?:ce|il)|serait-(?:ce|il)) possible de (?:m'|me |nous )"     # "serait-il possible de m'ajouter"
    r"|\bchaude?s? (?:pour|de)\b"              # "donc chaud pour aider !": up for it
    r"|dites-moi (?:comment|ou|quoi)|n'hesitez pas a (?:me|nous) (?:solliciter|recontacter|contacter)"
    r"|pouvez-vous|pourriez-vous|merci de|je vous demande de)")
_CONTRIB = re.compile(
    r"\b(?:aider|participer|contribuer|rejoindre|m'inscrire|nous inscrire|m'engager|nous engager|m'investir"
    r"|m'impliquer|nous impliquer|m'occuper (?:[a-z]+ ){0,3}?(?:du|de|des|d')"
    r"|faire partie|bosser|travailler|donner (?:de|du|un peu)|consacrer|au service|traduire|traductions?"
    r"|rediger|redaction de|relire|preparer|(?:tenir|faire) des stands|pour les stands|ecrire des lettres"
    r"|benevol\w*|volontaire|coup de main|prochaines actions|les actions|aux actions|mes competences"
    r"|(?:pour|sur|a) (?:le|les|un|vos|votre|ce) (?:prochaine?s? )?stands?|tenir (?:la|une|le|un) (?:table|stand)"
    r"|(?:me|nous) rendre utiles?|du temps(?: libre)?\b|devenir (?:membre|adherente?)|adherer"
    r"|(?:ajouter|inscrire|mettre) (?:mon adresse|mon nom|mon courriel|mon e-?mail|moi)\b|etre ajoutee?"
    r"|(?:ajouter|inscrire|mettre) (?:notre|cette|l') ?(?:adresse|courriel|e-?mail)\b(?:[^.!?]|\.(?=\S)){0,80}?"
    r"\b(?:alertes?|bulletins?|listes?|envois|mailings?|diffusion)\b"
    r"|etre inscrite? (?:sur|a|dans) (?:la|les|une|vos|votre) (?:liste|equipe|groupe)"
    r"|recevoir,? (?:[a-z'-]+,? ){0,6}?(?<!par )(?<!en )(?:appels?|infos?|informations?|actions?|alertes?|bulletins?"
    r"|lettres?|newsletters?|nouvelles|mails?|e-?mails?|courriels?|messages?|envois)|(?:etre|rester) tenue? au courant|m'ajouter a|m'abonner|m'inscrire a"
    r"|partante?|ce que vous voulez|je suis disponible|j?suis dispo\w*|aider"
    # a skill offered, not material asked for ("pourriez-vous nous envoyer des affiches")
    r"|(?:faire|creer|dessiner|realiser|concevoir|monter) (?:des |les |vos |vos propres )?(?:affiches|flyers|visuels"
    r"|maquettes|videos?|montages?)|(?:je|j) ?(?:peux|pourrais|sais) en faire|graphisme)\b")


_ALREADY = re.compile(r"\b(?:continuer|continue|toujours|encore|nouvelle adresse|changement d'adresse|au lieu de"
                      r"|ne plus|plus jamais)\b")


# A commitment that needs no object: "Comptez sur moi !", "Partant pour Ahmed !", "Présent pour Gülnar.",
# "Dispo pour Berkan", "pour être ajoutée à la liste des bénévoles"
_COMMIT = re.compile(r"^\W*(?:comptez sur (?:moi|nous)|(?:je suis |moi )?(?:\w+ment |tout a fait |grave )?"
                     r"(?:partante?s?|presente?s?|dispo(?:nible)?s?)"
                     r"(?: pour\b| !|\W*$)|je m'inscris\b|ok pour moi\b)|\bcomptez sur (?:moi|nous)\W*$"
                     r"|\bcette fois,? je me lance\b"       # "Cette fois, je me lance." (then what they can do)
                     r"|\bpour etre ajoutee?s? a (?:la|vos|votre) (?:liste|equipe)"
                     r"|\bdossier\b[^.!?]{0,60}\bm'interesse\b")


def offers_help(folded: str) -> bool:
    """Whether one sentence of the text offers help or asks to receive the mailings (not someone
    already receiving them who asks to go on, or to stop)."""
    return any((_OFFER.search(s) and _CONTRIB.search(s) and not _ALREADY.search(s) and not _ASKS_OTHERS.search(s))
               or _COMMIT.search(s) for s in sentences_and_lines(folded))


# "je souhaiterais qu'un bénévole vienne présenter...": a request for someone else to act, no offer
_ASKS_OTHERS = re.compile(r"\b(?:souhait\w*|voudr\w*|aimer\w*|desir\w*)\s+(?:que|qu')")


_OWN_DEED = re.compile(r"\b(?:j'ai|nous avons|on a|avons)\b")


def tells_own_deeds(trace: Sequence[SegmentReading]) -> bool:
    """Whether a sign-up's text also reports deeds of the writer's, with a figure or a date, in a
    sentence that is not itself the offer ("En attendant de rejoindre le groupe... J'ai écrit le 20
    janvier à la sénatrice"): a report too, for a person to sort out."""
    for read in trace:
        if not any((a.count or 0) > 1 or a.date or a.amount_eur for a in read.actions):
            continue
        text = re.sub(r"\s+", " ", fold(read.segment.text))
        if _OWN_DEED.search(text) and not _SIGNUP.search(text) and not offers_help(text):
            return True
    return False


_DOSSIER_OF = re.compile(r"\bdossier (?:de |du |d'|des |sur |concernant )?(?:la |le |l'|les )?[a-z'-]+")


# "je viens de rejoindre l'antenne jeunes de Blois et je voudrais..., c'est possible ?": theirs all the same
_SAYS_THEIRS = re.compile(BELONGS_CUE + r"(?:groupe|cercle|antenne)\b"
                          r"|\b(?:viens|vient|venons) d(?:e |')(?:rejoindre|integrer|m'inscrire|adherer)")


def sentences_naming(index: DirectoryIndex, folded: str, group: str) -> list[str]:
    """The sentences (or lines) of `folded` that name `group`."""
    return [s for s in re.split(r"(?<=[.!?])\s+|\n", folded) if group in index.group_mentions(s)]


def _asked_only(index: DirectoryIndex, folded: str, group: str) -> bool:
    """Whether the group is named only in questions: one they ask about, to join, not theirs."""
    naming = sentences_naming(index, folded, group)
    return bool(naming) and all(s.rstrip().endswith("?") and not _SAYS_THEIRS.search(s) for s in naming)


def read_signup(mail: Mail, directory: Directory, broad: bool = False) -> Signup | None:
    """Someone volunteers: their name, the structure they say they belong to, a dossier they name.
    `broad`: any offer of help (`offers_help`), for mail no other rule read."""
    own = re.sub(r"\s+", " ", mail.own_folded)
    if not any(_writers_own(own, m.start()) for m in _SIGNUP.finditer(own)) \
            and not (broad and offers_help(mail.own_folded)):
        return None
    index = index_for(directory)
    own = to_digits(fold(f"{mail.parsed.subject}\n{mail.body.own}"))
    groups = Counter(index.group_mentions(own, _NOT_MEMBER))
    named_group = groups.most_common(1)[0][0] if groups else None
    # The corpus's contract: `group` is the structure the mail says they belong to; one they ask to
    # join ("rejoindre l'antenne jeunes de Nancy", "un groupe à Metz ?") is `joins`, where the
    # request is routed; "je ne suis pas encore membre" makes every group named one to join.
    # A subject names the topic ("antenne jeunes grenoble" over "je voudrais rejoindre l'antenne"):
    # only the body says which structure is theirs.
    body = to_digits(fold(mail.body.own))
    theirs = Counter(index.group_mentions(body, _TO_JOIN)) if not NOT_A_MEMBER.search(own) else Counter()
    if NO_GROUP.search(own):
        to_join = groups - Counter(index.group_mentions(own, _TO_JOIN))
        theirs, named_group = Counter(), (to_join.most_common(1)[0][0] if to_join else None)
    group = theirs.most_common(1)[0][0] if theirs else None
    sender = mail.parsed.sender.lower()
    known = index.member_group.get(sender)
    if group is None and named_group and known == named_group:
        group = named_group                  # a known member of the group they name
    if group and known != group and _asked_only(index, body, group):
        group, named_group = None, group     # "est-ce que le groupe 88 accueille de nouveaux membres ?"
    if group is None and sender in index.group_by_email:
        group = index.group_by_email[sender]    # the structure's own address signs it up
    refs = [r for r in index.refs_in(own) if not any(d.ref == r and d.closed for d in index.dossiers)]
    scores = index.person_scores(f"{mail.parsed.subject}\n{mail.body.own}", _ignored_people(index, mail))
    dossier = refs[0] if refs else index.choose_dossier(scores, set(), group or named_group, allow_closed=False)
    closed = {d.ref for d in index.dossiers if d.closed}    # "maintenant que le dossier de X est clos"
    named = tuple(ref for ref, score in scores.items() if score >= 0.8 and ref not in closed)
    held = {d.ref for d in index.dossiers if (group or named_group) in d.groups}
    if not refs and len(named) > 1 and len(set(named) - held) == 1 and held & set(named):
        # "un deuxième dossier, en plus de celui de X": a structure asks for the one it does not hold yet
        dossier = next(iter(set(named) - held))
        named = (dossier,)
    if dossier is None and not refs and (group or named_group):    # "aider + pour zulhumar"
        dossier = _lowercase_person(index, own, group or named_group)
    by_country = False
    if dossier is None and not refs:
        # "m'investir sur le dossier de Bahreïn": a wish for a country's case, not yet for one dossier (the
        # labelling rule: null when only a country is named); its one dossier there is named for the person
        countries = {c for m in _DOSSIER_OF.finditer(own) for c in find_countries(m.group(0), index.extra_countries)}
        there = index.dossier_by_country(countries, None) if len(countries) == 1 else None
        by_country = there is not None
        named = (*named, there) if there and there not in named else named
    return Signup(person_name(mail), group, dossier, by_country, named, None if group else named_group)


# The writer acts on their own, not for their structure ("à titre personnel (pas au nom du cercle)", "ne pas
# attendre que le groupe se réunisse pour agir de mon côté"): their report's group is none
ON_OWN_BEHALF = re.compile(r"\b(?:a titre (?:personnel|perso|individuel|prive)|en mon (?:nom propre|nom personnel)"
                           r"|pas au nom (?:du|de (?:mon|notre|la|l')|de l')|hors (?:du )?groupe|agir de mon cote"
                           r"|(?:j'ai|je suis) (?:agi|intervenue?) (?:seule?|de mon cote|individuellement))")


def _report_group(index: DirectoryIndex, mail: Mail) -> str | None:
    """The structure that did the actions: a forward's author, the group's own address, the text,
    the sender's membership, a lone city - in that order."""
    sender = mail.parsed.sender.lower()
    author = mail.body.author
    if author:
        code = index.group_by_email.get(author) or index.member_group.get(author)
        if code:
            return code
    if not author and sender in index.group_by_email:
        return index.group_by_email[sender]
    if not author and ON_OWN_BEHALF.search(mail.own_folded):
        return None          # "à titre personnel, j'ai fait circuler la pétition": a member's own deeds
    if mail.body.forwarded and not find_actions(segments(mail.body.own, mail.parsed.date))[0]:
        # "Les jeunes de l'antenne m'ont demandé de vous transmettre leur compte rendu... Bertrand, groupe 61":
        # the structure the forwarded report names did it, not the forwarder's (who tells no deed of their own)
        told = Counter(index.group_mentions(to_digits(fold(mail.body.forwarded)), _PARTNER)).most_common()
        if told and (len(told) == 1 or told[0][1] > told[1][1]):
            return told[0][0]
    # not a structure whose own news the writer passes on ("le groupe de Rouen nous dit avoir fait un stand")
    ours = " ".join(s for s in re.split(r"(?<=[.!?\n])\s+", mail.all_folded) if not THEIR_NEWS.search(s))
    mentions = Counter(index.group_mentions(ours, _PARTNER))
    if mentions:
        top = mentions.most_common()
        own = index.member_group.get(sender)
        tied = [code for code, n in top if n == top[0][1]]
        return own if own in tied else tied[-1] if len(tied) > 1 else tied[0]
    if index.member_group.get(sender):
        return index.member_group[sender]
    cities = index.city_groups(fold(mail.parsed.subject or "") + "\n" + "\n".join(fold(s) for s in mail.signature))
    return cities[0] if len(cities) == 1 else None


def read_report(mail: Mail, directory: Directory, trace: list[SegmentReading] | None = None,
                given: Sequence[Action] = ()) -> tuple[Report | None, bool]:
    """An action report: (Report or None, whether only planned actions were seen). `trace`
    receives what each segment gave (for the confidence checks). `given`: actions read elsewhere
    (a filled block), first in the report, whose group and dossier the text tells."""
    index = index_for(directory)
    tokens = {t for d in index.dossiers for t in d.tokens}
    trace = [] if trace is None else trace
    actions, planned_only = find_actions(mail.own_segments(index), tokens, trace)
    actions = [*given, *actions]
    if not actions:
        return None, planned_only
    group = _report_group(index, mail)
    folded = mail.all_folded
    countries = find_countries(folded, index.extra_countries)
    refs = Counter(index.refs_in(folded))
    scores = index.person_scores(f"{mail.parsed.subject}\n{mail.body.text}", _ignored_people(index, mail))
    if refs:
        dossier: str | None = refs.most_common(1)[0][0]
    else:
        dossier = index.choose_dossier(scores, countries, group, allow_closed=True)
        if dossier is None and countries:
            dossier = index.dossier_by_country(countries, group)
        if dossier is None and group:
            dossier = _lowercase_person(index, folded, group)
    ignored = _ignored_people(index, mail)
    named = _named(index, folded, scores, countries, group)
    # The dossier the deeds are told about: the subject, the sentences that gave actions and their
    # lists' intros. One there wins over a dossier named in an aside ("Pour X, nous commencerons en avril").
    # (A ref named anywhere decides on its own: no second look then.)
    if not refs:
        told = [mail.parsed.subject or ""] + [t for p in trace if p.actions for t in (p.segment.text, p.segment.intro)]
        told_text = "\n".join(told)
        told_folded = fold(told_text)
        near = _named(index, told_folded, index.person_scores(told_text, ignored),
                      find_countries(told_folded, index.extra_countries), group)
        if len(near) == 1:
            dossier, named = next(iter(near)), near
    return Report(group, dossier, tuple(actions), tuple(sorted(named))), False


def _lowercase_person(index: DirectoryIndex, folded: str, group: str) -> str | None:
    """The one dossier of the group whose person a writer in lower case names ("pr rosario"):
    a word that is also a common noun ("victoire") can name only a dossier the group holds."""
    words = set(re.findall(r"[a-z][a-z-]{3,}", folded))
    hits = {d.ref for d in index.dossiers if group in d.groups and not d.closed and words & set(d.tokens)}
    return hits.pop() if len(hits) == 1 else None


def _named(index: DirectoryIndex, folded: str, scores: dict[str, float], countries: set[str],
           group: str | None) -> set[str]:
    """Every dossier a text points at: by ref, by its person's name read well, by its country."""
    named = {*index.refs_in(folded), *(ref for ref, score in scores.items() if score >= NAMED_SCORE)}
    named.update(filter(None, (index.dossier_by_country({c}, group) or index.dossier_by_country({c}, None)
                               for c in countries)))
    return named


NAMED_SCORE = 0.9     # a person's name read this well names their dossier (choose_dossier takes 0.8)
