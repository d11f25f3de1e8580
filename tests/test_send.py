"""Sending campaigns through the CLI into a real aiosmtpd server.

Covers: one message per person, resume, status JSON, 5xx never retried, 4xx retried, a run of
errors pauses, suppressions (before and during a send), two senders at once, cancel, Ctrl-C,
preview and test, a hostile name in a CSV audience.
"""

from __future__ import annotations

import json
import os
import signal
import time
from bisect import bisect_right
from pathlib import Path

import pytest
from conftest import SmtpServer
from sending import COORDINATOR, audience_received, send_in_background, status, wait_for, write_campaign

from mailer.config import load_config
from mailer.models import SuppressionReason, SuppressionScope
from mailer.registry import suppress
from mailer.store import Store

def test_send_reaches_everyone_once_and_status_adds_up(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(30)
    before = status(cli, config, campaign)
    assert (before["state"], before["total"], before["pending"]) == ("draft", 31, 31)
    result = cli(config, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 0, result.output
    received = audience_received(smtp_server)
    # 30 subscribers + 2 members, one of whom is also a subscriber (in another letter case)
    assert sorted(received) == sorted({f"abonne{i}@example.net" for i in range(30)} | {"membre@example.org"})
    after = status(cli, config, campaign)
    assert after | {"started": None, "finished": None} == after | {
        "name": "bulletin-42", "state": "done", "total": 31, "sent": 31, "failed": 0, "suppressed": 0,
        "pending": 0, "started": None, "finished": None}
    assert after["total"] == after["sent"] + after["failed"] + after["suppressed"] + after["pending"]
    # the coordinators are told; a second send sends nothing
    assert COORDINATOR in smtp_server.handler.recipients()
    again = cli(config, "campaign", "send", str(campaign), "--yes")
    assert again.exit_code == 0 and "done" in again.output
    assert len(audience_received(smtp_server)) == 31
    listed = cli(config, "campaign", "list", "--json")
    assert json.loads(listed.output.splitlines()[0])["state"] == "done"


def test_every_message_is_a_personalised_bulletin_with_verp(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(3)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    by_rcpt = {d.rcpt_tos[0]: d for d in smtp_server.handler.deliveries}
    delivery = by_rcpt["abonne2@example.net"]
    message = delivery.message
    assert message["To"].addresses[0].display_name == "Abonné·e 2"
    assert message["Precedence"] == "bulk"
    assert delivery.mail_from.startswith("protegeonslespersonnes+b-") and delivery.mail_from.endswith("@example.org")
    assert delivery.mail_from != by_rcpt["abonne1@example.net"].mail_from
    assert "Bonjour Abonné·e," in message.get_body(("plain",)).get_content()


def test_send_without_yes_and_without_a_terminal_refuses(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(3)
    result = cli(config, "campaign", "send", str(campaign))
    assert result.exit_code != 0 and "--yes" in result.output
    assert smtp_server.handler.deliveries == []


def test_dry_run_sends_nothing(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(5)
    result = cli(config, "campaign", "send", str(campaign), "--dry-run")
    assert result.exit_code == 0 and "6 would be sent" in result.output
    assert smtp_server.handler.deliveries == []
    assert status(cli, config, campaign)["state"] == "draft"


def test_permanent_failure_is_recorded_and_never_retried(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(10)
    smtp_server.handler.reject["abonne3@example.net"] = "550 5.1.1 Utilisateur inconnu"
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    assert smtp_server.handler.attempts["abonne3@example.net"] == 1
    assert status(cli, config, campaign) | {"started": 0, "finished": 0} == status(cli, config, campaign) | {
        "state": "done", "sent": 10, "failed": 1, "pending": 0, "started": 0, "finished": 0}
    cli(config, "campaign", "send", str(campaign), "--yes")
    assert smtp_server.handler.attempts["abonne3@example.net"] == 1


def test_temporary_failure_is_retried(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(10)
    smtp_server.handler.reject_once["abonne4@example.net"] = "451 4.7.1 Réessayez plus tard"
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    assert smtp_server.handler.attempts["abonne4@example.net"] == 2
    assert audience_received(smtp_server).count("abonne4@example.net") == 1
    assert status(cli, config, campaign)["sent"] == 11


def test_a_run_of_errors_pauses_instead_of_burning_the_list(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(60)
    smtp_server.handler.reject_all = "554 5.7.1 Relay access denied"
    result = cli(config, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 4, result.output
    paused = status(cli, config, campaign)
    assert paused["state"] == "paused" and "repeated errors" in paused["reason"]
    assert paused["failed"] < 20 and paused["pending"] > 40
    smtp_server.handler.reject_all = ""
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    done = status(cli, config, campaign)
    assert done["state"] == "done" and done["sent"] + done["failed"] == 61


def test_suppressed_addresses_are_skipped_by_scope(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(5, kind="bulletin")
    store = Store(load_config(config).storage.path)
    suppress(store, "abonne1@example.net", SuppressionReason.UNSUBSCRIBE, SuppressionScope.BULLETIN)
    suppress(store, "Abonne2@Example.net", SuppressionReason.BOUNCE)
    alert = write_campaign(config.parent, name="alerte-1", kind="alert")
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    assert cli(config, "campaign", "send", str(alert), "--yes").exit_code == 0
    bulletin_status, alert_status = status(cli, config, campaign), status(cli, config, alert)
    assert (bulletin_status["sent"], bulletin_status["suppressed"]) == (4, 2)
    assert (alert_status["sent"], alert_status["suppressed"]) == (5, 1)    # a bulletin unsubscribe keeps alerts
    received = audience_received(smtp_server)
    assert received.count("abonne1@example.net") == 1 and "abonne2@example.net" not in received


def test_a_suppression_recorded_during_a_send_applies_within_seconds(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(299, smtp_extra="rate_per_second = 60\n")       # 300 recipients: 5 s
    proc = send_in_background(config, campaign)
    wait_for(lambda: len(smtp_server.handler.deliveries) >= 20)
    late = [f"abonne{i}@example.net" for i in range(120, 299)]
    store = Store(load_config(config).storage.path)
    suppressed_at = {}
    for address in late:
        suppress(store, address, SuppressionReason.UNSUBSCRIBE)
        suppressed_at[address] = time.monotonic()
    assert proc.wait(timeout=300) == 0, proc.stdout.read() if proc.stdout else ""
    delivered_at = {d.rcpt_tos[0]: d.at for d in smtp_server.handler.deliveries}
    # The contract is 5 s; the design gives ~1.5 s (a 1 s re-read, batches of 0.5 s of sending).
    # Measured in deliveries, not seconds: 2.5 s at 60/s is 150 messages, and a sender slowed down
    # by a loaded machine sends fewer in the same time, so the bound holds whatever the load.
    times = sorted(delivered_at.values())
    too_late = [a for a in late if a in delivered_at and
                bisect_right(times, delivered_at[a]) - bisect_right(times, suppressed_at[a]) > 2.5 * 60]
    assert too_late == []
    final = status(cli, config, campaign)
    # Counted from the end of the loop above (179 store writes: 1-4 s, more on a loaded machine,
    # while the sender delivers at 60/s): at most 60 (1 s of sending) got through once every
    # suppression was recorded, and every late address not delivered is counted as suppressed.
    recorded = max(suppressed_at.values())
    assert sum(1 for a in late if a in delivered_at and delivered_at[a] > recorded) <= 60
    assert final["state"] == "done" and final["suppressed"] == sum(1 for a in late if a not in delivered_at)
    assert final["suppressed"] + final["sent"] == 300


def test_two_senders_at_once_the_second_refuses(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(99, smtp_extra="rate_per_second = 50\n")
    proc = send_in_background(config, campaign)
    wait_for(lambda: len(smtp_server.handler.deliveries) >= 5)
    second = cli(config, "campaign", "send", str(campaign), "--yes")
    assert second.exit_code == 1 and "already being sent" in second.output
    assert status(cli, config, campaign)["state"] == "sending"
    assert proc.wait(timeout=300) == 0
    received = audience_received(smtp_server)
    assert len(received) == len(set(received)) == 100


def test_cancel_stops_a_running_send_for_good(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(199, smtp_extra="rate_per_second = 50\n")
    proc = send_in_background(config, campaign)
    wait_for(lambda: len(smtp_server.handler.deliveries) >= 10)
    assert cli(config, "campaign", "cancel", str(campaign), "--yes").exit_code == 0
    proc.wait(timeout=120)
    count = len(audience_received(smtp_server))
    assert count < 150
    final = status(cli, config, campaign)
    assert final["state"] == "cancelled" and final["pending"] > 0
    again = cli(config, "campaign", "send", str(campaign), "--yes")
    assert again.exit_code == 1 and "cancelled" in again.output
    assert len(audience_received(smtp_server)) == count


def test_ctrl_c_stops_cleanly_and_send_resumes_without_duplicates(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(149, smtp_extra="rate_per_second = 60\n")
    proc = send_in_background(config, campaign)
    wait_for(lambda: len(smtp_server.handler.deliveries) >= 20)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 4
    paused = status(cli, config, campaign)
    assert paused["state"] == "paused" and 0 < paused["sent"] < 150
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    received = audience_received(smtp_server)
    assert len(received) == len(set(received)) == 150


def test_a_hostile_name_in_a_csv_audience_fails_that_recipient_only(setup, smtp_server: SmtpServer, cli) -> None:
    config, _ = setup(0)
    (config.parent / "liste.csv").write_text('email,name\nok@example.org,Ok\nevil@example.org,"Eve\nBcc: x@example.net"\n',
                                             encoding="utf-8")
    campaign = write_campaign(config.parent, name="csv", kind="custom", audience='"csv:liste.csv"')
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    assert audience_received(smtp_server) == ["ok@example.org"]
    final = status(cli, config, campaign)
    assert (final["sent"], final["failed"]) == (1, 1)
    assert all(b"Bcc" not in d.data for d in smtp_server.handler.deliveries)


def test_preview_and_test_message(setup, smtp_server: SmtpServer, cli, tmp_path: Path) -> None:
    config, campaign = setup(3)
    out = tmp_path / "apercu"
    result = cli(config, "campaign", "preview", str(campaign), "--out", str(out), "--recipient", "abonne2@example.net")
    assert result.exit_code == 0, result.output
    eml, html = (out / "bulletin-42.eml").read_bytes(), (out / "bulletin-42.html").read_text(encoding="utf-8")
    assert b"abonne2@example.net" in eml and "Leïla Sadeghi" in html
    assert smtp_server.handler.deliveries == []
    result = cli(config, "campaign", "test", str(campaign), "--to", "moi@example.org")
    assert result.exit_code == 0, result.output
    (delivery,) = smtp_server.handler.deliveries
    assert delivery.rcpt_tos == ["moi@example.org"] and delivery.message["Subject"].startswith("[TEST] ")
    assert status(cli, config, campaign)["state"] == "draft"


def test_a_missing_template_variable_fails_at_preview_with_file_and_line(setup, cli, tmp_path: Path) -> None:
    config, campaign = setup(2)
    campaign.write_text(campaign.read_text(encoding="utf-8").replace('deadline = "15 décembre"', 'other = 1'),
                        encoding="utf-8")
    result = cli(config, "campaign", "preview", str(campaign), "--out", str(tmp_path / "p"))
    assert result.exit_code == 1 and "alert.html:3" in result.output and "deadline" in result.output
    send = cli(config, "campaign", "send", str(campaign), "--yes")
    assert send.exit_code == 1 and status(cli, config, campaign)["state"] == "draft"


def test_campaign_folders_and_files_are_private(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(3)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    state = load_config(config).state_dir
    for path in [state, *state.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILER_CONFIG", raising=False)
    os.environ.pop("MAILER_SECRET", None)


def test_without_pipelining_outcomes_are_the_same(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(20)
    smtp_server.handler.pipelining = False
    smtp_server.handler.reject["abonne3@example.net"] = "550 5.1.1 Utilisateur inconnu"
    smtp_server.handler.reject_once["abonne4@example.net"] = "451 4.3.0 Plus tard"
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    final = status(cli, config, campaign)
    assert (final["sent"], final["failed"], final["pending"]) == (20, 1, 0)
    assert smtp_server.handler.attempts["abonne4@example.net"] == 2
    received = audience_received(smtp_server)
    assert len(received) == len(set(received)) == 20


def test_dropped_connections_are_retried_and_nobody_is_lost(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(80)
    # Every 7th DATA is dropped whatever the recipient: with two retries one recipient could draw
    # three drops in a row (2 runs in 40 paused so); six retries make that vanishingly unlikely.
    config.write_text(config.read_text(encoding="utf-8").replace("retry_seconds = [0.2, 0.2]",
                                                                "retry_seconds = [0.05, 0.05, 0.05, 0.05, 0.05, 0.05]"))
    smtp_server.handler.drop_every = 7
    result = cli(config, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 0, result.output
    received = audience_received(smtp_server)
    assert len(received) == len(set(received)) == 81
    assert smtp_server.handler.data_seen > 81 + 10         # the drops did happen, and were retried
    assert status(cli, config, campaign)["state"] == "done"


def test_resuming_after_an_edit_warns_and_keeps_the_frozen_audience(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(20, smtp_extra="rate_per_second = 40\n")
    proc = send_in_background(config, campaign)
    wait_for(lambda: len(smtp_server.handler.deliveries) >= 5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 4
    campaign.write_text(campaign.read_text(encoding="utf-8").replace('audience = ["subscribers", "members"]',
                                                                      'audience = "groups"'), encoding="utf-8")
    result = cli(config, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 0 and "changed since the first send" in result.output
    received = audience_received(smtp_server)
    assert len(received) == len(set(received)) == 21 and "groupe37@example.org" not in received
