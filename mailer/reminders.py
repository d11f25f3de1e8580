"""Who gets a reminder on a given day, and why, chosen from plain values alone.   [pure]

For each active dossier, each group entrusted with it (README: Reminders):
- one that never reported on it is due at once; one that did is due `after_days` after its last
  report was *received* (when the service read it, not the dates written in it). A report still in
  triage counts as received: an open triage item whose reading names that group and dossier. A
  report a coordinator deleted counts for nothing, as everywhere else;
- at most one reminder per group and dossier per period: the next is due `after_days` after the
  last one; a report received after a reminder answers it;
- none to a suppressed address, nor to a group without one;
- after two unanswered reminders, one note to the dossier's référent instead of a third (to the
  coordinators when the dossier has none, or theirs is suppressed); then nothing more for that
  group and dossier until it reports.

The edges: `mailer/app/reminders.py` reads these values from the store and records a day's plan,
`outbound/reminders.py` sends it, `service.py` runs it once a day from `[reminders] hour`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from .clock import parse_iso
from .models import Directory, Dossier, DossierStatus, Group, code_key
from .store.records import (OutgoingStatus, Reminder, ReminderKind, Report, ReportState, TriageItem,
                            TriageStatus)


class Action(StrEnum):
    REMIND = "reminder"                 # the group gets a reminder
    NOTIFY = "referent_note"            # the référent gets a note instead of a third reminder
    NONE = "none"                       # nothing today (`reminders plan --all` shows why)


class Reason(StrEnum):
    NEVER_REPORTED = "never_reported"
    NO_RECENT_REPORT = "no_recent_report"
    REMINDER_UNANSWERED = "reminder_unanswered"
    TWO_UNANSWERED = "two_reminders_unanswered"
    # nothing is sent:
    REPORTED_RECENTLY = "reported_recently"
    REPORT_IN_TRIAGE = "report_in_triage"
    REMINDED_RECENTLY = "reminded_recently"
    REFERENT_NOTIFIED = "referent_notified"
    SUPPRESSED = "suppressed"
    NO_ADDRESS = "no_address"
    NO_REFERENT = "no_referent"
    UNKNOWN_GROUP = "unknown_group"


UNANSWERED_LIMIT = 2        # reminders without a report, then the référent is told instead
# A reminder counts once sent or about to be; a refused one too (the group's address is dead: its
# référent should know). One skipped (suppressed, answered before it left) or that could not be
# built never reached anyone: it counts for nothing, and the next day's run tries again.
COUNTED = (OutgoingStatus.PENDING, OutgoingStatus.SENT, OutgoingStatus.REFUSED)


@dataclass(frozen=True)
class Settings:
    after_days: int = 30
    tz: tzinfo = UTC                    # the team's zone: days are counted in it
    coordinators: tuple[str, ...] = ()  # who is told when a dossier has no référent to tell


@dataclass(frozen=True)
class Received:
    """A group's last report on a dossier: when the service read it, and whether it waits in triage."""

    when: datetime
    in_triage: bool = False


@dataclass(frozen=True)
class Item:
    """What one group and dossier get on the day planned, and why."""

    action: Action
    group: str
    dossier: str
    to: str
    reason: Reason
    detail: str
    last_report: Received | None = None
    reminders: tuple[str, ...] = ()     # the days of the reminders sent since the last report
    due: date | None = None             # the day it is (or will be) due; None: not until a report
    news: str = ""

    @property
    def sends(self) -> bool:
        return self.action is not Action.NONE

    def to_json(self) -> dict[str, Any]:
        last = self.last_report
        return {"group": self.group, "dossier": self.dossier, "to": self.to,
                "last_report": last.when.isoformat(timespec="seconds") if last else None,
                "reason": self.reason.value, "action": self.action.value, "detail": self.detail,
                "in_triage": bool(last and last.in_triage), "reminders": list(self.reminders),
                "due": self.due.isoformat() if self.due else None}


@dataclass(frozen=True)
class Plan:
    day: date
    items: tuple[Item, ...] = field(default=())

    @property
    def to_send(self) -> list[Item]:
        return [i for i in self.items if i.sends]


Key = tuple[str, str]


def plan(directory: Directory, reports: Iterable[Report], triage: Iterable[TriageItem],
         sent: Iterable[Reminder], suppressed: Container[str], day: date,
         news: Mapping[str, str] | None = None, settings: Settings = Settings()) -> Plan:
    """The plan for `day` (in the team's zone): one item per group of each active dossier.

    `sent`: the reminders and notes recorded so far (any status: see COUNTED);
    `suppressed`: the addresses no reminder may reach; `news`: dossier ref -> its latest news.
    Anything dated after `day` is left out, so `--as-of` a past day plans as that day would have.
    """
    triage = list(triage)
    received = last_received(reports, triage, settings.tz, day)
    history = _history(sent, settings.tz, day)
    latest = {code_key(ref): text for ref, text in (news or {}).items()}
    items = []
    for dossier in sorted(directory.dossiers, key=lambda d: code_key(d.ref)):
        if dossier.status != DossierStatus.ACTIVE:
            continue
        for code in dict.fromkeys(code_key(c) for c in dossier.groups):
            key = (code, code_key(dossier.ref))
            items.append(_item(directory.group(code), code, dossier, received.get(key), history.get(key, []),
                               suppressed, day, latest.get(key[1], ""), settings))
    return Plan(day, tuple(items))


def last_received(reports: Iterable[Report], triage: Sequence[TriageItem], tz: tzinfo,
                  day: date | None = None) -> dict[Key, Received]:
    """(group, dossier) -> its last report received (up to `day`), counting the open triage items."""
    read_at = {t.id: t.date for t in triage}        # a report applied from triage was read back then
    found: dict[Key, Received] = {}

    def add(group: Any, dossier: Any, stamp: str, in_triage: bool) -> None:
        when = parse_iso(stamp)
        if not isinstance(group, str) or not isinstance(dossier, str) or not group or not dossier or when is None:
            return
        if day is not None and when.astimezone(tz).date() > day:
            return
        key = (code_key(group), code_key(dossier))
        if key not in found or when > found[key].when:
            found[key] = Received(when, in_triage)

    for report in reports:
        if report.state != ReportState.DELETED:
            add(report.group, report.dossier, (read_at.get(report.triage) if report.triage else "") or report.date,
                False)
    for item in triage:
        reading = item.reading or {}
        if item.status == TriageStatus.OPEN:
            add(reading.get("group"), reading.get("dossier"), item.date, True)
    return found


def answered(received: Mapping[Key, Received], group: str, dossier: str, since: str) -> bool:
    """Whether a report on that dossier came from that group after `since` (a reminder's `planned`):
    then a reminder still waiting to be sent is not sent."""
    last, after = received.get((code_key(group), code_key(dossier))), parse_iso(since)
    return last is not None and after is not None and last.when > after


def is_due(now: datetime, hour: int, last_day: str | None, tz: tzinfo) -> bool:
    """The day's run is due from `hour` (the team's zone) if it has not run that day."""
    local = now.astimezone(tz)
    return local.hour >= hour and last_day != local.date().isoformat()


def _history(sent: Iterable[Reminder], tz: tzinfo, day: date) -> dict[Key, list[Reminder]]:
    rows: dict[Key, list[Reminder]] = defaultdict(list)
    for row in sent:
        planned = parse_iso(row.planned)
        if row.status not in COUNTED or planned is None or planned.astimezone(tz).date() > day:
            continue
        rows[(code_key(row.group), code_key(row.dossier))].append(row)
    for found in rows.values():
        found.sort(key=lambda r: r.planned)
    return rows


def _day(row: Reminder) -> date:
    return date.fromisoformat(row.day)


def _planned(row: Reminder) -> datetime:
    planned = parse_iso(row.planned)
    assert planned is not None          # `_history` keeps only the rows with a date
    return planned


def _item(group: Group | None, code: str, dossier: Dossier, last: Received | None, rows: list[Reminder],
          suppressed: Container[str], day: date, news: str, settings: Settings) -> Item:
    after = timedelta(days=settings.after_days)
    since = [r for r in rows if last is None or _planned(r) > last.when]
    reminders = [r for r in since if r.kind == ReminderKind.REMINDER]
    notes = [r for r in since if r.kind == ReminderKind.REFERENT_NOTE]
    days = tuple(r.day for r in reminders)
    due = day if last is None else last.when.astimezone(settings.tz).date() + after
    if reminders:
        due = max(due, _day(reminders[-1]) + after)

    def item(action: Action, reason: Reason, detail: str, to: str = "", when: date | None = due) -> Item:
        return Item(action, code, dossier.ref, to, reason, detail, last, days, when, news)

    address = group.email if group else ""
    if group is None:
        return item(Action.NONE, Reason.UNKNOWN_GROUP, f"group {code} is not in the store (mailer groups list)", when=None)
    if notes:
        return item(Action.NONE, Reason.REFERENT_NOTIFIED, f"référent told on {notes[-1].day}; nothing more "
                    "until a report", notes[-1].to, when=None)
    if day < due:
        if reminders:
            return item(Action.NONE, Reason.REMINDED_RECENTLY, f"reminded on {reminders[-1].day}; next due on {due}", address)
        assert last is not None
        reason = Reason.REPORT_IN_TRIAGE if last.in_triage else Reason.REPORTED_RECENTLY
        where = "report in triage" if last.in_triage else "reported"
        return item(Action.NONE, reason, f"{where} {_ago(last, day, settings.tz)}; due on {due}", address)
    if len(reminders) >= UNANSWERED_LIMIT:
        return _note(item, dossier, days, suppressed, settings)
    if not address:
        return item(Action.NONE, Reason.NO_ADDRESS, "the group has no address (mailer groups list)")
    if address in suppressed:
        return item(Action.NONE, Reason.SUPPRESSED, "its address is suppressed (mailer suppressions list)", address)
    if reminders:
        return item(Action.REMIND, Reason.REMINDER_UNANSWERED, f"reminder of {reminders[-1].day} unanswered", address)
    if last is None:
        return item(Action.REMIND, Reason.NEVER_REPORTED, "never reported", address)
    return item(Action.REMIND, Reason.NO_RECENT_REPORT, f"last report {_ago(last, day, settings.tz)} "
                f"(after_days {settings.after_days})", address)


def _note(item: Any, dossier: Dossier, days: tuple[str, ...], suppressed: Container[str], settings: Settings) -> Item:
    told = " and ".join(days[-UNANSWERED_LIMIT:])
    referent = dossier.referent_email
    if referent and referent not in suppressed:
        to, whom = referent, "the référent"
    else:
        to = ", ".join(c for c in settings.coordinators if c not in suppressed)
        whom = "the coordinators (" + ("the référent's address is suppressed" if referent else "no référent") + ")"
    if not to:
        return item(Action.NONE, Reason.NO_REFERENT, f"reminders of {told} unanswered, but no référent "
                    "to tell and [team] coordinators is empty")
    return item(Action.NOTIFY, Reason.TWO_UNANSWERED, f"reminders of {told} unanswered: {whom} told "
                "instead of a third", to)


def _ago(last: Received, day: date, tz: tzinfo) -> str:
    received = last.when.astimezone(tz).date()
    days = (day - received).days
    return f"{days} day{'s' if days != 1 else ''} ago, on {received}"
