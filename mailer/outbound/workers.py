"""The worker processes of a send: how many, started, tied to the parent's life.

One process per core, `max_connections` connections in all. The parent only watches
(`session.py`): progress, Ctrl-C, the final state.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import signal
from array import array
from typing import Any

from ..config import Config
from ..errors import JournalError
from ..store.privatefiles import write_private_file
from .campaigns import Campaign
from .dispatch import COUNTERS, Shared, Worker, WorkerJob, put_text
from .journal import campaign_folder


def _die_with_parent(parent: int) -> None:
    """A worker must never outlive its parent: a resumed `send` would race an orphan."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)           # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:                  # the parent died before prctl took effect
        os._exit(1)


def worker_main(job: WorkerJob, shared: Shared) -> None:
    _die_with_parent(job.parent_pid)
    # Ctrl-C reaches the whole process group: the parent decides, workers finish what is in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING)
    try:
        worker = Worker(job, shared)
    except JournalError as exc:                 # its journal cannot even be opened (a full disk)
        logging.getLogger(__name__).error("sending stopped: %s", exc)
        put_text(shared.fault, str(exc))
        shared.stop.set()
        return
    worker.run()


def plan_workers(pending: int, max_connections: int) -> tuple[int, int]:
    """(processes, threads each): one process per core, `max_connections` connections in all."""
    cores = os.cpu_count() or 1
    processes = max(1, min(cores, max_connections, -(-pending // 500)))
    threads = max(1, -(-max_connections // processes))
    return processes, threads


def start_workers(config: Config, campaign: Campaign, pending: list[int]) -> tuple[list[Any], Shared]:
    ctx = mp.get_context("spawn")
    processes, threads = plan_workers(len(pending), config.smtp.max_connections)
    shared = Shared(counters=ctx.Array("q", processes * len(COUNTERS)), stop=ctx.Event(), paused=ctx.Event(),
                    error_streak=ctx.Value("i", 0), last_error=ctx.Array("c", 300), fault=ctx.Array("c", 300))
    rate = config.smtp.rate_per_second / processes     # each worker's threads share one pacer
    folder = campaign_folder(config.state_dir, campaign.name)
    jobs = []
    for w in range(processes):
        share = folder / f"pending-{w}.idx"
        write_private_file(share, array("I", pending[w::processes]).tobytes())
        jobs.append(WorkerJob(str(config.source), str(campaign.source), w, str(share), threads, rate, os.getpid()))
    procs = [ctx.Process(target=worker_main, args=(job, shared), name=f"mailer-send-{job.worker}")
             for job in jobs]
    for proc in procs:
        proc.start()
    return procs, shared
