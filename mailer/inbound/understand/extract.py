"""French sign-ups and action reports -> facts.   [pure]

Nothing here knows a group, a dossier or a person by name: every name, city, number and country
comes from the `Directory` passed in, so the same rules read mail about structures and people they
have never seen. The pieces, in the order a message meets them:

- `segments.Mail`: the text once (own words without quoted replies, plus a forwarded message's body),
  cut into segments (sentences and list items) that carry their own dates and done-ness.
- `actions.find_actions`: typed actions with count, amount and date; planned or hypothetical ones are left out.
- `lookup.DirectoryIndex`: groups by number / city / name, dossiers by ref / person (fuzzy) / country.
- here, the readers of sign-ups and reports: `read_signup`, `read_report`; unsubscribes and
  confirmations are read in `unsubscribe.py`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ...models import Directory
from .actions import Action, ActionType, SegmentReading, find_actions
from .action_words import THEIR_NEWS
from .countries import find_countries
from .french import TITLES, fold, looks_like_name, sentences_and_lines, to_digits
from .lookup import BELONGS_CUE, REF, DirectoryIndex, index_for
from .segments import MAX_CHARS, Body, Mail, Segment, segments, signature_lines, split_body, strip_reply

__all__ = ["MAX_CHARS", "REF", "Action", "ActionType", "Body", "DirectoryIndex", "Mail", "Report", "Segment",
           "Signup", "find_actions", "index_for", "offers_help", "person_name", "read_report", "read_signup",
           "segments", "sentences_naming", "signature_lines", "signature_name", "split_body", "strip_reply"]


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
