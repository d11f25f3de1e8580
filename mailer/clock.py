"""Times: stored and written to JSON as ISO 8601 with offset; shown to people in the team's zone.

One place so that every table, notice and message a person reads says the same local time
(`[team] timezone`, default Europe/Paris), whatever the machine's zone is.

What reads "now" for a decision (the service's schedules, purges, the inbox's day) takes a
`Clock`, so that a test, or a coordinator's `--as-of`, can say which moment it is: `system_clock`
in production, a `ManualClock` that the caller moves otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, aware, in UTC: the clock of everything that runs for real."""
    return datetime.now(UTC)


class ManualClock:
    """A clock that says the moment it was set to, and moves only when told (`advance`, `set`).

    Safe to read from the service's threads while a test moves it: scheduling is tested across
    a restart of the service without waiting for real time to pass.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a ManualClock needs an aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a ManualClock needs an aware datetime")
        with self._lock:
            self._now = moment


def now_iso() -> str:
    """Now, ISO 8601 in UTC to the second: what the store and JSON keep."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_iso(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 text (or datetime) as an aware datetime; naive values are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def for_people(value: str | datetime | None, tz: ZoneInfo, seconds: bool = False) -> str:
    """`2026-12-01 22:15` in the team's zone; '' for nothing; an unreadable value as it is."""
    moment = parse_iso(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def french_date(value: str | datetime | None, tz: ZoneInfo) -> str:
    """`1er décembre 2026 à 22 h 15` in the team's zone, for mail written in French."""
    moment = parse_iso(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    local = moment.astimezone(tz)
    return f"{french_day(local)} à {local.hour} h {local.minute:02d}"


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def french_day(day: date) -> str:
    """`1er décembre 2026`: a day as French mail writes it."""
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"
