"""When the service starts, resumes or gives up a scheduled campaign, from its summary and a time.   [pure]

A campaign is scheduled only by `mailer campaign send FILE` (confirmed, and approved when it must
be), which records `send_at` and `not_after` on its summary (`session.SendSession.schedule`); a
file in the folder never sends on its own. The service (`scheduler.py`) asks `action` about each
summary at every poll, with its clock:

- `scheduled`, or a send of the service's that a crash (`sending` with no sender alive) or a stop
  of the service (`paused`, SERVICE_STOPPED) interrupted: started, or resumed, once `send_at`
  has come; given up (`expired`, reported) once `not_after` has, never sent then.
- anything else is not the service's: done, cancelled, expired, being sent now, paused by errors
  or by a person (their `send` takes it up), or never scheduled.

Resuming is safe because a send's journal says who already has the message: a restart never
sends it twice, and never loses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from ..clock import parse_iso
from ..models import CampaignState
from ..store.records import CampaignRecord

# Why a send of the service's stopped when the service did, and why it did not start (notices.REASONS
# words each in French).
SERVICE_STOPPED = "stopped with the service: it resumes when the service starts again"
FILE_CHANGED = ("its file changed after it was scheduled: run `mailer campaign send FILE` again to confirm "
                "(and approve) what goes")


class Action(StrEnum):
    NONE = "none"           # not the service's to send
    WAIT = "wait"           # send_at is still to come
    START = "start"         # due: start it, or resume it
    EXPIRE = "expire"       # not_after has passed: report it, send nothing


def is_the_services(record: CampaignRecord, live: bool) -> bool:
    """Whether the service has this campaign to start or to resume (`live`: a sender holds its lock)."""
    if not record.send_at:
        return False
    state = record.state
    return (state == CampaignState.SCHEDULED
            or (state == CampaignState.SENDING and not live)
            or (state == CampaignState.PAUSED and record.reason == SERVICE_STOPPED))


def action(record: CampaignRecord, now: datetime, live: bool) -> Action:
    """What the service does about this campaign now."""
    if not is_the_services(record, live):
        return Action.NONE
    not_after = parse_iso(record.not_after)
    if not_after is not None and now >= not_after:
        return Action.EXPIRE
    send_at = parse_iso(record.send_at)
    if send_at is not None and now < send_at:
        return Action.WAIT
    return Action.START


def next_due(records: Iterable[CampaignRecord], now: datetime) -> datetime | None:
    """The earliest `send_at` still to come among the scheduled campaigns (to wake up for it)."""
    times = [t for r in records if r.state == CampaignState.SCHEDULED
             and (t := parse_iso(r.send_at)) is not None and t > now]
    return min(times, default=None)
