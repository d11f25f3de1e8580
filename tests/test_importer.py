"""CSV reading and row validation: every accepted file format, and bad rows with their line numbers.

The fr-dev CSVs in tests/data/fr-dev/ are copies of ../shared/corpus/fr-dev/ (the team's
reference data used by the inbound corpus), so these tests run on a fresh clone.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from mailer.errors import ImportFileError
from mailer.importer import ImportKind, normalize_email, parse_text, read_file, RowError
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


def test_header_is_case_and_space_insensitive_and_extra_columns_are_ignored() -> None:
    text = " Name ;Téléphone; EMAIL \nAnne;0600000000;ANNE@EXAMPLE.ORG\n"
    parsed = parse_text(text, ImportKind.SUBSCRIBERS)
    assert parsed.records == [Subscriber("anne@example.org", "Anne")]


@pytest.mark.parametrize("text, expected", [
    ("email,nom\na@example.org,A\n", "missing column(s) name"),
    ("code,name,city\n", "missing column(s) kind, email"),
    ("", "the file is empty"),
    ("email,name,email\n", "column 'email' appears twice"),
])
def test_unusable_header_is_a_clear_error(text: str, expected: str) -> None:
    kind = ImportKind.GROUPS if text.startswith("code") else ImportKind.SUBSCRIBERS
    with pytest.raises(ImportFileError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        parse_text(text, kind, source="x.csv")


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
    assert "unknown group 'G999'" in lines[8]
    assert "email is empty" in lines[9]
    assert "U+0007" in lines[10]
    assert parsed.rows == 8
    assert str(parsed.rejected[0]).startswith("line 3: ")


def test_group_and_dossier_rows_are_checked() -> None:
    groups = parse_text("code,name,kind,city,email\n"
                        "G1,Groupe 1,Groupe local,Lyon,\n"       # kind spelled as a label: accepted
                        "G2,Groupe 2,club,Lyon,g2@example.org\n"
                        "G 3,Groupe 3,cercle_action,,\n"
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
    assert "unknown status" in messages[3]
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


def test_utf8_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + "code;name;kind;city;email\nG1;Groupe;groupe_local;Évry;\n".encode())
    assert read_file(path, ImportKind.GROUPS).records == [Group("G1", "Groupe", "groupe_local", "Évry", "")]
