"""French text helpers for reading volunteers' mail: folding, numbers, dates, amounts, names.  [pure]

Everything here works on *folded* text (see `fold`): accents removed with unidecode, lower-cased,
typographic apostrophes and spaces made plain, so patterns are written once in ASCII. Number words
go through text2num's `alpha2digit` ("trente-deux" -> "32"), which leaves vague amounts such as
"une trentaine" alone; "un", "une" and "deux" stay words (text2num's threshold) and are read by
`small_number`. Dates are read with a small regex rather than dateparser: a sentence costs
~50 ms in `dateparser.search.search_dates` and a few microseconds here, and the labelling rules
only accept explicit day + month dates anyway. Country names and adjectives are in `countries.py`.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from unidecode import unidecode

_PRE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " ", "\u202f": " ",
                      "\u2009": " ", "°": "o", "\u2013": "-", "\u2014": "-", "\u2192": ",", "\u2022": "-",
                      "\u0259": "e", "\u018f": "E"})   # Azeri schwa: unidecode gives '@'


class _Folding(dict):  # type: ignore[type-arg]
    """Each character's folded form, computed once: unidecode maps a character at a time, and its own
    loop (a Python call per character of a non-ASCII text) was a third of reading a human mail."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = unidecode(chr(code).translate(_PRE))
        return folded


_FOLDING = _Folding()


def fold(text: str) -> str:
    """Accent-free, lower-case, plain punctuation: 'Leïla’s 1 200 €' -> "leila's 1 200 eur"."""
    if text.isascii():
        return text.lower()                    # nothing to fold (_PRE holds no ASCII character)
    return text.translate(_FOLDING).lower()


# A phone's or a student's shorthand, as whole words of folded text ("on a fait 2 interventions ds des
# lycees", "jai ecrit pr elle"): the words the rules are written for
_SMS = {"ds": "dans", "pr": "pour", "bcp": "beaucoup", "qd": "quand", "tjs": "toujours", "tjrs": "toujours",
        "pcq": "parce que", "pck": "parce que", "jai": "j'ai", "jsuis": "je suis", "chui": "je suis",
        "jvais": "je vais", "jveux": "je veux", "jpeux": "je peux", "jvoudrais": "je voudrais",
        "jaimerais": "j'aimerais", "ns": "nous", "vs": "vous", "dc": "donc", "pdt": "pendant", "avc": "avec",
        "qqn": "quelqu'un", "qq": "quelques", "qqs": "quelques", "auj": "aujourd'hui", "ajd": "aujourd'hui",
        "mtn": "maintenant", "tt": "tout", "tte": "toute", "ttes": "toutes", "ts": "tous", "ya": "il y a",
        "yavait": "il y avait", "msg": "message", "lgtps": "longtemps", "stp": "s'il te plait",
        "le mm": "le meme", "la mm": "la meme"}      # "63 signatures le mm soir" (not "30 mm")
_SMS_WORD = re.compile(r"(?<![\w'-])(?:" + "|".join(sorted(_SMS, key=len, reverse=True)) + r")(?![\w'-])")


def expand_shorthand(folded: str) -> str:
    """'2 interventions ds des lycees' -> '2 interventions dans des lycees'."""
    return _SMS_WORD.sub(lambda m: _SMS[m.group(0)], folded)


def to_digits(folded: str) -> str:
    """French number words to digits ('deux cent quinze' -> '215'); vague amounts stay words."""
    if not re.search(r"(?:^|[^a-z])(?:trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze"
                     r"|quinze|seize|vingt|trente|quarante|cinquante|soixante|cent|mille)", folded):
        return folded
    from text_to_num import alpha2digit   # imported on first use: machine mail never needs it
    try:
        return alpha2digit(folded, "fr")
    except Exception:   # noqa: BLE001 - a library hiccup on odd text must not lose the message
        return folded


_THOUSANDS = re.compile(r"(?<![\d,.])(\d{1,3})((?: \d{3})+|(?:\.\d{3})+)(?![\d,]|\.\d)")


def join_thousands(folded: str) -> str:
    """'2 300 signatures' -> '2300 signatures', '1.200 eur' -> '1200 eur' (French thousands
    separators; groups of three only, so a phone number's pairs stay apart)."""
    return _THOUSANDS.sub(lambda m: m.group(1) + re.sub(r"[ .]", "", m.group(2)), folded)


_GRAVE = re.compile(r"(?<![\w'])[aà](?![\w'-])", re.I)
_BARE_A = re.compile(r"(?<![\w'])a(?![\w'-])")


def grave_a(original: str, norm: str) -> frozenset[int]:
    """Positions in `norm` of an 'a' that was 'à' as written: folding made the preposition look
    like the auxiliary ('elle habite à Rennes' is no past tense). Empty when the two disagree."""
    written = [m.group(0).lower() for m in _GRAVE.finditer(original.translate(_PRE))]
    folded = [m.start() for m in _BARE_A.finditer(norm)]
    if len(written) != len(folded):
        return frozenset()
    return frozenset(pos for pos, token in zip(folded, written, strict=True) if token == "à")


_SMALL = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
          "huit": 8, "neuf": 9, "dix": 10, "seul": 1, "seule": 1}


def small_number(word: str) -> int | None:
    """A count written as a digit string or one of the small words text2num leaves alone."""
    if word.isdigit():
        return int(word)
    return _SMALL.get(word)


# ---------------------------------------------------------------------------------------- amounts
AMOUNT = re.compile(r"(?<![\d,.])(\d{1,3}(?:[ .]\d{3})+|\d+)(?:,(\d{1,2}))?\s*eur(?:os?)?\b"
                    r"|\beur\s*(\d+)(?:,(\d{1,2}))?")


def parse_amounts(folded: str) -> list[tuple[int, float]]:
    """Euro amounts with their positions: '62,50 eur' -> 62.5, '1 200 eur' -> 1200.0."""
    found = []
    for m in AMOUNT.finditer(folded):
        whole, cents = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        value = float(re.sub(r"[ .]", "", whole)) + (float("0." + cents.ljust(2, "0")) if cents else 0.0)
        found.append((m.start(), value))
    return found


# ------------------------------------------------------------------------------------------ dates
MONTHS = {"janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
          "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
          "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12}
_WEEKDAY = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+"
DATE = re.compile(
    r"\b(?:" + _WEEKDAY + r")?(1er|premier|[0-3]?\d)\s+(" + "|".join(sorted(MONTHS, key=len, reverse=True))
    + r")\b\.?(?:\s+(\d{4})\b)?"
    r"|(?<![\d/])([0-3]?\d)/([01]?\d)(?:/(\d{4}|\d{2}))?(?![\d/])")


def find_dates(folded: str, sent: datetime | None) -> list[tuple[int, date]]:
    """Explicit calendar dates with their positions. A date without a year is the latest such day
    not after the message's Date; with no Date header it stays unknown (dropped)."""
    found = []
    for m in DATE.finditer(folded):
        if m.group(2):
            day_s, month, year_s = m.group(1), MONTHS[m.group(2)], m.group(3)
            day = 1 if day_s in ("1er", "premier") else int(day_s)
        else:
            day, month, year_s = int(m.group(4)), int(m.group(5)), m.group(6)
        if year_s and len(year_s) == 2:
            year_s = "20" + year_s
        try:
            if year_s:
                found.append((m.start(), date(int(year_s), month, day)))
            elif sent is not None:
                candidate = date(sent.year, month, day)
                if candidate > sent.date():
                    candidate = date(sent.year - 1, month, day)
                found.append((m.start(), candidate))
        except ValueError:      # 31/02, 29 février of a common year...
            continue
    return found


# ------------------------------------------------------------------------------------------ names
TITLES = re.compile(r"^(?:m\.|mme|mlle|me|dr|pr|mr|mrs|ms|monsieur|madame)\s+", re.I)
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|de|du|des|d'|le|la|van|von|da|dos|das|di|del|el|al|ben|bin|ibn"
                        r"|i|y|e)$")     # "Montserrat Puig i Ferrer", "José Ortega y Gasset"


def looks_like_name(line: str) -> bool:
    """'Léa Moreau', 'Isabelle Le Roux', 'Jean-Luc' - not 'Groupe 19 - Lille' nor 'Bien à vous'."""
    words = TITLES.sub("", line.strip()).split()
    if not 1 <= len(words) <= 4 or any(ch.isdigit() for ch in line) or "@" in line:
        return False
    if not words[0][:1].isupper():
        return False
    return all(_NAME_WORD.match(w) for w in words)


def sentences_and_lines(text: str, ends: str = ".!?;") -> list[str]:
    """The lines ("STOP" alone on one) and the sentences whose lines a mail client wrapped ("merci de
    retirer\nX de vos listes", "je souhaiterais être ajouté à la\nliste du dossier"), each once."""
    end = "[" + re.escape(ends) + "]"
    return list(dict.fromkeys([*re.split(rf"(?<={end})\s+|\n", text),
                               *(re.sub(r"\s*\n\s*", " ", s) for s in re.split(rf"(?<={end})\s+|\n\s*\n", text))]))
