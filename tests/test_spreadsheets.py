"""French coordinators' spreadsheets through the real CLI: every encoding and delimiter their
software writes, French headers, codes in any case, columns left alone, csv: audiences.

The files in tests/data/spreadsheets/ are written by make_spreadsheets.py there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mailer import registry
from mailer.config import load_config
from mailer.errors import AudienceError
from mailer.models import Directory, Member
from mailer.outbound.campaigns import parse_campaign, resolve_audience
from mailer.outbound.files import read_contacts
from mailer.store import Store

SHEETS = Path(__file__).parent / "data" / "spreadsheets"
ENCODINGS = ["utf8", "utf8-bom", "cp1252", "cp1252-bom", "utf16"]
DELIMITERS = ["virgule", "point-virgule", "tab"]
Cli = Callable[..., Any]


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def store_of(project: Path) -> Store:
    return Store(load_config(project).storage.path)


@pytest.fixture
def with_groups(project: Path, cli: Cli) -> Path:
    result = cli(project, "import", "groups", str(SHEETS / "groupes.csv"))
    assert result.exit_code == 0, result.output
    return project


def test_french_groups_and_dossiers_files(with_groups: Path, cli: Cli) -> None:
    groups = {g["code"]: g for g in json_lines(cli(with_groups, "groups", "list", "--json").output)}
    assert sorted(groups) == ["C021", "G037", "G112", "J007"]                   # stored in upper case
    assert [groups[c]["kind"] for c in ("G037", "C021", "J007")] == ["groupe_local", "cercle_action", "antenne_jeunes"]
    assert groups["G037"]["email"] == "groupe37.lyon@example.org"
    result = cli(with_groups, "import", "dossiers", str(SHEETS / "dossiers.csv"))          # cp1252, Réf, Référent
    assert result.exit_code == 0, result.output
    dossiers = {d["ref"]: d for d in json_lines(cli(with_groups, "dossiers", "list", "--json").output)}
    assert dossiers["DI-2025-014"]["groups"] == ["G037", "G112"]
    assert dossiers["DI-2025-014"]["referent_email"] == "anne.riviere@example.org"
    assert [dossiers[r]["status"] for r in ("DI-2025-014", "DI-2024-031", "DI-2019-002")] == [
        "active", "suspended", "closed"]


@pytest.mark.parametrize("delimiter", DELIMITERS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_members_file_in_each_encoding_and_delimiter(with_groups: Path, cli: Cli, encoding: str,
                                                     delimiter: str) -> None:
    path = SHEETS / f"membres-{encoding}-{delimiter}.csv"
    result = cli(with_groups, "import", "members", str(path))
    assert result.exit_code == 0, result.output
    assert f"{path.name}: 4 rows: 4 added, 0 updated, 0 unchanged, 0 rejected." in result.output
    expected = json.loads((SHEETS / "expected-members.json").read_text(encoding="utf-8"))
    members = json_lines(cli(with_groups, "members", "list", "--json").output)
    assert [{k: m[k] for k in ("email", "name", "group")} for m in members] == expected


def test_a_subscribers_file_with_only_an_email_column(project: Path, cli: Cli) -> None:
    result = cli(project, "import", "subscribers", str(SHEETS / "abonnes.csv"))
    assert result.exit_code == 0, result.output
    subs = json_lines(cli(project, "subscribers", "list", "--json").output)
    assert [(s["email"], s["name"], s["status"]) for s in subs] == [
        ("zoe@example.org", "", "active"), ("paul.martin@example.net", "", "active")]


def test_an_unknown_column_stops_the_import_until_skipped(with_groups: Path, cli: Cli) -> None:
    path = str(SHEETS / "membres-telephone.csv")
    refused = cli(with_groups, "import", "members", path)
    assert refused.exit_code == 1
    assert "column 'Téléphone' is not understood for members" in refused.output
    assert "--skip-column 'Téléphone'" in refused.output
    assert json_lines(cli(with_groups, "members", "list", "--json").output) == []
    typo = cli(with_groups, "import", "members", path, "--skip-column", "Telefone")
    assert typo.exit_code == 1 and "--skip-column 'Telefone': no such column" in typo.output
    done = cli(with_groups, "import", "members", path, "--skip-column", "téléphone")
    assert done.exit_code == 0 and "4 added" in done.output
    assert all("06" not in json.dumps(m) for m in json_lines(cli(with_groups, "members", "list", "--json").output))


def test_a_column_absent_from_the_file_keeps_the_stored_value(with_groups: Path, cli: Cli, tmp_path: Path) -> None:
    assert cli(with_groups, "import", "members", str(SHEETS / "membres-utf8-point-virgule.csv")).exit_code == 0
    names_only = tmp_path / "noms.csv"
    names_only.write_text("Courriel;Nom\nanne.riviere@example.org;Anne Rivière-Marchal\n", encoding="utf-8")
    result = cli(with_groups, "import", "members", str(names_only))
    assert "1 updated" in result.output and "Not in the file, so left as stored: group." in result.output
    members = {m["email"]: m for m in json_lines(cli(with_groups, "members", "list", "--json").output)}
    assert (members["anne.riviere@example.org"]["name"], members["anne.riviere@example.org"]["group"]) == (
        "Anne Rivière-Marchal", "G037")
    emptied = tmp_path / "sans-groupe.csv"
    emptied.write_text("Courriel;Groupe\nanne.riviere@example.org;\n", encoding="utf-8")  # present and empty: cleared
    cli(with_groups, "import", "members", str(emptied))
    members = {m["email"]: m for m in json_lines(cli(with_groups, "members", "list", "--json").output)}
    assert (members["anne.riviere@example.org"]["name"], members["anne.riviere@example.org"]["group"]) == (
        "Anne Rivière-Marchal", "")


def test_a_lower_case_code_is_the_stored_group_and_the_hint_is_true(with_groups: Path, cli: Cli,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("email;group\na@example.org;g037\nb@example.org;G999\n", encoding="utf-8")
    result = cli(with_groups, "import", "members", str(path))
    assert result.exit_code == 3
    assert "rejected: line 3: unknown group 'G999' (not among the 4 stored groups: mailer groups list)" in result.output
    assert "import the groups file first" not in result.output
    assert json_lines(cli(with_groups, "members", "list", "--json").output)[0]["group"] == "G037"
    again = cli(with_groups, "import", "groups", str(SHEETS / "groupes.csv"))    # `g037` matches `G037`
    assert "0 added, 0 updated, 4 unchanged" in again.output


def test_an_old_store_with_lower_case_codes_still_matches(project: Path, cli: Cli, tmp_path: Path) -> None:
    store = store_of(project)
    with store.transaction() as tx:       # what an import wrote before codes were upper-cased
        tx.raw("groups")["1"] = {"code": "g021", "name": "Groupe 21", "kind": "groupe_local", "city": "Caen",
                                 "email": "g21@example.org"}
        tx.raw("dossiers")["1"] = {"ref": "di-2025-001", "person": "P", "country": "Iran", "status": "active",
                                   "referent_email": "", "groups": ["g021"]}
        tx.raw("members")["1"] = {"email": "old@example.org", "name": "Ancien", "group": "g021"}
    path = tmp_path / "m.csv"
    path.write_text("Courriel;Groupe\nnew@example.org;G021\n", encoding="utf-8")
    assert cli(project, "import", "members", str(path)).exit_code == 0
    directory = registry.load_directory(store.snapshot())
    assert directory.group("G021") is not None and directory.dossier("DI-2025-001") is not None
    c = parse_campaign({"name": "x", "kind": "alert", "subject": "s", "template": "action_alert",
                        "audience": ["group:G021", "dossier:Di-2025-001"]}, tmp_path / "c.toml")
    recipients = resolve_audience(c, directory, [], read_contacts(c))
    assert [(r.email, r.group) for r in recipients] == [("g21@example.org", "G021"), ("old@example.org", "G021"),
                                                        ("new@example.org", "G021")]
    groups = cli(project, "import", "groups", str(_groups_file(tmp_path)))
    assert "0 added, 1 updated" in groups.output                 # the code is now stored as G021
    assert json_lines(cli(project, "groups", "list", "--json").output)[0]["code"] == "G021"


def _groups_file(folder: Path) -> Path:
    path = folder / "g.csv"
    path.write_text("Code;Nom;Type\nG021;Groupe 21;Groupe local\n", encoding="utf-8")
    return path


def test_lookups_fold_case_in_a_directory_built_by_hand() -> None:
    directory = Directory(members=(Member("a@example.org", "A", "g021"),))
    assert [m.email for m in directory.members_of("G021")] == ["a@example.org"]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_csv_audience_reads_french_spreadsheets(tmp_path: Path, encoding: str) -> None:
    (tmp_path / "elus.csv").write_bytes("Prénom;Nom;Adresse électronique\r\nHélène;Rivière;Elus@Example.org\r\n"
                                        .encode(encoding))
    c = parse_campaign({"name": "x", "kind": "custom", "subject": "s", "template": "action_alert",
                        "audience": "csv:elus.csv"}, tmp_path / "c.toml")
    assert [(r.email, r.name) for r in resolve_audience(c, Directory(), [], read_contacts(c))] == [("elus@example.org", "Hélène Rivière")]


@pytest.mark.parametrize("text, message", [
    ("email;name\nok@example.org;A\nnot-an-address;B\n;C\n", "2 unusable row(s): line 3: email 'not-an-address'"),
    ("email;ville\nok@example.org;Lyon\n", "column 'ville' is not understood for contacts"),
    ("nom\nA\n", "missing column(s) email"),
])
def test_csv_audience_never_leaves_a_row_out_silently(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "liste.csv").write_text(text, encoding="utf-8")
    c = parse_campaign({"name": "x", "kind": "custom", "subject": "s", "template": "action_alert",
                        "audience": "csv:liste.csv"}, tmp_path / "c.toml")
    with pytest.raises(AudienceError) as caught:
        resolve_audience(c, Directory(), [], read_contacts(c))
    assert message in str(caught.value) and "liste.csv" in str(caught.value)
