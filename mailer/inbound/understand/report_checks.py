"""The checks of a report reading, each a reason a careful reader would hesitate.   [pure]

A report is applied only when none fires (`confidence.assess`); the rest goes to triage with the
checks named (`triage show`). Whose a report is (several dossiers or groups named, the sender's
group contradicted, a writer acting on their own) is `confidence.attribution_checks`, which
sign-ups share.

- unused_number: a number next to an action noun, or any number of a sentence that gave actions,
  that no action took as its count or amount ("12 lettres" when no letters were read, "Lettres :
  35", "150... 152 exactement"), or more events in one sentence than a group holds (a subtotal):
  an action was lost or miscounted;
- undetermined: a sentence with action words that gave no action, done or planned (no verb, a
  result line, a phrasing the rules do not know), a list item with a count or an action noun that
  gave nothing, two first-person deeds that gave one, a negated item, an action left undone for
  want of any marker, a letter noun inside a name ("la fac de lettres"), or a hedge ("je crois",
  "sauf erreur");
- duplicate: two actions of one type on one date, or one payment read twice;
- fund_without_amount: money for the fund with no amount read;
- third_party: someone else (a mayor, a senator, a partner) is the subject of an action verb in a
  sentence that gave an action: it may be theirs, not the group's;
- no_dossier: a report no dossier could be given to;
- joint_action: another of our groups is named as a partner ("avec le groupe 126 de Dijon"): the
  figures may be both groups', a coordinator shares them out;
- letter_addressee: letters "pour" the dossier's person with no addressee ("45 lettres pour Hossam"):
  support letters or letters to the authorities on the person's behalf;
- third_party also fires on "votre groupe" beside an action (a group the writer is not in), and
  when the dossier's person is the subject of "a reçu" ("Jean-Bosco a reçu 300 cartes": the cards
  may be other groups');
- no_group: a report no group was given to, from an address we do not know as a member (a membre
  individuel, known with no group, reports for themselves and is not doubted);
- addressee: a letter read as written to the authorities in a sentence naming a French elected
  official (that is advocacy);
- list_details: a list's intro gave actions and its items carry their own dates ("deux stands :"
  then each stand): one deed counted in the intro and again in the items, or lost between them;
- date_far: an action dated more than `FAR_DAYS` before the mail (a plan whose date rolled back a year),
  or told in a sentence that says it was long ago ("il y a deux ans");
- mixed_intents: the text also reads as another kind (a sign-up inside a report...);
- event_unread: an event is named in a sentence that gave other actions, and no event was read;
- type_unread: likewise for the other types: letters or cards, signatures, an elected official, a
  gift or an amount, a partner or an association, named in a sentence that gave other actions while
  the report holds no action of that type;
- text_cut: the report reader read only the first `segments.MAX_CHARS` characters (classify.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from .action_words import LETTER, MARKER, NEGATED, OTHERS, PETITION, QUESTION_INTRO, RECIPIENT
from .actions import Action, ActionType, SegmentReading
from .confidence import attribution_checks
from .lookup import DirectoryIndex

# ------------------------------------------------------------------------------ the words

# Nouns an action count or amount belongs to (folded): broader than the extractor's own lists on
# purpose, a check only makes the service ask.
ACTION_NOUN = re.compile(
    r"\b(?:lettres?|courriers?|courriels?|mails?|e-?mails?|cartes?(?: postales?)?|messages?|missives?|fax"
    r"|signatures?|signataires?|petitions?|paraphes?|noms"
    r"|deputee?s?|senat\w*|elue?s?|maires?|conseill\w*|parlementaires?|ministres?|prefete?s?|rendez-vous|rdv"
    r"|stands?|evenements?|manifestations?|rassemblements?|conferences?|projections?|concerts?|expositions?"
    r"|marches?|veillees?|ateliers?|reunions? publiques?|tables? rondes?|debats?|articles?|emissions?"
    r"|tracts?|affiches?|eur(?:os?)?|dons?|versements?|cheques?|virements?)\b")
NUMBER = re.compile(r"(?<![\w.,/-])(\d{1,3}(?:[ .]\d{3})+|\d+)(?:,(\d{1,2}))?(?![\w/:-]|[.,]\d)")
ACTION_WORD = re.compile(
    r"\b(?:lettres?|courriers?|cartes?|signatures?|petitions?|signe\w*|ecrit\w*|envoye\w*|expedie\w*"
    r"|rencontr\w*|recu\w*|rendez-vous|stands?|evenements?|manifestations?|rassemblements?|conferences?"
    r"|projections?|concerts?|expositions?|veillees?|collecte\w*|recolte\w*|verse\w*|dons?|fonds|cagnotte"
    r"|partenariat|en partenariat|avec l'association|avec amnesty|ong)\b")
DONE_VERB = re.compile(r"\b(?:ecrit|envoye|expedie|signe|recueilli|collecte|recolte|rencontre|recu|organise|tenu"
                       r"|anime|verse|participe|adresse|remis|depose|poste|obtenu|publie|lance|monte|relaye|diffuse"
                       r"|paru)(?:e?s?)\b")
EVENT_WORD = re.compile(r"\b(?:soirees?|fetes?|forums?|salons?|journees?|tables? d'information|stands?|marches?"
                        r"|ventes?|braderies?|tournois?|quiz|projections?|lectures?|debats?|cine-debats?|concerts?"
                        r"|expositions?|conferences?|rassemblements?|veillees?|interventions?|ateliers?|emissions?"
                        r"|articles?|interviews?)\b")
HEDGE = re.compile(r"\b(?:je crois|je pense|il me semble|peut-etre|sauf erreur|a confirmer|a verifier"
                   r"|normalement|probablement|si je ne me trompe|de memoire|je ne suis pas sur|environ)\b")
THIRD_PARTY = re.compile(
    r"\b(?:le|la|les|l'|notre|votre|son|sa|leur|un|une|m\.|mme|monsieur|madame)\s*"
    r"(?:" + OTHERS + r")\b[^.;:!?]{0,40}?"
    r"\b(?:a|ont|nous a|nous ont|m'a|leur a|vous a|s'est|se sont)\s+(?:[\w']+\s+){0,4}?"
    r"(?:ecrit|envoye|signe|recu|rencontre|organise|collecte|verse|transmis|promis|adresse|relaye|publie"
    r"|interpell|sollicit|contact|relanc|saisi|questionn|intervenu|depose)\w*")
SIGNUP_INTENT = re.compile(r"\b(?:rejoindre|devenir benevole|m'inscrire|m'engager|me porter volontaire"
                           r"|donner (?:un coup de main|de mon temps)|proposer mon aide|comptez sur moi"
                           r"|je suis partante?)\b")
DATE_OR_TIME = re.compile(r"\b\d{1,2}\s*h(?:\s*\d{2})?\b|\b(?:19|20)\d{2}\b|\b\d{5}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
                          r"|\b\d{1,2}(?:er)?\s+(?:janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre"
                          r"|octobre|novembre|decembre)\b")
FORMAL_LETTER = re.compile(r"\b(?:veuillez agreer|nous vous prions d'agreer|je vous prie d'agreer|accuse reception"
                           r"|l'expression de (?:nos|mes|sa|ma|notre) (?:salutations|consideration|sentiments|haute))")
THIRD_PERSON = re.compile(r"\b(?:il|elle|ils|elles)\s+(?:(?:nous|lui|leur|les|l'|m'|y|en)\s*)?"
                          r"(?:a|ont|avait|avaient|est|sont)\b")     # "il nous a écoutées et ... a écrit"
# French elected officials only (action_words.OFFICIAL also counts préfets, who are the authorities'
# in a letter): a letter to them is advocacy
ELECTED = re.compile(r"\b(?:euro-?)?deputee?s?\b|\bsenat(?:eur|rice)s?\b|\bmaires?\b|\belue?s?\b"
                     r"|\bparlementaires?\b")
FAR_DAYS = 180
# "il y a deux ans, quand votre groupe faisait signer la pétition": a deed of long ago, told as memory
LONG_AGO = re.compile(r"\bil y a (?:(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|quelques|plusieurs|\d+) ans"
                      r"|un an|(?:six|sept|huit|neuf|dix|onze|douze|[6-9]|\d\d) mois)\b")
# "votre groupe faisait signer": a group the writer is not in (ours say "notre groupe")
YOUR_GROUP = re.compile(r"\b(?:votre|vos) (?:groupes?|cercles?|antennes?|equipes?|sections?)\b")
MANY_EVENTS = 20        # more events than this in one sentence: a head count or a subtotal, read as events
SUBJECT_PRONOUN = re.compile(r"\b(?:je|j'|nous|on|il|elle|ils|elles|vous|tu)\b")
FORWARD_LINE = re.compile(r"^\W*(?:de|from|date|envoye|sent|a|to|objet|subject|cc|pour|sujet)\s*:")
# A deed with its own first-person auxiliary ("j'ai écrit", "nous avons envoyé"): participles used as
# adjectives ("une lettre signée par tous") are not deeds of their own.
OWN_DEED = re.compile(r"\b(?:j'ai|nous avons|on a|avons)\s+(?:\w+\s+)?" + DONE_VERB.pattern[2:])
PEOPLE = re.compile(r"\s*(?:personnes|participante?s|spectat\w*|visiteu\w*|eleves|jeunes|inscrite?s|benevoles"
                    r"|membres|enfants|etudiante?s)\b")
LETTERS = (ActionType.LETTER_AUTHORITIES, ActionType.LETTER_SUPPORT)
SENT = re.compile(r"\b(?:envo\w*|ecri\w*|redig\w*|post\w*|adress\w*|expedi\w*|parti\w*|signe\w*|remis\w*"
                  r"|depos\w*|transmis\w*|fait\w*|lettres? (?:\w+ )?(?:a|au|aux|pour)|cartes? (?:\w+ )?(?:a|au|aux|pour)"
                  r"|courriers? "
                  r"(?:a|au|aux)|\d+ (?:lettres?|cartes?|courriers?))")
# Words that name an action of these types: said in a sentence that gave other actions while the report
# holds none of them, the action was lost ("une médecin de MdM, partenaire de la soirée" beside the event;
# "ainsi que des cartes" beside letters). Events are `event_unread`'s.
FAMILY_WORDS: tuple[tuple[tuple[ActionType, ...], re.Pattern[str]], ...] = (
    ((*LETTERS, ActionType.ADVOCACY), LETTER),          # the extractor's own nouns (action_words)
    ((ActionType.PETITION,), PETITION),
    ((ActionType.ADVOCACY,), ELECTED),
    ((ActionType.FUND,), re.compile(r"\b(?:dons?|versements?|virements?|cheques?|cagnottes?|quetes?|fonds d'aide)\b"
                                    r"|\d\s*eur(?:os?)?\b")),
    ((ActionType.COLLABORATION,), re.compile(r"\b(?:partenai\w*|co-?organis\w*)|\bavec (?:l'|une |des |les |la |le )?"
                                             r"(?:associations?|collectifs?|ong)\b")),
)
PHONE_FOOTER = re.compile(r"\b(?:envoye|envoyee) (?:de|depuis) (?:mon|ma)\b")


FIRST_SUBJECT = re.compile(
    r"\b(?:nous\s+|j'\s*|je\s+)(?:[a-z'-]+\s+){0,3}?(?:[lmnsty]'\s*)?(?:avons|ai|sommes|suis|etions|etais|avions"
    r"|avais)\b"                                                   # "j'ai", "je l'ai", "nous n'avons"
    r"|\b(?:on|nous)\s+(?:[a-z'-]+\s+){0,3}?(?:a|etait|avait)\b"   # "on a", "nous a reçus"; not "je tenais a"
    r"|\b(?:le|notre|l'|la|mon|ce) (?:groupe|cercle|antenne|equipe|section)\b[^.;]{0,60}?\b(?:a|ont|avait)\b")
OTHERS_ACTED = re.compile(
    r"\ba bien recu (?:votre|vos|la|le|les)\b|\bavons bien recu (?:votre|vos)\b"
    r"|\b(?:ma|mon|sa|son|leur|notre) (?:mere|pere|frere|soeur|famille|fils|fille|mari|femme|epoux|epouse|cousine?)"
    r" (?:[a-z'-]+ ){0,2}?a recu\b"
    r"|\b(?:lettres|cartes|courriers|messages)\b[^.;]{0,40}?\brecue?s (?:de|depuis|par)\b")   # "3 000 lettres reçues de France"


def _we_act(norm: str) -> bool:
    """A first-person subject, not the object of a third person's verb ("il nous a écoutées")."""
    return any(not re.search(r"\b(?:il|elle|ils|elles)\s+$", norm[:m.start()]) for m in FIRST_SUBJECT.finditer(norm))


def acted_by_others(trace: Sequence[SegmentReading], folded: str = "", known_sender: bool = False) -> bool:
    """The actions read are someone else's: an official acknowledging our letter, a family
    thanking us for cards, a partner telling what it did, with no first-person subject in any
    sentence an action came from (the mail is theirs, not a report of ours). An administration's
    letter ("Veuillez agréer...") without a first-person deed is theirs whatever its verbs. From one
    of our members or groups, a bare "ils"/"elles" may be our own people ("les jeunes du lycée... Ils ont
    écrit 40 cartes"): a report, whose third_party check sends it to a person."""
    acting = [p.segment for p in trace if p.actions]
    if not acting or any(FIRST_SUBJECT.search(seg.norm) or seg.bullet for seg in acting):
        return False
    return bool(FORMAL_LETTER.search(folded)) or any(
        OTHERS_ACTED.search(seg.norm) or THIRD_PARTY.search(seg.norm)
        or (THIRD_PERSON.search(seg.norm) and not known_sender) for seg in acting)


# ------------------------------------------------------------------------------ the checks

def _blank(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


_REF = re.compile(r"\bdi-\d{4}-\d{3}\b")


def _value(m: re.Match[str]) -> float:
    return float(re.sub(r"[ .]", "", m.group(1)) + ("." + m.group(2) if m.group(2) else ""))


def _numbers(norm: str) -> list[tuple[int, float]]:
    """Numbers followed closely by an action noun, with their positions (dates, times, years, postal
    codes and refs are not counts)."""
    masked = _blank(DATE_OR_TIME, _blank(_REF, norm))
    found = []
    for m in NUMBER.finditer(masked):
        after = masked[m.end():m.end() + 40]
        if ACTION_NOUN.match(after.lstrip()) or re.match(r"\s*(?:\w+\s+){0,2}(?:de |d')?" + ACTION_NOUN.pattern,
                                                         after):
            found.append((m.start(), _value(m)))
    return found


# Numbers that count nothing: a group's number, an ordinal, a percentage, a duration, an age or a head
# count ("nous étions 11 autour de la table").
NOT_A_COUNT = re.compile(r"\b(?:groupes?|gl|cercles?|antennes?|n°|no|numero)\s*\d+\b|\b[gcj]\d{2,3}\b"
                         r"|\b\d+\s*(?:er|re|ere|e|eme|nd|nde)\b|\b\d+(?:[.,]\d+)?\s*%"
                         r"|\b\d+\s*(?:ans|heures?|minutes?|min|km|jours?|semaines?|mois|annees?)\b"
                         r"|\b(?:etions|etait|etaient|sommes|etes) (?:(?:au moins|environ|pres de|plus de) )?\d+\b")


def _counts(norm: str, people: bool = True) -> list[float]:
    """Every number of a sentence that could be a count or an amount (dates, times, refs, a group's
    number... are not); `people=False` leaves out head counts ("140 personnes")."""
    masked = _blank(NOT_A_COUNT, _blank(DATE_OR_TIME, _blank(_REF, norm)))
    return [_value(m) for m in NUMBER.finditer(masked) if people or not PEOPLE.match(masked, m.end())]


def _used(value: float, actions: Sequence[Action]) -> bool:
    return any(value == a.count or (a.amount_eur is not None and abs(value - a.amount_eur) < 0.005)
               for a in actions)


def _said_planned(part: SegmentReading) -> bool:
    """Whether the text says an action is not done (a plan, a wish, a negation, a question), rather than
    the rules leaving it undone for want of a marker."""
    seg = part.segment
    said = f"{seg.norm} {seg.intro}"
    return any(m.group("planned") for m in MARKER.finditer(said)) or bool(NEGATED.search(seg.norm)) \
        or seg.text.rstrip().endswith("?") or bool(QUESTION_INTRO.search(seg.intro.rstrip(" :")))


_RECEIVED = re.compile(r"\s+(?:[\w'-]+\s+){0,3}?(?:a|ont|avait|avaient)\s+(?:bien\s+|deja\s+|enfin\s+)?"
                       r"(?:pu\s+)?rec(?:u|evoir)\b")


_LETTERS_FOR = re.compile(r"\b(?:lettres?|courriers?)\s+(?:[\w'-]+\s+){0,2}?pour\s+(?:[\w'-]+\s+){0,2}?([a-z][\w-]*)")


def _letters_for_person(norm: str, tokens: set[str]) -> bool:
    """Letters "pour" the dossier's person with no addressee named: support letters, or letters to
    the authorities on their behalf? Volunteers write both so."""
    if RECIPIENT.search(norm):
        return False
    return any(_names_person(m.group(1), tokens) for m in _LETTERS_FOR.finditer(norm))


def _person_received(norm: str, tokens: set[str]) -> bool:
    """The dossier's person as the subject of "a reçu": what they received may be others' too."""
    for m in re.finditer(r"[a-z][\w-]*", norm):
        if _names_person(m.group(0), tokens) and _RECEIVED.match(norm, m.end()):
            return True
    return False


def _names_person(word: str, tokens: set[str]) -> bool:
    """A folded word that is (or, hyphenated, holds) a token of a dossier's person: "jean-bosco"."""
    return word in tokens or any(part in tokens for part in word.split("-"))


def _dated_twice(actions: Sequence[Action]) -> bool:
    """Two actions of one type on one date, one payment read twice, or one type twice with one of them
    undated (a total, then one of its events by name)."""
    seen = Counter((a.type, a.date) for a in actions if a.date is not None)
    payments = Counter(a.amount_eur for a in actions if a.type is ActionType.FUND and a.amount_eur is not None)
    per_type = Counter(a.type for a in actions if a.type is not ActionType.FUND)
    undated = {a.type for a in actions if a.date is None}
    return any(n > 1 for n in seen.values()) or any(n > 1 for n in payments.values()) \
        or any(per_type[t] > 1 for t in undated)


def report_checks(trace: Sequence[SegmentReading], actions: Sequence[Action], index: DirectoryIndex,
                  folded: str, sender: str, group: str | None, dossier: str | None,
                  group_mentions: Sequence[str], author: str = "", named: Sequence[str] = (),
                  sent: date | None = None) -> list[str]:
    """The checks of a report reading; `trace` is what each of the writer's segments gave."""
    checks: list[str] = []
    kinds = {a.type for a in actions}
    person_tokens = {t for d in index.dossiers for t in d.tokens}
    acting = {part.segment.para for part in trace if part.actions}
    for i, part in enumerate(trace):
        if part.actions and part.segment.text.rstrip().endswith(":") and any(
                q.segment.bullet and q.segment.dates for q in trace[i + 1:] if q.segment.para == part.segment.para):
            checks.append("list_details")            # "deux stands :" then each stand, dated: counted twice?
        norm = part.segment.norm
        numbers = _numbers(norm)
        # a head count is a count only where an action of the sentence has none ("signer 340 personnes")
        uncounted = any(a.count is None and a.type not in (ActionType.FUND, ActionType.COLLABORATION)
                        for a in part.actions)
        counts = _counts(norm, people=uncounted or not part.actions) \
            if part.segment.bullet or part.segment.para in acting else []
        if any(not _used(v, actions) for _, v in numbers) and (
                part.actions or (ACTION_WORD.search(norm) and not _said_planned(part))):
            checks.append("unused_number")           # not "nous tiendrons un stand le 14": a plan's numbers
        if part.actions and any(not _used(v, actions) for v in counts):
            checks.append("unused_number")           # "lettres : 35", "152 exactement": whose number?
        if FORWARD_LINE.match(norm):
            continue                                 # "Date : Sun, 22 Feb 2026 18:03:12": a forward's header
        if part.segment.bullet and not part.actions and not part.planned and ACTION_NOUN.search(norm) \
                and part.segment.para in acting:
            checks.append("undetermined")            # "Entrevue avec le sénateur le 24 mars": an item unread
        if any(a.type is ActionType.AWARENESS and (a.count or 0) > MANY_EVENTS for a in part.actions):
            checks.append("unused_number")           # "(dont 122 au concert)": a count taken for events
        if not part.actions and not part.planned and not PHONE_FOOTER.search(norm) and (
                DONE_VERB.search(norm) or (numbers and ACTION_WORD.search(norm))
                or ((part.segment.bullet or part.segment.para in acting) and _counts(norm, people=False))):
            checks.append("undetermined")            # a deed of ours, or a list item with a count, gave nothing
        if part.actions and len(OWN_DEED.findall(norm)) > len(part.actions):
            checks.append("undetermined")            # "j'ai écrit..., et j'ai envoyé 4 cartes": a deed lost
        if part.planned and not part.actions and not _said_planned(part) \
                and (part.segment.bullet or not SUBJECT_PRONOUN.search(norm)):
            checks.append("undetermined")            # an action no marker says is done, nor planned
        if not part.actions and NEGATED.search(norm) and ACTION_NOUN.search(norm):
            checks.append("undetermined")            # "(on n'a pas compté)": a detail, or the deed, negated?
        if part.actions and THIRD_PERSON.search(norm) and not _we_act(norm):
            checks.append("third_party")             # "elle a pu recevoir les cartes envoyées"
        if not part.actions and not part.planned and ActionType.AWARENESS not in kinds \
                and EVENT_WORD.search(norm) and FIRST_SUBJECT.search(norm):
            checks.append("event_unread")            # "on a fait une soirée quiz": an event no rule took
        if ELECTED.search(norm) and any(a.type is ActionType.LETTER_AUTHORITIES for a in part.actions):
            checks.append("addressee")
        if not SENT.search(norm) and any(a.type in LETTERS and (a.count or 1) == 1 for a in part.actions):
            checks.append("undetermined")            # "la fac de lettres", "le Courrier de l'Ouest": a name
        if HEDGE.search(norm) and (part.actions or ACTION_NOUN.search(norm)):
            checks.append("undetermined")            # "les signatures, je crois qu'on en a eu une centaine": unread
        if part.actions and (THIRD_PARTY.search(norm) or YOUR_GROUP.search(norm)):
            checks.append("third_party")
        if part.actions and LONG_AGO.search(norm):
            checks.append("date_far")                # "j'ai écrit à Yassine il y a deux ans"
        if any(a.type in LETTERS for a in part.actions) and _letters_for_person(norm, person_tokens):
            checks.append("letter_addressee")        # "45 lettres pour Hossam": to him, or to his jailers?
        if part.actions and _person_received(norm, person_tokens):
            checks.append("third_party")             # "Jean-Bosco a reçu 300 cartes": whose cards?
        if part.actions and not part.planned and ActionType.AWARENESS not in kinds and EVENT_WORD.search(norm):
            checks.append("event_unread")            # an event named beside actions, none read
        if part.actions and not part.planned and any(
                pattern.search(norm) and not kinds & set(types) for types, pattern in FAMILY_WORDS):
            checks.append("type_unread")             # "..., partenaire de la soirée": named beside actions, unread
    if _dated_twice(actions):
        checks.append("duplicate")
    if any(a.type is ActionType.FUND and a.amount_eur is None for a in actions):
        checks.append("fund_without_amount")
    if dossier is None:
        checks.append("no_dossier")
    writer = author or sender
    if group is None and writer not in index.member_group:
        checks.append("no_group")
    if sent is not None and any(a.date is not None and (sent - a.date).days > FAR_DAYS for a in actions):
        checks.append("date_far")
    checks += attribution_checks(index, folded, writer, group, group_mentions, named)
    if any(code != group and code not in group_mentions for code in index.group_mentions(folded, None)):
        checks.append("joint_action")                # "une action commune avec le groupe 126": whose figures?
    if SIGNUP_INTENT.search(folded):
        checks.append("mixed_intents")
    return checks


