"""Writes tests/data/spreadsheets (run: python tests/data/spreadsheets/make_spreadsheets.py).

What French coordinators' spreadsheet software saves: Excel's "CSV UTF-8" (BOM, `;`), its
"CSV (séparateur : point-virgule)" (cp1252), its "Texte Unicode" (UTF-16 with BOM, tab),
LibreOffice's defaults (UTF-8, `,` or `;`), and a cp1252 file some tools prefix with a UTF-8
BOM. Every members file holds the same people, so each must import to `expected-members.json`.
"""
import codecs
import csv
import io
import json
from pathlib import Path

OUT = Path(__file__).parent
ENCODINGS = {  # name -> (codec, BOM written in front)
    "utf8": ("utf-8", b""), "utf8-bom": ("utf-8", codecs.BOM_UTF8), "cp1252": ("cp1252", b""),
    "cp1252-bom": ("cp1252", codecs.BOM_UTF8), "utf16": ("utf-16-le", codecs.BOM_UTF16_LE),
}
DELIMITERS = {"virgule": ",", "point-virgule": ";", "tab": "\t"}

MEMBERS = [  # Prénom, Nom, Adresse électronique, Groupe (codes in any case)
    ("Prénom", "Nom", "Adresse électronique", "Groupe"),
    ("Anne", "Rivière", "Anne.Riviere@Example.org", "g037"),
    ("Benoît", "Lœuillet", "benoit.loeuillet@example.fr", "G112"),
    ("Jean-Loïc", "N'Diaye", "jl.ndiaye@example.net", ""),
    ("Marie", "Dupont, dite « Mimi »", "marie.dupont@example.org", "c021"),   # the delimiter in a cell
]
EXPECTED_MEMBERS = [
    {"email": "anne.riviere@example.org", "name": "Anne Rivière", "group": "G037"},
    {"email": "benoit.loeuillet@example.fr", "name": "Benoît Lœuillet", "group": "G112"},
    {"email": "jl.ndiaye@example.net", "name": "Jean-Loïc N'Diaye", "group": ""},
    {"email": "marie.dupont@example.org", "name": "Marie Dupont, dite « Mimi »", "group": "C021"},
]
GROUPS = [
    ("Code", "Nom", "Type", "Ville", "Courriel"),
    ("g037", "Groupe 37 de Lyon", "Groupe local", "Lyon", "Groupe37.Lyon@example.org"),
    ("G112", "Groupe 112 de Nantes", "groupe local", "Nantes", ""),
    ("c021", "Cercle d'action de Besançon", "Cercle d’action", "Besançon", "cercle.besancon@example.org"),
    ("J007", "Antenne jeunes de Lille", "ANTENNE JEUNES", "Lille", ""),
]
DOSSIERS = [
    ("Réf", "Personne", "Pays", "Statut", "Référent", "Groupes"),
    ("di-2025-014", "Leïla Sadeghi", "Iran", "Actif", "Anne.Riviere@example.org", "g037, G112"),
    ("DI-2024-031", "Nadejda Kouznetsova", "Russie", "suspendu", "", "C021"),
    ("DI-2019-002", "Ancien dossier", "Chili", "Clos", "", ""),
]
SUBSCRIBERS = [("Adresse e-mail",), ("Zoe@Example.org",), ("paul.martin@example.net",)]


def write(name: str, rows: list[tuple[str, ...]], encoding: str = "utf8", delimiter: str = ";") -> None:
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    codec, bom = ENCODINGS[encoding]
    (OUT / name).write_bytes(bom + text.getvalue().encode(codec))


for encoding in ENCODINGS:
    for delimiter_name, delimiter in DELIMITERS.items():
        write(f"membres-{encoding}-{delimiter_name}.csv", MEMBERS, encoding, delimiter)
write("groupes.csv", GROUPS, "utf8-bom", ";")
write("dossiers.csv", DOSSIERS, "cp1252", ";")
write("abonnes.csv", SUBSCRIBERS, "utf8", ",")
write("membres-telephone.csv", [(*r, t) for r, t in zip(MEMBERS, ("Téléphone", "06 12 34 56 78", "", "", ""))],
      "cp1252", ";")
(OUT / "expected-members.json").write_text(json.dumps(EXPECTED_MEMBERS, ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
