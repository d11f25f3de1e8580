"""`mailer alert REF` through the real CLI and a real aiosmtpd recorder (issue 10): it writes the
campaign file, previews it, and sends to the dossier's groups and its référent only once the
coordinator confirms, on a real terminal or with --yes."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import SmtpServer, write_config
from ptyrun import run_with_answer
from sending import audience_received

from mailer.outbound.files import load_campaign

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REF = "DI-2025-027"          # examples: groups G021, G088, J004; référent julien.morel@example.org
AUDIENCE = {"groupe21.rennes@example.org", "groupe88@example.org", "jeunes.lille@example.org",
            "julien.morel@example.org"}
Cli = Callable[..., Any]


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


@pytest.fixture
def team(tmp_path: Path, smtp_server: SmtpServer, cli: Cli) -> Path:
    config = write_config(tmp_path, smtp_server.port)
    for kind in ("groups", "dossiers", "members"):
        assert cli(config, "import", kind, str(EXAMPLES / f"{kind}.csv")).exit_code == 0
    return config


def alert_file(config: Path, attempt: int = 1) -> Path:
    return config.parent / "campaigns" / (f"alerte-di-2025-027-{today().isoformat()}"
                                          + (f"-{attempt}" if attempt > 1 else "") + ".toml")


def test_with_yes_it_writes_previews_and_sends_to_the_groups_and_the_referent(team: Path, cli: Cli,
                                                                              smtp_server: SmtpServer) -> None:
    deadline = (today() + timedelta(days=5)).isoformat()
    out = team.parent / "preview"
    result = cli(team, "alert", REF.lower(), "--deadline", deadline, "--out", str(out), "--yes")
    assert result.exit_code == 0, result.output
    path = alert_file(team)
    assert f"alert written: {path} (deadline {deadline})" in result.output
    campaign = load_campaign(path)
    assert (campaign.kind, campaign.template, campaign.audience, campaign.dossier) == \
        ("alert", "action_alert", ("dossier:DI-2025-027",), "DI-2025-027")
    assert campaign.vars == {"deadline": deadline}
    assert (out / f"{path.stem}.eml").is_file() and (out / f"{path.stem}.html").is_file()
    assert "rendered for groupe21.rennes@example.org (group)" in result.output        # campaign preview's words
    assert f"campaign {path.stem}: audience 4, 4 to send" in result.output            # campaign send's
    assert sorted(audience_received(smtp_server)) == sorted(AUDIENCE)
    subjects = {d.message["Subject"] for d in smtp_server.handler.deliveries if "julien" in d.rcpt_tos[0]}
    assert subjects == {"Action urgente : Ibrahima Sow (Guinée)"}


def test_without_a_terminal_nor_yes_it_writes_and_previews_but_sends_nothing(team: Path, cli: Cli,
                                                                            smtp_server: SmtpServer) -> None:
    result = cli(team, "alert", REF, "--out", str(team.parent / "preview"))
    assert result.exit_code == 1 and "refusing to send without confirmation" in result.output
    assert alert_file(team).is_file() and (team.parent / "preview" / f"{alert_file(team).stem}.eml").is_file()
    assert smtp_server.handler.deliveries == []
    default = (today() + timedelta(days=14)).isoformat()        # two weeks when no --deadline is given
    assert tomllib.loads(alert_file(team).read_text(encoding="utf-8"))["vars"]["deadline"] == default


def test_on_a_terminal_it_sends_only_once_confirmed(team: Path, smtp_server: SmtpServer) -> None:
    out = str(team.parent / "preview")
    code, shown = run_with_answer(team, "alert", REF, "--out", out, answer="n")
    assert code == 1 and "Send campaign" in shown and "Aborted!" in shown
    assert smtp_server.handler.deliveries == []

    code, shown = run_with_answer(team, "alert", REF, "--out", out, answer="y")
    assert code == 0, shown
    assert "alert already written today" in shown                   # the declined file, used as it is
    assert sorted(audience_received(smtp_server)) == sorted(AUDIENCE)


def test_an_edited_file_is_kept_and_a_second_alert_the_same_day_gets_its_own_name(team: Path, cli: Cli,
                                                                                  smtp_server: SmtpServer) -> None:
    out = str(team.parent / "preview")
    assert cli(team, "alert", REF, "--out", out).exit_code == 1            # declined: no terminal
    path = alert_file(team)
    path.write_text(path.read_text(encoding="utf-8").replace("\n[vars]\n", '\n[vars]\nauthority = "M. le Ministre"\n'),
                    encoding="utf-8")
    first = cli(team, "alert", REF, "--out", out, "--yes")
    assert first.exit_code == 0 and "used as it is" in first.output, first.output
    assert "M. le Ministre" in path.read_text(encoding="utf-8")
    assert len(audience_received(smtp_server)) == 4

    second = cli(team, "alert", REF, "--out", out, "--yes")                # the first was sent: a new campaign
    assert second.exit_code == 0, second.output
    assert f"alert written: {alert_file(team, 2)}" in second.output
    assert sorted(audience_received(smtp_server)) == sorted([*AUDIENCE, *AUDIENCE])


def test_the_summary_goes_to_the_message_as_text_never_as_template(team: Path, cli: Cli,
                                                                   smtp_server: SmtpServer) -> None:
    summary = 'Journaliste "indépendant" {{ team.address }} <b>arrêté</b> ; détenu.'
    assert cli(team, "dossiers", "edit", REF, "--summary", summary).exit_code == 0
    out = team.parent / "preview"
    result = cli(team, "alert", REF, "--out", str(out), "--yes")
    assert result.exit_code == 0, result.output
    assert tomllib.loads(alert_file(team).read_text(encoding="utf-8"))["vars"]["situation"] == summary
    html = (out / f"{alert_file(team).stem}.html").read_text(encoding="utf-8")
    assert "{{ team.address }} &lt;b&gt;arrêté&lt;/b&gt;" in html
    (message,) = [d.message for d in smtp_server.handler.deliveries if d.rcpt_tos == ["julien.morel@example.org"]]
    assert "{{ team.address }} <b>arrêté</b>" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("args, message", [
    (("DI-2022-019",), "dossier DI-2022-019 is closed"),
    (("DI-1999-999",), "no dossier 'DI-1999-999'"),
    ((REF, "--deadline", "2020-01-01"), "is already past"),
    ((REF, "--deadline", "bientôt"), "is not a day"),
    ((REF, "--template", "../secret"), "is not a template name"),
    ((REF, "--template", "absent"), "absent.html"),
])
def test_what_cannot_be_an_alert_is_refused_before_any_file(team: Path, cli: Cli, smtp_server: SmtpServer,
                                                            args: tuple[str, ...], message: str) -> None:
    result = cli(team, "alert", *args, "--yes")
    assert result.exit_code != 0 and message in result.output, result.output
    assert not (team.parent / "campaigns").exists()
    assert smtp_server.handler.deliveries == []
