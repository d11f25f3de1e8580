"""Run `mailer` on a real pseudo-terminal and answer its prompt, as a coordinator would."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path


def run_with_answer(config: Path, *args: str, answer: str, prompt: bytes = b"[y/N]", timeout: float = 60) -> tuple[int, str]:
    """`python -m mailer --config CONFIG ARGS` with its stdin a terminal; types `answer` at the prompt.

    Returns (exit status, everything the terminal showed). Fails if the prompt never comes.
    """
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "dumb", "COLUMNS": "100"}
    proc = subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config), *args],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                            cwd=config.parent)
    os.close(slave)
    shown, answered = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:          # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if not answered and prompt in shown:
                os.write(master, answer.encode() + b"\n")
                answered = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert answered, f"no prompt {prompt!r} was shown: {shown.decode(errors='replace')}"
    return code, shown.decode("utf-8", "replace").replace("\r\n", "\n")
