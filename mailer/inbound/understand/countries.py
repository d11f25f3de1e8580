"""Countries named in French text, by name or adjective ('notre dossier vietnamien').   [pure]

One table: key | names (folded, as written in French text) | masculine adjectives, from which the
feminine and plural forms are derived. A dossier's country field maps to the same keys
(`country_key`), so a report naming "la Birmanie" finds the dossier whose country is "Myanmar".
"""

from __future__ import annotations

import re
from functools import lru_cache

from .french import fold

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
