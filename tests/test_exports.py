"""`mailer ... export` and `reports list --csv` through the real CLI: files French Excel opens,
and round trips (export, import the file) that change nothing, in both label sets."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from inbound_fixtures import Inbox, fr_dev, inbox_fixture  # noqa: F401  (fixture)

from mailer.config import load_config
from mailer.store import Store

FR_DEV = Path(__file__).parent / "data" / "fr-dev"
KINDS = ["groups", "dossiers", "members", "subscribers"]
Cli = Callable[..., Any]

SUBSCRIBERS = ("Courriel;Prénom;Nom;Statut;Date d'inscription\r\n"
               "zoe@example.org;Zoé;Côté;actif;2026-01-15T23:30:00+00:00\r\n"
               "attente@example.org;Inès;Attente;en attente de confirmation;20/03/2026 10:00\r\n"
               "sans.date@example.org;;;;\r\n")
TRICKY_MEMBERS = ("email;name;group\r\n"
                  "formule@example.org;\"=HYPERLINK(\"\"http://x\"\";\"\"clic\"\")\";G037\r\n"
                  "guillemets@example.org;\"Dupont; \"\"Mimi\"\"\";\r\n")


def store_docs(project: Path) -> dict[str, list[dict[str, Any]]]:
    snapshot = Store(load_config(project).storage.path).snapshot()
    return {kind: snapshot.docs(kind) for kind in KINDS}


@pytest.fixture
def filled(project: Path, cli: Cli, tmp_path: Path) -> Path:
    """fr-dev's directory, members whose names a spreadsheet would misread, and subscribers one of
    whom waits for her double opt-in."""
    for kind in ("groups", "dossiers", "members"):
        assert cli(project, "import", kind, str(FR_DEV / f"{kind}.csv")).exit_code == 0
    for name, text in (("tricky.csv", TRICKY_MEMBERS), ("abonnes.csv", SUBSCRIBERS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert cli(project, "import", "members", str(tmp_path / "tricky.csv")).exit_code == 0
    result = cli(project, "import", "subscribers", str(tmp_path / "abonnes.csv"))
    assert result.exit_code == 0, result.output
    return project


def export(cli: Cli, project: Path, kind: str, *options: str) -> bytes:
    out = project.parent / f"{kind}-export.csv"
    result = cli(project, kind, "export", "--csv", str(out), *options)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def sheet(data: bytes, delimiter: str = ";") -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=delimiter))


@pytest.mark.parametrize("labels", ["en", "fr"])
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_into_the_same_store_changes_nothing(filled: Path, cli: Cli, kind: str, labels: str) -> None:
    before = store_docs(filled)
    export(cli, filled, kind, "--labels", labels)
    result = cli(filled, "import", kind, str(filled.parent / f"{kind}-export.csv"))
    count = len(before[kind])
    assert f"{count} rows: 0 added, 0 updated, {count} unchanged, 0 rejected." in result.output, result.output
    assert "warning" not in result.output
    assert store_docs(filled) == before


@pytest.mark.parametrize("labels", ["en", "fr"])
def test_round_trip_into_a_fresh_store_gives_the_same_sheets(filled: Path, cli: Cli, tmp_path: Path,
                                                             labels: str) -> None:
    (tmp_path / "ailleurs").mkdir()
    fresh = write_config(tmp_path / "ailleurs")
    sheets = {kind: export(cli, filled, kind, "--labels", labels) for kind in KINDS}
    for kind in KINDS:
        result = cli(fresh, "import", kind, str(filled.parent / f"{kind}-export.csv"))
        assert result.exit_code == 0 and "0 rejected" in result.output, result.output
    assert {kind: export(cli, fresh, kind, "--labels", labels) for kind in KINDS} == sheets
    assert store_docs(fresh) == store_docs(filled)


def test_a_pending_subscriber_is_never_exported_as_active(filled: Path, cli: Cli) -> None:
    english = {row[0]: row for row in sheet(export(cli, filled, "subscribers"))}
    french = {row[0]: row for row in sheet(export(cli, filled, "subscribers", "--labels", "fr"))}
    assert english["email"] == ["email", "name", "status", "since"]
    assert french["Courriel"] == ["Courriel", "Nom", "Statut", "Date d'inscription"]
    assert english["attente@example.org"][2] == "pending"
    assert french["attente@example.org"][2] == "en attente de confirmation"
    assert english["zoe@example.org"][1:] == ["Zoé Côté", "active", "2026-01-15T23:30:00+00:00"]
    assert french["zoe@example.org"][2:] == ["actif", "2026-01-16 00:30:00+01:00"]        # the team's zone
    assert english["attente@example.org"][3] == "2026-03-20T09:00:00+00:00"          # 10:00 in Paris


def test_an_import_never_activates_a_pending_subscriber(filled: Path, cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "actifs.csv"
    path.write_text("Courriel;Statut\nattente@example.org;Actif\nzoe@example.org;en attente\n", encoding="utf-8")
    result = cli(filled, "import", "subscribers", str(path))
    assert "warning: line 2: attente@example.org waits for its double opt-in confirmation" in result.output
    statuses = {d["email"]: d["status"] for d in store_docs(filled)["subscribers"]}
    assert statuses["attente@example.org"] == "pending"
    assert statuses["zoe@example.org"] == "pending"            # stopping mail is always allowed
    assert statuses["sans.date@example.org"] == "active"


def test_french_labels_and_values(filled: Path, cli: Cli) -> None:
    groups = sheet(export(cli, filled, "groups", "--labels", "fr"))
    assert groups[0] == ["Code", "Nom", "Type", "Ville", "Courriel"]
    assert {row[2] for row in groups[1:]} == {"Groupe local", "Cercle d'action", "Antenne jeunes"}
    dossiers = sheet(export(cli, filled, "dossiers", "--labels", "fr"))
    assert dossiers[0] == ["Référence", "Personne", "Pays", "Statut", "Référent", "Groupes",
                           "Résumé", "Issue", "Champs publics"]            # issue 10 added the last three
    assert {row[3] for row in dossiers[1:]} == {"actif", "clos"}
    assert ["DI-2025-014", "Leïla Sadeghi"] == dossiers[2][:2] and dossiers[2][5] == "G112, G143"
    assert sheet(export(cli, filled, "members", "--labels", "fr"))[0] == ["Courriel", "Nom", "Groupe"]
    assert sheet(export(cli, filled, "members"))[0] == ["email", "name", "group"]


def test_cells_a_spreadsheet_would_run_are_guarded(filled: Path, cli: Cli) -> None:
    rows = {row[0]: row for row in sheet(export(cli, filled, "members"))}
    assert rows["formule@example.org"][1] == "'=HYPERLINK(\"http://x\";\"clic\")"
    assert rows["guillemets@example.org"][1] == 'Dupont; "Mimi"'


def test_standard_output_gets_the_same_bytes_as_the_file(filled: Path, cli: Cli) -> None:
    for kind in KINDS:
        data = export(cli, filled, kind, "--labels", "fr")
        piped = cli(filled, kind, "export", "--labels", "fr")
        assert piped.exit_code == 0 and piped.stdout_bytes == data
        assert data.startswith(codecs.BOM_UTF8) and b"\r\n" in data


@pytest.mark.parametrize("option, delimiter", [(";", ";"), (",", ","), ("tab", "\t"), ("\t", "\t")])
def test_delimiter_option(filled: Path, cli: Cli, option: str, delimiter: str) -> None:
    data = export(cli, filled, "groups", "--delimiter", option)
    assert data[3:].split(b"\r\n")[0] == delimiter.join(["code", "name", "kind", "city", "email"]).encode()
    assert len(sheet(data, delimiter)) == 12


def test_a_bad_delimiter_or_label_set_is_refused(filled: Path, cli: Cli) -> None:
    bad = cli(filled, "groups", "export", "--delimiter", "|")
    assert bad.exit_code == 2 and "delimiter '|': use ';', ',' or tab" in bad.output
    assert cli(filled, "groups", "export", "--labels", "de").exit_code == 2


# --- reports -------------------------------------------------------------------------------

@pytest.fixture
def reported(inbox: Inbox) -> Inbox:
    inbox.processor().process_batch([fr_dev("003.eml"), fr_dev("020.eml"), fr_dev("022.eml")])
    return inbox


def test_reports_csv_opens_in_french_spreadsheets(reported: Inbox, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "actions.csv"
    result = cli(reported.config_path, "reports", "list", "--csv", str(out), "--labels", "fr")
    assert result.exit_code == 0, result.output
    rows = sheet(out.read_bytes())
    assert rows[0] == ["Reçu le", "Dossier", "Groupe", "Expéditeur", "Action", "Nombre", "Montant (€)",
                       "Date de l'action", "Message-ID"]
    assert len(rows) == 1 + 4 + 5 + 3
    by_action = {row[4]: row for row in rows[1:]}
    assert {"Pétition", "Fonds d'aide"} <= set(by_action)
    assert not {"petition", "fund"} & set(by_action)
    assert by_action["Fonds d'aide"][6] == "520"
    date = rows[1][0]
    assert len(date) == 16 and date[10] == " " and "+" not in date                # 2026-03-20 10:00
    english = sheet(cli(reported.config_path, "reports", "list", "--csv", "-").stdout_bytes)
    assert english[0][:5] == ["date", "dossier", "group", "sender", "type"]
    assert english[1][0].endswith("+00:00") and "fund" in {row[4] for row in english[1:]}


def test_reports_csv_delimiter_and_stdout(reported: Inbox, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "actions.csv"
    cli(reported.config_path, "reports", "list", "--csv", str(out), "--delimiter", "tab")
    piped = cli(reported.config_path, "reports", "list", "--csv", "-", "--delimiter", "tab")
    assert piped.stdout_bytes == out.read_bytes()
    assert sheet(out.read_bytes(), "\t")[0][0] == "date"


def test_reports_options_that_would_be_ignored_are_refused(reported: Inbox, cli: Cli) -> None:
    for option in (("--labels", "fr"), ("--delimiter", ",")):
        result = cli(reported.config_path, "reports", "list", *option)
        assert result.exit_code == 2 and "only apply to --csv FILE" in result.output
    both = cli(reported.config_path, "reports", "list", "--csv", "-", "--json")
    assert both.exit_code == 2 and "choose one" in both.output


def test_reports_filters_fold_case_and_refuse_unknown_refs(reported: Inbox, cli: Cli) -> None:
    upper = cli(reported.config_path, "reports", "list", "--dossier", "DI-2025-033", "--json").output
    lower = cli(reported.config_path, "reports", "list", "--dossier", "di-2025-033", "--json").output
    assert upper == lower and len(upper.splitlines()) == 1
    assert json.loads(cli(reported.config_path, "reports", "list", "--group", "g037", "--json").output)["dossier"] == \
        "DI-2024-031"
    unknown = cli(reported.config_path, "reports", "list", "--dossier", "DI-1999-999")
    assert unknown.exit_code == 1 and "no dossier 'DI-1999-999'" in unknown.output
    assert cli(reported.config_path, "reports", "list", "--group", "G404").exit_code == 1
    known_without_reports = cli(reported.config_path, "reports", "list", "--dossier", "DI-2022-005")
    assert known_without_reports.exit_code == 0 and "No reports." in known_without_reports.output


def test_every_action_type_has_its_french_name() -> None:
    from mailer.inbound.understand.actions import ActionType
    from mailer.sheets.labels import ACTIONS

    assert set(ACTIONS.entries) == {a.value for a in ActionType}
    assert [ACTIONS.label(a, "fr") for a in ("petition", "letter_authorities", "letter_support", "advocacy",
                                             "awareness", "collaboration", "fund")] == [
        "Pétition", "Lettre aux autorités", "Lettre de soutien", "Plaidoyer auprès d'élu·es", "Sensibilisation",
        "Collaboration", "Fonds d'aide"]
    assert ACTIONS.label("petition", "en") == "petition"


def test_inbox_tables_show_times_in_the_team_zone(reported: Inbox, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")                 # rich folds long cells at 80 columns
    reported.processor().process_batch([fr_dev("005.eml")])         # an unknown sender: a triage item
    report = json.loads(cli(reported.config_path, "reports", "list", "--json").output.splitlines()[0])
    item = json.loads(cli(reported.config_path, "triage", "list", "--json").output.splitlines()[0])
    assert report["date"] == item["date"] == "2026-03-20T09:00:00+00:00"          # as stored, with offset
    for command in (("reports", "list"), ("triage", "list"), ("triage", "show", str(item["id"]))):
        shown = cli(reported.config_path, *command).output
        assert "2026-03-20 10:00" in shown and "09:00:00+00:00" not in shown, command
