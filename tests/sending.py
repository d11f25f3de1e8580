"""A sending project for tests: subscribers, members, a group and a dossier, campaign files, status."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

from conftest import DATA, SmtpServer, write_config

from mailer.config import load_config
from mailer.models import Member, Subscriber
from mailer.registry import upsert_members, upsert_subscribers
from mailer.store import Store

TEAM = "protegeonslespersonnes@example.org"
COORDINATOR = "coordination@example.org"


def make_project(folder: Path, server: SmtpServer, people: int, smtp_extra: str = "") -> Path:
    config = write_config(folder, server.port, templates=DATA / "templates", confirm_reports=False,
                          smtp_extra="retry_seconds = [0.2, 0.2]\npause_after_errors = 6\n" + smtp_extra)
    store = Store(load_config(config).storage.path)
    upsert_subscribers(store, [Subscriber(f"abonne{i}@example.net", f"Abonné·e {i}") for i in range(people)])
    upsert_members(store, [Member("ABONNE0@example.net", "Abonné zéro", ""), Member("membre@example.org", "Membre", "")])
    return config


def write_campaign(folder: Path, name: str = "bulletin-42", kind: str = "bulletin",
                   audience: str = '["subscribers", "members"]') -> Path:
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(f"""\
        name = "{name}"
        kind = "{kind}"
        subject = "Des nouvelles de {{{{ dossier.person }}}}"
        template = "alert"
        audience = {audience}
        dossier = "DI-2025-014"
        [vars]
        deadline = "15 décembre"
        """), encoding="utf-8")
    return path


def status(cli: Callable[..., Any], config: Path, campaign: Path) -> dict[str, Any]:
    result = cli(config, "campaign", "status", str(campaign), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def audience_received(server: SmtpServer) -> list[str]:
    return [r for r in server.handler.recipients() if r != COORDINATOR]


def send_in_background(config: Path, campaign: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mailer", "--config", str(config), "campaign", "send",
                             str(campaign), "--yes"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate: Callable[[], bool], timeout: float = 120) -> None:   # generous: a loaded machine
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


