"""The daily reminders on a big store: the plan, the day's run recorded, the reminders sent.

A store of 300 groups, 100 active dossiers (3 groups each), 5,000 members and 20,000 reports
received over the last year (so most pairs reported, some long ago, some never); then, timed:
`mailer reminders plan` (its one library call, best of --runs), and the service's daily step
(`run_if_due`: the plan again under the store lock, the records, each reminder rendered and sent
over SMTP to a local aiosmtpd sink that accepts everything).

    python benchmarks/reminders_bench.py [--runs 3]

Everything runs in a temporary folder.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))   # the tests' helpers, imported as the tests import them

from conftest import Recorder, free_port, write_config  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from mailer.app.reminders import plan_for, run_if_due  # noqa: E402
from mailer.config import load_config  # noqa: E402
from mailer.models import Dossier, Group, Member  # noqa: E402
from mailer.registry import upsert_dossiers, upsert_groups, upsert_members  # noqa: E402
from mailer.store import Store  # noqa: E402
from mailer.store.records import Report  # noqa: E402
from mailer.store.schema import REPORTS  # noqa: E402

NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def fill(store: Store, rng: random.Random) -> None:
    groups = [Group(f"G{n:03d}", f"Groupe {n}", "groupe_local", "Lyon", f"groupe{n}@example.org") for n in range(300)]
    upsert_groups(store, groups)
    dossiers = [Dossier(f"DI-2026-{n:03d}", f"Personne {n}", "Iran", "active", f"ref{n % 20}@example.org",
                        [groups[(3 * n + k) % 300].code for k in range(3)]) for n in range(100)]
    upsert_dossiers(store, dossiers)
    upsert_members(store, [Member(f"membre{n}@example.net", f"Membre {n}", groups[n % 300].code) for n in range(5000)])
    pairs = [(g, d.ref) for d in dossiers for g in d.groups][:240]        # 60 pairs never report
    with store.transaction() as tx:
        table = tx.table(REPORTS)
        for _ in range(20_000):
            group, ref = rng.choice(pairs)
            received = NOW - timedelta(days=rng.uniform(0, 365))
            table.insert(Report(date=received.isoformat(timespec="seconds"), group=group, dossier=ref,
                                sender=f"{group.lower()}@example.org",
                                actions=[{"type": "letter_authorities", "count": 3}]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            config_path = write_config(Path(folder), smtp_port=port)
            config = load_config(config_path)
            store = Store(config.storage.path)
            started = time.perf_counter()
            fill(store, random.Random(10))
            print(f"store filled in {time.perf_counter() - started:.1f} s "
                  f"({config.storage.path.stat().st_size / 1e6:.1f} MB state file)")
            times = []
            for _ in range(args.runs):
                store.forget()
                started = time.perf_counter()
                plan = plan_for(config, store, NOW.date())
                times.append(time.perf_counter() - started)
            print(f"reminders plan: {len(plan.items)} pairs, {len(plan.to_send)} to send: "
                  f"best {min(times):.3f} s, worst {max(times):.3f} s over {args.runs} runs")
            started = time.perf_counter()
            run = run_if_due(config, store, NOW)
            elapsed = time.perf_counter() - started
            print(f"daily run: {run.recorded} recorded, {run.sent} sent in {elapsed:.2f} s "
                  f"({run.sent / elapsed:.0f} reminders/s, SMTP to a local aiosmtpd sink included); "
                  f"{len(recorder.deliveries)} delivered")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
