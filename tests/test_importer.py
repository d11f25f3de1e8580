"""CSV reading and row validation: every accepted file format, and bad rows with their line numbers.

The fr-dev CSVs in tests/data/fr-dev/ are copies of ../shared/corpus/fr-dev/ (the team's
reference data used by the inbound corpus), so these tests run on a fresh clone.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from zoneinfo import ZoneInfo

from mailer.sheets.columns import COLUMNS, header_key
from mailer.errors import ImportFileError
from mailer.sheets.importer import CONTACTS, ImportKind, normalize_email, parse_text, read_file, RowError
from mailer.models import Dossier, Group, Member, Subscriber

FR_DEV = Path(__file__).parent / "data" / "fr-dev"
KNOWN = {"G037", "G058", "G112", "C021"}


def write(folder: Path, text: str, encoding: str = "utf-8", name: str = "file.csv") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reference_files_parse_without_rejection() -> None:
    groups = read_file(FR_DEV / "groups.csv", ImportKind.GROUPS)
    codes = {g.code for g in groups.records}
    dossiers = read_file(FR_DEV / "dossiers.csv", ImportKind.DOSSIERS, codes)
    members = read_file(FR_DEV / "members.csv", ImportKind.MEMBERS, codes)
    assert (len(groups.records), len(dossiers.records), len(members.records)) == (11, 8, 13)
    assert not (groups.rejected or dossiers.rejected or members.rejected)
    assert not (groups.warnings or dossiers.warnings or members.warnings)
    by_ref = {d.ref: d for d in dossiers.records}
    assert by_ref["DI-2023-009"].groups == ["G019", "G071", "J012"]
    assert by_ref["DI-2022-005"].status == "closed"
    assert by_ref["DI-2025-040"].person == "Nguyễn Văn Khoa"


@pytest.mark.parametrize("text, encoding", [
    ("email,name,group\nanne@example.org,Anne Rivière,G037\n", "utf-8"),
    ("email;name;group\nanne@example.org;Anne Rivière;G037\n", "utf-8"),
    ("email;name;group\r\nanne@example.org;Anne Rivière;G037\r\n", "utf-8-sig"),
    ("email;name;group\r\nanne@example.org;Anne Rivière;G037\r\n", "cp1252"),
    ("email,name,group\r\nanne@example.org,Anne Rivière,G037\r\n", "cp1252"),
    ("email\tname\tgroup\r\nanne@example.org\tAnne Rivière\tG037\r\n", "utf-16"),
    ("email;name;group\ranne@example.org;Anne Rivière;G037\r", "cp1252"),
], ids=["comma-utf8", "semicolon-utf8", "semicolon-bom", "semicolon-cp1252", "comma-cp1252",
        "tab-utf16", "old-mac-cr"])
def test_each_accepted_file_format(tmp_path: Path, text: str, encoding: str) -> None:
    parsed = read_file(write(tmp_path, text, encoding), ImportKind.MEMBERS, KNOWN)
    assert parsed.records == [Member("anne@example.org", "Anne Rivière", "G037")]
    assert parsed.rejected == []


@pytest.mark.parametrize("delimiter, cell", [(",", '"G037,G058"'), (";", '"G037;G058"'),
                                             (";", "G037,G058"), (",", "G037;G058")])
def test_dossier_groups_quoted_when_they_contain_the_delimiter(tmp_path: Path, delimiter: str, cell: str) -> None:
    header = delimiter.join(["ref", "person", "country", "status", "referent_email", "groups"])
    row = delimiter.join(["DI-1", "Leïla Sadeghi", "Iran", "actif", "R@Example.org", cell])
    parsed = read_file(write(tmp_path, f"{header}\n{row}\n", "cp1252"), ImportKind.DOSSIERS, KNOWN)
    assert parsed.records == [Dossier("DI-1", "Leïla Sadeghi", "Iran", "active", "r@example.org",
                                      ["G037", "G058"])]


def test_header_is_case_and_space_insensitive_and_an_unknown_column_is_skipped_only_on_request() -> None:
    text = " Name ;Téléphone; EMAIL \nAnne;0600000000;ANNE@EXAMPLE.ORG\n"
    with pytest.raises(ImportFileError, match=r"column 'Téléphone' is not understood for subscribers; "
                                              r"to leave it out on purpose: --skip-column 'Téléphone'"):
        parse_text(text, ImportKind.SUBSCRIBERS, source="x.csv")
    parsed = parse_text(text, ImportKind.SUBSCRIBERS, skip=["telephone"])     # matched as headers are
    assert parsed.records == [Subscriber("anne@example.org", "Anne")]
    assert parsed.fields == ("email", "name")
    with pytest.raises(ImportFileError, match=r"--skip-column 'Portable': no such column in the header"):
        parse_text(text, ImportKind.SUBSCRIBERS, skip=["Téléphone", "Portable"], source="x.csv")


@pytest.mark.parametrize("kind, header, expected", [
    ("subscribers", "nom\n", "missing column(s) email (in French: Courriel)"),
    ("groups", "code,name,city\n", "missing column(s) kind (in French: Type)"),
    ("subscribers", "", "the file is empty"),
    ("subscribers", "\nemail\n", "its first line is blank"),
    ("subscribers", "email,name,email\n", "columns 'email' and 'email' both mean email"),
    ("members", "Email;Courriel\n", "columns 'Email' and 'Courriel' both mean email"),
    ("members", "Emial;Nom\n", "column 'Emial' is not understood for members (did you mean 'Courriel', email?)"),
    ("members", "Courriel;Prenon;Nom\n", "(did you mean 'Prénom', first_name?)"),
    ("dossiers", "Ref;Person;Staut\n", "(did you mean 'Statut', status?)"),
])
def test_unusable_header_is_a_clear_error(kind: str, header: str, expected: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_text(header, kind, source="x.csv")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("x.csv: ")


def test_each_kind_has_distinct_header_spellings() -> None:
    """Two columns of one kind answering to the same spelling would make a header ambiguous."""
    for kind, columns in COLUMNS.items():
        keys = [k for c in columns for k in c.keys]
        assert len(keys) == len(set(keys)), kind


@pytest.mark.parametrize("header", ["email", "Email", "E-mail", "e_mail", "Mail", "Courriel", "COURRIEL",
                                    "Adresse électronique", "adresse electronique", "Adresse e-mail",
                                    "Adresse_E-Mail", " Mél "])
def test_every_spelling_of_the_email_column(header: str) -> None:
    parsed = parse_text(f"{header}\nZoe@Example.org\n", ImportKind.SUBSCRIBERS)
    assert parsed.records == [Subscriber("zoe@example.org", "")] and parsed.fields == ("email",)
    assert header_key(header) in {"email", "mail", "courriel", "adresseelectronique", "adresseemail", "mel"}


def test_french_headers_for_each_kind() -> None:
    groups = parse_text("Code;Nom du groupe;Type;Ville;Courriel\n"
                        "g037;Groupe 37 de Lyon;Groupe local;Lyon;G37@Example.org\n"
                        "c021;Cercle de Besançon;cercle d’action;Besançon;\n"
                        "j007;Antenne de Lille;ANTENNE-JEUNES;Lille;\n", ImportKind.GROUPS)
    assert [(g.code, g.kind, g.email) for g in groups.records] == [
        ("G037", "groupe_local", "g37@example.org"), ("C021", "cercle_action", ""), ("J007", "antenne_jeunes", "")]
    dossiers = parse_text("Réf;Personne;Pays;Statut;Référent;Groupes\n"
                          "di-2025-014;Leïla Sadeghi;Iran;Actif;R@Example.org;g037, G058\n", ImportKind.DOSSIERS, KNOWN)
    assert dossiers.records == [Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", "r@example.org",
                                        ["G037", "G058"])]
    members = parse_text("Prénom;Nom;Adresse e-mail;Groupe\nAnne;Rivière;anne@example.org;g037\n"
                         ";Sans Prénom;s@example.org;\nSeule;;seule@example.org;\n", ImportKind.MEMBERS, KNOWN)
    assert members.records == [Member("anne@example.org", "Anne Rivière", "G037"),
                               Member("s@example.org", "Sans Prénom", ""), Member("seule@example.org", "Seule", "")]
    assert members.fields == ("email", "name", "group")
    subscribers = parse_text("Courriel;Statut;Date d'inscription\na@example.org;en attente;20/03/2026 10:00\n"
                             "b@example.org;Actif;2026-07-01\n", ImportKind.SUBSCRIBERS, tz=ZoneInfo("Europe/Paris"))
    assert [(s.status, s.since) for s in subscribers.records] == [
        ("pending", "2026-03-20T09:00:00+00:00"), ("active", "2026-06-30T22:00:00+00:00")]


def test_columns_absent_from_the_file_are_not_in_fields() -> None:
    parsed = parse_text("ref;person;status\nD1;P;clos\n", ImportKind.DOSSIERS)
    assert parsed.fields == ("ref", "person", "status")
    assert parsed.records == [Dossier("D1", "P", "", "closed", "", [])]
    with pytest.raises(ImportFileError, match="missing column"):
        parse_text("ref;person\nD1;P\n", ImportKind.DOSSIERS)


def test_cells_outside_the_header_reject_their_row() -> None:
    text = ("email;name\n"
            "a@example.org;Anne;;\n"                      # 2: empty extra cells, as spreadsheets pad rows
            "b@example.org;Dupont; Marie\n"               # 3: an unquoted ';' split a name
            "c@example.org;Carl\n")
    parsed = parse_text(text, ImportKind.SUBSCRIBERS)
    assert [s.email for s in parsed.records] == ["a@example.org", "c@example.org"]
    assert [str(p) for p in parsed.rejected] == [
        "line 3: 1 value(s) outside the header's columns ('Marie'); a delimiter inside a value needs quotes"]
    unnamed = parse_text("email;;name\na@example.org;;A\nb@example.org;x;B\n", ImportKind.SUBSCRIBERS)
    assert [p.line for p in unnamed.rejected] == [3] and len(unnamed.records) == 1


def test_unknown_group_hint_is_true_for_the_store() -> None:
    text = "email;group\na@example.org;G999\nb@example.org;g036\nc@example.org;g037\n"
    empty = parse_text(text, ImportKind.MEMBERS)
    assert "no group is stored yet (import the groups file first)" in empty.rejected[0].message
    known = parse_text(text, ImportKind.MEMBERS, {"g037", "G058"})       # an old store's lower-case code
    assert [m.group for m in known.records] == ["G037"]
    messages = [p.message for p in known.rejected]
    assert messages[0] == "unknown group 'G999' (not among the 2 stored groups: mailer groups list)"
    assert messages[1].endswith("did you mean G037?)") and "import the groups file first" not in messages[1]


def test_contacts_read_like_an_import() -> None:
    parsed = parse_text("Prénom,Nom,Courriel\nHélène,Rivière,Elus@Example.org\n,,pas-une-adresse\n", CONTACTS)
    assert [(c.email, c.name) for c in parsed.records] == [("elus@example.org", "Hélène Rivière")]
    assert [p.line for p in parsed.rejected] == [3]


def test_undecodable_or_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"email,name\n\x81\x8d@example.org,x\n")   # invalid in UTF-8 and in cp1252
    with pytest.raises(ImportFileError, match="neither UTF-8 nor Windows-1252"):
        read_file(path, ImportKind.SUBSCRIBERS)
    with pytest.raises(ImportFileError, match="cannot read"):
        read_file(tmp_path / "absent.csv", ImportKind.SUBSCRIBERS)


def test_bad_rows_are_reported_with_their_line_and_the_rest_is_kept() -> None:
    text = ("email;name;group\n"                       # 1
            "ok1@example.org;Anne;G037\n"              # 2
            "not-an-address;Bob;\n"                    # 3
            "\n"                                       # 4 blank: skipped, still counted
            "ok2@example.org;\"Carl\nBcc: x@evil\";\n"  # 5-6: LF inside a quoted name
            "élodie@example.fr;Élodie;\n"              # 7 non-ASCII local part
            "ok3@example.org;Dan;G999\n"               # 8 unknown group
            ";Eve;\n"                                  # 9 empty email
            "ok4@example.org;Fay\x07;\n"               # 10 control character
            "ok5@example.org;Gil;C021\n")              # 11
    parsed = parse_text(text, ImportKind.MEMBERS, KNOWN)
    assert [m.email for m in parsed.records] == ["ok1@example.org", "ok5@example.org"]
    lines = {p.line: p.message for p in parsed.rejected}
    assert sorted(lines) == [3, 5, 7, 8, 9, 10]
    assert "not a valid address" in lines[3]
    assert "control character (U+000A)" in lines[5]
    assert "SMTPUTF8" in lines[7]
    assert "unknown group 'G999'" in lines[8] and "mailer groups list" in lines[8]
    assert "email is empty" in lines[9]
    assert "U+0007" in lines[10]
    assert parsed.rows == 8
    assert str(parsed.rejected[0]).startswith("line 3: ")


def test_group_and_dossier_rows_are_checked() -> None:
    groups = parse_text("code,name,kind,city,email\n"
                        "G1,Groupe 1,Groupe local,Lyon,\n"       # kind spelled as a label: accepted
                        "G2,Groupe 2,club,Lyon,g2@example.org\n"
                        "g 3,Groupe 3,cercle_action,,\n"
                        "G4,,antenne_jeunes,,\n", ImportKind.GROUPS)
    assert groups.records == [Group("G1", "Groupe 1", "groupe_local", "Lyon", "")]
    assert [(p.line, p.message.split(" ")[0]) for p in groups.rejected] == [(3, "kind"), (4, "code"), (5, "name")]
    dossiers = parse_text("ref,person,country,status,referent_email,groups\n"
                          "D1,P,Iran,Suspendu,,G037\n"
                          "D2,P,Iran,en cours,,G037\n"
                          "D3,P,Iran,clos,,G037;G404;G405\n"
                          "D4,P,Iran,closed,not-mail,\n", ImportKind.DOSSIERS, KNOWN)
    assert [(d.ref, d.status, d.groups) for d in dossiers.records] == [("D1", "suspended", ["G037"])]
    messages = {p.line: p.message for p in dossiers.rejected}
    assert messages[3].startswith("status 'en cours' is not one of active (actif)")
    assert "unknown group(s) G404, G405" in messages[4]
    assert "referent_email" in messages[5]


def test_duplicate_keys_last_wins_with_a_warning() -> None:
    text = "email,name\nA@example.org,First\nb@example.org,B\na@EXAMPLE.org,Second\n"
    parsed = parse_text(text, ImportKind.SUBSCRIBERS)
    assert parsed.records == [Subscriber("a@example.org", "Second"), Subscriber("b@example.org", "B")]
    assert [str(w) for w in parsed.warnings] == [
        "line 4: email a@example.org already on line 2: this line replaces it"]


def test_email_normalisation() -> None:
    assert normalize_email("  Claire.Vasseur@Example.ORG ") == "claire.vasseur@example.org"
    assert normalize_email("jean@Exämple.fr") == "jean@xn--exmple-cua.fr"
    for bad in ("Anne <anne@example.org>", "anne@", "anne@example", "a\r\n@example.org"):
        with pytest.raises(RowError):
            normalize_email(bad)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_utf8_bom_is_not_part_of_the_first_column(tmp_path: Path, encoding: str) -> None:
    """Some tools put a UTF-8 BOM in front of cp1252 text: neither may become 'ï»¿code'."""
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + "code;name;kind;city;email\nG1;Groupe;groupe_local;Évry;\n".encode(encoding))
    assert read_file(path, ImportKind.GROUPS).records == [Group("G1", "Groupe", "groupe_local", "Évry", "")]


def test_utf16_without_bom_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "email\na@example.org\n", "utf-16-le")
    with pytest.raises(ImportFileError, match="NUL bytes"):
        read_file(path, ImportKind.SUBSCRIBERS)


@pytest.mark.parametrize("cell", ["not a date", "32/01/2026", "2026-13-01"])
def test_a_bad_date_rejects_its_row(cell: str) -> None:
    parsed = parse_text(f"email;since\na@example.org;{cell}\n", ImportKind.SUBSCRIBERS)
    assert parsed.records == [] and "is not a date" in parsed.rejected[0].message


def test_a_formula_guard_is_removed_on_reading() -> None:
    parsed = parse_text("email;name\na@example.org;'=HYPERLINK(\"x\")\nb@example.org;'Apostrophe\n",
                        ImportKind.SUBSCRIBERS)
    assert [s.name for s in parsed.records] == ['=HYPERLINK("x")', "'Apostrophe"]
