"""Issue 10: per-dossier figures counted from the stored reports, and printed by every campaign
template that names a `dossier` (the reminder example's "146 lettres" is no longer typed by hand)."""

from __future__ import annotations

import email
import re
from collections.abc import Callable
from datetime import date
from email import policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailer.config import load_config
from mailer.errors import CampaignError
from mailer.figures import ACTION_TYPES, dossier_figures, entries, french_euros, french_number, totals, within
from mailer.inbound.understand.actions import ActionType
from mailer.models import Directory, Dossier, Group
from mailer.outbound.campaigns import parse_campaign
from mailer.outbound.identity import campaign_identity, differences
from mailer.store import Store
from mailer.store.records import Report, ReportState
from mailer.store.schema import REPORTS

REPO = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
EXAMPLES = REPO / "examples"
REMINDER = REPO / "campaigns" / "rappel-exemple.toml"


def act(kind: str, count: int | None = None, amount: float | None = None, day: str | None = None) -> dict[str, Any]:
    return {"type": kind, "count": count, "amount_eur": amount, "date": day}


def report(n: int, read: str, group: str | None, dossier: str | None, *actions: dict[str, Any],
           state: str = "") -> Report:
    return Report(id=n, date=read, sender=f"s{n}@example.org", group=group, dossier=dossier, actions=list(actions),
                  state=state)


DIRECTORY = Directory(
    groups=(Group("G046", "Groupe 46 de Bordeaux", "groupe_local"), Group("C007", "Cercle d'action de Dijon",  # type: ignore[arg-type]
                                                                          "cercle_action"),  # type: ignore[arg-type]
            Group("G021", "Groupe 21 de Rennes", "groupe_local")),  # type: ignore[arg-type]
    dossiers=(Dossier("DI-2024-011", "Ana Lucía Pérez Gómez", "Guatemala", "active", "", ["G046", "C007", "G021"]),  # type: ignore[arg-type]
              Dossier("DI-2025-027", "Ibrahima Sow", "Guinée", "active", "", ["G021"])))  # type: ignore[arg-type]


def test_the_core_knows_every_action_type_the_reader_writes() -> None:
    assert ACTION_TYPES == tuple(t.value for t in ActionType)


def test_an_action_counts_on_its_own_day_else_the_day_its_report_was_read_in_the_team_s_zone() -> None:
    found = entries([report(1, "2025-12-31T23:30:00+00:00", "g046", "di-2024-011",
                            act("letter_authorities", 3), act("petition", 40, day="2025-12-20"))], PARIS)
    assert [(e.type, e.day, e.received, e.dossier, e.group) for e in found] == [
        ("letter_authorities", date(2026, 1, 1), date(2026, 1, 1), "DI-2024-011", "G046"),    # 00:30 in Paris
        ("petition", date(2025, 12, 20), date(2026, 1, 1), "DI-2024-011", "G046")]
    assert len(within(found, since=date(2026, 1, 1))) == 1
    assert len(within(found, until=date(2025, 12, 20))) == 1                    # inclusive days
    assert within(found, dossier="DI-2025-027") == [] and len(within(found, group="g046")) == 2


def test_totals_add_counts_by_type_and_a_count_not_given_adds_an_action_only() -> None:
    found = entries([
        report(1, "2026-10-12T08:00:00+00:00", "G046", "DI-2024-011", act("letter_authorities", 140),
               act("letter_support", None), act("petition", 1320)),
        report(2, "2026-11-02T08:00:00+00:00", "C007", "DI-2024-011", act("letter_support", 6),
               act("fund", amount=62.5), act("fund", amount=100), act("collaboration"), act("advocacy", 2),
               act("awareness", 1)),
        report(3, "2026-11-03T08:00:00+00:00", "G046", "DI-2024-011", act("petition", 999), state=ReportState.DELETED),
    ], PARIS)
    t = totals(found)
    assert (t.reports, t.actions) == (2, 9)
    assert (t.letters, t.letters_authorities, t.letters_support) == (146, 140, 6)
    assert (t.signatures, t.officials, t.events, t.collaborations, t.fund_eur) == (1320, 2, 1, 1, 162.5)
    assert (t.by_type["letter_support"].actions, t.by_type["letter_support"].count) == (2, 6)
    assert list(t.by_type) == ["petition", "letter_authorities", "letter_support", "advocacy", "awareness",
                               "collaboration", "fund"]
    assert t.to_json()["fund_eur"] == 162.5 and t.to_json()["by_type"]["fund"]["amount_eur"] == 162.5


def test_a_dossier_s_figures_name_the_groups_that_reported_and_those_entrusted_that_did_not() -> None:
    found = entries([
        report(1, "2026-09-12T08:00:00+00:00", "C007", "DI-2024-011", act("letter_support", 6)),
        report(2, "2026-10-12T08:00:00+00:00", "G046", "DI-2024-011", act("letter_authorities", 140)),
        report(3, "2026-11-12T08:00:00+00:00", "G999", "DI-2024-011", act("petition", 10)),   # a group since removed
        report(4, "2026-11-20T08:00:00+00:00", None, "DI-2024-011", act("petition", 5)),     # no group named
        report(5, "2026-11-21T08:00:00+00:00", "G021", "DI-2025-027", act("petition", 7)),   # another dossier
    ], PARIS)
    f = dossier_figures(found, DIRECTORY, "di-2024-011", since=date(2026, 10, 1), until=date(2026, 12, 1))
    assert (f.ref, f.letters, f.signatures, f.reports) == ("DI-2024-011", 140, 15, 3)
    assert [g.name for g in f.groups_reported] == ["Groupe 46 de Bordeaux", "G999"]
    assert [g.code for g in f.groups_silent] == ["C007", "G021"]        # C007 reported before the period
    assert {code: t.letters for code, t in f.by_group.items()} == {"G046": 140, "G999": 0}
    assert f.last_report == date(2026, 11, 20) and f.since == date(2026, 10, 1)
    every = dossier_figures(found, DIRECTORY, "DI-2024-011")
    assert (every.letters, [g.code for g in every.groups_silent]) == (146, ["G021"])


def test_numbers_and_amounts_in_french() -> None:
    assert (french_number(1320), french_number(146), french_number(1234567)) == ("1\u00a0320", "146", "1\u00a0234\u00a0567")
    assert (french_euros(62.5), french_euros(350.0), french_euros(1250.75)) == ("62,50\u00a0€", "350\u00a0€",
                                                                             "1\u00a0250,75\u00a0€")
    assert french_number(None) == "" and french_euros(None) == ""


def test_figures_since_is_a_day_of_a_campaign_that_names_a_dossier(tmp_path: Path) -> None:
    base = {"name": "rappel", "kind": "reminder", "subject": "s", "template": "reminder", "audience": "groups"}
    source = tmp_path / "c.toml"
    with_dossier = {**base, "dossier": "DI-2024-011"}
    assert parse_campaign({**with_dossier, "figures_since": date(2026, 10, 1)}, source).figures_since == date(2026, 10, 1)
    assert parse_campaign({**with_dossier, "figures_since": "2026-10-01"}, source).figures_since == date(2026, 10, 1)
    with pytest.raises(CampaignError, match="figures_since: needs `dossier`"):
        parse_campaign({**base, "figures_since": "2026-10-01"}, source)
    with pytest.raises(CampaignError, match="figures_since: '1er octobre': expected a day"):
        parse_campaign({**with_dossier, "figures_since": "1er octobre"}, source)
    # part of what people receive: a campaign frozen with one day differs from the file with another
    frozen = campaign_identity(parse_campaign({**with_dossier, "figures_since": "2026-10-01"}, source), [])
    changed = campaign_identity(parse_campaign({**with_dossier, "figures_since": "2026-09-01"}, source), [])
    assert differences(frozen, changed) == ['figures_since: "2026-10-01" -> "2026-09-01"']
    # a campaign frozen before the key existed still reads as the same campaign
    assert "figures_since" not in campaign_identity(parse_campaign(with_dossier, source), [])


# -- the templates ---------------------------------------------------------------------------

def _import_examples(cli: Callable[..., Any], project: Path) -> Store:
    for kind in ("groups", "dossiers", "members", "subscribers"):
        assert cli(project, "import", kind, str(EXAMPLES / f"{kind}.csv")).exit_code == 0
    return Store(load_config(project).storage.path)


def _record(store: Store, *reports: Report) -> None:
    """As the inbox's apply.py records them (the `reports` table's contract)."""
    with store.transaction() as tx:
        for r in reports:
            tx.table(REPORTS).insert(r)


def _preview(cli: Callable[..., Any], project: Path, out: Path, *args: str) -> tuple[str, str]:
    result = cli(project, "campaign", "preview", str(REMINDER), "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes((out / "rappel-di-2024-011.eml").read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    def flat(value: str) -> str:            # line breaks and runs of spaces, not the no-break spaces
        return re.sub(r"[ \t\r\n]+", " ", value)

    return flat(text), flat(re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", "\u00a0"))


def test_the_reminder_example_prints_the_dossier_s_figures_from_the_reports(project: Path, cli: Callable[..., Any],
                                                                          tmp_path: Path) -> None:
    assert "146" not in REMINDER.read_text(encoding="utf-8") and "1 320" not in REMINDER.read_text(encoding="utf-8")
    store = _import_examples(cli, project)
    text, html = _preview(cli, project, tmp_path / "empty")
    nobody = "Depuis le 1er octobre 2026, aucun compte rendu ne nous est encore parvenu pour ce dossier"
    assert nobody in text and nobody in html

    _record(store,
            report(1, "2026-09-12T08:00:00+00:00", "C007", "DI-2024-011", act("letter_support", 50)),  # before the call
            report(2, "2026-10-12T08:00:00+00:00", "G046", "DI-2024-011", act("letter_authorities", 140),
                   act("petition", 1320)),
            report(3, "2026-11-12T08:00:00+00:00", "C007", "DI-2024-011", act("letter_support", 6),
                   act("fund", amount=62.5)),
            report(4, "2026-11-13T08:00:00+00:00", "G046", "DI-2024-011", act("petition", 500),
                   state=ReportState.DELETED))
    text, html = _preview(cli, project, tmp_path / "g046", "--as", "group:G046")
    said = ("Depuis le 1er octobre 2026, 2 groupes nous ont transmis leurs comptes rendus : 146 lettres envoyées, "
            "1\u00a0320 signatures recueillies et 62,50\u00a0€ collectés pour le Fonds d'aide.")
    assert said.replace(" :", "\u00a0:") in text            # the text part's French spacing
    assert said in html
    assert "Votre groupe nous a déjà transmis 1 compte rendu pour ce dossier sur cette période" in html
    # the référent's copy thanks no group of its own
    text, html = _preview(cli, project, tmp_path / "referent", "--as", "nadia.lefebvre@example.net")
    assert "146 lettres envoyées" in html and "Votre groupe" not in html
