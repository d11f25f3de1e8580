"""Long-running commands: the embedded capture server (`dev-smtp`), the inbox poller (`poll`) and the service (`serve`)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from ..devsmtp import CaptureServer
from . import App, handle_errors, main, pass_app


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
    other recipient's copy goes to the outbox Maildir, so nothing leaves this machine.
    Stop with Ctrl-C or SIGTERM.
    """
    server = CaptureServer(app.config).start()
    try:
        click.echo(f"Capture server listening on {server.host}:{server.port}\n"
                   f"  team mail  -> {server.inbox}\n"
                   f"  other mail -> {server.outbox}\n"
                   "Ctrl-C to stop.")
        wait_for_stop_signal()
    finally:
        server.stop()
    click.echo("Capture server stopped.")


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
    """
    from ..inbound.inbox import open_source
    from ..inbound.process import Processor
    from ..service import poll_once, serve

    config = app.config
    if once:
        source = open_source(config)
        try:
            summary = poll_once(config, app.store, source, Processor(config, app.store))
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
    """Run the service: the capture server when [smtp] embedded, and the inbox poller.

    Polls every [inbox] poll_seconds (or waits with IMAP IDLE when idle = true), reconnects
    after server restarts, logs one line per message (never a password nor a body) and stops
    cleanly on Ctrl-C or SIGTERM.
    """
    from ..service import serve

    with stop_on_signals() as stop:
        summary = serve(app.config, stop)
    click.echo("Service stopped. " + " ".join(summary.lines()))
