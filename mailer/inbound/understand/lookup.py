"""Directory lookups for the readers: groups, dossiers, people, countries.   [pure]

`DirectoryIndex` finds groups by number / city / name, dossiers by ref / person (fuzzy, tolerant of
transliterations) / country; `index_for` builds it once per `Directory`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...models import Directory, DossierStatus
from .countries import country_key, country_keys
from .french import fold

_GROUP_NOUNS = {"groupe": "groupe_local", "gl": "groupe_local", "cercle": "cercle_action",
                "antenne": "antenne_jeunes"}
_GREETING = re.compile(r"^\s*(?:bonjour|bonsoir|salut|hello|coucou|chers?|cheres?|madame|monsieur|hi)\b[^\n]{0,60}$",
                       re.I | re.M)
# "membre de l'", "je suis a l'", "notre": the writer's own structure, not one they ask about or join
# (a phone's "jsuis dans l antenne" too)
BELONGS_CUE = (r"(?:\bmembre|\bpartie|\bj?suis|\bchui|\bsommes|\bmon|\bma|\bnotre|\bnos)\s+"
               r"(?:(?:de|du|des|d'|a|au|dans)\s*)?(?:l'|la |le |les |l )?")
_BELONGS = re.compile(BELONGS_CUE + "$")
_WORD = re.compile(r"[^\W\d_]+")
REF = re.compile(r"\b([a-z]{1,5})[- ]?(\d{4})[- ]?(\d{1,4})\b")
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "le", "la", "les",
              "el", "al", "ben", "bin", "ibn", "abu", "mme", "mlle"}


def _ref_key(text: str) -> str:
    m = REF.fullmatch(fold(text).strip())
    return f"{m.group(1)}{m.group(2)}-{int(m.group(3))}" if m else re.sub(r"[^a-z0-9]", "", fold(text))


def _sound(token: str) -> str:
    """A transliteration-tolerant key: 'Kouznetsova'/'Kuznetsova', 'Nadejda'/'Nadezhda' agree, and so
    do a Belarusian or Ukrainian name's Latin spelling and its Russian-French one ('Łahviniec' and
    'Lagviniets': h/g, c/ts, ie/e)."""
    token = re.sub(r"(.)\1+", r"\1", token)
    for a, b in (("tch", "ch"), ("sch", "ch"), ("sh", "ch"), ("dzh", "j"), ("zh", "j"), ("dj", "j"), ("kh", "h"),
                 ("ou", "u"), ("ph", "f"), ("th", "t"), ("w", "v"), ("y", "i"), ("ck", "k"), ("q", "k"),
                 ("gu(?=[ei])", "g"), ("c(?=[aou])", "k"), ("ee", "i"),
                 ("t[sz]", "c"), ("ij", "i"), ("ie", "e"), ("(?<!c)h", "g")):
        token = re.sub(a, b, token)
    return token


def _name_tokens(name: str, capitalised_only: bool = True) -> list[str]:
    words = [w for w in _WORD.findall(name) if not capitalised_only or w[0].isupper()]
    return [t for t in (fold(w) for w in words) if len(t) >= 4 and t not in _PARTICLES]


# nouns too general to name a collective dossier ("les défenseurs" is also the aid fund's name)
_GENERIC = {"defenseurs", "defenseuses", "victimes", "personnes", "militants", "militantes", "membres", "gens",
            "benevoles", "eleves", "etudiants", "etudiantes", "femmes", "hommes", "enfants", "prisonniers", "detenus"}


def _collective_noun(person: str) -> str | None:
    """'les 7 défenseurs de Mbandaka' -> None (too general), 'les quatre libraires d'Ürümqi' -> 'libraires'."""
    m = re.match(r"les (?:[a-z0-9-]+ )?([a-z]{6,}s)\b", fold(person).strip())
    return m.group(1) if m and m.group(1) not in _GENERIC else None


def _city_pattern(city: str) -> str:
    words = [w for w in re.split(r"[\s'-]+", re.sub(r"^st\b", "saint", fold(city).strip())) if w]
    full = r"[\s'-]*".join("(?:saint|st)" if w == "saint" else re.escape(w) for w in words)
    if len(words) >= 2 and words[0] not in ("saint", "sainte") and (
            len(words[0]) >= 5 or (len(words[0]) >= 3 and words[1] == "en")):
        return rf"(?:{full}|{re.escape(words[0])}(?![\w-]))"      # "Clermont", "Aix" (-en-Provence)
    return full


@dataclass(frozen=True)
class _GroupInfo:
    code: str
    kind: str
    number: int | None
    city: str          # folded, '' when unknown


@dataclass(frozen=True)
class _DossierInfo:
    ref: str
    tokens: tuple[str, ...]
    country: str
    groups: frozenset[str]
    closed: bool


class DirectoryIndex:
    """Lookups the readers need, built once per Directory (see `index_for`)."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.groups = {g.code: _GroupInfo(g.code, g.kind, self._number(g.code, g.name),
                                          fold(g.city).strip()) for g in directory.groups}
        self.group_by_email = {g.email.lower(): g.code for g in directory.groups if g.email}
        self.member_group = {m.email.lower(): (m.group or None) for m in directory.members}
        nouns = dict(_GROUP_NOUNS)
        for g in directory.groups:        # a directory with other kinds ("Section de X") brings its nouns
            first = fold(g.name).split()[0] if g.name.strip() else ""
            if len(first) > 2 and first not in nouns:
                nouns[first] = g.kind
        self.noun_kind = nouns
        cities = {fold(g.city).strip(): _city_pattern(g.city) for g in directory.groups if g.city.strip()}
        self.city_of = [(re.compile(r"^" + pat + r"$"), city) for city, pat in cities.items()]
        city_alt = "|".join(sorted(cities.values(), key=len, reverse=True)) or r"(?!x)x"
        noun_alt = "|".join(sorted((re.escape(n) for n in nouns), key=len, reverse=True))
        self.mention = re.compile(
            r"\b(?P<noun>" + noun_alt + r")s?\b(?:\s+(?:local|locale|locaux|d'actions?|jeunes?|etudiante?s?))*"
            r"(?:\s*(?:no\.?|numero|#)?\s*(?P<num>\d{1,4})\b)?"
            r"(?:\s*(?:de\s|d'|du\s|des\s|a\s|-\s*|,\s*|\(|:\s*)?\s*(?:la\s|le\s|l')?(?P<city>" + city_alt + r")\b)?")
        self.city_word = re.compile(r"\b(?P<city>" + city_alt + r")\b")
        self.group_names = {fold(g.name).strip(): g.code for g in directory.groups if len(g.name.strip()) >= 6}
        self.dossiers = [self._dossier(d) for d in directory.dossiers]
        self.by_ref = {_ref_key(d.ref): d.ref for d in directory.dossiers}
        self.token_refs: dict[str, set[str]] = {}
        for info in self.dossiers:
            for t in info.tokens:
                self.token_refs.setdefault(t, set()).add(info.ref)
        # a name of short words only ("Ho Ka-yan"): no word is a name on its own, the whole name is
        self.short_names = [(re.compile(r"(?<![\w-])" + r"[\s-]*".join(map(re.escape, words)) + r"(?![\w-])"), info.ref)
                            for d, info in zip(directory.dossiers, self.dossiers) if not info.tokens
                            and len(words := [fold(w) for w in _WORD.findall(d.person)]) >= 2]
        # a collective dossier named by what its people are: "les quatre libraires d'Ürümqi" <- "les libraires"
        self.collective_nouns = [(re.compile(r"\bles (?:[a-z0-9-]+ )?" + re.escape(noun) + r"\b"), info.ref)
                                 for d, info in zip(directory.dossiers, self.dossiers)
                                 if (noun := _collective_noun(d.person))]
        self.sound_refs: dict[str, set[str]] = {}
        for t, refs in self.token_refs.items():
            self.sound_refs.setdefault(_sound(t), set()).update(refs)
        known = country_keys()
        self.extra_countries = {d.country: d.country for d in self.dossiers if d.country and d.country not in known}
        self.person_pairs: set[tuple[str, str]] = set()
        for m in directory.members:
            self.add_person(m.name, self.person_pairs)

    @staticmethod
    def _number(code: str, name: str) -> int | None:
        found = re.search(r"\d+", name) or re.search(r"\d+", code)
        return int(found.group(0)) if found else None

    @staticmethod
    def _dossier(d: object) -> _DossierInfo:
        try:
            closed = DossierStatus.parse(d.status) is DossierStatus.CLOSED  # type: ignore[attr-defined]
        except ValueError:
            closed = False
        groups = d.groups  # type: ignore[attr-defined]
        if isinstance(groups, str):
            groups = [g for g in re.split(r"[;,\s]+", groups) if g]
        return _DossierInfo(d.ref, tuple(dict.fromkeys(_name_tokens(d.person))),  # type: ignore[attr-defined]
                            country_key(d.country) if d.country else "", frozenset(groups), closed)  # type: ignore

    @staticmethod
    def add_person(name: str, pairs: set[tuple[str, str]]) -> None:
        words = [fold(w) for w in _WORD.findall(name or "")]
        pairs.update(zip(words, words[1:], strict=False))

    # ------------------------------------------------------------------------------ groups
    def _city(self, text: str) -> str:
        return next((city for pattern, city in self.city_of if pattern.match(text)), "")

    def group_mentions(self, folded: str, skip: re.Pattern[str] | None = None) -> list[str]:
        """Group codes named in the text, in order ('groupe 37', 'cercle d'action de Tours'...)."""
        found: list[tuple[int, str]] = []
        for m in self.mention.finditer(folded):
            num, city = m.group("num"), m.group("city")
            if not num and not city:
                # "a toulouse, membre de l'antenne jeunes": ours, in the one city the sentence names
                city = self._city_in_sentence(folded, m.start()) \
                    if _BELONGS.search(folded, max(0, m.start() - 30), m.start()) else ""
                if not city:
                    continue
            if skip is not None and skip.search(folded[max(0, m.start() - 30):m.start()]):
                continue
            kind = self.noun_kind.get(m.group("noun"))
            city_key = self._city(city) if city else ""
            pool = [g for g in self.groups.values() if (not num or g.number == int(num))
                    and (not city_key or g.city == city_key)]
            typed = [g for g in pool if g.kind == kind]
            chosen = typed if len(typed) == 1 or not num else pool
            if len(chosen) == 1:
                found.append((m.start(), chosen[0].code))
        for name, code in self.group_names.items():
            at = folded.find(name)
            if at >= 0 and all(c != code for _, c in found) and (
                    skip is None or not skip.search(folded[max(0, at - 30):at])):   # a partner by its full name too
                found.append((at, code))
        return [code for _, code in sorted(found)]

    def _city_in_sentence(self, folded: str, at: int) -> str:
        """The one city named in the sentence around `at` ('' when none or several)."""
        start = max(folded.rfind(c, 0, at) for c in ".!?\n") + 1
        ends = [e for e in (folded.find(c, at) for c in ".!?\n") if e >= 0]
        cities = {m.group("city") for m in self.city_word.finditer(folded, start, min(ends, default=len(folded)))}
        return cities.pop() if len(cities) == 1 else ""

    def city_groups(self, folded: str) -> list[str]:
        cities = {self._city(m.group("city")) for m in self.city_word.finditer(folded)}
        return [g.code for g in self.groups.values() if g.city and g.city in cities]

    # ---------------------------------------------------------------------------- dossiers
    def refs_in(self, folded: str) -> list[str]:
        found = [self.by_ref.get(f"{m.group(1)}{m.group(2)}-{int(m.group(3))}") for m in REF.finditer(folded)]
        return [r for r in found if r]

    def person_scores(self, text: str, ignore: set[tuple[str, str]]) -> dict[str, float]:
        """dossier ref -> how well the capitalised words of `text` name its person."""
        from rapidfuzz import fuzz, process  # lazy: machine mail never gets here

        text = _GREETING.sub("", text)
        words = [(w, fold(w)) for w in _WORD.findall(text)]
        skip: set[int] = set()
        for i in range(len(words) - 1):
            if (words[i][1], words[i + 1][1]) in ignore:
                skip.update((i, i + 1))
        seen = {f for i, (w, f) in enumerate(words) if i not in skip and w[0].isupper() and len(f) >= 4}
        # a writer in lower case names the person in full: "le dossier de zulpiya ablimit" (two words of one name)
        seen.update(f for i in range(len(words) - 1) if not words[i][0][0].isupper()
                    and len(words[i][1]) >= 4 and len(words[i + 1][1]) >= 4
                    and self.token_refs.get(words[i][1], set()) & self.token_refs.get(words[i + 1][1], set())
                    for f in (words[i][1], words[i + 1][1]))
        best: dict[str, dict[str, float]] = {}
        choices = list(self.token_refs)
        sounds = list(self.sound_refs)
        for token in seen:
            hits: list[tuple[str, float, set[str]]] = []
            if token in self.token_refs:
                hits.append((token, 1.0, self.token_refs[token]))
            else:
                cutoff = 80 if len(token) >= 7 else 86
                for choice, score, _ in process.extract(token, choices, scorer=fuzz.ratio, score_cutoff=cutoff,
                                                        limit=3):
                    if choice[0] == token[0]:
                        hits.append((choice, score / 100, self.token_refs[choice]))
                key = _sound(token)
                for choice, score, _ in process.extract(key, sounds, scorer=fuzz.ratio, score_cutoff=86, limit=3):
                    if choice[0] == key[0]:
                        hits.append((choice, 0.9 * score / 100, self.sound_refs[choice]))
            for name, quality, refs in hits:
                for ref in refs:
                    slot = best.setdefault(ref, {})
                    slot[name] = max(slot.get(name, 0.0), quality)
        if self.short_names or self.collective_nouns:
            folded = fold(text)
            for pattern, ref in self.short_names:
                if pattern.search(folded):
                    best.setdefault(ref, {})["(name)"] = 1.0
            for pattern, ref in self.collective_nouns:
                if pattern.search(folded):
                    best.setdefault(ref, {})["(they)"] = 0.8
        return {ref: sum(q.values()) for ref, q in best.items()}

    def choose_dossier(self, scores: dict[str, float], countries: set[str], group: str | None,
                       allow_closed: bool) -> str | None:
        infos = {d.ref: d for d in self.dossiers if allow_closed or not d.closed}
        ranked = []
        for ref, score in scores.items():
            info = infos.get(ref)
            if info is None or score < 0.8:
                continue
            score += 0.5 if info.country in countries else 0.0
            ranked.append((score, group in info.groups, not info.closed, ref))
        ranked.sort(reverse=True)
        if not ranked:
            return None
        if len(ranked) > 1 and ranked[0][:3] == ranked[1][:3]:
            return None         # two dossiers named as well as each other: a human decides
        return ranked[0][3]

    def dossier_by_country(self, countries: set[str], group: str | None) -> str | None:
        pool = [d for d in self.dossiers if d.country in countries
                and (group in d.groups if group else not d.closed)]
        if group and len(pool) > 1:
            pool = [d for d in pool if not d.closed]
        return pool[0].ref if len(pool) == 1 else None


_INDEX_CACHE: list[DirectoryIndex] = []


def index_for(directory: Directory) -> DirectoryIndex:
    """The index of this Directory object, built on first use (a batch shares one Directory)."""
    for index in _INDEX_CACHE:
        if index.directory is directory:
            return index
    index = DirectoryIndex(directory)
    _INDEX_CACHE.insert(0, index)
    del _INDEX_CACHE[4:]
    return index
