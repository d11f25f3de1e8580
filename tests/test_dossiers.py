"""A dossier's lifecycle through the real CLI (issue 10): add, edit, set-status as dated events,
`dossiers show`, the thank-you campaign a release or an acquittal writes, the public view, and
the new columns in `import dossiers` / `dossiers export`."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config

from mailer.config import load_config
from mailer.dossiers import groups_that_worked_on, public_view
from mailer.models import Dossier, DossierOutcome
from mailer.outbound.files import load_campaign
from mailer.sheets.columns import COLUMNS
from mailer.store import Store
from mailer.store.records import Report, ReportState
from mailer.store.schema import REPORTS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
Cli = Callable[..., Any]


@pytest.fixture
def team(project: Path, cli: Cli) -> Path:
    """The example groups, dossiers and members (DI-2025-027: G021, G088, J004, julien.morel)."""
    for kind in ("groups", "dossiers", "members"):
        assert cli(project, "import", kind, str(EXAMPLES / f"{kind}.csv")).exit_code == 0
    return project


def show(cli: Cli, config: Path, ref: str) -> dict[str, Any]:
    result = cli(config, "dossiers", "show", ref, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def campaigns(config: Path) -> list[Path]:
    return sorted((config.parent / "campaigns").glob("*.toml"))


def report(config: Path, group: str, dossier: str, state: str = "") -> None:
    """A report as the inbox records one (the groups that reported on a dossier are thanked too)."""
    store = Store(load_config(config).storage.path)
    with store.transaction() as tx:
        tx.table(REPORTS).insert(Report(date="2026-01-05T10:00:00+00:00", sender="x@example.org", group=group,
                                        dossier=dossier, actions=[{"type": "petition", "count": 12}], state=state))


# -- add, edit, show ------------------------------------------------------------------------

def test_add_edit_and_show_record_each_change_as_a_dated_event(team: Path, cli: Cli) -> None:
    out = ok(cli(team, "dossiers", "add", "di-2026-003", "--person", "Leïla Sadeghi", "--country", "Iran",
                 "--groups", "g021;G088", "--referent", "Julien.Morel@example.org", "--by", "claire"))
    assert "Added DI-2026-003: Leïla Sadeghi (Iran), actif, groups G021, G088." in out
    again = cli(team, "dossiers", "add", "DI-2026-003", "--person", "X")
    assert again.exit_code == 1 and "already exists" in again.output

    ok(cli(team, "dossiers", "edit", "DI-2026-003", "--summary", "Journaliste, détenue depuis 2024.",
           "--public", "Personne, pays,summary", "--note", "vu en réunion"))
    assert "nothing changed" in ok(cli(team, "dossiers", "edit", "DI-2026-003", "--country", "Iran"))
    ok(cli(team, "dossiers", "edit", "DI-2026-003", "--referent", ""))          # an empty value clears

    doc = show(cli, team, "di-2026-003")
    assert (doc["ref"], doc["status"], doc["referent_email"], doc["groups"]) == ("DI-2026-003", "active", "", ["G021", "G088"])
    assert doc["public"] == ["person", "country", "summary"]
    assert doc["public_view"] == {"person": "Leïla Sadeghi", "country": "Iran",
                                  "summary": "Journaliste, détenue depuis 2024."}
    events = doc["events"]
    assert [(e["kind"], e.get("changes")) for e in events] == [
        ("added", None), ("edited", ["summary", "public"]), ("edited", ["referent_email"])]
    assert events[0]["by"] == "claire" and events[1]["by"].startswith("cli")
    assert events[1]["note"] == "vu en réunion"
    assert all(e["date"] == e["recorded"][:10] or len(e["date"]) == 10 for e in events)

    text = ok(cli(team, "dossiers", "show", "DI-2026-003"))
    assert "public:   person, country, summary" in text and "History (3)" in text


@pytest.mark.parametrize("args, message", [
    (("add", "DI-9", "--country", "Iran"), "--person is required"),
    (("add", "DI-9", "--person", "A", "--groups", "G999"), "unknown group 'G999'"),
    (("add", "DI-9", "--person", "A", "--referent", "pas-une-adresse"), "--referent 'pas-une-adresse' is not a valid"),
    (("add", "DI-9", "--person", "A", "--public", "person,referent_email"), "is not one of"),
    (("add", "DI-9", "--person", "A", "--status", "ouvert"), "--status 'ouvert' is not one of"),
    (("edit", "DI-404", "--country", "Iran"), "no dossier 'DI-404'"),
    (("edit", "DI-2025-027"), "nothing to change"),
    (("edit", "DI-2025-027", "--person", ""), "--person is empty"),
    (("set-status", "DI-2025-027", "fini"), "STATUS 'fini' is not one of"),
    (("set-status", "DI-2025-027", "clos", "--outcome", "évadé"), "--outcome 'évadé' is not one of"),
    (("set-status", "DI-2025-027", "clos", "--date", "2999-01-01"), "is after today"),
    (("set-status", "DI-2025-027", "clos", "--date", "demain"), "is not a day"),
])
def test_bad_values_are_refused_with_the_option_named_and_nothing_recorded(team: Path, cli: Cli,
                                                                          args: tuple[str, ...], message: str) -> None:
    before = show(cli, team, "DI-2025-027")
    result = cli(team, "dossiers", *args)
    assert result.exit_code != 0 and message in result.output, result.output
    assert show(cli, team, "DI-2025-027") == before
    assert campaigns(team) == []


# -- set-status, outcomes and the thank-you ---------------------------------------------------

@pytest.mark.parametrize("outcome, code", [("libéré·e", "released"), ("Acquittée", "acquitted"),
                                           ("released", "released"), ("acquitté", "acquitted")])
def test_a_release_or_an_acquittal_writes_a_thank_you_for_review(team: Path, cli: Cli, outcome: str,
                                                                code: str) -> None:
    report(team, "G046", "DI-2025-027")                      # reported on it without being entrusted
    report(team, "C007", "DI-2025-027", ReportState.DELETED)  # a deleted report counts nowhere
    out = ok(cli(team, "dossiers", "set-status", "DI-2025-027", "clos", "--outcome", outcome, "--date", "20/03/2026",
                 "--note", "libre ce matin"))
    assert f"DI-2025-027: actif -> clos, outcome {DossierOutcome(code).label}, as of 2026-03-20: recorded." in out
    (path,) = campaigns(team)
    assert path.name == "merci-di-2025-027-2026-03-20.toml"
    assert "Thank-you mailing written for review (nothing is sent)" in out
    assert f"preview it: mailer campaign preview {path}" in out       # the path as typed from here

    campaign = load_campaign(path)
    assert (campaign.kind, campaign.template, campaign.dossier) == ("custom", "thank_you", "DI-2025-027")
    assert campaign.audience == ("groups:G021,G088,J004,G046",)
    assert campaign.vars == {"outcome": code, "date": "2026-03-20"}
    assert "{{ dossier.person }}" in campaign.subject            # the name is data, never template source

    (event,) = [e for e in show(cli, team, "DI-2025-027")["events"] if e["kind"] == "status"]
    assert (event["status"], event["outcome"], event["date"], event["note"]) == ("closed", code, "2026-03-20",
                                                                                  "libre ce matin")
    assert event["thanks"].endswith(path.name)

    # the file is for review: nothing was sent, and previewing it renders the French thank-you
    preview = ok(cli(team, "campaign", "preview", str(path), "--out", str(team.parent / "preview")))
    assert "groupe21.rennes@example.org (group)" in preview
    html = (team.parent / "preview" / f"{path.stem}.html").read_text(encoding="utf-8")
    word = "acquitté·e" if code == "acquitted" else "libéré·e"
    assert f"Ibrahima Sow a été {word}" in html and "Le 20 mars 2026" in html
    assert not (load_config(team).state_dir / "campaigns").exists()

    # restating it offers nothing again, and the file a coordinator may have edited is kept
    path.write_text(path.read_text(encoding="utf-8").replace("\n[vars]\n", '\n[vars]\nmessage = "Merci !"\n'), encoding="utf-8")
    assert "nothing recorded" in ok(cli(team, "dossiers", "set-status", "DI-2025-027", "clos", "--outcome", outcome))
    assert campaigns(team) == [path] and "Merci !" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("outcome", ["peine réduite", "décédé·e", "Décédée", "sentence_reduced", None])
def test_no_thank_you_for_other_outcomes(team: Path, cli: Cli, outcome: str | None) -> None:
    args = ["--outcome", outcome] if outcome else []
    out = ok(cli(team, "dossiers", "set-status", "DI-2025-027", "suspendu", *args))
    assert "recorded" in out and "Thank-you" not in out
    assert campaigns(team) == []
    doc = show(cli, team, "DI-2025-027")
    assert doc["status"] == "suspended"
    assert doc["outcome"] == ("" if outcome is None else
                              {"peine réduite": "sentence_reduced", "sentence_reduced": "sentence_reduced"}.get(outcome,
                                                                                                  "deceased"))


def test_a_second_release_day_gets_its_own_file_and_no_thanks_is_honoured(team: Path, cli: Cli) -> None:
    ok(cli(team, "dossiers", "set-status", "DI-2025-027", "actif", "--outcome", "libéré", "--date", "2026-03-20"))
    ok(cli(team, "dossiers", "set-status", "DI-2025-027", "actif", "--outcome", "aucun", "--note", "erreur de saisie"))
    assert show(cli, team, "DI-2025-027")["outcome"] == ""
    out = ok(cli(team, "dossiers", "set-status", "DI-2024-011", "clos", "--outcome", "acquitté·e", "--no-thanks"))
    assert "Thank-you" not in out
    ok(cli(team, "dossiers", "set-status", "DI-2025-027", "clos", "--outcome", "libéré", "--date", "2026-03-21"))
    assert [p.name for p in campaigns(team)] == ["merci-di-2025-027-2026-03-20.toml", "merci-di-2025-027-2026-03-21.toml"]


def test_a_release_with_no_group_says_so(team: Path, cli: Cli) -> None:
    ok(cli(team, "dossiers", "add", "DI-2026-009", "--person", "Nadia Ali"))
    out = ok(cli(team, "dossiers", "set-status", "DI-2026-009", "clos", "--outcome", "libérée"))
    assert "No group is entrusted with DI-2026-009 or reported on it: no thank-you mailing written." in out
    assert campaigns(team) == []


def test_a_crash_after_the_thank_you_is_written_loses_nothing(team: Path, cli: Cli,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The draft is written before the change is committed: killed in between, the store has no
    event, and the same command finds the draft and records the change once."""
    from mailer.store import views

    real = views.Transaction.table

    def dies_on_commit(self: Any, spec: Any) -> Any:
        if spec.name == "dossier_events":
            raise Killed          # the process stops after the file is written, before the commit
        return real(self, spec)

    monkeypatch.setattr(views.Transaction, "table", dies_on_commit)
    with pytest.raises(Killed):
        cli(team, "dossiers", "set-status", "DI-2025-027", "clos", "--outcome", "libéré")
    monkeypatch.undo()
    (path,) = campaigns(team)
    assert show(cli, team, "DI-2025-027")["status"] == "active" and show(cli, team, "DI-2025-027")["events"][-1]["kind"] == "imported"
    out = ok(cli(team, "dossiers", "set-status", "DI-2025-027", "clos", "--outcome", "libéré"))
    assert "Thank-you mailing already written" in out and campaigns(team) == [path]
    assert [e["kind"] for e in show(cli, team, "DI-2025-027")["events"]] == ["imported", "status"]


class Killed(Exception):
    pass


# -- the public view ------------------------------------------------------------------------

def test_the_public_view_holds_only_the_marked_fields() -> None:
    dossier = Dossier("DI-1", "Leïla Sadeghi", "Iran", "closed", "ref@example.org", ["G037"],
                      summary="Libérée en mars.", outcome="released")
    assert public_view(dossier) == {}                                    # nothing by default
    marked = Dossier(**{**dossier.__dict__, "public": ["outcome", "person", "referent_email"]})
    assert public_view(marked) == {"person": "Leïla Sadeghi", "outcome": "released"}   # never the référent
    everything = Dossier(**{**dossier.__dict__, "public": ["ref", "person", "country", "status", "outcome", "summary",
                                                           "groups"]})
    view = public_view(everything)
    assert set(view) == {"ref", "person", "country", "status", "outcome", "summary", "groups"}
    view["groups"].append("G999")
    assert everything.groups == ["G037"]                                  # a copy, not the record's list


def test_groups_that_worked_on_a_dossier() -> None:
    dossier = Dossier("DI-1", "A", "", "active", groups=["g021", "G088"])
    reports = [Report(group="G046", dossier="di-1"), Report(group="G021", dossier="DI-1"),
               Report(group="C007", dossier="DI-1", state=ReportState.DELETED), Report(group="J004", dossier="DI-2"),
               Report(group=None, dossier="DI-1")]
    assert groups_that_worked_on(dossier, reports) == ["G021", "G088", "G046"]


# -- import and export carry the new fields --------------------------------------------------

def test_import_and_export_carry_summary_outcome_and_public_fields(team: Path, cli: Cli, tmp_path: Path) -> None:
    sheet = tmp_path / "dossiers.csv"
    sheet.write_text("Référence;Personne;Statut;Résumé;Issue;Champs publics\n"
                     "DI-2025-027;Ibrahima Sow;clos;Journaliste guinéen.;libéré;Personne, Issue, résumé\n",
                     encoding="utf-8")
    out = ok(cli(team, "import", "dossiers", str(sheet)))
    assert "1 updated" in out
    doc = show(cli, team, "DI-2025-027")
    assert (doc["summary"], doc["outcome"], doc["public"]) == ("Journaliste guinéen.", "released",
                                                              ["person", "summary", "outcome"])
    assert doc["events"][-1]["kind"] == "imported" and doc["events"][-1]["note"] == "dossiers.csv"
    assert set(doc["events"][-1]["changes"]) == {"status", "summary", "outcome", "public"}

    english = ok(cli(team, "dossiers", "export")).lstrip("\ufeff").splitlines()
    assert english[0] == "ref;person;country;status;referent_email;groups;summary;outcome;public"
    row = next(line for line in english if line.startswith("DI-2025-027"))
    assert row.endswith(';Journaliste guinéen.;released;"person;summary;outcome"')
    french = ok(cli(team, "dossiers", "export", "--labels", "fr")).lstrip("\ufeff").splitlines()
    assert french[0] == "Référence;Personne;Pays;Statut;Référent;Groupes;Résumé;Issue;Champs publics"
    assert next(line for line in french if line.startswith("DI-2025-027")).endswith(
        ";Journaliste guinéen.;libéré·e;Personne, Résumé, Issue")

    # an empty cell clears, a column left out keeps; unknown headers stay errors
    sheet.write_text("ref;person;status;summary\nDI-2025-027;Ibrahima Sow;clos;\n", encoding="utf-8")
    ok(cli(team, "import", "dossiers", str(sheet)))
    doc = show(cli, team, "DI-2025-027")
    assert (doc["summary"], doc["outcome"]) == ("", "released")
    sheet.write_text("ref;person;status;resume public2\nDI-2025-027;Ibrahima Sow;clos;x\n", encoding="utf-8")
    bad = cli(team, "import", "dossiers", str(sheet))
    assert bad.exit_code == 1 and "column 'resume public2' is not understood for dossiers" in bad.output


def test_the_old_columns_are_kept_first_and_old_files_still_import(team: Path, cli: Cli, tmp_path: Path) -> None:
    assert [c.field for c in COLUMNS["dossiers"]][:6] == ["ref", "person", "country", "status", "referent_email",
                                                         "groups"]
    (tmp_path / "ailleurs").mkdir()
    fresh = write_config(tmp_path / "ailleurs")
    ok(cli(fresh, "import", "groups", str(EXAMPLES / "groups.csv")))
    out = ok(cli(fresh, "import", "dossiers", str(EXAMPLES / "dossiers.csv")))
    assert "4 added" in out and "summary, outcome, public" not in out
    docs = Store(load_config(fresh).storage.path).snapshot().docs("dossiers")
    assert all(set(d) == {"ref", "person", "country", "status", "referent_email", "groups"} for d in docs)
    assert "4 unchanged" in ok(cli(fresh, "import", "dossiers", str(EXAMPLES / "dossiers.csv")))


def test_the_drafted_files_are_valid_toml_that_round_trips(team: Path, cli: Cli) -> None:
    ok(cli(team, "dossiers", "edit", "DI-2025-027", "--summary", 'Un "journaliste" arrêté \\ {{ x }} ; détenu.'))
    newline = cli(team, "dossiers", "edit", "DI-2025-027", "--summary", "deux\nlignes")
    assert newline.exit_code == 1 and "control character" in newline.output
    ok(cli(team, "dossiers", "set-status", "DI-2025-027", "clos", "--outcome", "acquitté"))
    (path,) = campaigns(team)
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert raw["name"] == path.stem and raw["vars"]["outcome"] == "acquitted"


# -- the thank-you's audience: groups:CODE,CODE -----------------------------------------------

def test_a_groups_list_audience_reaches_only_those_groups_addresses(tmp_path: Path) -> None:
    from mailer.errors import AudienceError, CampaignError
    from mailer.models import Directory, Group, Member
    from mailer.outbound.campaigns import audience_gaps, parse_campaign, resolve_audience

    directory = Directory(groups=(Group("G021", "Rennes", "groupe_local", "", "g21@example.org"),
                                  Group("G088", "Grenoble", "groupe_local", "", "g88@example.org"),
                                  Group("J004", "Lille", "antenne_jeunes", "", ""),
                                  Group("C007", "Dijon", "cercle_action", "", "c7@example.org")),
                          members=(Member("membre@example.org", "Membre", "G021"),))

    def campaign(audience: str) -> Any:
        return parse_campaign({"name": "merci", "kind": "custom", "subject": "s", "template": "t",
                               "audience": audience}, tmp_path / "merci.toml")

    thanks = campaign("groups:g021, G088;J004")
    assert [r.email for r in resolve_audience(thanks, directory, [])] == ["g21@example.org", "g88@example.org"]
    assert audience_gaps(thanks, directory) == ["1 group(s) have no address and are not reached: J004"]
    assert len(resolve_audience(campaign("groups"), directory, [])) == 3          # `groups` is unchanged
    with pytest.raises(AudienceError, match="no group 'G999'"):
        resolve_audience(campaign("groups:G021,G999"), directory, [])
    with pytest.raises(AudienceError, match="reaches nobody .none of these groups has an address"):
        resolve_audience(campaign("groups:J004"), directory, [])
    with pytest.raises(CampaignError, match="name the groups after ':'"):
        campaign("groups:")


# -- erasure keeps the history, without the person ------------------------------------------

def test_erasing_a_coordinator_keeps_the_history_without_them(team: Path, cli: Cli) -> None:
    ok(cli(team, "dossiers", "edit", "DI-2025-027", "--summary", "Journaliste.", "--by", "claire@example.org",
           "--note", "demandé par claire@example.org"))
    ok(cli(team, "dossiers", "set-status", "DI-2025-027", "suspendu", "--by", "paul@example.org"))
    exported = json.loads(ok(cli(team, "person", "export", "claire@example.org")))
    assert "claire@example.org" in json.dumps(exported["store"]["dossier_events"])
    ok(cli(team, "person", "erase", "claire@example.org", "--yes"))
    events = show(cli, team, "DI-2025-027")["events"]
    assert [e["kind"] for e in events] == ["imported", "edited", "status"]
    assert "claire" not in json.dumps(events) and events[2]["by"] == "paul@example.org"


# -- the thank-you scores as the shipped campaigns do ------------------------------------------

@pytest.mark.skipif(__import__("shutil").which("spamassassin") is None, reason="spamassassin is not installed")
def test_the_thank_you_scores_under_the_spam_threshold(team: Path, cli: Cli, tmp_path: Path) -> None:
    from test_spamassassin import THRESHOLD, spam_score

    ok(cli(team, "dossiers", "set-status", "DI-2025-027", "clos", "--outcome", "libéré·e"))
    (path,) = campaigns(team)
    ok(cli(team, "campaign", "preview", str(path), "--out", str(tmp_path / "preview")))
    score, report = spam_score((tmp_path / "preview" / f"{path.stem}.eml").read_bytes(), tmp_path)
    assert score < THRESHOLD, report
