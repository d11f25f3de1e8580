"""Letters and the officials they went to: which noun is a letter, who it was addressed to (the
authorities, the person, an official), how many there were, and whose they were.   [pure]

`actions.py` reads every other deed, and calls `letters` on each segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .action_model import ActionType, Found
from .action_words import (ANSWERED, CHASED_IN_WRITING, CLAUSE_BREAK, EACH, LETTER, LETTER_NOT, NUMBER_BEFORE,
                           OFFICIAL, OFFICIALS_END, OTHERS, RECIPIENT, WROTE_TO)
from .french import small_number
from .segments import Segment

APPROX = re.compile(r"(?:\benviron|\bpres de|\ba peu pres|\bautour de|\bquelque|\bpresque|\bgrosso modo"
                    r"|\bau moins|\bplus de|\bmoins de|\bdans les|~)\s*$")


def count_before(norm: str, pos: int, noun: str) -> int | None:
    """'40 lettres' -> 40, 'une lettre' -> 1, 'une vingtaine de cartes' -> None, 'lettre' -> 1."""
    window = norm[max(0, pos - 40):pos]
    m = NUMBER_BEFORE.search(window)
    if m and APPROX.search(window, 0, m.start(1)):
        return None                       # "près de 40 lettres": a round figure, not a count
    if m and m.group(1) in ("un", "une") and re.search(r"\bchacune?\s+une?\s+$", norm[:pos]):
        each = EACH.findall(norm[:pos])       # "22 membres ont ecrit chacun une lettre" -> 22
        if each:
            return int(each[-1])
    if m:
        return small_number(m.group(1))
    return None if noun.endswith(("s", "x")) else 1


def advocacy_count(norm: str, pattern: re.Pattern[str] | None = None) -> int | None:
    """How many officials: '4 deputes' -> 4; 'la senatrice ... et un depute' -> 2; 'deux eurodeputes
    ainsi qu'a notre deputee' -> 3; 'les elus' -> None (a plural named after a count, '4 deputes et
    senateurs', and officials in brackets after it are that count's)."""
    total = 0
    named, plural_end = 0, 0     # officials still to be named by a counted plural's apposition ("deux élus, l'eurodéputé et...")
    stop = OFFICIALS_END.search(norm)
    norm = norm[:stop.start()] if stop else norm
    for m in (pattern or OFFICIAL).finditer(norm):
        if m.group(0).split()[0].endswith("s"):
            n = NUMBER_BEFORE.search(norm[max(0, m.start() - 40):m.start()])
            if n:
                total += small_number(n.group(1)) or 0
                named = (small_number(n.group(1)) or 0) if re.match(r"\s*,\s*(?:l'|le |la )", norm[m.end():]) else 0
                plural_end = m.end()
            elif not total:
                return None
        elif named and not re.search(r"\b(?:au|aux|a|puis|ainsi|aussi)\b", norm[plural_end:m.start()]):
            named -= 1                 # "à deux élus, l'eurodéputé de notre région et la sénatrice": those two
        elif not (total and in_brackets(norm, m.start())):
            total += 1                 # not "deux elus (l'adjointe ... et un conseiller ...)": those two
    return total or None


def in_brackets(norm: str, pos: int) -> bool:
    return norm.rfind("(", 0, pos) > norm.rfind(")", 0, pos)


def in_title(norm: str, pos: int) -> bool:
    """`pos` is inside a title in guillemets: "la journée « Une lettre pour Héla »" names an event."""
    return norm.rfind("<<", 0, pos) > norm.rfind(">>", 0, pos)


def _recipient(norm: str, start: int, stop: int, person_tokens: Iterable[str]) -> str | None:
    window = norm[start:stop]
    m = RECIPIENT.search(window)
    # "3 lettres pour Ramil : une au président, une au procureur": the person they are for, when an
    # addressee is named after, is not the addressee
    # a name as a whole word ("mahrous" inside "al-mahrous" is the same name, after the same "pour")
    at = [found.start() for t in person_tokens if t
          if (found := re.search(r"(?<![\w-])" + re.escape(t) + r"(?![\w-])", window))]
    names = [n for n in at if not (m and re.search(r"\bpour (?:[a-z'-]+ ){0,3}$", window[max(0, n - 40):n]))
             and not (m and in_title(norm, start + n))]       # "12 lettres « Libérez Dawit » au ministre
    first_name = min(names, default=None)
    if m and (first_name is None or m.start() < first_name):
        return "off" if m.group("off") else "aut" if m.group("aut") else "sup"
    return "sup" if first_name is not None else None


def letters(seg: Segment, person_tokens: Iterable[str]) -> list[Found]:
    norm, found = seg.norm, []
    nouns = [m for m in LETTER.finditer(norm) if not LETTER_NOT.search(norm[max(0, m.start() - 30):m.start()])
             and not in_title(norm, m.start())     # « Une lettre pour Héla », the day's name
             and not _PUBLISHES.match(norm, m.end())         # "le Courrier de l'Ouest a publié": a paper
             and not _COULD_WRITE.search(norm[max(0, m.start() - 70):m.start()])
             and not ANSWERED.search(norm[max(0, m.start() - 90):m.start()])
             and not _THEY_SIGN.search(norm[max(0, m.start() - 60):m.start()])]
    # "J'ai écrit à mon député et à ma sénatrice (lettres envoyées le 8 avril)": the letters are the ones
    # written to the officials, whatever noun comes after
    to_officials = [w for w in WROTE_TO.finditer(norm) if nouns and w.start() < nouns[0].start()
                    and _recipient(norm, w.end(), w.end() + 80, person_tokens) == "off"]
    if to_officials:
        found.append(Found(ActionType.ADVOCACY, to_officials[0].start(), advocacy_count(norm[to_officials[0].end():])))
    if nouns:
        # "j'ai écrit le 3 avril au président..., et j'ai envoyé 4 cartes", "j'ai écrit au ministre... ;
        # puis j'ai adressé un courrier à ma sénatrice": a letter in a clause of its own
        first = to_officials[0].start() if to_officials else nouns[0].start()
        for w in WROTE_TO.finditer(norm, 0, first):
            who = _recipient(norm, w.end(), w.end() + 80, person_tokens)
            if who in ("aut", "sup") and CLAUSE_BREAK.search(norm, w.end(), first) \
                    and not _others_wrote(norm, w.start()):
                kind = ActionType.LETTER_SUPPORT if who == "sup" else ActionType.LETTER_AUTHORITIES
                found.append(Found(kind, w.start(), 1 if norm[w.end() - 3:w.end()] != "aux" else None))
                break
    for i, m in enumerate(nouns):
        stop = nouns[i + 1].start() if i + 1 < len(nouns) else len(norm)
        # "adressé le 16 mars à l'ambassadeur une lettre ... demandant la libération de X": the
        # addressee named before the letter is the addressee, whoever the letter is about
        sent = [w for w in WROTE_TO.finditer(norm, max(0, m.start() - 120), m.start())
                if not CLAUSE_BREAK.search(norm, w.end(), m.start())
                and not any(w.start() < n.start() < m.start() for n in nouns)]     # not another letter's
        who = (_recipient(norm, sent[-1].end(), m.start(), person_tokens) if sent else None) \
            or _recipient(norm, m.end(), min(stop, m.end() + 120), person_tokens)
        if who is None and to_officials:
            continue
        if who is None:
            who = "sup" if m.group(0).startswith(("carte", "message", "voeux")) else "aut"
        if who == "off":
            # "2 lettres envoyées à nos élus (le sénateur... et la députée...)": as many officials as letters
            officials = advocacy_count(norm[m.start():])
            if officials is None and m.group(0).split()[0].endswith(("s", "x")):
                officials = count_before(norm, m.start(), m.group(0).split()[0])
            found.append(Found(ActionType.ADVOCACY, m.start(), officials))
        else:
            kind = ActionType.LETTER_SUPPORT if who == "sup" else ActionType.LETTER_AUTHORITIES
            found.append(Found(kind, m.start(), count_before(norm, m.start(), m.group(0).split()[0])))
    if nouns:
        # "j'ai envoyé cinq cartes à Rosa, et le 27 janvier j'ai écrit au président": a letter after the last
        # noun, in a clause of its own
        for w in WROTE_TO.finditer(norm, nouns[-1].end()):
            who = _recipient(norm, w.end(), w.end() + 80, person_tokens)
            if who is not None and CLAUSE_BREAK.search(norm, nouns[-1].end(), w.start()) \
                    and not _others_wrote(norm, w.start()):
                kind = {"off": ActionType.ADVOCACY, "sup": ActionType.LETTER_SUPPORT}.get(who,
                                                                                         ActionType.LETTER_AUTHORITIES)
                if all(f.type is not kind for f in found):     # another kind of letter, not more of the same
                    found.append(Found(kind, w.start(), 1 if norm[w.end() - 3:w.end()] != "aux" else None))
                break
    if not nouns and not WROTE_TO.search(norm):
        chased = CHASED_IN_WRITING.search(norm)
        if chased and not _others_wrote(norm, chased.start()):
            found.append(Found(ActionType.LETTER_AUTHORITIES, chased.start(), 1))
    if not nouns:
        for m in WROTE_TO.finditer(norm):
            if _others_wrote(norm, m.start()):
                continue            # "le maire de Grenoble a écrit à l'ambassadrice": his letter, not ours
            who = _recipient(norm, m.end(), m.end() + 80, person_tokens)
            if who == "off":
                found.append(Found(ActionType.ADVOCACY, m.start(), advocacy_count(norm[m.end():])))
            elif who is not None:
                kind = ActionType.LETTER_SUPPORT if who == "sup" else ActionType.LETTER_AUTHORITIES
                # "j'ai ecrit au procureur": one letter to one addressee; "aux autorites": how many is unsaid
                # "chacun de nous a écrit", "plusieurs d'entre nous ont écrit": one letter each, how many unsaid
                single = not m.group(0).endswith("aux") and not re.match(r"\s*(?:les|des|ses|leurs)\b",
                                                                            norm[m.end():]) \
                    and not _EACH_OF_US.search(norm, max(0, m.start() - 40), m.start())
                # "42 d'entre nous ont écrit au président", "douze membres ont écrit": a letter each
                writers = _WRITERS.search(norm, max(0, m.start() - 70), m.start())
                found.append(Found(kind, m.start(), int(writers.group(1)) if writers else 1 if single else None))
            # "j'ai écrit au président..., ainsi qu'à mon eurodéputée": a second addressee of another
            # kind is a second action
            also = _ALSO_TO.search(norm, m.end(), m.end() + 150)
            if who is not None and also:
                second = _recipient(norm, also.end(), also.end() + 60, person_tokens)
                if second == "off" and who != "off":
                    found.append(Found(ActionType.ADVOCACY, also.start(), 1))
                elif second == "aut" and who == "off":
                    found.append(Found(ActionType.LETTER_AUTHORITIES, also.start(), 1))
    return found


# letters one could write, not written: "des personnes capables de rédiger ou de relire des courriers" (not "nous
# avons fini de rédiger les lettres")
_COULD_WRITE = re.compile(r"\b(?:capables?|chargee?s?|besoin|cherch\w*|envie|possibilite|proposer?|prete?s?|aptes?)\b"
                          r"[^.;]{0,30}?\bde (?:rediger|relire|traduire|ecrire)(?: ou (?:de )?(?:rediger|relire|traduire"
                          r"|ecrire))?\s+(?:des |les |vos |nos )?$")
_PUBLISHES = re.compile(r"(?:\s+[\w'-]+){0,4}?\s+(?:a|ont|avait)\s+(?:\w+\s+)?(?:publie|relaye|consacre|titre|repris)\b")
# "il a promis de signer la lettre ouverte", "les élus qui ont signé la lettre": their letter, not ours
_THEY_SIGN = re.compile(r"\b(?:il|elle|ils|elles|qui)\s+(?:[\w']+\s+){0,3}?(?:co-?)?sign\w*\s+(?:[\w']+\s+)?$")
_ALSO_TO = re.compile(r"(?:,\s*ainsi qu'|\bet |\bde meme qu')(?:a|au|aux)\b")
_EACH_OF_US = re.compile(r"\b(?:chacune? (?:de nous|d'entre nous|de son cote)|plusieurs (?:d'entre nous|membres)"
                         r"|tous les membres|chaque membre|nous avons tous|on a tous)\b")
_WRITERS = re.compile(r"\b(\d+) (?:d'entre nous|de nos \w+|membres|adherente?s|personnes|benevoles|militante?s|eleves"
                      r"|etudiante?s|collegues|amie?s|participante?s|lyceen\w*|habitante?s|signataires)\b"
                      r"(?: [\w'-]+){0,3}? (?:ont|avaient)(?: \w+)? $")


# Someone else as the subject of "a écrit", just before it
# (across a relative clause: "le maire, à qui nous avions écrit le 20 octobre, a lui-même écrit"; not
# "le maire était là, puis on a écrit")
OTHERS_WROTE = re.compile(r"\b(?:le|la|les|l'|un|une|son|sa|leur|notre)\s*(?:" + OTHERS + r"|avocate?|famille)\b[^.;]{0,90}?"
                          r"(?<!\bon )(?<!\bnous )\b(?:a|ont|avait|avaient|lui a|leur a)\s+(?:[\w'-]+\s+){0,2}?[a-z]$"
                          # "toutes les personnes qui ont écrit à sa mère": people, in a relative clause
                          r"|\b(?:personnes|gens|ceux|celles|amie?s|inconnue?s)\s+qui\s+(?:lui |leur |m'|nous |vous )?"
                          r"(?:ont|a|avaient|avait)\s+[a-z]$")
# "Il nous a écoutées et, de son côté, a écrit à l'ambassadeur": he, the sentence's subject (from its start),
# someone who received us (not "Ils ont écrit 40 cartes", our volunteers)
_HE_WROTE = re.compile(r"^\W*(?:il|elle|ils|elles)\s+(?:nous|m'|me)\b[^.;]{0,90}?(?<!\bon )(?<!\bnous )(?<!\bj')(?<!\bje )"
                       r"\b(?:a|ont|avait|avaient)\s+(?:[\w'-]+\s+){0,2}?[a-z]$")
# "Il a depuis écrit lui-même à l'ambassadeur": himself, someone told of before
_HE_HIMSELF = re.compile(r"^\W*(?:il|elle|ils|elles)\b(?! y a)[^.;]{0,60}?\b(?:a|ont|avait|avaient)\s+(?:[\w'-]+\s+){0,2}?[a-z]$")
_HIMSELF = re.compile(r"\w*\s+(?:(?:lui|elle|eux|elles)-memes?|de (?:son|leur) cote|a (?:son|leur) tour)\b")


def _others_wrote(norm: str, pos: int) -> bool:
    """Someone else wrote the letter whose verb is at `pos`."""
    return bool(OTHERS_WROTE.search(norm[max(0, pos - 110):pos + 1])
                or pos < 110 and (_HE_WROTE.match(norm[:pos + 1])
                                  or _HE_HIMSELF.match(norm[:pos + 1]) and _HIMSELF.match(norm, pos)))
