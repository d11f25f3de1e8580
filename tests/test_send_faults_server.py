"""Nobody receives a mailing twice: a 2,000-recipient campaign through the CLI into a faulty server.

The server (`faultsmtp.py`) answers 421/450/451/452/550/552/553/554 at the greeting, MAIL, RCPT and
after the body at seeded random rates and drops connections before and after the body. After the
campaign is done, every recipient's final state is checked against what the server recorded:
a 250 is sent and received once, a 5xx is failed and never tried again, and a second copy exists
only where the journal holds an attempt without a result. `MAILER_FAULT_SEED` replays a seed.
"""

from __future__ import annotations

import errno
import os
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import DATA, write_config
from faultsmtp import FaultPlan, FaultServer
from sending import COORDINATOR, status, write_campaign

from mailer.config import load_config
from mailer.models import Subscriber
from mailer.outbound.audience import read_audience
from mailer.outbound.journal import campaign_folder, read_journals
from mailer.registry import upsert_subscribers
from mailer.store import Store

PEOPLE = 2000


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILER_CONFIG", raising=False)
    monkeypatch.delenv("MAILER_SECRET", raising=False)


def unknown_attempts(folder: Path) -> Counter[int]:
    """Per index, the attempts the journal holds without a result (a U, or a W left open)."""
    unknown: Counter[int] = Counter()
    for path in folder.glob("journal-*.log"):
        open_writes: set[int] = set()
        for line in path.read_text(encoding="utf-8").splitlines():
            code, _, rest = line.partition(" ")
            if code == "B":
                unknown.update(open_writes)
                open_writes = set()
                continue
            index = int(rest.split(" ", 1)[0]) if rest.split(" ", 1)[0].isdigit() else -1
            if code == "W":
                open_writes.add(index)
            elif code == "U":
                unknown[index] += 1
                open_writes.discard(index)
            elif code != "A":
                open_writes.discard(index)
        unknown.update(open_writes)
    return unknown


def send_until_done(cli, config: Path, campaign: Path, runs: int = 25) -> dict:
    """`campaign send` again while it pauses (as a coordinator would), checking the totals each time."""
    for _ in range(runs):
        result = cli(config, "campaign", "send", str(campaign), "--yes")
        assert result.exit_code in (0, 4) and "Traceback" not in result.output, result.output
        now = status(cli, config, campaign)
        assert now["total"] == now["sent"] + now["failed"] + now["suppressed"] + now["pending"], now
        folder = campaign_folder(load_config(config).state_dir, "bulletin-42")
        assert now["in_flight"] <= len(unknown_attempts(folder)), now      # never a false "in flight"
        if now["state"] == "done":
            return now
        assert now["reason"], now
    raise AssertionError(f"not done after {runs} sends: {now}")


def fault_project(tmp_path: Path, port: int, seeded, smtp_extra: str, storage: str = "var") -> tuple[Path, Path]:
    """2,000 subscribers, 4 connections, a campaign to them all."""
    config = write_config(tmp_path, port, templates=DATA / "templates", smtp_extra=smtp_extra)
    config.write_text(config.read_text(encoding="utf-8").replace("max_connections = 2", "max_connections = 4")
                      .replace('path = "var/mailer.json"', f'path = "{storage}/mailer.json"'))
    seeded(config)
    upsert_subscribers(Store(load_config(config).storage.path),
                       [Subscriber(f"abonne{i}@example.net", f"Abonné·e {i}") for i in range(PEOPLE)])
    return config, write_campaign(tmp_path, audience='["subscribers"]')


def fault_campaign(tmp_path: Path, cli, seeded, plan: FaultPlan) -> dict:
    print(f"fault server seed {plan.seed}")
    server = FaultServer(plan)
    try:
        config, campaign = fault_project(tmp_path, server.port, seeded,
                                         "retry_seconds = [0.05, 0.1, 0.1]\npause_after_errors = 60\n")
        final = send_until_done(cli, config, campaign)
    finally:
        server.stop()
    folder = campaign_folder(load_config(config).state_dir, "bulletin-42")
    frozen = read_audience(folder)
    assert frozen is not None and len(frozen.recipients) == PEOPLE
    journal, unknown = read_journals(folder), unknown_attempts(folder)
    copies, accepted, refused = server.copies(), server.accepted(), server.refused_for_good()
    copies.pop(COORDINATOR, None)
    accepted.pop(COORDINATOR, None)
    twice = sum(n - 1 for n in copies.values() if n > 1)
    figures = dict(recipients=PEOPLE, faults=dict(sorted(server.injected.items())), twice=twice,
                   unknown=sum(unknown.values()), sent=final["sent"], failed=final["failed"])
    print(f"fault figures: {figures}")
    for index, recipient in enumerate(frozen.recipients):
        email = recipient.email
        assert accepted[email] <= 1, f"{email} was accepted with 250 {accepted[email]} times"
        assert copies[email] <= 1 + unknown[index], (email, copies[email], unknown[index])
        if accepted[email]:
            assert journal.final.get(index) == "D", (email, journal.final.get(index))
        if email in refused:
            assert journal.final.get(index) == "F", (email, refused[email], journal.final.get(index))
        if journal.final.get(index) == "F":
            assert email in refused, f"{email} failed although the server never refused it with 5xx"
    assert server.after_refusal() == []
    assert twice <= figures["unknown"]
    return figures


def seed(default: int) -> int:
    return int(os.environ.get("MAILER_FAULT_SEED", default))


@pytest.mark.parametrize("data_421, greeting, greeting_rate", [(0.01, 421, 0.10), (0.05, 421, 0.30),
                                                                (0.05, 554, 0.30)])
def test_a_421_after_the_body_and_a_failed_reconnect_sends_nobody_a_second_copy(tmp_path: Path, cli, seeded, data_421,
                                                                                 greeting, greeting_rate) -> None:
    """The issue's mixes: 55 and 732 recipients (of 2,000, seed 8) got two copies before the fix."""
    plan = FaultPlan(seed(8), {"greeting": {greeting: greeting_rate}, "data": {421: data_421}})
    figures = fault_campaign(tmp_path, cli, seeded, plan)
    assert figures["twice"] == 0 and figures["unknown"] == 0        # no drop: every result is known
    assert figures["sent"] == PEOPLE


def test_every_code_at_every_step_and_dropped_connections(tmp_path: Path, cli, seeded) -> None:
    """421..554 at greeting, MAIL, RCPT and after the body, 1% drops before and after the body."""
    figures = fault_campaign(tmp_path, cli, seeded, FaultPlan.mixed(seed(42), rate=0.04, drop=0.01))
    assert figures["failed"] > 0 and any(k.startswith("drop after_data") for k in figures["faults"])


def test_a_relay_that_starts_refusing_at_the_greeting_pauses_with_its_answer_and_nothing_in_flight(
        tmp_path: Path, cli, seeded, capfd) -> None:
    """After its first 4 connections the server answers 554 at every greeting: a 421 after a body
    sends each connection back to it. Nobody failed, nothing in flight, no traceback; it resumes."""
    plan = FaultPlan(seed(5), {"greeting": {554: 1.0}, "data": {421: 0.02}}, clean_greetings=4)
    server = FaultServer(plan)
    try:
        config, campaign = fault_project(tmp_path, server.port, seeded,
                                         "retry_seconds = [0.05, 0.1]\npause_after_errors = 25\n")
        first = cli(config, "campaign", "send", str(campaign), "--yes")
        workers = capfd.readouterr().err
        assert first.exit_code == 4 and "Traceback" not in first.output + workers, first.output + workers
        paused = status(cli, config, campaign)
        assert (paused["state"], paused["failed"], paused["in_flight"]) == ("paused", 0, 0), paused
        assert "554 fault.test greeting refused" in paused["reason"], paused
        assert paused["sent"] == sum(server.accepted().values()) - server.accepted()[COORDINATOR]
        plan.rates["greeting"] = {}                          # the relay is unblocked
        send_until_done(cli, config, campaign)
    finally:
        server.stop()
    copies = server.copies()
    copies.pop(COORDINATOR, None)
    assert len(copies) == PEOPLE and set(copies.values()) == {1}


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 8 MB tmpfs (needs root): a write past it fails with ENOSPC, as on a full disk."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root?)")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Take every free byte of `disk`."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle:
        for size in (1 << 16, 1 << 10, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def small_reserve_in_workers(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers (spawned) reserve 16 KB of journal instead of 1 MB, so 2,000 recipients exhaust it."""
    hook = folder / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text("import mailer.outbound.journal as journal\njournal.RESERVE = 16384\n",
                                           encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])))


def test_a_full_disk_during_a_send_pauses_it_naming_the_cause_and_sends_nobody_twice(tmp_path: Path, cli, seeded,
                                                                                   small_disk: Path, capfd,
                                                                                   monkeypatch) -> None:
    """The disk fills after 400 messages (4 connections): before, two recipients got two copies."""
    small_reserve_in_workers(tmp_path, monkeypatch)
    server = FaultServer(FaultPlan(seed(0)))
    try:
        config, campaign = fault_project(tmp_path, server.port, seeded, "rate_per_second = 500\n", "disk/var")
        filled: list[Path] = []

        def fill_midway() -> None:
            deadline = time.monotonic() + 120
            while sum(server.accepted().values()) < 400 and time.monotonic() < deadline:
                time.sleep(0.01)
            filled.append(fill(small_disk))

        filler = threading.Thread(target=fill_midway, daemon=True)
        filler.start()
        first = cli(config, "campaign", "send", str(campaign), "--yes")
        filler.join()
        workers = capfd.readouterr().err
        print(first.output, workers)
        assert first.exit_code != 0 and "Traceback" not in first.output + workers, first.output + workers
        assert "No space left on device" in first.output
        filled[0].unlink()                                  # the coordinator frees some space
        paused = status(cli, config, campaign)
        assert paused["state"] == "paused" and paused["pending"] > 0, paused
        assert paused["reason"], paused
        send_until_done(cli, config, campaign)
    finally:
        server.stop()
    copies = server.copies()
    copies.pop(COORDINATOR, None)
    twice = {email: n for email, n in copies.items() if n > 1}
    print(f"full disk: {sum(copies.values())} copies, twice: {twice}")
    assert twice == {}
