"""Crash safety, for real: a sender SIGKILLed at random moments, then resumed.

Every recipient must receive the campaign, and nobody twice except the messages in flight at
each kill (at most `max_connections` per crash).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest
from conftest import SmtpServer
from sending import COORDINATOR, make_project, write_campaign

from mailer.config import load_config

KILLS = 6
PEOPLE = 1500
MAX_CONNECTIONS = 2


def start_send(config: Path, campaign: Path) -> subprocess.Popen[bytes]:
    # A session of its own, so the kill takes the whole process group (parent and workers) at once.
    return subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config), "campaign", "send",
                             str(campaign), "--yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def delivered(server: SmtpServer) -> list[str]:
    return [r for r in server.handler.recipients() if r != COORDINATOR]


def crash_seed(environ: Mapping[str, str]) -> int:
    """MAILER_CRASH_SEED replays a run; otherwise a new seed, printed (pytest shows it on a failure)."""
    seed = int(environ.get("MAILER_CRASH_SEED") or time.time())
    print(f"crash test seed: {seed} (replay with MAILER_CRASH_SEED={seed})")
    return seed


def test_crash_seed_is_printed_and_replayable(capsys: pytest.CaptureFixture[str]) -> None:
    assert crash_seed({"MAILER_CRASH_SEED": "1234"}) == 1234
    assert "MAILER_CRASH_SEED=1234" in capsys.readouterr().out
    assert crash_seed({}) > 0 and "crash test seed: " in capsys.readouterr().out


def test_kill_9_at_random_moments_then_resume(tmp_path: Path, smtp_server: SmtpServer) -> None:
    config = make_project(tmp_path, smtp_server, PEOPLE - 1)
    from mailer.models import Dossier, Group
    from mailer.registry import upsert_dossiers, upsert_groups
    from mailer.store import Store
    store = Store(load_config(config).storage.path)
    upsert_groups(store, [Group("G037", "Groupe 37", "groupe_local", "Lyon", "g37@example.org")])
    upsert_dossiers(store, [Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", "", ["G037"])])
    campaign = write_campaign(tmp_path)
    rng = random.Random(crash_seed(os.environ))
    kills = 0
    for _ in range(KILLS):
        before = len(delivered(smtp_server))
        if before >= PEOPLE - 50:
            break
        proc = start_send(config, campaign)
        target = before + rng.randint(1, 200)
        deadline = time.monotonic() + 60
        while len(delivered(smtp_server)) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.0, 0.01))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=120)
        time.sleep(0.2)          # let the recorder finish what the dead sender had handed over
    final = start_send(config, campaign)
    assert final.wait(timeout=600) == 0                 # a generous deadline: the machine may be loaded
    counts = Counter(delivered(smtp_server))
    assert len(counts) == PEOPLE, f"lost {PEOPLE - len(counts)} recipients"
    duplicates = sum(n - 1 for n in counts.values())
    assert kills >= 3
    assert duplicates <= kills * MAX_CONNECTIONS, (duplicates, kills)
    status = subprocess.run([sys.executable, "-m", "mailer", "--config", str(config), "campaign", "status",
                             str(campaign), "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(status.stdout)
    assert (summary["state"], summary["sent"], summary["pending"]) == ("done", PEOPLE, 0)
    # Every copy that really arrived twice is one the journal could not prove: status names it.
    twice = {address for address, n in counts.items() if n > 1}
    assert summary["possible_duplicates"] >= len(twice), (summary["possible_duplicates"], twice)
    assert summary["possible_duplicates"] <= kills * MAX_CONNECTIONS
