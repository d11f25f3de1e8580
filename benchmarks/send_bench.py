"""Render and send N personalised French messages into a local SMTP sink; print msg/s and peak RSS.

The figures are those of `mailer campaign send --yes` run as a coordinator would, from process
start to exit (startup, freezing the audience, workers, final summary): msg/s = N / wall time,
RSS summed over the command and its workers.

    python benchmarks/send_bench.py [--n 20000 --n 100000] [--template action_alert] [--connections 4]

The sink is Debian postfix's `smtp-sink` (aiosmtpd tops out near 3,000 msg/s and would be the
bottleneck). The same run measures the bare-smtplib ceiling: one pre-built message re-sent on one
reused connection, and on `--connections` processes. Everything runs in a temporary folder.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mailer.config import load_config  # noqa: E402
from mailer.models import Subscriber  # noqa: E402
from mailer.outbound.files import load_campaign  # noqa: E402
from mailer.outbound.runner import CampaignService  # noqa: E402
from mailer.registry import upsert_subscribers  # noqa: E402
from mailer.store import Store  # noqa: E402

FIRST = ["Léa", "Hélène", "François", "Zoé", "Noël", "Maëlle", "Jérôme", "Anaïs", "Loïc", "Céline"]
LAST = ["Moreau", "Rivière", "Lefèvre", "Dubois", "Côté", "Gauthier", "Bérard", "Faure", "Lemaître"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink() -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    if not Path(binary).exists():
        sys.exit("smtp-sink not found: apt-get install postfix (it is not started by installing)")
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    proc = subprocess.Popen([binary, *user, f"127.0.0.1:{port}", "1000"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("smtp-sink did not start")


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    """Peak of the summed RSS of one process tree (the `mailer` command and its workers)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_total = 0
        self.peak_single = 0
        self.running = True

    def tree(self) -> list[int]:
        pids, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                todo += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except OSError:
                pass
        return pids

    def run(self) -> None:
        while self.running:
            sizes = [rss_kb(pid) for pid in self.tree()]
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_single = max(self.peak_single, max(sizes, default=0))
            time.sleep(0.02)


def make_project(folder: Path, port: int, n: int, connections: int, template: str,
                 templates: Path) -> tuple[Path, Path]:
    config = folder / "config.toml"
    config.write_text(textwrap.dedent(f"""\
        [team]
        name = "Protégeons les personnes"
        address = "protegeonslespersonnes@example.org"
        coordinators = []
        [storage]
        path = "var/mailer.json"
        [smtp]
        host = "127.0.0.1"
        port = {port}
        max_connections = {connections}
        [campaigns]
        templates = "{templates}"
        """), encoding="utf-8")
    cfg = load_config(config)
    subscribers = [Subscriber(f"abonne.{i}@example{i % 97}.org",
                              f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}") for i in range(n)]
    upsert_subscribers(Store(cfg.storage.path), subscribers)
    campaign = folder / "bench.toml"
    campaign.write_text(textwrap.dedent(f"""\
        name = "bench-{n}"
        kind = "bulletin"
        subject = "Bulletin n°{{{{ vars.issue_number }}}} : des nouvelles des dossiers"
        template = "{template}"
        audience = "subscribers"
        [vars]
        issue_number = 42
        deadline = "2026-12-15"
        """), encoding="utf-8")
    return config, campaign


def bench_campaign(n: int, port: int, connections: int, template: str, templates: Path) -> dict[str, float]:
    """`mailer campaign send --yes` as a coordinator runs it, timed and measured from outside."""
    with tempfile.TemporaryDirectory() as tmp:
        config_path, campaign_path = make_project(Path(tmp), port, n, connections, template, templates)
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config_path), "campaign", "send",
                                 str(campaign_path), "--yes"], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        sampler = RssSampler(proc.pid)
        sampler.start()
        output, _ = proc.communicate()
        elapsed = time.perf_counter() - started
        sampler.running = False
        sampler.join()
        if proc.returncode != 0:
            sys.exit(f"send failed:\n{output}")
        config = load_config(config_path)
        service = CampaignService(config, Store(config.storage.path))
        campaign = load_campaign(campaign_path)
        status = service.status(campaign)
        assert status.sent == n and status.state == "done", status
        recipients, frozen = service.audience(campaign)
        size = len(service.renderer(campaign, frozen).build(recipients[0], 0).data)
        return {"n": n, "seconds": elapsed, "msg_per_s": n / elapsed, "peak_rss_total_mb": sampler.peak_total / 1024,
                "peak_rss_single_mb": sampler.peak_single / 1024, "message_bytes": size}


def _bare_loop(port: int, count: int, data: bytes) -> None:
    conn = smtplib.SMTP("127.0.0.1", port, timeout=30)
    for i in range(count):
        conn.sendmail("bench@example.org", [f"r{i}@example.net"], data)
    conn.quit()


def bench_bare(port: int, n: int, processes: int, data: bytes) -> float:
    started = time.perf_counter()
    if processes == 1:
        _bare_loop(port, n, data)
    else:
        procs = [mp.Process(target=_bare_loop, args=(port, n // processes, data)) for _ in range(processes)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="recipients (repeatable); default 20000 and 100000")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--template", default="bench", help="template name (default: a ~4 KB bulletin)")
    parser.add_argument("--templates", type=Path, default=REPO / "benchmarks" / "templates",
                        help="templates folder (the shipped ones: templates/)")
    args = parser.parse_args()
    sizes = args.n or [20000, 100000]
    sink, port = start_sink()
    try:
        results = [bench_campaign(n, port, args.connections, args.template, args.templates.resolve()) for n in sizes]
        sample = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: x\r\n\r\n" + b"x" * 70 + b"\r\n"
        sample = sample * 1 + b"y" * (int(results[0]["message_bytes"]) - len(sample))
        bare_1 = bench_bare(port, 20000, 1, sample)
        bare_n = bench_bare(port, 20000, args.connections, sample)
    finally:
        sink.kill()
    cpu = os.cpu_count()
    print(f"machine: {cpu} cores; sink: smtp-sink; template: {args.template}; "
          f"max_connections: {args.connections}; message ~{results[0]['message_bytes'] / 1024:.1f} KB")
    for r in results:
        print(f"campaign {r['n']:>7,} recipients: {r['seconds']:6.2f} s  {r['msg_per_s']:7,.0f} msg/s  "
              f"peak RSS {r['peak_rss_total_mb']:.0f} MB all processes ({r['peak_rss_single_mb']:.0f} MB largest)")
    if len(results) >= 2:
        print(f"time ratio {results[-1]['n']:,} / {results[0]['n']:,}: {results[-1]['seconds'] / results[0]['seconds']:.2f}")
    print(f"bare smtplib ceiling, pre-built message: {bare_1:,.0f} msg/s on 1 connection, "
          f"{bare_n:,.0f} msg/s on {args.connections} processes")


if __name__ == "__main__":
    main()
