"""Long-running commands: the embedded capture server (`dev-smtp`) and the service."""

from __future__ import annotations

import signal
import threading
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
