"""Issue 10, scheduling: a campaign file's `send_at` and `not_after`. `mailer campaign send` schedules
it (confirmed and approved as usual; a file in the folder never sends on its own); the service
starts it at send_at, never after not_after; `campaign status` shows the schedule. A restart or a
crash of the service never sends it twice nor loses it; a schedule past not_after is reported,
not sent.

The service runs for real (`serve` in a thread, or `mailer serve` in a process for the crash),
with a `ManualClock` (mailer/clock.py) the test moves, sending to an aiosmtpd recorder.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import SmtpServer
from sending import COORDINATOR, audience_received, status, wait_for, write_campaign

from mailer.clock import ManualClock
from mailer.config import load_config
from mailer.errors import CampaignError
from mailer.outbound.campaigns import parse_campaign
from mailer.outbound.notices import french_reason
from mailer.outbound.scheduling import FILE_CHANGED, SERVICE_STOPPED, Action, action
from mailer.outbound.session import expired_reason
from mailer.service import serve
from mailer.store.records import CampaignRecord

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def _fast(config: Path, extra: str = "") -> Path:
    """The service polls every 50 ms (the clock it reads is the test's, not the poll's)."""
    text = config.read_text(encoding="utf-8")
    fast = "[inbox]\npoll_seconds = 0.05\n"
    text = text.replace("[inbox]\n", fast, 1) if "[inbox]\n" in text else text + fast    # one [inbox] table
    config.write_text(text + extra, encoding="utf-8")
    return config


def _scheduled(folder: Path, name: str, send_at: datetime | None, not_after: datetime | None = None,
               kind: str = "alert") -> Path:
    path = write_campaign(folder, name=name, kind=kind)
    lines = (f"send_at = {send_at.isoformat()}\n" if send_at else "") + \
            (f"not_after = {not_after.isoformat()}\n" if not_after else "")
    path.write_text(path.read_text(encoding="utf-8").replace("[vars]\n", lines + "[vars]\n"), encoding="utf-8")
    return path


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@contextmanager
def serving(config: Path, clock: ManualClock) -> Iterator[threading.Event]:
    """The real service loop in a thread, on the test's clock; stopped, and seen to stop, after."""
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(load_config(config), stop),
                              kwargs={"embedded": False, "clock": clock}, name="test-serve")
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(120)
    assert not thread.is_alive()


def _ticks(caplog: pytest.LogCaptureFixture, at: datetime) -> int:
    mark = f"schedules checked at {at.isoformat(timespec='seconds')}"
    return sum(1 for r in caplog.records if r.getMessage().startswith(mark))


def _two_ticks(caplog: pytest.LogCaptureFixture, clock: ManualClock) -> None:
    """Wait until the scheduler looked twice at this moment: one whole poll went by with it."""
    at = clock()
    seen = _ticks(caplog, at)
    wait_for(lambda: _ticks(caplog, at) >= seen + 2)


@pytest.fixture
def ticks(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="mailer.outbound.scheduler")
    return caplog


def _notices(server: SmtpServer) -> list[str]:
    return [str(d.message["Subject"]) for d in server.handler.deliveries if d.rcpt_tos == [COORDINATOR]]


# -- the file and the decision ---------------------------------------------------------------

def test_send_at_and_not_after_are_dates_and_times_with_their_offset() -> None:
    base = {"name": "x", "kind": "alert", "subject": "S", "template": "t", "audience": "members"}
    at = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    parsed = parse_campaign(base | {"send_at": at, "not_after": "2026-12-06T09:00:00+01:00"}, Path("x.toml"))
    assert parsed.send_at == at and parsed.not_after == datetime.fromisoformat("2026-12-06T09:00:00+01:00")
    for key, value, words in [("send_at", datetime(2026, 12, 5, 9, 0), "has no offset"),
                              ("send_at", "2026-12-05T09:00", "has no offset"),
                              ("not_after", at.date(), "a date without a time"),
                              ("send_at", "le 5 décembre", "not an ISO 8601 date"),
                              ("send_at", 5, "expected a date and time")]:
        with pytest.raises(CampaignError, match=f"{key}: .*{words}"):
            parse_campaign(base | {key: value}, Path("x.toml"))
    with pytest.raises(CampaignError, match="not_after: .* is not after send_at"):
        parse_campaign(base | {"send_at": at, "not_after": at}, Path("x.toml"))


def test_what_the_service_does_with_a_schedule() -> None:
    at = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    scheduled = CampaignRecord(name="x", state="scheduled", send_at=at.isoformat(), not_after=(at + HOUR).isoformat())
    assert action(scheduled, at - timedelta(seconds=1), live=False) is Action.WAIT
    assert action(scheduled, at, live=False) is Action.START
    assert action(scheduled, at + HOUR, live=False) is Action.EXPIRE
    crashed = CampaignRecord(name="x", state="sending", send_at=at.isoformat())
    assert action(crashed, at + DAY, live=False) is Action.START          # resumed: its journal says who has it
    assert action(crashed, at + DAY, live=True) is Action.NONE            # being sent right now
    stopped = CampaignRecord(name="x", state="paused", reason=SERVICE_STOPPED, send_at=at.isoformat())
    assert action(stopped, at, live=False) is Action.START
    for other in (CampaignRecord(name="x", state="paused", reason="paused after repeated errors: 451",
                                 send_at=at.isoformat()),
                  CampaignRecord(name="x", state="done", send_at=at.isoformat()),
                  CampaignRecord(name="x", state="cancelled", send_at=at.isoformat()),
                  CampaignRecord(name="x", state="expired", send_at=at.isoformat()),
                  CampaignRecord(name="x", state="sending")):                # sent by hand: never the service's
        assert action(other, at + HOUR, live=False) is Action.NONE


def test_the_reasons_of_a_schedule_read_in_french() -> None:
    for reason in (SERVICE_STOPPED, expired_reason("2026-12-05T09:00:00+00:00", 3), FILE_CHANGED,
                   "its file cannot be read: x", "its approval no longer holds: x", "its scheduled send failed: x"):
        assert french_reason(reason) != reason, reason


# -- scheduling it -----------------------------------------------------------------------------

def test_send_schedules_a_file_whose_send_at_is_to_come(setup: Callable[..., tuple[Path, Path]], tmp_path: Path,
                                                        cli: Callable[..., Any], smtp_server: SmtpServer) -> None:
    config, _ = setup(people=4)
    send_at = _now() + DAY
    campaign = _scheduled(tmp_path, "alerte-plus-tard", send_at, send_at + 2 * HOUR)
    draft = status(cli, config, campaign)
    assert (draft["state"], draft["send_at"]) == ("draft", send_at.isoformat())
    refused = cli(config, "campaign", "send", str(campaign))               # no terminal, no --yes
    assert refused.exit_code == 1 and "refusing to schedule it without confirmation" in refused.output
    result = cli(config, "campaign", "send", str(campaign), "--yes", "--by", "Coordination@example.org")
    assert result.exit_code == 0, result.output
    assert "alerte-plus-tard: scheduled" in result.output and "The service (`mailer serve`) sends it then" in result.output
    assert smtp_server.handler.deliveries == []                            # nothing sent, not even a notice
    shown = status(cli, config, campaign)
    assert (shown["state"], shown["total"], shown["pending"]) == ("scheduled", 5, 5)
    assert (shown["send_at"], shown["not_after"], shown["scheduled_by"]) == \
        (send_at.isoformat(), (send_at + 2 * HOUR).isoformat(), "coordination@example.org")
    text = cli(config, "campaign", "status", str(campaign)).output
    assert "scheduled: the service sends it at" in text and "never after" in text
    listed = [json.loads(line) for line in cli(config, "campaign", "list", "--json").output.splitlines()]
    assert [(r["name"], r["state"]) for r in listed if r["name"] == "alerte-plus-tard"] == \
        [("alerte-plus-tard", "scheduled")]
    assert (Path(load_config(config).state_dir) / "campaigns" / "alerte-plus-tard" / "audience.jsonl").exists()


def test_a_campaign_past_its_not_after_is_never_sent(setup: Callable[..., tuple[Path, Path]], tmp_path: Path,
                                                     cli: Callable[..., Any], smtp_server: SmtpServer) -> None:
    config, _ = setup(people=4)
    campaign = _scheduled(tmp_path, "trop-tard", _now() - 2 * DAY, _now() - DAY)
    result = cli(config, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 1 and "its not_after" in result.output and "has passed" in result.output
    assert smtp_server.handler.deliveries == []


# -- the service sends it ----------------------------------------------------------------------

def test_the_service_sends_it_once_at_send_at_across_restarts_and_never_after_not_after(
        setup: Callable[..., tuple[Path, Path]], tmp_path: Path, cli: Callable[..., Any], smtp_server: SmtpServer,
        ticks: pytest.LogCaptureFixture) -> None:
    config, _ = setup(people=8)
    _fast(config)
    t0 = _now()
    a = _scheduled(tmp_path, "alerte-a", t0 + DAY, t0 + DAY + 6 * HOUR)
    b = _scheduled(tmp_path, "rappel-b", t0 + HOUR, t0 + 2 * HOUR, kind="reminder")
    c = _scheduled(tmp_path, "annulee-c", t0 + HOUR)
    for campaign in (a, b, c):
        assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    assert cli(config, "campaign", "cancel", str(c), "--yes").exit_code == 0
    clock = ManualClock(t0 + timedelta(minutes=30))

    with serving(config, clock):                        # nothing is due yet
        _two_ticks(ticks, clock)
    assert audience_received(smtp_server) == [] and status(cli, config, a)["state"] == "scheduled"

    clock.set(t0 + DAY - timedelta(seconds=1))          # a restart after B's not_after, a second before A's send_at
    with serving(config, clock):
        wait_for(lambda: status(cli, config, b)["state"] == "expired")
        _two_ticks(ticks, clock)
        assert audience_received(smtp_server) == []     # B is reported, not sent; A waits for its second
        clock.advance(timedelta(seconds=1))
        wait_for(lambda: status(cli, config, a)["state"] == "done")
    counts = Counter(audience_received(smtp_server))
    assert len(counts) == 9 and set(counts.values()) == {1}         # A's audience, each once; nothing of B or C
    shown_b = status(cli, config, b)
    assert (shown_b["sent"], shown_b["pending"]) == (0, 9)
    assert shown_b["reason"] == expired_reason((t0 + 2 * HOUR).isoformat(), 9)
    notices = _notices(smtp_server)
    assert "Campagne « rappel-b » non envoyée à temps : 0 envoyé sur 9" in notices
    assert "Campagne « alerte-a » terminée : 9 envoyés sur 9" in notices
    assert status(cli, config, c)["state"] == "cancelled"

    clock.advance(HOUR)                                 # and again: nothing is sent twice
    with serving(config, clock):
        _two_ticks(ticks, clock)
    assert Counter(audience_received(smtp_server)) == counts
    assert len(_notices(smtp_server)) == len(notices)


def test_a_send_stopped_with_the_service_resumes_at_its_restart(
        tmp_path: Path, setup: Callable[..., tuple[Path, Path]], cli: Callable[..., Any],
        smtp_server: SmtpServer) -> None:
    config, _ = setup(people=39, smtp_extra="rate_per_second = 10\n")
    _fast(config)
    t0 = _now()
    campaign = _scheduled(tmp_path, "alerte-longue", t0 + HOUR)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    clock = ManualClock(t0 + HOUR)
    with serving(config, clock) as stop:
        wait_for(lambda: len(audience_received(smtp_server)) >= 5)
        stop.set()                                      # the service stops in the middle of the send
    stopped = status(cli, config, campaign)
    assert (stopped["state"], stopped["reason"]) == ("paused", SERVICE_STOPPED)
    assert 5 <= stopped["sent"] < 40 and stopped["in_flight"] == 0
    assert not [s for s in _notices(smtp_server) if "alerte-longue" in s]     # nothing to tell: it resumes
    with serving(config, clock):
        wait_for(lambda: status(cli, config, campaign)["state"] == "done")
    counts = Counter(audience_received(smtp_server))
    assert len(counts) == 40 and set(counts.values()) == {1}


def test_not_after_stops_a_send_under_way(tmp_path: Path, setup: Callable[..., tuple[Path, Path]],
                                          cli: Callable[..., Any], smtp_server: SmtpServer,
                                          ticks: pytest.LogCaptureFixture) -> None:
    config, _ = setup(people=39, smtp_extra="rate_per_second = 10\n")
    _fast(config)
    t0 = _now()
    campaign = _scheduled(tmp_path, "alerte-limite", t0 + HOUR, t0 + 2 * HOUR)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    clock = ManualClock(t0 + HOUR)
    with serving(config, clock):
        wait_for(lambda: len(audience_received(smtp_server)) >= 5)
        clock.set(t0 + 2 * HOUR)                        # not_after comes while it is being sent
        at_deadline = len(audience_received(smtp_server))
        wait_for(lambda: status(cli, config, campaign)["state"] == "expired")
    shown = status(cli, config, campaign)
    received = audience_received(smtp_server)
    # what was in flight at not_after completes, and the send stops within its next check: at 10/s, a
    # second's worth at most (a loaded machine delays the check, never the rule), far from all 40
    assert len(received) - at_deadline <= 10 and shown["sent"] == len(received) < 30
    assert shown["pending"] == 40 - shown["sent"] and "did not get it" in shown["reason"]
    assert any(s.startswith("Campagne « alerte-limite » non envoyée à temps") for s in _notices(smtp_server))
    with serving(config, clock):                        # expired is final, even across a restart
        _two_ticks(ticks, clock)
    assert len(audience_received(smtp_server)) == len(received)


def test_a_file_changed_after_it_was_scheduled_is_not_sent(tmp_path: Path, setup: Callable[..., tuple[Path, Path]],
                                                           cli: Callable[..., Any], smtp_server: SmtpServer) -> None:
    config, _ = setup(people=4)
    _fast(config)
    t0 = _now()
    campaign = _scheduled(tmp_path, "alerte-modifiee", t0 + HOUR)
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    campaign.write_text(campaign.read_text(encoding="utf-8").replace("15 décembre", "16 décembre"), encoding="utf-8")
    before = status(cli, config, campaign)
    assert before["state"] == "scheduled" and before["reason"].startswith(FILE_CHANGED)      # said before it is due
    with serving(config, ManualClock(t0 + HOUR)):
        wait_for(lambda: status(cli, config, campaign)["state"] == "paused")
    shown = status(cli, config, campaign)
    assert shown["reason"] == FILE_CHANGED and shown["sent"] == 0 and audience_received(smtp_server) == []
    assert any("alerte-modifiee" in s and "en pause" in s for s in _notices(smtp_server))


def test_a_scheduled_bulletin_is_approved_before_it_is_scheduled_and_checked_again_when_due(
        tmp_path: Path, setup: Callable[..., tuple[Path, Path]], cli: Callable[..., Any],
        smtp_server: SmtpServer) -> None:
    config, _ = setup(people=4)
    coordinators = 'coordinators = ["coordination@example.org", "julien@example.org"]'
    config.write_text(config.read_text(encoding="utf-8").replace('coordinators = ["coordination@example.org"]',
                                                                 coordinators), encoding="utf-8")
    _fast(config)
    t0 = _now()
    bulletin = _scheduled(tmp_path, "bulletin-programme", t0 + HOUR, kind="bulletin")
    refused = cli(config, "campaign", "send", str(bulletin), "--yes", "--by", COORDINATOR)
    assert refused.exit_code == 1 and "Who can approve it: julien@example.org" in refused.output
    assert status(cli, config, bulletin)["state"] == "draft"
    assert cli(config, "campaign", "approve", str(bulletin), "--by", "julien@example.org", "--yes").exit_code == 0
    assert cli(config, "campaign", "send", str(bulletin), "--yes", "--by", COORDINATOR).exit_code == 0
    assert status(cli, config, bulletin)["state"] == "scheduled"
    # Julien is no longer a coordinator when it is due: no approval holds, nothing goes
    config.write_text(config.read_text(encoding="utf-8").replace(coordinators,
                                                                 'coordinators = ["coordination@example.org"]\n'
                                                                 '[approval]\nrequired = true'), encoding="utf-8")
    with serving(config, ManualClock(t0 + HOUR)):
        wait_for(lambda: status(cli, config, bulletin)["state"] == "paused")
    assert status(cli, config, bulletin)["reason"].startswith("its approval no longer holds")
    assert [r for r in audience_received(smtp_server) if r != "julien@example.org"] == []


# -- a crash of the service ---------------------------------------------------------------------

MAX_CONNECTIONS = 2


def _serve_process(config: Path) -> subprocess.Popen[bytes]:
    # A session of its own, so the kill takes the service and its send workers at once.
    return subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config), "serve"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def test_a_crash_of_the_service_mid_send_neither_loses_nor_repeats_it(
        tmp_path: Path, setup: Callable[..., tuple[Path, Path]], cli: Callable[..., Any],
        smtp_server: SmtpServer) -> None:
    config, _ = setup(people=199, smtp_extra="rate_per_second = 40\n")
    config.write_text(config.read_text(encoding="utf-8").replace("[smtp]\n", "[smtp]\nembedded = false\n"),
                      encoding="utf-8")
    _fast(config)
    campaign = _scheduled(tmp_path, "alerte-crash", _now() + timedelta(seconds=2))
    assert cli(config, "campaign", "send", str(campaign), "--yes").exit_code == 0
    proc = _serve_process(config)
    try:
        wait_for(lambda: len(audience_received(smtp_server)) >= 40 or proc.poll() is not None)
        assert proc.poll() is None
        os.killpg(proc.pid, signal.SIGKILL)             # the service dies mid-send, with its workers
        proc.wait(60)
        crashed = status(cli, config, campaign)
        assert crashed["state"] == "paused" and crashed["pending"] > 0      # its sender is gone: resumable
        proc = _serve_process(config)                   # restarted: it resumes what is left
        wait_for(lambda: status(cli, config, campaign)["state"] == "done")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)
    counts = Counter(audience_received(smtp_server))
    assert len(counts) == 200, f"lost {200 - len(counts)} recipients"
    twice = {address for address, n in counts.items() if n > 1}
    assert sum(n - 1 for n in counts.values()) <= MAX_CONNECTIONS     # only what was in flight at the kill
    assert status(cli, config, campaign)["possible_duplicates"] >= len(twice)
