"""Issue 9: a bounce policy for three bulletins a year, over real SMTP sockets and the inbox pipeline.

Mailman's defaults (1.0 a bounce, threshold 5, reset after 7 days) mail a dead address on a
thrice-yearly bulletin forever. Hard failures (5.1.x, proven ours) count across campaigns and
suppress at the second (`[bounces] hard_limit = 2`), whether the server refused the RCPT at send
time (the outbound wing's journal, through the core) or a DSN came back to our VERP address; a
full mailbox never suppresses on two failures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import SmtpServer
from sending import make_project, write_campaign

from mailer.bouncing import Failed, is_hard, record_failure
from mailer.config import load_config
from mailer.inbound.pipeline import Processor
from mailer.store import Store
from mailer.store.schema import BOUNCE_SCORES

REFUSED = "abonne1@example.net"      # the server answers RCPT 550 5.1.1
GONE = "abonne2@example.net"         # accepted, then a DSN 5.1.1 comes back to our VERP address
FULL = "abonne3@example.net"         # accepted, then a DSN 5.2.2 (mailbox full)


def dsn_for(copy: Any, recipient: str, status: str, diagnostic: str) -> bytes:
    """The report a remote MTA writes about the copy we sent: to its envelope sender (our +b-
    address), returning its Message-ID."""
    return (f"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\nTo: {copy.mail_from}\n"
            f"Subject: Undelivered Mail Returned to Sender\nMessage-ID: <{status}.{recipient}.{copy.at}@mx>\n"
            "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
            "--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
            "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
            f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: {status}\n"
            f"Diagnostic-Code: smtp; {diagnostic}\n\n"
            f"--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: {copy.message['Message-ID']}\n"
            f"To: {recipient}\n\n--B--\n").encode("ascii")


def test_three_bulletins_suppress_a_dead_address_at_the_second_hard_failure(
        tmp_path: Path, smtp_server: SmtpServer, cli: Callable[..., Any], seeded: Callable[[Path], None]) -> None:
    config_path = make_project(tmp_path, smtp_server, people=4)
    seeded(config_path)
    config = load_config(config_path)
    store = Store(config.storage.path)
    smtp_server.handler.reject[REFUSED] = "550 5.1.1 <abonne1@example.net>: Recipient address rejected: User unknown"
    clock = [datetime(2026, 2, 1, 9, 0, tzinfo=UTC)]
    suppressed_after: list[set[str]] = []
    for n in range(1, 4):                                   # February, June, October
        campaign = write_campaign(tmp_path, f"bulletin-{n}", audience='["subscribers"]')
        before = len(smtp_server.handler.deliveries)
        result = cli(config_path, "campaign", "send", str(campaign), "--yes")
        assert result.exit_code == 0, result.output
        copies = {d.rcpt_tos[0].lower(): d for d in smtp_server.handler.deliveries[before:]}
        reports = [dsn_for(copies[GONE], GONE, "5.1.1", "550 5.1.1 User unknown")] if GONE in copies else []
        reports.append(dsn_for(copies[FULL], FULL, "5.2.2", "552 5.2.2 Mailbox full"))
        outcomes = Processor(config, store, clock=lambda: clock[0]).process_batch(reports)
        assert {(o.kind, o.disposition) for o in outcomes} == {("bounce", "apply")}
        suppressed_after.append({d["email"] for d in store.snapshot().docs("suppressions")})
        if n == 3:
            assert REFUSED not in copies and GONE not in copies and FULL in copies
        clock[0] += timedelta(days=120)

    # suppressed at the second hard failure, not before; the full mailbox never
    assert suppressed_after == [set(), {REFUSED, GONE}, {REFUSED, GONE}]
    assert smtp_server.handler.attempts[REFUSED] == 2          # bulletin 3 never asked for it
    scores = {d["email"]: d for d in store.snapshot().docs("bounce_scores")}
    assert (scores[REFUSED]["hard"], scores[GONE]["hard"], scores[FULL].get("hard", 0)) == (2, 2, 0)
    assert scores[REFUSED]["status"] == "5.1.1" and "User unknown" in scores[REFUSED]["reason"]
    assert scores[FULL]["status"] == "5.2.2"

    # `mailer bounces list` shows scores and why
    listed = cli(config_path, "bounces", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = {r["email"]: r for r in map(json.loads, listed.output.splitlines())}
    assert rows[REFUSED]["hard"] == 2 and rows[REFUSED]["suppressed"] == "bounce (all)"
    assert rows[FULL]["hard"] == 0 and rows[FULL]["suppressed"] is None and rows[FULL]["status"] == "5.2.2"
    assert "Mailbox full" in rows[FULL]["reason"]
    table = cli(config_path, "bounces", "list")
    assert table.exit_code == 0 and "Bounces (3)" in table.output


def test_a_resumed_send_records_its_refusals_once(tmp_path: Path, smtp_server: SmtpServer,
                                                  cli: Callable[..., Any], seeded: Callable[[Path], None]) -> None:
    config_path = make_project(tmp_path, smtp_server, people=2)
    seeded(config_path)
    smtp_server.handler.reject[REFUSED] = "550 5.1.1 User unknown"
    campaign = write_campaign(tmp_path, "bulletin-1", audience='["subscribers"]')
    for _ in range(2):                                      # the second send finds nothing pending
        assert cli(config_path, "campaign", "send", str(campaign), "--yes").exit_code == 0
    store = Store(load_config(config_path).storage.path)
    [score] = store.snapshot().docs("bounce_scores")
    assert (score["email"], score["hard"], score["refused"]) == (REFUSED, 1, ["bulletin-1"])
    assert store.snapshot().docs("suppressions") == []


def test_policy_blocks_and_full_mailboxes_are_not_hard() -> None:
    assert is_hard("5.1.1", True) and is_hard("5.1.2", None) and is_hard("5.1.10", True)
    assert not is_hard("5.7.1", True) and not is_hard("5.2.2", True) and not is_hard("4.2.2", None)
    assert not is_hard("5.1.8", True)               # the sender's address: MAIL FROM refused for everyone
    assert not is_hard("5.1.1", False) and not is_hard("550", True)


def test_hard_failures_of_one_campaign_count_once_and_never_reset(tmp_path: Path) -> None:
    from conftest import write_config
    store = Store(load_config(write_config(tmp_path)).storage.path)

    def fail(campaign: str, day: str, status: str = "5.1.1") -> bool:
        with store.transaction() as tx:
            return record_failure(tx, Failed("x@example.net", True, status, "User unknown", campaign, "<m>"),
                                  f"{day}T09:00:00+00:00", 2)

    assert fail("b-1", "2026-02-01") is False
    assert fail("b-1", "2026-02-03") is False       # a second report of the same bulletin: still one
    assert fail("b-2", "2026-10-01") is True        # eight months later: no 7-day reset for hard failures
    [doc] = store.snapshot().docs(BOUNCE_SCORES.name)
    assert doc["hard"] == 2 and doc["hard_keys"] == ["campaign:b-1", "campaign:b-2"]


def test_a_hard_limit_of_three(tmp_path: Path) -> None:
    from conftest import write_config
    store = Store(load_config(write_config(tmp_path)).storage.path)
    results = []
    for n in range(3):
        with store.transaction() as tx:
            results.append(record_failure(tx, Failed("x@example.net", True, "5.1.1", "", f"b-{n}", "<m>"),
                                          f"2026-0{n + 1}-01T09:00:00+00:00", 3))
    assert results == [False, False, True]


def test_parse_json_gives_permanence_in_three_values(project: Path, cli: Callable[..., Any]) -> None:
    """true: final and hard; null: final but soft (Action failed + 4.x.x); false: a delay, still a bounce."""
    from corpora import BOUNCES, INBOUND, SEEN
    files = {True: BOUNCES / "messages/sisimai/lhost-postfix-01.eml",
             None: SEEN / "messages/mailbounce/transient-failure.eml",
             False: INBOUND / "delay-warning-postfix.eml"}
    for permanent, path in files.items():
        result = cli(project, "parse", "--json", str(path))
        assert result.exit_code == 0, result.output
        reading = json.loads(result.output.splitlines()[0])
        assert (reading["kind"], reading["permanent"]) == ("bounce", permanent), path.name
