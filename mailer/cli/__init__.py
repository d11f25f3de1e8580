"""The `mailer` command: thin click commands, each one call into a module below.

Library errors (`MailerError`) become a clear message and exit status 1 here, at the edge only.

Every command's help ends with one example, as sqlite-utils does, in this form (`\b` keeps
click from re-wrapping it; tests/test_cli_help.py checks it):

    \b
    Example:
      mailer import members membres.csv
"""

from __future__ import annotations

import errno
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from ..config import Config, load_config
from ..errors import MailerError
from ..store import Store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    """What every command needs, loaded once and passed through `ctx.obj`."""

    config_path: str | None
    _config: Config | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.config.storage.path, self.config.security.secret_env)
        return self._store


def handle_errors(func: F) -> F:
    """Turn expected errors into `click.ClickException` (message, exit 1), nothing else: ours, and
    the system's (a full disk, a file that cannot be read), which name the file, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MailerError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(os_error_message(exc)) from None

    return wrapper  # type: ignore[return-value]


def os_error_message(exc: OSError) -> str:
    """`PATH: what the system said`, and what to do about a full disk."""
    words = exc.strerror or str(exc) or type(exc).__name__
    where = f"{exc.filename}: " if exc.filename else ""
    hint = ": free some space and try again" if exc.errno == errno.ENOSPC else ""
    return f"{where}{words}{hint}"


pass_app = click.make_pass_decorator(App)

yes_option = click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")


def confirm_or_refuse(question: str, yes: bool, doing: str) -> None:
    """Ask on the terminal before something that cannot be undone; without one, refuse.

    `doing` completes "refusing to ... without confirmation" (e.g. "cancel the campaign").
    A script says `--yes`; a pipe or a cron job never answers a prompt by accident.
    """
    if yes:
        return
    import sys

    if not sys.stdin.isatty():
        raise click.ClickException(f"refusing to {doing} without confirmation: no terminal to ask on; "
                                   "pass --yes to go ahead")
    click.confirm(question, abort=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file (default: $MAILER_CONFIG, else ./config.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Log more detail (never secrets nor message bodies).")
@click.version_option(package_name="mailer")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """Campaigns and mailbox of the 'Protégeons les personnes' team."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = App(config_path)


def _register() -> None:
    from . import (bounces, bulletin, campaign, corrections, data, inbox, outbox, reminders,  # noqa: F401
                   reporting, service)   # each adds commands


_register()
