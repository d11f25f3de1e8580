"""The inbox end to end: N messages from a private Dovecot through `poll_once`, including the store.

Half machine mail (bounces and auto-replies of tests/data/bounces-dev: a bounce storm after a big
bulletin), half French human mail (tests/data/fr-dev and fr-own), each copy made distinct by a
Message-ID of its own. The two halves sit in two IMAP folders and are polled separately, so each
gets its own msg/s; acknowledgements go to a local aiosmtpd sink, as in `mailer serve`.

A third folder holds the same bounces made proven: each is addressed to our VERP address
`+b-TOKEN` of one of 500 bulletin subscribers (the token this store would have minted), so they
are scored and suppress, as after a real bulletin, instead of going to triage unproven
("machine proven end to end").

Also measured, as ceilings: imap-tools' bulk fetch reading fields (`fetch(bulk=True,
mark_seen=False)`, its eager parse included) and the source's raw fetch (the bytes only).

    python benchmarks/inbox_bench.py [--n 5000] [--runs 3] [--profile] [--only machine|human|"machine proven"]

Last, the slowest single message: every .eml of tests/data and /work/shared/corpus read as `poll`
reads it (parse, rules, facts; best of 3 each, against its corpus's directory), the slowest
printed with its time (issue 9: no message over ~100 ms).

Needs root and Debian's dovecot-imapd (as the tests). Everything runs in temporary folders.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))   # the tests' helpers, imported as the tests import them
sys.path.insert(0, str(REPO / "scripts"))

from aiosmtpd.controller import Controller  # noqa: E402

from mailer.config import load_config  # noqa: E402
from mailer.inbound.mime.parse import MessageTooComplex, parse_message  # noqa: E402
from mailer.inbound.sources.imap import ImapSource  # noqa: E402
from mailer.inbound.pipeline import Processor  # noqa: E402
from mailer.outbound.answers import AnswerSender  # noqa: E402
from mailer.service import poll_once  # noqa: E402
from mailer.registry import import_file  # noqa: E402
from mailer.store import Store  # noqa: E402
from mailer.tokens import BOUNCE, make_token  # noqa: E402
from conftest import free_port, write_config  # noqa: E402
from dovecot import crlf, dovecot_missing, start_dovecot  # noqa: E402
from inbox_messages import (FR_DEV, FR_OWN, human_messages, import_reference_data,  # noqa: E402
                                  machine_messages, many)

PASSWORD_ENV = "MAILER_BENCH_IMAP_PASSWORD"


class Sink:
    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001
        return "250 OK"


def append(server, folder: str, messages: list[bytes]) -> None:  # noqa: ANN001
    with server.client() as box:
        box.folder.create(folder)
        for raw in messages:
            box.append(crlf(raw), folder)


def ceiling(server, folder: str) -> float:  # noqa: ANN001
    """imap-tools' bulk fetch reading From and Subject (its eager compat32 parse included), msg/s."""
    with server.client() as box:
        box.folder.set(folder)
        started = time.perf_counter()
        n = sum(1 for m in box.fetch(mark_seen=False, bulk=True) if m.from_ is not None and m.subject is not None)
        return n / (time.perf_counter() - started)


class Timed:
    """Wraps an object; adds the wall time of each named method call to `spent` (where the time goes)."""

    def __init__(self, inner: object, spent: dict[str, float], names: tuple[str, ...]) -> None:
        self._inner, self._spent, self._names = inner, spent, names

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._inner, name)
        if name not in self._names:
            return attr

        def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                self._spent[name] = self._spent.get(name, 0.0) + time.perf_counter() - started
        return timed


def slowest(roots: tuple[Path, ...] = (REPO / "tests" / "data", Path("/work/shared/corpus")),
            show: int = 3) -> list[tuple[float, Path]]:
    """(seconds, file) of the slowest messages to read, slowest first: parse, rules and facts,
    best of 3 runs each (a shared machine's hiccups are not the message's)."""
    from score_fr import load_directory                      # scripts/: a corpus's CSV directory
    from mailer.inbound.decide import MessageFacts
    from mailer.inbound.understand.classify import ReadingContext, read_message
    from mailer.models import Directory

    context = ReadingContext(team_address="protegeonslespersonnes@example.org")
    times: list[tuple[float, Path]] = []
    for folder in sorted({p.parent for root in roots if root.is_dir() for p in root.rglob("*.eml")}):
        directory = load_directory(folder) if (folder / "groups.csv").exists() else Directory((), (), ())
        for path in sorted(folder.glob("*.eml")):
            raw = path.read_bytes()
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                try:
                    parsed = parse_message(raw)
                    read_message(parsed, directory, context)
                    MessageFacts.of(parsed)
                except MessageTooComplex:
                    pass
                best = min(best, time.perf_counter() - started)
            times.append((best, path))
    times.sort(key=lambda t: t[0], reverse=True)
    return times[:show]


def proven_bounces(store: Store, config, count: int, folder: Path) -> list[bytes]:  # noqa: ANN001
    """`count` bounces, each delivered to the `+b-` address of one of 500 subscribers of this store."""
    addresses = [f"abonne{i:03d}@bench.example.net" for i in range(500)]
    sheet = folder / "subscribers.csv"
    sheet.write_text("email,name\n" + "".join(f"{a},Abonné {i}\n" for i, a in enumerate(addresses)), encoding="utf-8")
    import_file(store, "subscribers", sheet)   # type: ignore[arg-type]
    secret = store.secret(config.security.secret_env)
    local, domain = config.team.address.split("@")
    bounces = many(machine_messages(("bounce",)), count, start=10 * count)
    return [f"Delivered-To: {local}+b-{make_token(secret, BOUNCE, addresses[i % 500])}@{domain}\n".encode()
            + raw for i, raw in enumerate(bounces)]


def run_once(n: int, profile: bool, only: str = "") -> dict[str, float]:
    server = start_dovecot()
    folder = Path(tempfile.mkdtemp(prefix="mailer-inbox-bench-"))
    port = free_port()
    sink = Controller(Sink(), hostname="127.0.0.1", port=port)
    try:
        sink.start()
        os.environ[PASSWORD_ENV] = server.password
        config_path = write_config(folder, smtp_port=port, extra=(
            f'[inbox]\nsource = "imap"\nhost = "{server.host}"\nport = {server.port}\nsecurity = "none"\n'
            f'username = "{server.user}"\npassword_env = "{PASSWORD_ENV}"\n'))
        config = load_config(config_path)
        store = Store(config.storage.path)
        import_reference_data(store, FR_DEV)
        import_reference_data(store, FR_OWN)
        half = n // 2
        append(server, "Machines", many(machine_messages(), half))
        append(server, "Humains", many(human_messages(FR_DEV, FR_OWN), n - half, start=half))
        append(server, "Prouves", proven_bounces(store, config, half, folder))

        figures: dict[str, float] = {}
        figures["imap-tools bulk fetch (parsed)"] = ceiling(server, "Machines")
        raw_source = ImapSource(replace(config.inbox, folder="Machines"))
        started = time.perf_counter()
        fetched = raw_source.fetch(n)
        figures["source raw fetch"] = len(fetched) / (time.perf_counter() - started)
        raw_source.close()

        processor, answers = Processor(config, store), AnswerSender(config, store)
        for label, name, count in (("machine", "Machines", half), ("human", "Humains", n - half),
                                   ("machine proven", "Prouves", half)):
            if only and label != only:
                continue
            cfg = replace(config, inbox=replace(config.inbox, folder=name))
            spent: dict[str, float] = {}
            source = Timed(ImapSource(cfg.inbox), spent, ("fetch", "move"))
            timed_processor = Timed(processor, spent, ("process_batch",))
            timed_answers = Timed(answers, spent, ("send_pending",))
            profiler = cProfile.Profile() if profile else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            summary = poll_once(cfg, store, source, timed_processor, answers=timed_answers)  # type: ignore[arg-type]
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
            source.close()
            assert summary.fetched == count, (label, summary.fetched, count)
            figures[f"{label} end to end"] = count / elapsed
            print(f"  {label}: {count} in {elapsed:.2f}s; kinds {dict(summary.kinds)}; "
                  f"folders {dict(summary.folders)}; acks {summary.acknowledgements}\n"
                  f"    time: " + ", ".join(f"{k} {v:.2f}s" for k, v in spent.items()), flush=True)
            if profiler:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(30)
                print(out.getvalue())
        return figures
    finally:
        sink.stop(no_assert=True)
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile each poll (slower; one run)")
    parser.add_argument("--only", choices=("machine", "human", "machine proven"), default="",
                        help="poll one folder only")
    parser.add_argument("--no-slowest", action="store_true", help="skip the slowest-message pass")
    args = parser.parse_args()
    if dovecot_missing():
        sys.exit(dovecot_missing())
    runs = []
    for i in range(1 if args.profile else args.runs):
        print(f"run {i + 1}:", flush=True)
        runs.append(run_once(args.n, args.profile, args.only))
    print(f"\n{args.n} messages, median of {len(runs)} run(s), msg/s:")
    for key in runs[0]:
        print(f"  {key:<32} {statistics.median(r[key] for r in runs):>8,.0f}")
    if not args.no_slowest:
        worst = slowest()
        print("slowest messages (parse + rules + facts, best of 3): " + "; ".join(
            f"{seconds * 1000:.1f} ms {path.relative_to(REPO) if path.is_relative_to(REPO) else path}"
            for seconds, path in worst))
    print("targets: machine (proven or not) >= 1,000 msg/s, human >= 100 msg/s, no message over ~100 ms")


if __name__ == "__main__":
    main()
