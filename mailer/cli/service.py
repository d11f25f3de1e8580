"""Long-running commands: the embedded capture server (`dev-smtp`), the inbox poller (`poll`) and the service (`serve`)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from ..config import Config
from ..capture.devsmtp import CaptureServer
from . import App, handle_errors, main, pass_app

CHECKOUT = Path(__file__).resolve().parents[2]       # the repository, for an editable install


def wait_for_stop_signal() -> int:
    """Block until SIGINT (Ctrl-C) or SIGTERM; return the signal number.

    Handlers are installed for the wait only and the previous ones restored, so a long-running
    command stops through its normal `finally` path instead of a traceback.
    """
    received: list[int] = []
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return received[0]


@main.command("dev-smtp")
@pass_app
@handle_errors
def dev_smtp(app: App) -> None:
    """Run the local capture server on [smtp] host:port (needs embedded = true).

    Mail for the team address (and its +tag sub-addresses) goes to the inbox Maildir; every
    other recipient's copy goes to the outbox Maildir, so nothing leaves this machine. The
    inbox is not read here (`mailer serve` does both). Stop with Ctrl-C or SIGTERM.

    \b
    Example:
      mailer dev-smtp
    """
    server = CaptureServer(app.config).start()
    try:
        click.echo(next_steps(app.config, server, polling=False))
        wait_for_stop_signal()
    finally:
        server.stop()
    click.echo("Capture server stopped.")


def _mailer_command(config: Config) -> list[str]:
    """How a second terminal gets the `mailer` command (and this config)."""
    steps: list[str] = []
    if (CHECKOUT / ".venv" / "bin" / "activate").exists():
        steps.append(f"cd {CHECKOUT} && . .venv/bin/activate      # puts `mailer` on the PATH")
    elif sys.prefix != sys.base_prefix:
        steps.append(f". {Path(sys.prefix) / 'bin' / 'activate'}      # puts `mailer` on the PATH")
    elif not shutil.which("mailer"):
        steps.append(f"alias mailer='{sys.executable} -m mailer'")
    if config.source != CHECKOUT / "config.toml" or os.environ.get("MAILER_CONFIG"):
        steps.append(f"export MAILER_CONFIG={config.source}")
    return steps


def _walk_through() -> list[str]:
    """The README's walk-through, when this is a checkout that has its example files."""
    if not ((CHECKOUT / "examples" / "groups.csv").exists()
            and (CHECKOUT / "campaigns" / "alerte-exemple.toml").exists()):
        return ["mailer import groups groupes.csv   # then members, dossiers, subscribers (README: Data)"]
    return ["for k in groups dossiers members subscribers; do mailer import $k examples/$k.csv; done",
            "mailer campaign preview campaigns/alerte-exemple.toml --out preview",
            "mailer campaign send campaigns/alerte-exemple.toml",
            "mailer outbox list"]


def next_steps(config: Config, capture: CaptureServer | None, polling: bool) -> str:
    """What `serve` and `dev-smtp` print once listening: where mail goes, what to type next."""
    lines: list[str] = []
    if capture is not None:
        inbox_note = "read by this service" if polling else "read by `mailer serve` or `mailer poll --once`"
        if config.inbox.source != "maildir":
            inbox_note = (f"NOT read: [inbox] source = \"{config.inbox.source}\" in {config.source}, "
                          "so the service reads another mailbox")
        lines += [f"Capture server listening on {capture.host}:{capture.port}: nothing leaves this machine.",
                  f"  mail to the team ({config.team.address}, +tags) -> {capture.inbox}/ ({inbox_note})",
                  f"  mail to anyone else -> {capture.outbox}/ (read it: mailer outbox list, "
                  "mailer outbox show N, mailer outbox export DIR)"]
    else:
        lines.append(f"Mail goes out through {config.smtp.host}:{config.smtp.port} (smtp.embedded is false).")
    if polling:
        where = config.inbox.maildir if config.inbox.source == "maildir" else f"{config.inbox.host} (IMAP)"
        lines.append(f"Reading the team inbox {where} every {config.inbox.poll_seconds:g} s.")
    lines += ["", "Next, in a second terminal:"]
    lines += [f"  {step}" for step in [*_mailer_command(config), *_walk_through()]]
    lines += ["The walk-through, step by step: README.md, \"Walk-through\".", "", "Ctrl-C to stop."]
    return "\n".join(lines)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM for the duration of the block (handlers then restored)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        logging.getLogger("mailer.service").info("signal %d received: stopping", signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@main.command("poll")
@click.option("--once", is_flag=True, help="Process every new message, print a summary and exit.")
@pass_app
@handle_errors
def poll(app: App, once: bool) -> None:
    """Read the team mailbox ([inbox]): record, apply and file each message.

    Each message is recorded in the store before it is moved out of the inbox, so a crash at
    any point loses nothing and applies nothing twice. Without --once, polls every
    poll_seconds until Ctrl-C or SIGTERM (no capture server: see `serve`).

    \b
    Example:
      mailer poll --once
    """
    from ..inbound.pipeline import Processor
    from ..inbound.sources.imap import open_source
    from ..outbound.answers import AnswerSender
    from ..service import poll_once, serve

    config = app.config
    if once:
        source = open_source(config)
        try:
            summary = poll_once(config, app.store, source, Processor(config, app.store),
                                answers=AnswerSender(config, app.store))
        finally:
            source.close()
    else:
        with stop_on_signals() as stop:
            summary = serve(config, stop, embedded=False)
    for line in summary.lines():
        click.echo(line)


@main.command("serve")
@pass_app
@handle_errors
def serve_command(app: App) -> None:
    """Run the service: the capture server when [smtp] embedded, the inbox poller, and the
    one-click unsubscribe endpoint on [web] listen when [web] base_url is set.

    Polls every [inbox] poll_seconds (or waits with IMAP IDLE when idle = true), reconnects
    after server restarts, logs one line per message (never a password nor a body) and stops
    cleanly on Ctrl-C or SIGTERM. Once started it prints where captured mail goes and what to
    type next.

    \b
    Example:
      mailer serve
    """
    from ..service import serve

    config = app.config
    with stop_on_signals() as stop:
        # Started here rather than inside serve(): a busy port is an error before anything
        # else runs, and the next steps are printed only once it listens.
        capture = CaptureServer(config).start() if config.smtp.embedded else None
        try:
            click.echo(next_steps(config, capture, polling=True))
            summary = serve(config, stop, embedded=False)
        finally:
            if capture is not None:
                capture.stop()
    click.echo("Service stopped. " + " ".join(summary.lines()))
