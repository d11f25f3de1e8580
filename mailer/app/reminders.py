"""The daily reminders at the edges: the store's records in, a day's run recorded, then sent.

What is due is chosen by `mailer/reminders.py` (pure) from the directory, the reports, the triage
items, the reminders already recorded and the suppressions; the dossiers' news comes from
`outbound.reminders.latest_news` (the campaigns' `vars.latest` today; the dossiers' events later).

`run_if_due`, once a day from `[reminders] hour` in the team's zone: ONE transaction plans the
day again under the store lock and records each reminder and note (pending) with the run's day
(the `reminders` notice); only then does `ReminderSender` send them, journaling each before it
goes. A restart finds the day recorded and sends only what is still pending: nothing is planned
twice, and nothing sent is sent again (but a message whose outcome a crash left unknown, as for
campaigns).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from ..config import Config
from ..models import CampaignKind, Directory
from ..registry import load_directory, suppression_map
from ..reminders import Action, Item, Plan, Settings, is_due, plan
from ..store import Snapshot, Store, Transaction
from ..store.records import Notice, Reminder, ReminderKind
from ..store.schema import NOTICES, REMINDERS, REPORTS, TRIAGE
from ..outbound.reminders import ReminderSender, label_of, latest_news
from ..outbound.send import Connect, SmtpTransport

log = logging.getLogger(__name__)

RUN = "reminders"           # the `notices` row naming the last day planned (name, last, items recorded)


@dataclass(frozen=True)
class Run:
    day: date
    recorded: int           # reminders and notes recorded for this day (0 when it was already run)
    sent: int               # accepted by the server in this call (pending ones from before included)


def settings_of(config: Config) -> Settings:
    return Settings(config.reminders.after_days, config.team.tz, config.team.coordinators)


def plan_from(config: Config, source: Snapshot | Transaction, day: date, news: dict[str, str],
              directory: Directory | None = None) -> Plan:
    return plan(directory or load_directory(source), source.table(REPORTS), source.table(TRIAGE),
                source.table(REMINDERS), suppression_map(source).only(CampaignKind.REMINDER), day, news,
                settings_of(config))


def plan_for(config: Config, store: Store, day: date) -> Plan:
    """What a run on `day` would record (`mailer reminders plan`): nothing is written."""
    return plan_from(config, store.snapshot(), day, latest_news(config))


def last_run(source: Snapshot | Transaction) -> str | None:
    found = source.table(NOTICES).first("name", RUN)
    return found[1].last if found else None


def record_day(config: Config, store: Store, now: datetime) -> int | None:
    """Record the day's reminders if the run is due (None: not due, or another process did it)."""
    tz = config.team.tz
    if not is_due(now, config.reminders.hour, last_run(store.snapshot()), tz):
        return None
    day = now.astimezone(tz).date()
    news = latest_news(config)
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    with store.transaction() as tx:
        if last_run(tx) == day.isoformat():
            return None
        directory = load_directory(tx)
        due = plan_from(config, tx, day, news, directory).to_send
        table = tx.table(REMINDERS)
        for item in due:
            table.insert(_record(item, day, stamp, directory))
        tx.table(NOTICES).upsert("name", RUN, lambda old: replace(old or Notice(RUN), last=day.isoformat(),
                                                                  items=len(due)))
    return len(due)


def _record(item: Item, day: date, stamp: str, directory: Directory) -> Reminder:
    """A plan's item as the record the sender sends from: everything its message says."""
    values: dict[str, object] = {"news": item.news, "reminders": list(item.reminders)}
    kind = ReminderKind.REMINDER
    if item.action is Action.NOTIFY:
        kind = ReminderKind.REFERENT_NOTE
        group, dossier = directory.group(item.group), directory.dossier(item.dossier)
        values = {"reminders": list(item.reminders), "person": dossier.person if dossier else "",
                  "group_name": group.name if group else "", "group_city": group.city if group else "",
                  "group_email": group.email if group else ""}
    last = item.last_report.when.isoformat(timespec="seconds") if item.last_report else ""
    return Reminder(kind=kind, group=item.group, dossier=item.dossier, to=item.to, day=day.isoformat(),
                    planned=stamp, label=label_of(day.isoformat()), reason=item.reason.value, last_report=last,
                    values=values)


def run_if_due(config: Config, store: Store, now: datetime | None = None, connect: Connect = SmtpTransport) -> Run:
    """The service's daily step: record the day's run when due, then send whatever is pending."""
    now = now or datetime.now(UTC)
    if not config.reminders.enabled:
        return Run(now.astimezone(config.team.tz).date(), 0, 0)
    recorded = record_day(config, store, now)
    sent = ReminderSender(config, store, clock=lambda: now, connect=connect).send_pending()
    return Run(now.astimezone(config.team.tz).date(), recorded or 0, sent)
