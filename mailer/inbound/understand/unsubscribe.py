"""French unsubscribes and confirmations -> facts, and what else a mail asks of us.   [pure]

`read_unsubscribe` reads a scope (all | bulletin) from a token, the subject or the text;
`read_confirm` a reply to a confirmation request. `other_asks`, `asks_us` and `corrects_us` find
the requests a person must answer even when the rest of the mail is applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ...tokens import KEEP, sub_address_token
from .french import fold, sentences_and_lines
from .segments import Mail


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
    kept = sub_address_token(mail.parsed.to, team_address, KEEP) if team_address else None
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
    token = sub_address_token(mail.parsed.to, team_address, "u") if team_address else None
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
    token = sub_address_token(mail.parsed.to, team_address, "c") if team_address else None
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
