"""Failed deliveries: `mailer bounces list` (the policy is mailer/bouncing.py)."""

from __future__ import annotations

from ..bouncing import bounce_rows
from . import App, handle_errors, main, pass_app
from .data import _show, json_option


@main.group("bounces")
def bounces_group() -> None:
    """Failed deliveries: each address's score, hard failures, last bounce and why.

    \b
    Example:
      mailer bounces list
    """


@bounces_group.command("list")
@json_option
@pass_app
@handle_errors
def bounces_list(app: App, as_json: bool) -> None:
    """List the addresses with a failed delivery: score (Mailman's, reset after 7 quiet days), hard
    failures (5.1.x, counted across campaigns: `[bounces] hard_limit` suppresses), last bounce, and
    why (its status and the server's words).

    \b
    Example:
      mailer bounces list --json
    """
    _show(bounce_rows(app.store.snapshot()),
          [("email", "E-mail"), ("score", "Score"), ("hard", "Hard"), ("delays", "Delays"),
           ("last_bounce", "Last bounce"), ("status", "Status"), ("reason", "Why"), ("suppressed", "Suppressed")],
          "Bounces", as_json, app.config.team.tz, ("last_bounce",))
