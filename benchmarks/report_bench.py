"""How long `mailer report` and `mailer dashboard` take on a big store; prints wall time and peak RSS.

    python benchmarks/report_bench.py [--groups 300 --dossiers 100 --members 5000 --reports 20000]
                                      [--campaigns 12] [--runs 3] [--keep DIR]

The store is built through the store's own API in a temporary folder: groups, dossiers (each
entrusted to 2-6 groups), members, reports spread over two years (1-4 actions each, some
corrected, some deleted), open triage items, and `--campaigns` campaigns frozen to the members
with their journals (a few failures), hard bounces naming them and unsubscribes after them. Each
command then runs as a coordinator runs it (`python -m mailer ...`, a fresh process each time:
start-up, reading the store, output), `--runs` times; peak RSS is that process's own (wait4).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mailer.config import load_config  # noqa: E402
from mailer.models import Dossier, Group, Member, Recipient, SuppressionReason  # noqa: E402
from mailer.outbound.audience import write_audience  # noqa: E402
from mailer.outbound.journal import JournalWriter, campaign_folder  # noqa: E402
from mailer.registry import suppress_in, upsert_dossiers, upsert_groups, upsert_members  # noqa: E402
from mailer.store import Store  # noqa: E402
from mailer.store.records import (BounceRecord, CampaignRecord, Report, ReportState, TriageItem,  # noqa: E402
                                  TriageStatus)
from mailer.store.schema import BOUNCE_SCORES, CAMPAIGNS, REPORTS, TRIAGE  # noqa: E402

KINDS = ("groupe_local", "cercle_action", "antenne_jeunes")
COUNTRIES = ("Iran", "Guinée", "Guatemala", "Kenya", "Kazakhstan", "Colombie", "Égypte", "Bélarus")
TRIAGE_KINDS = ("report", "signup", "unsubscribe", "bounce", "other")
TODAY = date(2026, 12, 2)


def write_config(folder: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(textwrap.dedent(f"""\
        [team]
        name = "Protégeons les personnes"
        address = "protegeonslespersonnes@example.org"
        coordinators = []
        [storage]
        path = "var/mailer.json"
        [campaigns]
        templates = "{REPO / 'templates'}"
        """), encoding="utf-8")
    return config


def _actions(rng: random.Random, day: date) -> list[dict[str, object]]:
    kinds = rng.sample(("petition", "letter_authorities", "letter_support", "advocacy", "awareness",
                        "collaboration", "fund"), rng.randint(1, 4))
    actions = []
    for kind in kinds:
        count = None if kind in ("collaboration", "fund") or rng.random() < 0.05 else rng.randint(1, 60)
        amount = round(rng.uniform(10, 300), 2) if kind == "fund" else None
        when = (day - timedelta(days=rng.randint(0, 10))).isoformat() if rng.random() < 0.6 else None
        actions.append({"type": kind, "count": count, "amount_eur": amount, "date": when})
    return actions


def seed(folder: Path, groups: int, dossiers: int, members: int, reports: int, campaigns: int,
         rng: random.Random) -> Path:
    config_path = write_config(folder)
    config = load_config(config_path)
    store = Store(config.storage.path)
    codes = [f"G{i:03d}" for i in range(groups)]
    upsert_groups(store, [Group(code, f"Groupe {i} de Ville-{i}", KINDS[i % 3], f"Ville-{i}",  # type: ignore[arg-type]
                                f"groupe{i}@example.org") for i, code in enumerate(codes)])
    refs = [f"DI-20{20 + i % 6}-{i:03d}" for i in range(dossiers)]
    entrusted = {ref: rng.sample(codes, rng.randint(2, 6)) for ref in refs}
    upsert_dossiers(store, [Dossier(ref, f"Personne {i}", COUNTRIES[i % len(COUNTRIES)],
                                    "active" if i % 10 else "closed", f"referent{i % 7}@example.org",  # type: ignore[arg-type]
                                    entrusted[ref]) for i, ref in enumerate(refs)])
    people = [Member(f"membre{i}@example.net", f"Membre {i}", codes[i % groups]) for i in range(members)]
    upsert_members(store, people)
    start = datetime(2025, 1, 1, 8, tzinfo=UTC)
    span = (datetime(2026, 12, 1, 18, tzinfo=UTC) - start).total_seconds()
    with store.transaction() as tx:
        table = tx.table(REPORTS)
        for n in range(reports):
            ref = rng.choice(refs)
            read = start + timedelta(seconds=rng.random() * span)
            state = ReportState.DELETED if n % 97 == 0 else ReportState.CORRECTED if n % 13 == 0 else ""
            table.insert(Report(date=read.isoformat(timespec="seconds"), message_key=f"{n:064x}",
                                message_id=f"<r{n}@example.net>", sender=f"membre{n % members}@example.net",
                                group=rng.choice(entrusted[ref]) if rng.random() < 0.95 else None, dossier=ref,
                                actions=_actions(rng, read.date()), state=state))
        triage = tx.table(TRIAGE)
        for n in range(200):
            when = datetime(2026, 12, 1, 12, tzinfo=UTC) - timedelta(hours=rng.randint(1, 24 * 60))
            triage.insert(TriageItem(key=f"t{n}", sender=f"inconnu{n}@example.com", subject="Bonjour",
                                     kind=rng.choice(TRIAGE_KINDS), rule="report", reason="other.no_rule",
                                     date=when.isoformat(timespec="seconds"),
                                     status=TriageStatus.OPEN if n % 4 else TriageStatus.RESOLVED))
    audience = [Recipient(m.email, m.name, "member", m.group) for m in people]
    for c in range(campaigns):
        name = f"alerte-{c:02d}"
        started = datetime(2026, 1, 10, 9, tzinfo=UTC) + timedelta(days=27 * c)
        folder_c = campaign_folder(config.state_dir, name)
        write_audience(folder_c, {"campaign": name, "created": started.isoformat(), "today": started.date().isoformat(),
                                  "salt": "bench", "total": len(audience)}, audience)
        journal = JournalWriter(folder_c, 0)
        for i in range(len(audience)):
            if i % 250 == 7:
                journal.failed(i, 550, "5.1.1 User unknown")
            else:
                journal.delivered(i)
        journal.close()
        with store.transaction() as tx:
            tx.table(CAMPAIGNS).insert(CampaignRecord(name=name, state="done", kind="alert", total=len(audience),
                                                      started=started.isoformat(), finished=started.isoformat(),
                                                      updated=started.isoformat()))
            bounces = tx.table(BOUNCE_SCORES)
            for i in rng.sample(range(len(audience)), 20):
                bounces.insert(BounceRecord(email=audience[i].email, first=started.isoformat(), hard=1,
                                            hard_keys=[f"campaign:{name}"]))
            for i in rng.sample(range(len(audience)), 15):
                suppress_in(tx, audience[i].email, SuppressionReason.UNSUBSCRIBE, "all", "<bench>",
                            (started + timedelta(days=2)).isoformat())
    return config_path


def run(config: Path, *args: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system: steadier on a shared machine) and peak RSS in MB of
    one `mailer` process (its own rusage, from wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config), *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"mailer {' '.join(args)} failed:\n{errors.decode(errors='replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def _figures(runs: list[tuple[float, float, int]]) -> str:
    return " / ".join(f"{wall:.2f} s ({cpu:.2f})" for wall, cpu, _ in runs) + f", {max(m for _, _, m in runs)} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=300)
    parser.add_argument("--dossiers", type=int, default=100)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--reports", type=int, default=20000)
    parser.add_argument("--campaigns", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="Build the store in this folder and keep it.")
    parser.add_argument("--seed-only", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [str(v) for v in (args.groups, args.dossiers, args.members, args.reports, args.campaigns)]
    if args.seed_only:
        seed(args.seed_only, *map(int, sizes), random.Random(10))
        return
    with tempfile.TemporaryDirectory(prefix="report-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        # Built by a child process: a child's peak RSS counts the parent it was forked from, and this
        # one stays small (the store it built is gone with it).
        subprocess.run([sys.executable, __file__, "--seed-only", str(folder), "--groups", sizes[0], "--dossiers",
                        sizes[1], "--members", sizes[2], "--reports", sizes[3], "--campaigns", sizes[4]], check=True)
        config = folder / "config.toml"
        store_mb = sum(p.stat().st_size for p in (folder / "var").glob("mailer*.json*")) / 1e6
        print(f"store: {args.groups} groups, {args.dossiers} dossiers, {args.members} members, {args.reports} reports, "
              f"{args.campaigns} campaigns of {args.members}; {store_mb:.1f} MB of JSON, built in "
              f"{time.perf_counter() - started:.1f} s")
        until = ["--until", TODAY.isoformat()]
        commands = {
            "report": ["report", *until],
            "report --csv": ["report", *until, "--csv", str(folder / "bilan.csv")],
            "report --dossier": ["report", *until, "--dossier", "DI-2021-001"],
            "dashboard": ["dashboard", *until, "--out", str(folder / "report.html")],
        }
        print(f"{'':34} wall time (CPU time) per run, peak RSS")
        baseline = [run(config, "--version") for _ in range(args.runs)]
        print(f"{'mailer --version (start-up alone)':34} " + _figures(baseline))
        for label, command in commands.items():
            print(f"{'mailer ' + label:34} " + _figures([run(config, *command) for _ in range(args.runs)]))
        page = folder / "report.html"
        print(f"dashboard page: {page.stat().st_size / 1e3:.0f} KB")


if __name__ == "__main__":
    main()
