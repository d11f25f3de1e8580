"""A campaign is its `name`: a copied file that kept it must not pass for the campaign already sent."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

from conftest import SmtpServer
from sending import audience_received, send_in_background, status, wait_for

from mailer.config import load_config
from mailer.outbound.audience import AUDIENCE
from mailer.outbound.journal import campaign_folder


def _copy_with(campaign: Path, name: str, old: str, new: str) -> Path:
    copy = campaign.with_name(name)
    text = campaign.read_text(encoding="utf-8")
    assert old in text
    copy.write_text(text.replace(old, new), encoding="utf-8")
    return copy


def test_a_copied_file_with_the_same_name_is_refused_with_what_differs(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(3)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    sent = len(audience_received(smtp_server))
    copy = _copy_with(campaign, "copie.toml", 'deadline = "15 décembre"', 'deadline = "20 janvier"')
    copy.write_text(copy.read_text(encoding="utf-8").replace("Des nouvelles de", "Urgent :"), encoding="utf-8")

    result = cli(config, "campaign", "send", str(copy), "--yes")

    assert result.exit_code == 1
    assert "was already sent under this name from" in result.output and str(campaign) in result.output
    assert 'subject: "Des nouvelles de {{ dossier.person }}" -> "Urgent : {{ dossier.person }}"' in result.output
    assert "vars: deadline changed" in result.output
    assert "Europe/Paris" in result.output and "give it a new `name`" in result.output
    assert len(audience_received(smtp_server)) == sent
    described = status(cli, config, copy)
    assert described["differs"] and described["differs"][0].startswith("subject:")


def test_an_identical_copy_is_the_same_campaign_and_sends_nothing(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(3)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    copy = campaign.with_name("meme.toml")
    shutil.copy(campaign, copy)
    result = cli(config, "campaign", "send", str(copy), "--yes")
    assert result.exit_code == 0 and "Nothing left to send" in result.output
    assert len(audience_received(smtp_server)) == 4
    assert status(cli, config, copy)["differs"] == []


def test_resuming_with_a_changed_file_asks_and_says_what_the_rest_will_get(setup, smtp_server: SmtpServer,
                                                                             cli) -> None:
    config, campaign = setup(40, smtp_extra="rate_per_second = 40\n")
    proc = send_in_background(config, campaign)
    wait_for(lambda: len(smtp_server.handler.deliveries) >= 5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 4
    before = len(audience_received(smtp_server))
    campaign.write_text(campaign.read_text(encoding="utf-8").replace("Des nouvelles de", "Suite :"), encoding="utf-8")

    refused = cli(config, "campaign", "send", str(campaign))             # no terminal, no --yes
    assert refused.exit_code == 1 and "refusing to send without confirmation" in refused.output
    assert 'subject: "Des nouvelles de' in refused.output
    remaining = 41 - before
    assert f"The {remaining} remaining recipients will receive the file as it is now" in refused.output
    assert len(audience_received(smtp_server)) == before

    resumed = cli(config, "campaign", "send", str(campaign), "--yes")
    assert resumed.exit_code == 0, resumed.output
    subjects = [d.message["Subject"] for d in smtp_server.handler.deliveries if d.rcpt_tos[0] != "coordination@example.org"]
    assert len(subjects) == 41
    assert sum(s.startswith("Des nouvelles de") for s in subjects) == before
    assert sum(s.startswith("Suite :") for s in subjects) == remaining
    assert f"this run: {remaining} sent" in resumed.output


def test_a_store_frozen_by_an_earlier_version_still_tells_a_changed_file(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(2)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    frozen = campaign_folder(load_config(config).state_dir, "bulletin-42") / AUDIENCE
    header, *rows = frozen.read_text(encoding="utf-8").splitlines()
    old = {k: v for k, v in json.loads(header).items() if k not in ("identity", "source")}   # as before issue 6
    frozen.write_text("\n".join([json.dumps(old), *rows]) + "\n", encoding="utf-8")
    assert status(cli, config, campaign)["differs"] == []
    changed = _copy_with(campaign, "autre.toml", "Des nouvelles de", "Autre :")
    result = cli(config, "campaign", "send", str(changed), "--yes")
    assert result.exit_code == 1 and "earlier version of mailer" in result.output
