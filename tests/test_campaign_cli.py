"""The campaign commands a coordinator meets first: list, test to proof-readers, cancel, status lines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import SmtpServer, free_port
from ptyrun import run_with_answer
from sending import audience_received, status, write_campaign

from mailer.config import load_config
from mailer.outbound.journal import read_journals
from mailer.outbound.journal import campaign_folder as folder_of
from mailer.registry import suppression_map
from mailer.store import Store


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


# -- campaign list --------------------------------------------------------------------------

def test_list_agrees_with_status_and_shows_drafts_invalid_files_and_taken_names(setup, smtp_server: SmtpServer,
                                                                                 cli) -> None:
    config, sent = setup(3)
    assert cli(config, "campaign", "send", str(sent), "--yes").exit_code == 0
    drafts = config.parent / "campaigns"
    drafts.mkdir()
    write_campaign(drafts, name="rappel-di-2025-014-decembre-groupes-locaux", kind="reminder", audience='"groups"')
    (drafts / "casse.toml").write_text('name = "casse"\nkind = "alert"\n', encoding="utf-8")
    copy = drafts / "copie.toml"
    copy.write_text(sent.read_text(encoding="utf-8").replace("Des nouvelles de", "Encore :"), encoding="utf-8")

    rows = {(r["name"], r["state"]): r for r in json_lines(cli(config, "campaign", "list", "--json").output)}
    listed = rows[("bulletin-42", "done")]
    assert {k: listed[k] for k in ("total", "sent", "failed", "pending")} == \
        {k: status(cli, config, sent)[k] for k in ("total", "sent", "failed", "pending")}
    draft = rows[("rappel-di-2025-014-decembre-groupes-locaux", "draft")]
    assert (draft["total"], draft["pending"], draft["kind"]) == (1, 1, "reminder")
    assert "casse.toml: template: is required" in rows[("casse", "invalid")]["reason"]
    assert "differs in subject" in rows[("bulletin-42", "conflict")]["reason"]

    table = cli(config, "campaign", "list").output
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80, table
    assert "bulletin-42" in table and "3/4" not in table and "4/4" in table
    assert "rappel-di-2025-014-decembre-groupes-locaux" in _names(lines)       # wrapped, never cut
    assert "casse (invalid):" in table and "bulletin-42 (conflict):" in table


def test_list_says_paused_when_the_sender_died_as_status_does(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(3)
    # The summary says "sending" but no process holds the campaign's lock: a killed sender.
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    store = Store(load_config(config).storage.path)
    with store.transaction() as tx:
        for doc in tx.raw("campaigns").values():
            doc["state"] = "sending"
    (row,) = [r for r in json_lines(cli(config, "campaign", "list", "--json").output) if r["name"] == "bulletin-42"]
    assert row["state"] == status(cli, config, campaign)["state"] == "paused"


def _names(lines: list[str]) -> list[str]:
    """The first column of the table, a wrapped name joined back from its continuation lines."""
    width = lines[0].index("kind")
    names: list[str] = []
    for line in lines[2:]:
        if not line.strip() or "(" in line[:width] and ":" in line:
            break
        cell, rest = line[:width].strip(), line[width:].strip()
        if rest or not names:
            names.append(cell)
        else:
            names[-1] += cell
    return names


# -- in flight: only what the journal proves ------------------------------------------------

def test_a_refused_connection_leaves_nothing_in_flight(setup, smtp_server: SmtpServer, cli, tmp_path: Path) -> None:
    config, campaign = setup(5)
    live = config.read_text(encoding="utf-8")
    config.write_text(live.replace(f"port = {smtp_server.port}", f"port = {free_port()}"), encoding="utf-8")
    result = cli(config, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 4, result.output          # paused: nobody listens on that port
    paused = status(cli, config, campaign)
    assert paused["state"] == "paused" and paused["sent"] == 0 and paused["in_flight"] == 0
    assert "no recorded result" not in cli(config, "campaign", "status", str(campaign)).output
    config.write_text(live, encoding="utf-8")
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    received = audience_received(smtp_server)
    assert len(received) == len(set(received)) == 6


def test_a_crash_between_sending_and_recording_is_reported_as_possibly_delivered(setup, smtp_server: SmtpServer,
                                                                                   cli) -> None:
    config, campaign = setup(4)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    folder = folder_of(load_config(config).state_dir, "bulletin-42")
    # What a kill -9 right after the server's 250 leaves: attempts with no outcome line.
    for path in folder.glob("journal-*.log"):
        kept = [line for line in path.read_text().splitlines() if not line.startswith(("D 1", "D 2"))]
        path.write_text("\n".join(kept) + "\n")
    state = status(cli, config, campaign)
    assert (state["state"], state["pending"], state["in_flight"]) == ("done", 2, 2) or state["in_flight"] == 2
    text = cli(config, "campaign", "status", str(campaign)).output
    assert "2 of the pending recipients have no recorded result" in text
    resumed = cli(config, "campaign", "send", str(campaign), "--yes")
    assert "2 of them have no recorded result from an earlier run" in resumed.output
    after = status(cli, config, campaign)
    assert (after["in_flight"], after["possible_duplicates"], after["pending"]) == (0, 2, 0)


def test_a_temporary_refusal_and_a_normal_send_show_nothing_in_flight(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(6)
    smtp_server.handler.reject_once["abonne2@example.net"] = "451 4.7.1 Plus tard"
    result = cli(config, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 0 and "no recorded result" not in result.output
    state = status(cli, config, campaign)
    assert (state["in_flight"], state["possible_duplicates"]) == (0, 0)
    journal = read_journals(folder_of(load_config(config).state_dir, "bulletin-42"))
    assert journal.deferred and not journal.unknown


def test_a_connection_lost_after_the_message_left_counts_as_a_possible_duplicate(setup, smtp_server: SmtpServer,
                                                                                  cli) -> None:
    config, campaign = setup(30)
    config.write_text(config.read_text(encoding="utf-8").replace("retry_seconds = [0.2, 0.2]",
                                                                "retry_seconds = [0.05, 0.05, 0.05, 0.05, 0.05]"))
    smtp_server.handler.drop_every = 9          # closes the connection after reading the message
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    drops = smtp_server.handler.data_seen - len(smtp_server.handler.deliveries)
    state = status(cli, config, campaign)
    assert drops > 0 and 0 < state["possible_duplicates"] <= drops
    assert state["total"] == state["sent"] + state["failed"] + state["suppressed"] + state["pending"]


# -- campaign test --------------------------------------------------------------------------

def test_each_proof_reader_gets_the_variant_of_the_audience_member_named(setup, smtp_server: SmtpServer,
                                                                         cli) -> None:
    config, campaign = setup(2, audience='["dossier:DI-2025-014", "subscribers"]', kind="alert")
    result = cli(config, "campaign", "test", str(campaign), "--to", "moi@example.org",
                 "--to", "Relecteur@Example.org", "--as", "group:g037")
    assert result.exit_code == 0, result.output
    deliveries = smtp_server.handler.deliveries
    assert sorted(d.rcpt_tos[0] for d in deliveries) == ["moi@example.org", "relecteur@example.org"]
    for delivery in deliveries:
        message = delivery.message
        assert message["Subject"].startswith("[TEST] ")
        assert message["X-Mailer-Test-As"] == "groupe37@example.org"
        assert message["To"] == delivery.rcpt_tos[0]
    as_subscriber = cli(config, "campaign", "test", str(campaign), "--to", "moi@example.org",
                        "--as", "abonne1@example.net")
    assert as_subscriber.exit_code == 0
    assert "Abonné·e" in smtp_server.handler.deliveries[-1].message.get_body(("plain",)).get_content()
    outsider = cli(config, "campaign", "test", str(campaign), "--to", "moi@example.org", "--as", "x@example.org")
    assert outsider.exit_code == 1 and "not in the audience" in outsider.output
    bad = cli(config, "campaign", "test", str(campaign), "--to", "moi@")
    assert bad.exit_code == 1 and "not a valid address" in bad.output
    assert status(cli, config, campaign)["state"] == "draft"


def _unsubscribe_via(message_bytes: bytes, sender: str, inbox: Path) -> None:
    """Deliver, as the capture server would, a mail to the message's List-Unsubscribe mailto."""
    from email import message_from_bytes, policy
    header = str(message_from_bytes(message_bytes, policy=policy.default)["List-Unsubscribe"])
    target = header.split("mailto:", 1)[1].split("?", 1)[0]
    (inbox / "new").mkdir(parents=True, exist_ok=True)
    (inbox / "new" / f"unsub-{sender}-{target[:30]}").write_bytes(
        f"Return-Path: <{sender}>\nDelivered-To: {target}\nFrom: {sender}\nTo: {target}\n"
        f"Subject: unsubscribe\nMessage-ID: <{target[:40]}@example.org>\n\nunsubscribe\n".encode())


def test_the_unsubscribe_link_of_a_test_message_does_nothing_to_the_tester(setup, smtp_server: SmtpServer,
                                                                            cli) -> None:
    config, campaign = setup(2)
    tester = "membre@example.org"               # a member: a real unsubscribe link would suppress it
    assert cli(config, "campaign", "test", str(campaign), "--to", tester, "--as", tester).exit_code == 0
    inbox = load_config(config).inbox.maildir
    _unsubscribe_via(smtp_server.handler.deliveries[-1].data, tester, inbox)
    assert cli(config, "poll", "--once").exit_code == 0
    store = Store(load_config(config).storage.path)
    assert tester not in suppression_map(store.snapshot())
    assert any("did not issue" in item.get("reason", "") for item in store.snapshot().docs("triage"))

    # The same click in the real campaign's message does unsubscribe: the test above can fail.
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    real = next(d for d in smtp_server.handler.deliveries if d.rcpt_tos == [tester] and
                not d.message["Subject"].startswith("[TEST]"))
    _unsubscribe_via(real.data, tester, inbox)
    assert cli(config, "poll", "--once").exit_code == 0
    assert tester in suppression_map(store.snapshot())


# -- cancel asks -----------------------------------------------------------------------------

def test_cancel_asks_on_a_terminal_and_refuses_without_one(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(2)
    refused = cli(config, "campaign", "cancel", str(campaign))
    assert refused.exit_code == 1 and "refusing to cancel the campaign without confirmation" in refused.output
    assert status(cli, config, campaign)["state"] == "draft"

    code, shown = run_with_answer(config, "campaign", "cancel", str(campaign), answer="n")
    assert code == 1 and "Cancel campaign 'bulletin-42' for good? 3 of 3 recipients" in shown
    assert status(cli, config, campaign)["state"] == "draft"

    code, shown = run_with_answer(config, "campaign", "cancel", str(campaign), answer="y")
    assert code == 0 and "campaign bulletin-42 cancelled" in shown
    assert status(cli, config, campaign)["state"] == "cancelled"


def test_send_asks_on_a_terminal(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(2)
    code, shown = run_with_answer(config, "campaign", "send", str(campaign), answer="n")
    assert code == 1 and "Send campaign 'bulletin-42' (bulletin) now? 3 recipients." in shown
    assert audience_received(smtp_server) == []
    code, shown = run_with_answer(config, "campaign", "send", str(campaign), answer="y")
    assert code == 0 and len(audience_received(smtp_server)) == 3


def test_the_example_campaigns_are_listed_as_drafts(project: Path, cli) -> None:
    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "campaigns", project.parent / "campaigns")
    for kind in ("groups", "dossiers", "members", "subscribers"):
        assert cli(project, "import", kind, str(repo / "examples" / f"{kind}.csv")).exit_code == 0
    rows = json_lines(cli(project, "campaign", "list", "--json").output)
    assert sorted((r["name"], r["state"], r["total"]) for r in rows) == sorted(
        [("alerte-di-2025-027", "draft", 4), ("bulletin-2026-03", "draft", 5), ("rappel-di-2024-011", "draft", 3)])


def test_groups_the_audience_cannot_reach_are_named_before_sending(setup, smtp_server: SmtpServer, cli) -> None:
    config, campaign = setup(1, audience='"dossier:DI-2025-014"', kind="alert")
    store = Store(load_config(config).storage.path)
    from mailer.models import Dossier, Group
    from mailer.registry import upsert_dossiers, upsert_groups
    upsert_groups(store, [Group("G099", "Groupe 99 de Metz", "groupe_local", "Metz", "")])
    upsert_dossiers(store, [Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", "ref@example.org",
                                    ["G037", "G099"])])
    preview = cli(config, "campaign", "preview", str(campaign), "--out", str(config.parent / "p"))
    assert "note: group G099 (Groupe 99 de Metz) of dossier DI-2025-014 has no address" in preview.output
    sent = cli(config, "campaign", "send", str(campaign), "--yes")
    assert sent.exit_code == 0 and "group G099 (Groupe 99 de Metz)" in sent.output
    assert sorted(audience_received(smtp_server)) == ["groupe37@example.org", "ref@example.org"]


def test_a_server_refusing_at_the_greeting_pauses_the_campaign_without_a_traceback(setup, smtp_server: SmtpServer,
                                                                                   cli) -> None:
    """554 at the greeting (a blocklisted relay): no recipient is at fault, nothing is in flight."""
    import socket
    import threading
    config, campaign = setup(3)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    greeted = []

    def refuse() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.sendall(b"554 5.7.1 Service refused: your address is blocklisted\r\n")
            greeted.append(1)
            conn.close()

    threading.Thread(target=refuse, daemon=True).start()
    config.write_text(config.read_text(encoding="utf-8").replace(f"port = {smtp_server.port}",
                                                                 f"port = {listener.getsockname()[1]}"))
    try:
        result = cli(config, "campaign", "send", str(campaign), "--yes")
    finally:
        listener.close()
    assert result.exit_code == 4 and "Traceback" not in result.output, result.output
    paused = status(cli, config, campaign)
    assert (paused["state"], paused["sent"], paused["failed"], paused["in_flight"]) == ("paused", 0, 0, 0)
    assert "554 5.7.1 Service refused" in paused["reason"] and len(greeted) >= 3


@pytest.mark.parametrize("header", ["[]", '"x"', '{"a": 1}\n{"not": "a row"}'])
def test_a_damaged_audience_file_is_a_clear_error(setup, cli, header: str) -> None:
    """A frozen audience edited by hand (or torn) names its file; never a traceback (issue 8)."""
    config, campaign = setup(3)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    audience = next((config.parent / "var" / "campaigns").glob("*/audience.jsonl"))
    audience.write_text(header + "\n", encoding="utf-8")
    for command in (["campaign", "status", str(campaign)], ["campaign", "list"]):
        result = cli(config, *command)          # an exception would escape: catch_exceptions=False
        if result.exit_code:
            assert "audience.jsonl" in result.output and "unreadable audience" in result.output, result.output
