"""Issue 10: reminders that stop when a group reports. The planner on plain values; `reminders
plan --json` through the CLI; the service sending them at the hour on a controllable clock, once a
day and across a restart, to a real aiosmtpd recorder; a reply to a reminder's `+r-` address read
as that group's report on that dossier."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SmtpServer, write_config
from inbound_fixtures import Inbox, inbox_fixture  # noqa: F401  (fixture)

from mailer.app.reminders import RUN, run_if_due
from mailer.config import load_config
from mailer.inbound.pipeline import Processor
from mailer.models import Directory, Dossier, Group, SuppressionReason
from mailer.outbound.reminders import ReminderSender
from mailer.registry import suppress
from mailer.reminders import Action, Reason, Settings, is_due, plan
from mailer.service import serve
from mailer.store import Store
from mailer.store.records import (Notice, OutgoingStatus, Reminder, ReminderKind, Report, ReportState, TriageItem,
                                  TriageStatus)
from mailer.store.schema import NOTICES, REMINDERS, REPORTS, TRIAGE
from mailer.tokens import REPLY, parse_sub_address

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 12, 5)
REF = "DI-2025-014"
TEAM = "protegeonslespersonnes@example.org"


def _at(days_ago: float, day: date = TODAY) -> str:
    """An ISO stamp `days_ago` days before noon (Paris) of `day`."""
    noon = datetime(day.year, day.month, day.day, 12, 0, tzinfo=PARIS)
    return (noon - timedelta(days=days_ago)).astimezone(UTC).isoformat(timespec="seconds")


def _reminder(group: str, days_ago: int, kind: ReminderKind = ReminderKind.REMINDER,
              status: OutgoingStatus = OutgoingStatus.SENT, dossier: str = REF, to: str = "") -> Reminder:
    planned = _at(days_ago)
    return Reminder(kind=kind, group=group, dossier=dossier, to=to or f"{group.lower()}@example.org",
                    day=datetime.fromisoformat(planned).astimezone(PARIS).date().isoformat(), planned=planned,
                    status=status, label="rappels-auto-test")


GROUPS = ("G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G9")
DIRECTORY = Directory(
    groups=tuple(Group(code, f"Groupe {code}", "groupe_local", "Lyon", f"{code.lower()}@example.org")
                 for code in GROUPS) + (Group("G0", "Groupe sans adresse", "groupe_local", "Lyon", ""),),
    dossiers=(Dossier(REF, "Leïla Sadeghi", "Iran", "active", "referente@example.org", [*GROUPS, "G0", "GX"]),
              Dossier("DI-2020-001", "Clos", "Iran", "closed", "referente@example.org", ["G1"]),
              Dossier("DI-2021-002", "Sans référent", "Iran", "active", "", ["G9"])),
)


def _plan(reports=(), triage=(), sent=(), suppressed=(), day=TODAY, coordinators=("coord@example.org",)):
    return {(i.group, i.dossier): i for i in plan(DIRECTORY, reports, triage, sent, set(suppressed), day,
                                                  {REF.lower(): "Leïla a été transférée."},
                                                  Settings(30, PARIS, coordinators)).items}


def test_the_planner_on_plain_values() -> None:
    reports = [Report(id=1, date=_at(10), group="G2", dossier=REF), Report(id=2, date=_at(40), group="g3", dossier=REF),
               Report(id=3, date=_at(1), group="G7", dossier=REF, state=ReportState.DELETED)]
    triage = [TriageItem(id=1, date=_at(3), status=TriageStatus.OPEN,
                         reading={"kind": "report", "group": "G4", "dossier": REF.lower(), "actions": []})]
    sent = [_reminder("G6", 60), _reminder("G6", 30), _reminder("G8", 10)]
    items = _plan(reports, triage, sent, suppressed={"g5@example.org"})

    def what(code: str, ref: str = REF) -> tuple[str, str, str]:
        item = items[(code, ref)]
        return item.action.value, item.reason.value, item.to

    assert what("G1") == ("reminder", "never_reported", "g1@example.org")          # never reported: at once
    assert what("G2") == ("none", "reported_recently", "g1@example.org".replace("1", "2"))   # 10 days ago
    assert items[("G2", REF)].due == TODAY + timedelta(days=20)
    assert what("G3") == ("reminder", "no_recent_report", "g3@example.org")        # 40 days ago
    assert items[("G3", REF)].last_report.when == datetime.fromisoformat(_at(40))
    assert what("G4") == ("none", "report_in_triage", "g4@example.org")            # a report in triage
    assert what("G5") == ("none", "suppressed", "g5@example.org")                  # a suppressed address
    assert what("G6") == ("referent_note", "two_reminders_unanswered", "referente@example.org")
    assert items[("G6", REF)].reminders == (_reminder("G6", 60).day, _reminder("G6", 30).day)
    assert what("G7")[:2] == ("reminder", "never_reported")                       # a deleted report is none
    assert what("G8")[:2] == ("none", "reminded_recently")                        # one per period
    assert items[("G8", REF)].due == date.fromisoformat(_reminder("G8", 10).day) + timedelta(days=30)
    assert what("G0")[:2] == ("none", "no_address")
    assert what("GX")[:2] == ("none", "unknown_group")
    assert ("G1", "DI-2020-001") not in items                                      # a closed dossier: nothing
    assert items[("G1", REF)].news == "Leïla a été transférée."
    json_keys = set(items[("G3", REF)].to_json())
    assert {"group", "dossier", "to", "last_report", "reason"} <= json_keys


def test_a_report_answers_the_reminders_before_it_and_the_referent_is_told_once() -> None:
    two = [_reminder("G1", 61), _reminder("G1", 31)]
    assert _plan(sent=two)[("G1", REF)].action is Action.NOTIFY
    # a report received after them starts again from the report
    answered = _plan([Report(id=1, date=_at(20), group="G1", dossier=REF)], sent=two)[("G1", REF)]
    assert (answered.action, answered.reason, answered.reminders) == (Action.NONE, Reason.REPORTED_RECENTLY, ())
    # one reminder 30 days unanswered: the second one
    second = _plan(sent=[_reminder("G1", 30)])[("G1", REF)]
    assert (second.action, second.reason) == (Action.REMIND, Reason.REMINDER_UNANSWERED)
    # the note sent: nothing more until a report, neither a third reminder nor a second note
    noted = _plan(sent=[*two, _reminder("G1", 1, ReminderKind.REFERENT_NOTE)], day=TODAY + timedelta(days=90))
    assert (noted[("G1", REF)].action, noted[("G1", REF)].reason) == (Action.NONE, Reason.REFERENT_NOTIFIED)
    # a reminder skipped at send time (suppressed, answered) was never sent: it counts for nothing
    skipped = _plan(sent=[_reminder("G1", 5, status=OutgoingStatus.SKIPPED)])[("G1", REF)]
    assert skipped.reason is Reason.NEVER_REPORTED
    failed = _plan(sent=[_reminder("G1", 61, status=OutgoingStatus.ERROR), _reminder("G1", 31)])[("G1", REF)]
    assert failed.reason is Reason.REMINDER_UNANSWERED                  # one could not be built: one sent
    refused = _plan(sent=[_reminder("G1", 61, status=OutgoingStatus.REFUSED), _reminder("G1", 31)])[("G1", REF)]
    assert refused.reason is Reason.TWO_UNANSWERED                      # a dead address: the référent is told


def test_the_referent_note_without_a_referent_goes_to_the_coordinators() -> None:
    two = [_reminder("G9", 61, dossier="DI-2021-002"), _reminder("G9", 31, dossier="DI-2021-002")]
    item = _plan(sent=two)[("G9", "DI-2021-002")]
    assert (item.action, item.to) == (Action.NOTIFY, "coord@example.org")
    nobody = _plan(sent=two, coordinators=())[("G9", "DI-2021-002")]
    assert (nobody.action, nobody.reason) == (Action.NONE, Reason.NO_REFERENT)
    suppressed = _plan(sent=[_reminder("G6", 61), _reminder("G6", 31)], suppressed={"referente@example.org"})
    assert suppressed[("G6", REF)].to == "coord@example.org"


def test_received_means_read_by_the_service_and_as_of_leaves_later_records_out() -> None:
    # a report a coordinator applied from triage today was read when the triage item was: 40 days ago
    item = TriageItem(id=7, date=_at(40), status=TriageStatus.RESOLVED, reading={"group": "G1", "dossier": REF})
    applied = Report(id=1, date=_at(0), group="G1", dossier=REF, triage=7)
    assert _plan([applied], [item])[("G1", REF)].reason is Reason.NO_RECENT_REPORT
    # a resolved triage item is no report (an applied one became a report)
    assert _plan([], [item])[("G1", REF)].reason is Reason.NEVER_REPORTED
    # as of 20 days ago, a report of 10 days ago had not arrived yet
    later = [Report(id=1, date=_at(10), group="G1", dossier=REF)]
    assert _plan(later, day=TODAY - timedelta(days=20))[("G1", REF)].reason is Reason.NEVER_REPORTED


def test_the_run_is_due_from_the_hour_in_the_teams_zone_once_a_day() -> None:
    before = datetime(2026, 12, 5, 7, 59, tzinfo=UTC)          # 08:59 in Paris
    assert not is_due(before, 9, None, PARIS)
    assert is_due(before + timedelta(minutes=1), 9, None, PARIS)
    assert not is_due(before + timedelta(hours=5), 9, "2026-12-05", PARIS)
    assert is_due(before + timedelta(days=1, minutes=1), 9, "2026-12-05", PARIS)


# --- the CLI ---------------------------------------------------------------------------------

def _project(tmp_path: Path, smtp_port: int = 8025, extra: str = "") -> tuple[Path, Store]:
    config = write_config(tmp_path, smtp_port=smtp_port, extra=extra)
    store = Store(load_config(config).storage.path)
    for kind, header, rows in (
            ("groups", "code,name,kind,city,email", ["G037,Groupe 37 de Lyon,groupe_local,Lyon,groupe37@example.org",
                                                     "G112,Groupe 112 de Nantes,groupe_local,Nantes,g112@example.org"]),
            ("dossiers", "ref,person,status,referent_email,groups",
             [f"{REF},Leïla Sadeghi,actif,referente@example.org,G037;G112"])):
        path = tmp_path / f"{kind}.csv"
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        from mailer.registry import import_file
        assert import_file(store, kind, path).complete  # type: ignore[arg-type]
    return config, store


def test_reminders_plan_json_through_the_cli(tmp_path: Path, cli) -> None:
    config, store = _project(tmp_path)
    with store.transaction() as tx:
        tx.table(REPORTS).insert(Report(date=_at(10), group="G037", dossier=REF, sender="groupe37@example.org"))
    result = cli(config, "reminders", "plan", "--json", "--as-of", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["group"], r["dossier"], r["to"], r["last_report"], r["reason"]) for r in rows] == [
        ("G112", REF, "g112@example.org", None, "never_reported")]
    every = [json.loads(line) for line in cli(config, "reminders", "plan", "--json", "--all", "--as-of",
                                               TODAY.isoformat()).output.splitlines()]
    assert [(r["group"], r["reason"], r["last_report"]) for r in every] == [
        ("G037", "reported_recently", _at(10)), ("G112", "never_reported", None)]
    later = cli(config, "reminders", "plan", "--json", "--as-of", (TODAY + timedelta(days=25)).isoformat())
    assert [json.loads(line)["reason"] for line in later.output.splitlines()] == ["no_recent_report",
                                                                                   "never_reported"]
    text = cli(config, "reminders", "plan", "--as-of", TODAY.isoformat()).output
    assert "G112" in text and "never" in text and "G037" not in text
    assert store.snapshot().docs("reminders") == []                  # a plan records nothing


# --- the service -----------------------------------------------------------------------------

@dataclass
class Clock:
    """The service's time, moved by the test; counts its readings (two per loop turn)."""

    now: datetime
    reads: int = 0

    def __call__(self) -> datetime:
        self.reads += 1
        return self.now

    def wait_turns(self, turns: int = 3, timeout: float = 120) -> None:
        target, deadline = self.reads + 2 * turns, time.monotonic() + timeout
        while self.reads < target:
            assert time.monotonic() < deadline, "the service stopped turning"
            time.sleep(0.02)


def _wait(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)


class Service:
    def __init__(self, config: Path, clock: Clock) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=serve, args=(load_config(config), self.stop),
                                       kwargs={"embedded": False, "clock": clock})
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


def test_the_service_sends_at_the_hour_once_a_day_across_a_restart(tmp_path: Path, smtp_server: SmtpServer) -> None:
    config, store = _project(tmp_path, smtp_server.port,
                             '[inbox]\nsource = "maildir"\nmaildir = "var/inbox"\npoll_seconds = 0.05\n')
    recorder = smtp_server.handler
    recorder.reject["g112@example.org"] = "451 4.3.0 try again later"
    clock = Clock(datetime(2026, 12, 5, 7, 59, tzinfo=UTC))     # 08:59 in Paris
    service = Service(config, clock)
    try:
        clock.wait_turns()
        assert recorder.deliveries == []                          # not before [reminders] hour
        clock.now += timedelta(minutes=1)                         # 09:00 in Paris
        _wait(lambda: recorder.attempts["g112@example.org"] >= 1 and recorder.recipients() == ["groupe37@example.org"])
    finally:
        service.close()                                           # G112's reminder is still pending
    [pending] = [r for r in store.snapshot().docs("reminders") if r["status"] == "pending"]
    assert pending["to"] == "g112@example.org"
    del recorder.reject["g112@example.org"]
    clock.now += timedelta(hours=2)                               # a restart, later that day
    service = Service(config, clock)
    try:
        _wait(lambda: "g112@example.org" in recorder.recipients())
        clock.wait_turns()
        clock.now += timedelta(days=1)                            # the next day at 11:00: planned, nothing due
        clock.wait_turns()
    finally:
        service.close()
    assert Counter(recorder.recipients()) == {"groupe37@example.org": 1, "g112@example.org": 1}
    rows = store.snapshot().docs("reminders")
    assert [(r["to"], r["status"], r["day"]) for r in rows] == [("groupe37@example.org", "sent", "2026-12-05"),
                                                                ("g112@example.org", "sent", "2026-12-05")]
    assert store.snapshot().table(NOTICES).first("name", RUN)[1].last == "2026-12-06"
    message = recorder.deliveries[0].message
    assert message["Subject"] == f"Dossier {REF} : où en êtes-vous pour Leïla Sadeghi ?"
    assert parse_sub_address(TEAM, str(message["Reply-To"]))[0] == REPLY
    assert message["List-Unsubscribe"] and recorder.deliveries[0].mail_from.startswith("protegeonslespersonnes+b-")
    text = message.get_body(("plain",)).get_content()
    assert "Lettres aux autorités :" in text and "Leïla Sadeghi" in text
    assert "pas encore reçu de compte rendu" in text


def test_a_reminder_journaled_as_sent_is_not_sent_again_after_a_crash(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """The journal holds the truth between a 250 and the fold into the store: a crash there
    (simulated: a `sent` line not yet folded) resends nothing; a `sending` line alone is sent again."""
    config, store = _project(tmp_path, smtp_server.port)
    with store.transaction() as tx:
        tx.table(NOTICES).upsert("name", RUN, lambda old: Notice(RUN, TODAY.isoformat(), 2))
        for group, to in (("G037", "groupe37@example.org"), ("G112", "g112@example.org")):
            tx.table(REMINDERS).insert(Reminder(group=group, dossier=REF, to=to, day=TODAY.isoformat(),
                                                planned=_at(0), label="rappels-auto-2026-12-05"))
    (tmp_path / "var" / "reminders.log").write_text("1 sending 2026-12-05T11:00:00+00:00\n"
                                                     "1 sent 2026-12-05T11:00:01+00:00\n"
                                                     "2 sending 2026-12-05T11:00:02+00:00\n")
    assert ReminderSender(load_config(config), store).send_pending() == 1
    assert smtp_server.handler.recipients() == ["g112@example.org"]
    assert [r["status"] for r in store.snapshot().docs("reminders")] == ["sent", "sent"]


def test_no_reminder_leaves_once_a_report_arrived_nor_to_an_address_suppressed_since(
        tmp_path: Path, smtp_server: SmtpServer) -> None:
    config, store = _project(tmp_path, smtp_server.port)
    cfg = load_config(config)
    nine = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    with store.transaction() as tx:      # recorded at nine; not sent yet (the relay was down)
        tx.table(NOTICES).upsert("name", RUN, lambda old: Notice(RUN, TODAY.isoformat(), 2))
        for group, to in (("G037", "groupe37@example.org"), ("G112", "g112@example.org")):
            tx.table(REMINDERS).insert(Reminder(group=group, dossier=REF, to=to, day=TODAY.isoformat(),
                                                planned=nine.isoformat(), label="rappels-auto-2026-12-05"))
        tx.table(TRIAGE).insert(TriageItem(date=(nine + timedelta(hours=1)).isoformat(), status=TriageStatus.OPEN,
                                           reading={"kind": "report", "group": "G037", "dossier": REF}))
    suppress(store, "g112@example.org", SuppressionReason.UNSUBSCRIBE)
    assert run_if_due(cfg, store, nine + timedelta(hours=2)).sent == 0
    assert smtp_server.handler.deliveries == []
    assert [r["status"] for r in store.snapshot().docs("reminders")] == ["skipped", "skipped"]


def test_the_referent_is_told_instead_of_a_third_reminder(tmp_path: Path, smtp_server: SmtpServer) -> None:
    config, store = _project(tmp_path, smtp_server.port)
    with store.transaction() as tx:
        for days in (61, 31):
            tx.table(REMINDERS).insert(_reminder("G037", days, to="groupe37@example.org"))
        tx.table(REPORTS).insert(Report(date=_at(10), group="G112", dossier=REF))
    now = datetime.fromisoformat(_at(0))
    run = run_if_due(load_config(config), store, now)
    assert (run.recorded, run.sent) == (1, 1)
    [delivery] = smtp_server.handler.deliveries
    assert delivery.rcpt_tos == ["referente@example.org"]
    note = delivery.message
    assert note["Subject"] == f"Dossier {REF} : Groupe 37 de Lyon n'a pas répondu à deux rappels"
    body = " ".join(note.get_content().split())           # unwrapped
    assert "groupe37@example.org" in body and "jamais envoyé de compte rendu" in body
    assert "5 octobre 2026" in body and "4 novembre 2026" in body
    assert run_if_due(load_config(config), store, now + timedelta(days=40)).recorded == 1   # G112's, due now
    rows = store.snapshot().docs("reminders")
    assert [(r["group"], r["kind"]) for r in rows[2:]] == [("G037", "referent_note"), ("G112", "reminder")]
    assert [d.rcpt_tos for d in smtp_server.handler.deliveries[1:]] == [["g112@example.org"]]   # told once


# --- a reply to a reminder -------------------------------------------------------------------

def test_a_reply_to_a_reminder_is_that_groups_report_on_that_dossier(inbox: Inbox, smtp_server: SmtpServer) -> None:
    """The reminder's reply form carries a `+r-` Reply-To; a reply that names neither the group nor
    the dossier (only figures in the quoted block) is read with certainty as theirs."""
    now = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
    run = run_if_due(inbox.config, inbox.store, now)
    assert run.sent == run.recorded > 1
    delivered = {d.rcpt_tos[0]: d.message for d in smtp_server.handler.deliveries}
    reminder = delivered["gl112.nantes@example.org"]             # G112, on DI-2025-014 (fr-dev)
    reply_to = str(reminder["Reply-To"])
    assert parse_sub_address(TEAM, reply_to)[0] == REPLY
    quoted = "".join(f"> {line}\n" for line in reminder.get_body(("plain",)).get_content().splitlines())
    quoted = quoted.replace("> Signatures :\n", "> Signatures : 85\n")
    reply = (f"From: gl112.nantes@example.org\nTo: {reply_to}\nSubject: Re: {reminder['Subject']}\n"
             f"Date: Fri, 20 Mar 2026 11:00:00 +0100\nMessage-ID: <reply-112@example.org>\n"
             f"In-Reply-To: {reminder['Message-ID']}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
             "Content-Transfer-Encoding: 8bit\n\nVoilà.\n\n" + quoted).encode()
    inbox.clock.now = now + timedelta(hours=1)
    [outcome] = Processor(inbox.config, inbox.store, clock=inbox.clock).process_batch([reply])
    assert (outcome.kind, outcome.rule, outcome.disposition) == ("report", "report.form", "apply")
    [report] = inbox.docs("reports")
    assert (report["group"], report["dossier"]) == ("G112", "DI-2025-014")
    assert [(a["type"], a["count"]) for a in report["actions"]] == [("petition", 85)]
    # the next day's plan knows it: that group is not due for after_days
    from mailer.app.reminders import plan_for
    items = {(i.group, i.dossier): i for i in plan_for(inbox.config, inbox.store, date(2026, 3, 21)).items}
    assert items[("G112", "DI-2025-014")].reason is Reason.REPORTED_RECENTLY


@pytest.mark.parametrize("bad", ["after_days = 0", "hour = 24", "wait_days = 3"])
def test_reminders_config_is_checked(tmp_path: Path, bad: str) -> None:
    from mailer.errors import ConfigError
    config = write_config(tmp_path, extra=f"[reminders]\n{bad}\n")
    with pytest.raises(ConfigError, match="reminders"):
        load_config(config)


def test_a_reminder_and_a_referent_note_score_under_the_spam_threshold(tmp_path: Path, smtp_server: SmtpServer) -> None:
    from test_spamassassin import SPAMASSASSIN, THRESHOLD, spam_score
    if SPAMASSASSIN is None:
        pytest.skip("spamassassin is not installed (Debian package `spamassassin`)")
    config, store = _project(tmp_path, smtp_server.port)
    with store.transaction() as tx:
        for days in (61, 31):
            tx.table(REMINDERS).insert(_reminder("G037", days, to="groupe37@example.org"))
    assert run_if_due(load_config(config), store, datetime.fromisoformat(_at(0))).sent == 2
    for delivery in smtp_server.handler.deliveries:
        score, report = spam_score(delivery.data, tmp_path)
        assert score < THRESHOLD, f"{delivery.rcpt_tos}: SpamAssassin score {score}\n{report}"
