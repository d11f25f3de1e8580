"""French text helpers for reading volunteers' mail: folding, numbers, dates, amounts, countries.  [pure]

Everything here works on *folded* text (see `fold`): accents removed with unidecode, lower-cased,
typographic apostrophes and spaces made plain, so patterns are written once in ASCII. Number words
go through text2num's `alpha2digit` ("trente-deux" -> "32"), which leaves vague amounts such as
"une trentaine" alone; "un", "une" and "deux" stay words (text2num's threshold) and are read by
`small_number`. Dates are read with a small regex rather than dateparser: a sentence costs
~50 ms in `dateparser.search.search_dates` and a few microseconds here, and the labelling rules
only accept explicit day + month dates anyway.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from unidecode import unidecode

_PRE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00a0": " ", "\u202f": " ",
                      "\u2009": " ", "°": "o", "\u2013": "-", "\u2014": "-", "\u2192": ",", "\u2022": "-"})


def fold(text: str) -> str:
    """Accent-free, lower-case, plain punctuation: 'Leïla’s 1 200 €' -> "leila's 1 200 eur"."""
    return unidecode(text.translate(_PRE)).lower()


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


# -------------------------------------------------------------------------------------- countries
# key | names (folded, as written in French text) | masculine adjectives (feminine and plural derived).
# Names shared by two countries ("congo", "congolais") point to both; the dossier decides.
_COUNTRIES = """
afghanistan|afghanistan|afghan
afrique-du-sud|afrique du sud|sud-africain
algerie|algerie|algerien
allemagne|allemagne|allemand
angola|angola|angolais
arabie-saoudite|arabie saoudite,arabie|saoudien
argentine|argentine|argentin
armenie|armenie|armenien
azerbaidjan|azerbaidjan|azerbaidjanais,azeri
bahrein|bahrein,bahrain|bahreini
bangladesh|bangladesh|bangladais
belarus|bielorussie,belarus|bielorusse
belgique|belgique|belge
benin|benin|beninois
birmanie|birmanie,myanmar|birman
bolivie|bolivie|bolivien
bresil|bresil|bresilien
burkina-faso|burkina faso,burkina|burkinabe
burundi|burundi|burundais
cambodge|cambodge|cambodgien,khmer
cameroun|cameroun|camerounais
canada|canada|canadien
centrafrique|republique centrafricaine,centrafrique|centrafricain
chili|chili|chilien
chine|chine,republique populaire de chine|chinois
colombie|colombie|colombien
congo|republique du congo,congo-brazzaville,congo|congolais
coree-du-nord|coree du nord|nord-coreen
coree-du-sud|coree du sud|sud-coreen
cote-d-ivoire|cote d'ivoire,cote-d'ivoire|ivoirien
cuba|cuba|cubain
djibouti|djibouti|djiboutien
egypte|egypte|egyptien
emirats|emirats arabes unis,emirats|emirati
equateur|equateur|equatorien
erythree|erythree|erythreen
espagne|espagne|espagnol
eswatini|eswatini,swaziland|swazi
etats-unis|etats-unis,usa|americain,etats-unien
ethiopie|ethiopie|ethiopien
france|france|francais
gabon|gabon|gabonais
gambie|gambie|gambien
georgie|georgie|georgien
ghana|ghana|ghaneen
grece|grece|grec
guatemala|guatemala|guatemalteque
guinee|guinee,guinee-conakry|guineen
guinee-equatoriale|guinee equatoriale|equato-guineen
haiti|haiti|haitien
honduras|honduras|hondurien
hong-kong|hong kong,hong-kong|hongkongais
hongrie|hongrie|hongrois
inde|inde|indien
indonesie|indonesie|indonesien
irak|irak,iraq|irakien
iran|iran|iranien
israel|israel|israelien
italie|italie|italien
japon|japon|japonais
jordanie|jordanie|jordanien
kazakhstan|kazakhstan|kazakh,kazakhstanais
kenya|kenya|kenyan
kirghizistan|kirghizistan|kirghiz
koweit|koweit|koweitien
laos|laos|laotien
liban|liban|libanais
liberia|liberia|liberien
libye|libye|libyen
madagascar|madagascar|malgache
malaisie|malaisie|malaisien
malawi|malawi|malawite
mali|mali|malien
maroc|maroc|marocain
mauritanie|mauritanie|mauritanien
mexique|mexique|mexicain
moldavie|moldavie,moldova|moldave
mongolie|mongolie|mongol
mozambique|mozambique|mozambicain
nepal|nepal|nepalais
nicaragua|nicaragua|nicaraguayen
niger|niger|nigerien
nigeria|nigeria|nigerian
oman|oman|omanais
ouganda|ouganda|ougandais
ouzbekistan|ouzbekistan|ouzbek
pakistan|pakistan|pakistanais
palestine|palestine,territoires palestiniens,gaza,cisjordanie|palestinien
paraguay|paraguay|paraguayen
perou|perou|peruvien
philippines|philippines|philippin
pologne|pologne|polonais
qatar|qatar|qatari
rdc|republique democratique du congo,rd congo,rdc,congo-kinshasa,congo|congolais
royaume-uni|royaume-uni,grande-bretagne,angleterre|britannique
russie|russie,federation de russie|russe
rwanda|rwanda|rwandais
salvador|el salvador,salvador|salvadorien
senegal|senegal|senegalais
serbie|serbie|serbe
sierra-leone|sierra leone|sierraleonais
singapour|singapour|singapourien
somalie|somalie|somalien
soudan|soudan|soudanais
soudan-du-sud|soudan du sud|sud-soudanais
sri-lanka|sri lanka|sri-lankais,srilankais
syrie|syrie|syrien
tadjikistan|tadjikistan|tadjik
taiwan|taiwan|taiwanais
tanzanie|tanzanie|tanzanien
tchad|tchad|tchadien
thailande|thailande|thailandais
tibet|tibet|tibetain
togo|togo|togolais
tunisie|tunisie|tunisien
turkmenistan|turkmenistan|turkmene
turquie|turquie|turc
ukraine|ukraine|ukrainien
venezuela|venezuela|venezuelien
vietnam|viet nam,vietnam,viet-nam|vietnamien
yemen|yemen|yemenite
zambie|zambie|zambien
zimbabwe|zimbabwe|zimbabween
"""


def _feminine(adj: str) -> list[str]:
    special = {"turc": "turque", "grec": "grecque"}
    if adj in special:
        return [special[adj]]
    if adj.endswith("en"):
        return [adj + "ne"]
    if adj.endswith("e"):
        return []
    return [adj + "e"]


@lru_cache(maxsize=1)
def _country_tables() -> tuple[dict[str, set[str]], re.Pattern[str]]:
    """word or name (folded) -> country keys, and one regex finding any of them."""
    words: dict[str, set[str]] = {}
    for line in _COUNTRIES.strip().splitlines():
        key, names, adjectives = line.split("|")
        forms = [n.strip() for n in names.split(",")]
        for adj in adjectives.split(","):
            for form in [adj, *_feminine(adj)]:
                forms += [form, form + "s"] if not form.endswith(("s", "x")) else [form]
        for form in forms:
            words.setdefault(form, set()).add(key)
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return words, re.compile(r"(?<![a-z-])(?:" + alternation + r")(?![a-z-])")


def country_keys() -> set[str]:
    return {key for keys in _country_tables()[0].values() for key in keys}


def country_key(name: str) -> str:
    """A dossier's country field -> the key used in text matching ('Viêt Nam' -> 'vietnam')."""
    folded = fold(name).strip()
    words, _ = _country_tables()
    keys = words.get(folded)
    if keys and len(keys) == 1:
        return next(iter(keys))
    if keys:     # "Congo" written in a dossier: keep the wording as its own key
        return sorted(keys)[0]
    return folded


def find_countries(folded: str, extra_names: dict[str, str] | None = None) -> set[str]:
    """Country keys named in the text, by name or adjective ('notre dossier vietnamien')."""
    words, pattern = _country_tables()
    keys: set[str] = set()
    for m in pattern.finditer(folded):
        keys |= words[m.group(0)]
    for name, key in (extra_names or {}).items():      # countries missing from the table
        if re.search(r"(?<![a-z])" + re.escape(name) + r"(?![a-z])", folded):
            keys.add(key)
    return keys


# ------------------------------------------------------------------------------------------ names
TITLES = re.compile(r"^(?:m\.|mme|mlle|me|dr|pr|mr|mrs|ms|monsieur|madame)\s+", re.I)
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’.-]*|de|du|des|d'|le|la|van|von|da|dos|di|del|el|al|ben|bin)$")


def looks_like_name(line: str) -> bool:
    """'Léa Moreau', 'Isabelle Le Roux', 'Jean-Luc' - not 'Groupe 19 - Lille' nor 'Bien à vous'."""
    words = TITLES.sub("", line.strip()).split()
    if not 1 <= len(words) <= 4 or any(ch.isdigit() for ch in line) or "@" in line:
        return False
    if not words[0][:1].isupper():
        return False
    return all(_NAME_WORD.match(w) for w in words)
