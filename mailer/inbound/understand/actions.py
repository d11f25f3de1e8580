"""Segments -> the actions a report says were done: type, count, amount, date.   [pure]

Action wording (letters, meetings, events, petitions, collaborations, funds) is found in each
segment; the nearest tense marker decides done or planned (planned and hypothetical actions are
left out), and the date comes from the action's clause, the sentence's opening, or the event it
refers back to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .action_model import Action, ActionType, Found
from .action_words import (AMOUNT_ANAPHORA, ANAPHORA, APPEARANCE, CLAUSE_BREAK, COLLAB, EVENT, FUND, FUND_NOUN,
                           HOSTED, LEAD_GATHERING, MARKER, MEET_TARGET, MEETING, NEGATED, OFFICIAL, OFFICIALS_END,
                           OURS_GATHERING, PARTNER_NAME, PETITION, PETITION_COUNT, QUESTION_INTRO, RESULT_LINE,
                           SAME_DAY, THEIR_NEWS, YOURS)
from .french import parse_amounts
from .letters import APPROX, advocacy_count, count_before, in_brackets, letters
from .segments import Segment

_WITH = re.compile(r"^\W*(?:(?:le |du )?\d{1,2}(?:er)? [a-z]+,? )?(?:avec|aupres d(?:u|e|es|'))\b")
# "nous avons fait signer une carte collective": a card, not a petition
_NOT_OUR_PETITION = re.compile(r"fait signer (?:(?!petitions?\b|signatures?\b)[\w'-]+ ){1,3}?(?:cartes?|lettres?|courriers?)\b")
# "le Mouvement de la Paix, qui a fait signer ses adhérents": the relative clause's subject is the partner
_THEIR_RELATIVE = re.compile(r"\bqui (?:a|ont|avait|avaient) (?:\w+ )?$")
# The petition as a topic, a link or a thing shared, not signatures gathered: "un article avec un encadré sur la
# pétition", "l'animatrice a lu l'adresse de la pétition", "on a relayé la pétition sur l'Insta"
_ABOUT_PETITION = re.compile(r"\b(?:(?:encadre|article|reportage|mention|lien|adresse|appel|infos?|qr code|affiche)s?"
                             r" (?:[\w']+ ){0,2}?(?:sur|de|vers|a|pour)|relaye\w*|partage\w*|diffuse\w* en ligne)"
                             r" (?:la|notre|cette|votre|l'|sa) $")
# "mais sans pétition disponible pour elle": none to sign
_WITHOUT = re.compile(r"\b(?:sans|pas de)\s+(?:[a-z]+\s+)?$")


# ... unless the sentence says it was ours: "après la conférence que le groupe 91 a organisée le 6 juin"
_OURS_AFTER = re.compile(r"\s*(?:\S+\s+){0,3}?qu(?:e |')(?:nous|on|le groupe|le cercle|l'antenne|notre \w+)"
                         r"(?: \d+)? (?:avons|a|avions|avait) (?:organise|tenu|anime|monte)")
# signatures gathered over a span, not at the event just told: "depuis janvier on est à 1 250 signatures"
_SPAN = re.compile(r"\b(?:depuis|au total|en tout|total|cumul\w*|dans la semaine|cette semaine|ce mois|en ligne"
                   r"|jusqu'ici|jusqu'a present|a ce jour|sur l'ensemble|supplementaires?|en (?:sommes|est|etions) a"
                   r"|dernier comptage)\b")
_AT_EVENT = re.compile(r"\b(?:a la fin|a l'issue|a la sortie|au cours|lors|pendant|durant|apres) (?:de la|du|de l'|des"
                       r"|de cette|de ce|la|le|l')\s*$")
_DEFINITE = re.compile(r"\b(?:le|la|l'|les|ce|cet|cette|ces)\s+(?:\d+\s+|meme\s+)?$")
_ITS_RESULT = re.compile(r"^\W*(?:bilan|resultats?|au final)\b")      # "Bilan : 158 signatures" under the event
_COUNTING = re.compile(r"(?:\s+(?:encore|tout|toutes?|fini de|termine de|eu le temps de))*\s+(?:re|de)?compt\w*"
                       r"|\s+(?:encore\s+)?(?:le|les) (?:nombres?|chiffres?|comptes?|totals?|details?)\b")   # "le chiffre exact"
_EXACTLY = re.compile(r"\s*[:(,]\s*(?:soit |exactement |precisement |tres exactement )?(\d+)\s*(?:exactement|precisement"
                      r"|pile|tres exactement)\b")
_RELATIVE_NEGATION = re.compile(r"\b(?:que|qu') ?(?:je |j'|nous |on |l'on )?$")
# An event named as a point in time or as a purpose, not as a deed of this sentence
_EVENT_REFERENCE = re.compile(r"\b(?:depuis|avant|apres) (?:le|la|l'|les|notre|nos|du|des)\s*$"
                              # the money an event raised: "315 € avec les entrées du concert"
                              r"|\b(?:entrees|recettes?|benefices?|cagnotte|billetterie|buvette|quete|collecte|tirelire"
                              r"|caisse|urne|tombola)"
                              r" (?:du|de la|de l'|de notre|de cette|de ce)\s*$"
                              r"|\bpour (?:preparer|organiser|monter|lancer|annoncer|prevoir|planifier|tenir|caler)"
                              r"\b[^.;,]{0,40}$"
                              # the press one read or heard: "j'ai lu avec intérêt l'article sur Célestine"
                              r"|\b(?:lu|vu|entendu|ecoute|regarde|decouvert|lisant|lire)\b[^.;,]{0,30}?"
                              r"(?:l'|le |la |un |une |votre |vos |cet |cette |ce |les )$")


def _meeting_count(norm: str, start: int) -> int | None:
    """How many officials the meeting word at `start` is with: after it, else before it ("le depute nous a recus")."""
    count = advocacy_count(norm[start:], MEET_TARGET)
    if count is None:
        before = norm[max(0, start - 60):start]
        cuts = list(OFFICIALS_END.finditer(before))
        count = advocacy_count(before[cuts[-1].end():] if cuts else before, MEET_TARGET)
    if count is None and _AT_OFFICE.match(norm, start):
        count = 1                  # "Elle m'a reçue ce lundi à sa permanence": the official told before, one
    return count


_AT_OFFICE = re.compile(r"[^.;]{0,60}?\b(?:sa|la) permanence\b")


def _candidates(seg: Segment, person_tokens: Iterable[str], last_amount: float | None) -> list[Found]:
    norm = seg.norm
    found = letters(seg, person_tokens)
    if not any(f.type is ActionType.ADVOCACY for f in found):
        meeting = MEETING.search(norm)
        if meeting is None and seg.bullet and MEETING.search(seg.intro):
            meeting = _WITH.search(norm)   # "deux rendez-vous :" then "- le 12 mai, avec le député..."
        if meeting and (MEET_TARGET.search(norm, max(0, meeting.start() - 60)) or _AT_OFFICE.match(norm, meeting.end())):
            count = _meeting_count(norm, meeting.start())
            # "Plaidoyer : rendez-vous avec Mme la sénatrice": a later meeting word names whom
            for later in MEETING.finditer(norm, meeting.end()):
                if count is not None:
                    break
                count = _meeting_count(norm, later.start())
            found.append(Found(ActionType.ADVOCACY, meeting.start(), count))
    for m in EVENT.finditer(norm):
        if _EVENT_REFERENCE.search(norm, max(0, m.start() - 80), m.start()) \
                and not _OURS_AFTER.match(norm, m.end()):
            continue               # "212 signatures depuis le stand de janvier", "pour préparer la suite (stand"
        noun = m.group(0).split()[0].split("-")[0]
        found.append(Found(ActionType.AWARENESS, m.start(), count_before(norm, m.start(), noun)))
    if not any(f.type is ActionType.AWARENESS for f in found):
        found.extend(Found(ActionType.AWARENESS, m.start(), 1) for m in APPEARANCE.finditer(norm))
    # a gathering held, beside the events named: one with them when they share a date (the merge by type and
    # date), another on a day of its own ("on a tenu une table le 19 février... un article est sorti le 21/02")
    gathering = HOSTED.search(norm) or OURS_GATHERING.search(norm) \
        or (LEAD_GATHERING.match(norm) if seg.bullet else None)
    if gathering and (not any(f.type is ActionType.AWARENESS for f in found) or seg.dates):
        found.append(Found(ActionType.AWARENESS, gathering.start(gathering.lastgroup or "noun"), 1))
    petition = next((m for m in PETITION.finditer(norm) if not _NOT_OUR_PETITION.match(norm, m.start())
                     and not _THEIR_RELATIVE.search(norm, max(0, m.start() - 30), m.start())
                     and not _WITHOUT.search(norm, max(0, m.start() - 20), m.start())
                     and not _ABOUT_PETITION.search(norm, max(0, m.start() - 40), m.start())), None)
    if petition:
        counted = PETITION_COUNT.search(norm)
        count = int(next(g for g in counted.groups() if g)) if counted else None
        exact = _EXACTLY.match(norm, counted.end()) if counted else None
        if exact:              # "a dépassé les 400 signatures : 402 exactement": the exact figure
            count = int(exact.group(1))
        elif counted and (APPROX.search(norm, max(0, counted.start() - 20), counted.start())
                          or re.match(r"\s*(?:environ|a peu pres|approximativement)\b", norm[counted.end():])):
            count = None       # "environ 300 signatures", "près de 200": a round figure (the labelling rule)
        found.append(Found(ActionType.PETITION, petition.start(), count))
    collab = COLLAB.search(norm)
    if collab:
        found.append(Found(ActionType.COLLABORATION, collab.start()))
    else:
        named = _partner_named(seg, person_tokens)
        if named is not None:
            found.append(Found(ActionType.COLLABORATION, named))
    fund = FUND.search(norm) or (FUND_NOUN.search(norm) if parse_amounts(norm) else None)
    if fund:
        amounts = parse_amounts(norm)
        after = [(p, a) for p, a in amounts if p >= fund.start()]
        if len(after) >= 2 and abs(after[0][1] - sum(a for _, a in after[1:])) >= 0.005:
            # "deux versements : 30 EUR le 2 mai et 45 EUR le 9 mai": one payment each (not a total
            # followed by its breakdown, "150 EUR (100 EUR de la vente et 50 EUR de dons)")
            found.extend(Found(ActionType.FUND, p, None, a) for p, a in after)
            return found
        amount = after[0][1] if after else amounts[-1][1] if amounts else None
        if amount is None and AMOUNT_ANAPHORA.search(norm):
            amount = last_amount       # "la recette de 520 EUR ... a verse l'integralite de cette somme"
        found.append(Found(ActionType.FUND, fund.start(), None, amount))
    return _label_count(norm, found)


# A verbless row "Lettres au procureur général : 45", "lettres au ministère : 2300 !": the number
# after the colon is the count of the one action its label named without one (after a date cell, in a
# table's row: "Lettres à l'ambassade : 09/04 : 19").
LABEL_COUNT = re.compile(r"^(?:[^:\d(]|\([^):]*\)){2,80}:\s*(?:(?:\d{1,2}/\d{1,2}(?:/\d{2,4})?|[-–—])\s*:\s*)?"
                         r"(\d+)(?!\d|[.,/]\d|\s*(?:eur\b|€|%|h\b))")
_COUNTED = (ActionType.LETTER_AUTHORITIES, ActionType.LETTER_SUPPORT, ActionType.PETITION, ActionType.ADVOCACY)


def _label_count(norm: str, found: list[Found]) -> list[Found]:
    label = LABEL_COUNT.match(norm)
    if label:
        open_ = [f for f in found if f.count in (None, 1) and f.type in _COUNTED and f.pos < label.start(1)]
        counted = [f for f in found if f.count not in (None, 1)]
        # "Cartes de vœux : 1 grande carte": the value names the action itself, with its own count
        named_after = any(g.pos >= label.start(1) and open_ and g.type is open_[0].type for g in found)
        if len(open_) == 1 and not counted and not named_after:
            open_[0].count = int(label.group(1))
        elif len(open_) == 1 and named_after:
            open_[0].count = None
    return found


_AVEC = re.compile(r"\b[Aa]vec\b")


def _partner_named(seg: Segment, person_tokens: Iterable[str]) -> int | None:
    """Where a partner named by its name or acronym is ("avec la LDH"): the position, in the folded
    text, of the "avec" that introduces it; not a person (a title, the dossier's person)."""
    written = list(_AVEC.finditer(seg.text))
    folded = list(_AVEC.finditer(seg.norm))
    for n, m in enumerate(written):
        name = PARTNER_NAME.match(seg.text, m.start())
        if name is None or n >= len(folded):
            continue
        org = name.group("org").lower()
        if any(t and t in org for t in person_tokens) or OFFICIAL.search(org):
            continue
        if _OUR_PEOPLE_AFTER.match(seg.text, name.end()) or _NOT_TOGETHER.search(seg.text, max(0, m.start() - 25),
                                                                                 m.start()):
            continue               # "avec Rosan du groupe", "avec Claire, notre nouvelle recrue", "convenu avec Odile"
        if re.search(r"(?i)\bantenne jeunes\b|\bgroupe \d+\b", name.group(0)):
            continue               # "avec l'antenne jeunes d'Aix": one of ours, named by its city
        return folded[n].start()
    return None


# A person of ours after "avec": "avec Rosan du groupe", "avec Claire, notre nouvelle recrue"
_OUR_PEOPLE_AFTER = re.compile(r"\s*,?\s*(?:du groupe|de l'antenne|du cercle|de notre|notre|nos|(?:une? |la |le )?"
                               r"(?:membre|adhérente?|bénévole|nouvelle|nouveau|militante?|secrétaire|trésorière?"
                               r"|présidente?|coordinat\w+|référente?)\b)", re.I)
# "avec" after these is not a partnership: "comme convenu avec Odile", "j'en ai parlé avec Marc"
_NOT_TOGETHER = re.compile(r"(?i)\b(?:convenu|d'accord|parlé|parler|discuté|discuter|vu|échangé|échanger|invitée?s?)\s+$")


def _clause(seg: Segment, pos: int) -> tuple[int, int]:
    """The clause of the segment around `pos` (cut at ', et', ', mais', ';', 'et nous'...)."""
    cuts = [0, *(m.start() for m in CLAUSE_BREAK.finditer(seg.norm)), len(seg.norm) + 1]
    return next(((a, b) for a, b in zip(cuts, cuts[1:], strict=False) if a <= pos < b), (0, len(seg.norm)))


def _done(seg: Segment, pos: int, after_deed: bool = False, after_done_item: bool = False) -> bool:
    """Was the action at `pos` done? The nearest tense marker before it decides, else the first one
    after it, else the list it belongs to ('Voici nos actions :' yes, 'Nos projets :' no); a verbless
    sentence right after one that tells a deed goes on telling it ('Nous avons tenu un stand samedi.
    Une centaine de signatures dans la journée.')."""
    start, end = _clause(seg, pos)
    # a negation in brackets is about a detail ("une cinquantaine de lettres (on n'a pas compté)")
    # ... and so is one in a relative clause ("dix-neuf lettres, peut-être une ou deux de plus que je n'ai pas comptées")
    negated = [m for m in NEGATED.finditer(seg.norm, start, end) if not in_brackets(seg.norm, m.start())
               and not _RELATIVE_NEGATION.search(seg.norm, max(0, m.start() - 12), m.start())
               and not _COUNTING.match(seg.norm, m.end())]     # "je n'ai pas encore tout recompté": a detail
    if seg.text.rstrip().endswith("?") or negated:
        return False
    if seg.bullet and QUESTION_INTRO.search(seg.intro.rstrip(" :")):
        return False                # "Pourriez-vous me communiquer :" then "- le nombre de lettres envoyées"
    if NEED.search(seg.norm, start, end):
        return False                # "nous aurions besoin du nombre de signatures recueillies": a request
    if RESULT_LINE.match(seg.norm) and not any(m.group("planned") for m in MARKER.finditer(seg.norm)):
        return True                 # "Total : 2300 signatures", "Bilan : ..." need no verb (a plan is no result)
    before = after = None
    for m in MARKER.finditer(seg.norm):
        if m.group("past") and m.start() in seg.grave_a:
            continue                # "habite a rennes": the preposition, not the auxiliary
        if m.start() < pos:
            before = m
        elif after is None and not _relative_between(seg.norm, pos, m.start()):
            after = m               # not "..., qui s'est engagé à", "..., que nous allons remettre": another verb's
    decisive = before or after
    if decisive is not None:
        return decisive.group("past") is not None
    unbracketed = re.sub(r"\([^)]*\)", lambda m: " " * len(m.group(0)), seg.norm)   # same offsets
    if PAST_TIME.search(unbracketed, start, end) and not GOAL.search(unbracketed, start, end):
        return True                 # no verb at all, and a time gone by: "hier stand au marché"
    if COUNTED_RESULT.search(seg.norm, start, end) and not GOAL.search(seg.norm, start, end):
        return True                 # "98 signatures.", "la pétition en est à 310 signatures": signatures counted exist
    if not seg.bullet:
        # a verbless dated line, "Samedi 21/02, stand au marché couvert, 118 signatures.", "Marche
        # silencieuse du 7 février.", reads as a list item (no marker at all, done or planned, in it; a
        # date far back, a plan rolled a year back, is the date_far check's)
        return bool(LEAD_DATE.match(seg.norm) or any(start <= d[0] < end for d in seg.dates)) and bool(seg.dates) \
            or after_deed and not VERB_OR_DENIAL.search(seg.norm) and not GOAL.search(seg.norm, start, end)
    intro = list(MARKER.finditer(seg.intro))
    if intro:
        return intro[-1].group("past") is not None
    return bool(seg.intro) or bool(seg.dates) or after_done_item


_LETTERS = (ActionType.LETTER_AUTHORITIES, ActionType.LETTER_SUPPORT)
WHERE = re.compile(r"\b(?:sur|a) (?:le|la|notre|ce|cette)\s+$|\bau\s+$|\b(?:sur|aux) (?:les|ces|nos) (?:\d+ |deux )?$")
# What happens at an event rather than an event of its own: "Une soixantaine de spectateurs, un débat
# très riche" after a projection, "et distribué nos derniers tracts" after a stand. Read in the
# sentence right after that event's, with no date of its own and nothing saying it is another one
# (within the event's own sentence, one type and date make one action anyway).
PART_OF_EVENT = re.compile(r"(?:debats?|tractages?|distribu\w* (?:[a-z'-]+ ){0,3}?(?:tracts?|flyers?)"
                           r"|distributions? de tracts)\b")
ANOTHER = re.compile(r"\b(?:aussi|egalement|en plus|par ailleurs|ensuite|puis|autres?|nouve\w*|deuxieme|second\w*)\b")


LEAD_DATE = re.compile(r"^\W*(?:(?:et|puis|enfin|aussi|ensuite|sinon|par ailleurs),? )?(?:le |du )?"
                       r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) )?"
                       r"\d{1,2}(?:er)?(?:/\d{1,2}(?:/\d{2,4})?| (?:janvier|fevrier|mars|avril|mai|juin|juillet|aout"
                       r"|septembre|octobre|novembre|decembre))\b\s*[,:-]")
# A subject pronoun (a verb the tense markers do not know: "nous attendons", "on se concentre") or a denial
VERB_OR_DENIAL = re.compile(r"\b(?:je|j'|nous|on|il|elle|ils|elles|vous|tu|rien|pas|aucune?|plus)\b")
COUNTED_RESULT = re.compile(r"\b\d+\s+signatures\b|\bpetition \d+ sign\b")
# A time gone by, which a verbless line needs to tell a deed: "hier stand à la journée d'accueil, une
# soixantaine de signatures", "samedi dernier : concert". Not "ce week-end" (a plan as often as not).
PAST_TIME = re.compile(r"\b(?:hier|avant-hier|ce matin|(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|la semaine"
                       r"|le week-end|le mois|le weekend|le we) derni(?:er|ere)|il y a (?:deux|trois|quelques|\d+) jours)\b")
GOAL = re.compile(r"\b(?:objectifs?|vis\w*|atteindre|faut|cible|but|esper\w*|manque\w*|reste\w*|encore)\b")
NEED = re.compile(r"\b(?:aurions|aurais|avons|ai|auriez|avez) besoin d|\bcombien d")
RELATIVE = re.compile(r"(?:,\s*|\s)(?:qui|que|qu'|dont|ou|lequel|laquelle|lesquels|lesquelles)(?:\s|(?<=')\w)")


def _relative_between(norm: str, start: int, stop: int) -> bool:
    """A relative clause opens between the action and the verb; not a "que" after a verb of opinion, which
    opens what the writer tells ("les signatures, je crois qu'on en a eu une centaine")."""
    found = RELATIVE.search(norm, start, stop)
    return found is not None and not _OPINION.search(norm, max(0, found.start() - 14), found.start())


_OPINION = re.compile(r"\b(?:crois|pense|sais|dirais|estime|semble|suppose|imagine|dit)$")


def _anaphora_end(seg: Segment) -> int:
    """End of an opening 'Pendant l'entracte,' / 'A l'issue de la lecture,' (0 when none)."""
    norm = seg.norm.lstrip()
    if not ANAPHORA.match(norm):
        return 0
    comma = norm.find(",")
    return (len(seg.norm) - len(norm)) + (comma if 0 < comma < 60 else 0)


_LEADING = re.compile(r"(?:^|[,;:\n-]\s*)(?:le\s+|du\s+|depuis le\s+)?$")


def _when(seg: Segment, pos: int, next_pos: int, last_event: date | None) -> date | None:
    """The date of the action at `pos`: one written in its clause (a date after the action and
    before the next one belongs to it: 'X le 14 avril et Y le 17 avril'); else one opening the
    sentence ('Le 5 fevrier, nous avons...'); else the event it refers back to ('le meme soir')."""
    start, end = _clause(seg, pos)
    inside = [d for d in seg.dates if start <= d[0] < end]
    if inside:
        trailing = [d for d in inside if pos < d[0] < next_pos and not _LEADING.search(seg.norm, 0, d[0])]
        return trailing[0][1] if trailing else min(inside, key=lambda d: abs(d[0] - pos))[1]
    if SAME_DAY.search(seg.norm, start, end):
        return last_event
    first_cut = CLAUSE_BREAK.search(seg.norm)
    verb = next((m.start() for m in MARKER.finditer(seg.norm) if m.group("past")), len(seg.norm))
    lead = [d for d in seg.dates if d[0] < min(verb, first_cut.start() if first_cut else len(seg.norm))]
    if lead:
        return lead[0][1]
    return last_event if _anaphora_end(seg) else None


@dataclass(frozen=True)
class SegmentReading:
    """What one segment gave: the confidence checks read it (confidence.py)."""

    segment: Segment
    actions: tuple[Action, ...]
    planned: bool            # action wording read as planned or hypothetical


def _counted_after(actions: list[Action], prev_start: int, mine: list[Action]) -> list[Action]:
    """Letters told without a number, then counted in the next sentence ("chacun de nous a écrit à
    l'ambassade... j'arrive à dix-neuf lettres envoyées"): one action, the count filled in `actions`;
    the same letters told back without a number ("42 d'entre nous ont écrit au président. J'ai relu la
    plupart des lettres"): one action; what is left of `mine` is returned."""
    left = []
    for action in mine:
        if action.type in _LETTERS and action.count is None and action.date is None \
                and any(a.type is action.type and a.count is not None for a in actions[prev_start:]):
            continue
        earlier = next((j for j in range(prev_start, len(actions)) if action.type in _LETTERS
                        and actions[j].type is action.type and actions[j].count is None and actions[j].date is None
                        and action.count is not None), None)
        if earlier is None:
            left.append(action)
        else:
            actions[earlier] = action
    return left


def find_actions(segs: list[Segment], person_tokens: Iterable[str] = (),
                 trace: list[SegmentReading] | None = None) -> tuple[list[Action], bool]:
    """The actions done, and whether action wording was seen only as planned or hypothetical.
    `trace` receives what each segment gave."""
    actions: list[Action] = []
    planned = False
    last_amount: float | None = None
    last_event: date | None = None     # what "pendant l'entracte", "a l'issue de la lecture" refer to
    person_tokens = tuple(person_tokens)
    told_deed = False       # the segment before told a deed, in the past and nothing planned
    list_done = False       # the list item before gave deeds, nothing planned
    event_before = False    # the segment before told an event (what PART_OF_EVENT refers to)
    prev_start = 0          # where the segment before's actions start in `actions`
    prev_para = -1          # the paragraph of the segment before
    told: list[tuple[Action, str, bool]] = []   # each event, its noun, and whether "le"/"ce" named it
    for seg in segs:
        merged: dict[tuple[ActionType, date | None], Found] = {}
        seg_planned = False
        skip_before = _anaphora_end(seg)
        # another structure's news passed on gives none of our deeds
        found = [] if THEIR_NEWS.search(seg.norm) else sorted(_candidates(seg, person_tokens, last_amount),
                                                               key=lambda f: f.pos)
        for i, f in enumerate(found):
            if f.type is ActionType.AWARENESS and f.pos < skip_before:
                continue               # "a l'issue du concert": the concert already reported
            if YOURS.search(seg.norm[max(0, f.pos - 30):f.pos]):
                continue               # "j'ai vu votre stand": the team's action, told back to it
            if f.type is ActionType.AWARENESS and (WHERE.search(seg.norm[max(0, f.pos - 20):f.pos])
                                                   or _AT_EVENT.search(seg.norm[max(0, f.pos - 30):f.pos])) \
                    and any(a.type is ActionType.AWARENESS for a in actions):
                continue               # "37 signatures ... écrites sur le stand", "à la fin de la projection": when
                                       # and where, of the event told
            if f.type is ActionType.AWARENESS and event_before and PART_OF_EVENT.match(seg.norm, f.pos) \
                    and not seg.dates and not ANOTHER.search(seg.norm):
                continue               # the debate of the projection just told, the stand's leaflets
            if not _done(seg, f.pos, told_deed, list_done):
                planned = seg_planned = True
                continue
            later = [g.pos for g in found[i + 1:] if g.pos > f.pos]
            when = _when(seg, f.pos, later[0] if later else len(seg.norm), last_event)
            result = _ITS_RESULT.match(seg.norm)     # "Bilan : 158 signatures", a line or a paragraph of its own
            if when is None and f.type is ActionType.PETITION and event_before and not seg.dates \
                    and (seg.para == prev_para and not seg.bullet or result and seg.para <= prev_para + 1) \
                    and not _SPAN.search(seg.norm):
                when = last_event      # "le 3 mai on a fait un stand place du Capitole. Résultat : 241 signatures"
            if when is not None:
                last_event = when
            prev = merged.setdefault((f.type, when), f)
            if prev is not f:          # one segment, one action per type and date
                if prev.count is None:
                    prev.count = f.count
                elif f.count is not None and f.type in _LETTERS:
                    prev.count += f.count
        mine = []
        for (kind, when), f in merged.items():
            mine.append(Action(kind, None if kind in (ActionType.COLLABORATION, ActionType.FUND) else f.count,
                               f.amount if kind is ActionType.FUND else None, when))
            if kind is ActionType.AWARENESS:
                told.append((mine[-1], seg.norm[f.pos:].split(maxsplit=1)[0].rstrip("s.,;:!?"),
                             bool(_DEFINITE.search(seg.norm, max(0, f.pos - 16), f.pos))))
        mine = _counted_after(actions, prev_start, mine)
        prev_start = len(actions)
        actions.extend(mine)
        event_before = any(a.type is ActionType.AWARENESS for a in mine)
        prev_para = seg.para
        if trace is not None:
            trace.append(SegmentReading(seg, tuple(mine), seg_planned))
        amounts = parse_amounts(seg.norm)
        if amounts:
            last_amount = amounts[-1][1]
        if not seg.bullet:
            markers = [m for m in MARKER.finditer(seg.norm) if not (m.group("past") and m.start() in seg.grave_a)]
            if markers:
                told_deed = all(m.group("past") for m in markers)
            elif not mine:
                told_deed = False
        # the items of a list of deeds: "Fonds d'aide | - | 80 €" under dated rows of a table is one more
        list_done = seg.bullet and (bool(mine) and not seg_planned or list_done and not seg_planned)
    actions = _told_again(actions, told)
    return actions, planned and not actions


def _told_again(actions: list[Action], told: list[tuple[Action, str, bool]]) -> list[Action]:
    """An event named again with "le"/"ce", with no date, where the mail tells it with the same noun ("qui a
    tenu le stand pour le groupe" above the forwarded "Dimanche 10 mai, stand du groupe..."; "Le stand était
    partagé avec..."): one event. (Actions compare equal by value: these are told apart by identity.)"""
    again = [a for a, noun, definite in told if definite and a.date is None
             and any(b is not a and other == noun and (b.date is not None or not its_definite)
                     for b, other, its_definite in told)]
    return [a for a in actions if not any(a is b for b in again)] if again else actions
