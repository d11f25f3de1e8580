"""Issue 10, "Tests and figures": the team's year simulated end to end.

The real service (`serve` in a thread) runs on a `ManualClock` the test moves over a year, reads
its inbox from a real Dovecot over IMAP and sends to an aiosmtpd recorder; coordinators act
through the CLI in between. Over the year: a directory imported from CSV files; reports arriving
at various dates, free text (confirmed by a OUI in the thread, `[inbox] confirm_reports`'s
default) and replies to a reminder's `+r-` address with the form filled; the reminders the
service sends at `[reminders] hour` (checked against `mailer reminders plan --json` first),
stopped by a report, and the référent's note after two unanswered; an alert approved by a second
coordinator then sent; a call scheduled with `send_at` that falls while the service is stopped
and goes at its restart, with a report and the day's reminders on the same side; a bulletin drafted
approved and sent. At the end: who received what, per address and kind of mail, nothing twice,
and the store's reports, reminders and triage as the mail says.

A year is a clock, not a wait: each step sets the clock, waits until the mail it expects has
arrived, then for two scheduler ticks at that moment (a whole loop of the service) so that
nothing else is on its way.
"""

from __future__ import annotations

import json
import re
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import SmtpServer, write_config
from dovecot import Dovecot
from sending import wait_for

from mailer.clock import ManualClock
from mailer.config import load_config
from mailer.service import serve
from mailer.store import Store

PARIS = ZoneInfo("Europe/Paris")
TEAM = "protegeonslespersonnes@example.org"
COORD, JULIEN = "coordination@example.org", "julien@example.org"
PASSWORD_ENV = "MAILER_TEST_IMAP_PASSWORD"

G01, G02, G03, G04 = ("g01.lyon@example.org", "g02.nantes@example.org", "g03.rennes@example.org",
                      "g04.lille@example.org")
MARC, CLAIRE = "marc-antoine.riviere@example.net", "claire.vasseur@example.org"
LEILA, SOW = "DI-2026-001", "DI-2026-002"
MEMBERS = (MARC, CLAIRE, "odile.perrin@example.org", "yann.le-goff@example.net")
SUBSCRIBERS = ("martine.blanc@example.com", "paul.henry@example.net", "ines.haddad@example.org")

CSV = {
    "groups": ["code,name,kind,city,email",
               f"G01,Groupe 1 de Lyon,groupe_local,Lyon,{G01}", f"G02,Groupe 2 de Nantes,groupe_local,Nantes,{G02}",
               f"G03,Groupe 3 de Rennes,groupe_local,Rennes,{G03}", f"G04,Groupe 4 de Lille,groupe_local,Lille,{G04}"],
    "dossiers": ["ref,person,country,status,referent_email,groups",
                 f"{LEILA},Leïla Sadeghi,Iran,actif,{MARC},G01;G02",
                 f"{SOW},Ibrahima Sow,Guinée,actif,{CLAIRE},G03;G04"],
    "members": ["email,name,group", f"{MARC},Marc-Antoine Rivière,", f"{CLAIRE},Claire Vasseur,",
                f"{MEMBERS[2]},Odile Perrin,G01", f"{MEMBERS[3]},Yann Le Goff,G03"],
    "subscribers": ["email,name", *(f"{a},{a.split('@')[0].replace('.', ' ').title()}" for a in SUBSCRIBERS)],
}


def _paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


# -- what the recorder saw -----------------------------------------------------------------------

def kind_of(message: EmailMessage) -> str:
    """The kind of a mail at the recorder, from what the service writes in it."""
    subject = str(message["Subject"])
    campaign = str(message.get("X-Mailer-Campaign", ""))
    if campaign.startswith("rappels-auto-"):
        return "referent_note" if "n'a pas répondu à deux rappels" in subject else "reminder"
    if campaign:
        return f"campaign:{campaign}"
    for start, kind in (("Votre compte rendu : est-ce bien cela ?", "report_confirm"),
                        ("Bien reçu : votre compte rendu", "report_ack"),
                        ("Approbation demandée", "approval_request"), ("Campagne « ", "campaign_notice"),
                        ("À trier : ", "triage_digest")):
        if subject.startswith(start):
            return kind
    if "n'a pas répondu à deux rappels" in subject:
        return "referent_note"
    return f"other:{subject}"


def received(server: SmtpServer) -> list[tuple[str, str]]:
    """(recipient, kind) for each delivery, in order."""
    return [(to.lower(), kind_of(d.message)) for d in list(server.handler.deliveries) for to in d.rcpt_tos]


def delivered(server: SmtpServer, to: str, kind: str) -> list[EmailMessage]:
    return [d.message for d in list(server.handler.deliveries)
            if to in [r.lower() for r in d.rcpt_tos] and kind_of(d.message) == kind]


# -- the service on the test's clock -------------------------------------------------------------

@contextmanager
def serving(config: Path, clock: ManualClock) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(load_config(config), stop),
                              kwargs={"embedded": False, "clock": clock}, name="year-serve")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(120)
    assert not thread.is_alive()


class Year:
    """The clock, the recorder, the CLI and the log the scheduler writes, for one simulated year."""

    def __init__(self, config: Path, clock: ManualClock, smtp: SmtpServer, imap: Dovecot,
                 cli: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
        self.config, self.clock, self.smtp, self.imap, self.cli, self.caplog = config, clock, smtp, imap, cli, caplog
        self.store = Store(load_config(config).storage.path)
        self.expected: Counter[tuple[str, str]] = Counter()

    def _ticks(self, at: datetime) -> int:
        mark = f"schedules checked at {at.isoformat(timespec='seconds')}"
        return sum(1 for r in self.caplog.records if r.getMessage().startswith(mark))

    def settle(self, *expect: tuple[str, str], serving: bool = True) -> None:
        """Wait for the mail `expect`ed, then (`serving`) for a whole loop of the service at this
        moment: nothing more came."""
        self.expected.update(expect)
        wait_for(lambda: Counter(received(self.smtp)) >= self.expected)
        if not serving:
            assert Counter(received(self.smtp)) == self.expected
            return
        at = self.clock()
        seen = self._ticks(at)
        wait_for(lambda: self._ticks(at) >= seen + 2)
        assert Counter(received(self.smtp)) == self.expected

    def at(self, moment: datetime, *expect: tuple[str, str]) -> None:
        self.clock.set(moment)
        self.settle(*expect)

    def run(self, *args: str) -> str:
        result = self.cli(self.config, *args)
        assert result.exit_code == 0, result.output
        return result.output

    def plan(self, day: date) -> list[tuple[str, str, str, str]]:
        """`mailer reminders plan --json --as-of DAY`: (group, dossier, to, reason) of what goes that day."""
        rows = [json.loads(line) for line in self.run("reminders", "plan", "--json", "--as-of",
                                                      day.isoformat()).splitlines()]
        return sorted((r["group"], r["dossier"], r["to"], r["reason"]) for r in rows)

    def mail_in(self, sender: str, subject: str, body: str, extra: str = "", to: str = TEAM) -> None:
        """A mail from a group, dated by the simulated clock, appended to the team's IMAP inbox."""
        when = self.clock().astimezone(PARIS)
        message_id = f"<{sender.split('@')[0]}-{when:%Y%m%d%H%M}@example.org>"
        raw = (f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: {format_datetime(when)}\n"
               f"Message-ID: {message_id}\n{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
               f"Content-Transfer-Encoding: 8bit\n\n{body}").encode()
        self.imap.append(raw)

    def reply_to_reminder(self, sender: str, reminder: EmailMessage, fill: dict[str, str]) -> None:
        """The group answers its reminder (to its `+r-` Reply-To) with the form's lines filled."""
        quoted = "".join(f"> {line}\n" for line in reminder.get_body(("plain",)).get_content().splitlines())
        for label, value in fill.items():
            assert f"> {label} :\n" in quoted, label
            quoted = quoted.replace(f"> {label} :\n", f"> {label} : {value}\n")
        reply_to = str(reminder["Reply-To"])
        assert reply_to.startswith("protegeonslespersonnes+r-")
        self.mail_in(sender, f"Re: {reminder['Subject']}", "Voilà pour nous.\n\n" + quoted,
                     f"In-Reply-To: {reminder['Message-ID']}\nReferences: {reminder['Message-ID']}\n", to=reply_to)

    def docs(self, table: str) -> list[dict[str, Any]]:
        return self.store.snapshot().docs(table)


# -- the year ------------------------------------------------------------------------------------

CALL = """\
name = "appel-{ref_lower}"
kind = "call"
subject = "On a besoin de vous pour {{{{ dossier.person }}}}"
template = "call"
audience = "members"
dossier = "{ref}"
send_at = {send_at}
not_after = {not_after}
[vars]
need = "écrire aux autorités guinéennes avant le procès"
when = "tout le mois"
"""

FREE_TEXT = """\
Bonjour à l'équipe,

Voici le bilan de nos actions pour Leïla Sadeghi :

- envoi de 18 lettres à l'ambassade d'Iran à Paris ;
- stand au marché, 126 signatures recueillies pour la pétition.

Amitiés,
Odile Perrin, pour le groupe 1 de Lyon
"""


@pytest.fixture
def year(tmp_path: Path, smtp_server: SmtpServer, dovecot: Dovecot, cli: Callable[..., Any],
         caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Year:
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    caplog.set_level(logging.DEBUG, logger="mailer.outbound.scheduler")
    config = write_config(tmp_path, smtp_port=smtp_server.port,
                          extra=dovecot.inbox_section(PASSWORD_ENV) + "poll_seconds = 0.05\n"
                          "[approval]\nmin_recipients = 2\n")
    config.write_text(config.read_text(encoding="utf-8").replace(
        f'coordinators = ["{COORD}"]', f'coordinators = ["{COORD}", "{JULIEN}"]'), encoding="utf-8")
    for kind, lines in CSV.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert "0 rejected" in cli(config, "import", kind, str(path)).output
    # the year starts tomorrow at 08:00 in Paris: every simulated moment is still to come for the CLI,
    # which schedules and sends on the real clock
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    return Year(config, ManualClock(_paris(tomorrow, 8)), smtp_server, dovecot, cli, caplog)


def test_a_year_of_the_teams_work(year: Year, tmp_path: Path) -> None:
    d0 = year.clock().astimezone(PARIS).date()
    day = lambda n: d0 + timedelta(days=n)          # noqa: E731
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir(exist_ok=True)

    # The call for DI-2026-002, scheduled at the start of the year for day 181 at 10:00; it needs
    # Julien's approval (4 members > min_recipients 2): refused, a request mailed to him, approved.
    send_at = _paris(day(181), 10)
    call = campaigns / "appel.toml"
    call.write_text(CALL.format(ref=SOW, ref_lower=SOW.lower(), send_at=send_at.isoformat(),
                                not_after=(send_at + timedelta(days=3)).isoformat()), encoding="utf-8")
    refused = year.cli(year.config, "campaign", "send", str(call), "--yes", "--by", COORD)
    assert refused.exit_code == 1 and f"Who can approve it: {JULIEN}" in refused.output
    year.run("campaign", "approve", str(call), "--by", JULIEN, "--yes")
    assert "scheduled" in year.run("campaign", "send", str(call), "--yes", "--by", COORD)
    year.settle((JULIEN, "approval_request"), serving=False)

    with serving(year.config, year.clock):
        year.settle()                                            # 08:00: before [reminders] hour, nothing
        assert year.plan(day(0)) == [("G01", LEILA, G01, "never_reported"), ("G02", LEILA, G02, "never_reported"),
                                     ("G03", SOW, G03, "never_reported"), ("G04", SOW, G04, "never_reported")]
        year.at(_paris(day(0), 9, 5), (G01, "reminder"), (G02, "reminder"), (G03, "reminder"), (G04, "reminder"))
        assert year.plan(day(1)) == []                           # one per period

        # Day 10: G01 writes in free text; the service asks it back, G01 answers OUI in the thread.
        year.clock.set(_paris(day(10), 10))
        year.mail_in(G01, "Compte rendu d'actions – Leïla Sadeghi", FREE_TEXT)
        # the item waits in triage for the answer: the coordinators' digest says so
        year.settle((G01, "report_confirm"), (COORD, "triage_digest"), (JULIEN, "triage_digest"))
        assert year.docs("reports") == []
        [question] = delivered(year.smtp, G01, "report_confirm")
        assert "répondez simplement OUI" in question.get_content()
        year.clock.set(_paris(day(10), 11))
        year.mail_in(G01, f"Re: {question['Subject']}", "Oui, c'est bien cela.\n\nOdile\n",
                     f"In-Reply-To: {question['Message-ID']}\nReferences: {question['Message-ID']}\n")
        year.settle((G01, "report_ack"))

        # Day 12: G03 answers its reminder's +r- address with the form filled.
        year.clock.set(_paris(day(12), 10))
        year.reply_to_reminder(G03, delivered(year.smtp, G03, "reminder")[0],
                               {"Lettres aux autorités": "12", "Signatures": "40"})
        year.settle((G03, "report_ack"))

        # Day 30: the two groups that never answered get their second reminder; the two that reported, none.
        assert year.plan(day(30)) == [("G02", LEILA, G02, "reminder_unanswered"),
                                      ("G04", SOW, G04, "reminder_unanswered")]
        year.at(_paris(day(30), 9, 5), (G02, "reminder"), (G04, "reminder"))

        # The alert on DI-2026-002: Julien's approval first, then sent (to its groups and référent).
        refused = year.cli(year.config, "alert", SOW, "--yes", "--by", COORD)
        assert refused.exit_code == 1 and "needs a second coordinator's approval" in refused.output
        [alert] = sorted(campaigns.glob("alerte-*.toml"))
        year.run("campaign", "approve", str(alert), "--by", JULIEN, "--yes")
        year.run("alert", SOW, "--yes", "--by", COORD)
        alert_name = f"campaign:{alert.stem}"
        year.settle((JULIEN, "approval_request"), (G03, alert_name), (G04, alert_name), (CLAIRE, alert_name),
                    (COORD, "campaign_notice"), (JULIEN, "campaign_notice"))

        # Day 60: two unanswered reminders: the référents are told; the groups that reported on day 10
        # and 12 have heard nothing for 30 days: reminded.
        assert year.plan(day(60)) == [("G01", LEILA, G01, "no_recent_report"),
                                      ("G02", LEILA, MARC, "two_reminders_unanswered"),
                                      ("G03", SOW, G03, "no_recent_report"),
                                      ("G04", SOW, CLAIRE, "two_reminders_unanswered")]
        year.at(_paris(day(60), 9, 5), (G01, "reminder"), (MARC, "referent_note"), (G03, "reminder"),
                (CLAIRE, "referent_note"))

        # Day 85: G03 answers the day-60 reminder; day 100: only G01 gets its second.
        year.clock.set(_paris(day(85), 18))
        year.reply_to_reminder(G03, delivered(year.smtp, G03, "reminder")[1], {"Signatures": "85"})
        year.settle((G03, "report_ack"))
        assert year.plan(day(100)) == [("G01", LEILA, G01, "reminder_unanswered")]
        year.at(_paris(day(100), 9, 5), (G01, "reminder"))
        year.clock.set(_paris(day(100), 20))
        year.settle()

    # The service is stopped for the summer. Meanwhile G02 answers its day-30 reminder; the call's
    # send_at (day 181, 10:00) comes and goes; the service starts again on day 181 at 11:00.
    year.reply_to_reminder(G02, delivered(year.smtp, G02, "reminder")[1], {"Signatures": "230"})
    assert Counter(received(year.smtp)) == year.expected
    assert year.plan(day(181)) == [("G01", LEILA, MARC, "two_reminders_unanswered"),
                                   ("G03", SOW, G03, "no_recent_report")]
    year.clock.set(_paris(day(181), 11))
    with serving(year.config, year.clock):
        # read first (a poll comes before the day's reminders), so G02 gets no reminder
        call_name = f"campaign:appel-{SOW.lower()}"
        year.settle((G02, "report_ack"), (MARC, "referent_note"), (G03, "reminder"),
                    *((member, call_name) for member in MEMBERS), (COORD, "campaign_notice"),
                    (JULIEN, "campaign_notice"))
        assert year.plan(day(182)) == []

        # Day 300: the bulletin, approved by Julien and sent; and the day's reminders.
        drafted = year.run("bulletin", "draft")                   # on the real clock, as the CLI is
        [bulletin] = sorted(campaigns.glob("bulletin-*.toml"))
        assert str(bulletin) in drafted
        for markdown in campaigns.glob("bulletin-*.md"):          # the coordinators write their own words
            markdown.write_text(re.sub(r"\[À écrire[^\]]*\]", "Merci à tous les groupes.",
                                       markdown.read_text(encoding="utf-8")), encoding="utf-8")
        refused = year.cli(year.config, "campaign", "send", str(bulletin), "--yes", "--by", COORD)
        assert refused.exit_code == 1 and "it is a bulletin" in refused.output, refused.output
        year.run("campaign", "approve", str(bulletin), "--by", JULIEN, "--yes")
        year.run("campaign", "send", str(bulletin), "--yes", "--by", COORD)
        bulletin_name = f"campaign:{bulletin.stem}"
        year.settle((JULIEN, "approval_request"), *((s, bulletin_name) for s in SUBSCRIBERS),
                    (COORD, "campaign_notice"), (JULIEN, "campaign_notice"))
        assert year.plan(day(300)) == [("G02", LEILA, G02, "no_recent_report"),
                                       ("G03", SOW, G03, "reminder_unanswered")]
        year.at(_paris(day(300), 9, 5), (G02, "reminder"), (G03, "reminder"))

    # -- who received what, and nothing twice -----------------------------------------------------
    deliveries = list(year.smtp.handler.deliveries)
    assert Counter(received(year.smtp)) == year.expected               # each step's mail, and no other
    ids = Counter(str(d.message["Message-ID"]) for d in deliveries)
    assert set(ids.values()) == {1}, [i for i, n in ids.items() if n > 1]
    # one message per recipient and campaign (a day's reminders are one), answer (to its message) or notice
    pairs = Counter((to.lower(), str(d.message.get("X-Mailer-Campaign") or d.message["Subject"]),
                     str(d.message.get("In-Reply-To", ""))) for d in deliveries for to in d.rcpt_tos)
    assert set(pairs.values()) == {1}, [p for p, n in pairs.items() if n > 1]
    by_address = {address: sorted(kind for (to, kind) in year.expected.elements() if to == address)
                  for address in {to for to, _ in year.expected}}
    assert by_address[G04] == ["campaign:" + alert.stem, "reminder", "reminder"]     # never answered: two, then none
    assert by_address[CLAIRE] == [alert_name, call_name, "referent_note"]
    assert by_address[MARC] == [call_name, "referent_note", "referent_note"]
    for subscriber in SUBSCRIBERS:
        assert by_address[subscriber] == [bulletin_name]
    [sent_bulletin] = delivered(year.smtp, SUBSCRIBERS[0], bulletin_name)
    assert sent_bulletin["Precedence"] == "bulk" and sent_bulletin["List-Unsubscribe"]   # no [web]: mailto only

    # -- the store says what the mail says ----------------------------------------------------------
    reports = [(r["date"], r["group"], r["dossier"], sorted((a["type"], a["count"]) for a in r["actions"]))
               for r in year.docs("reports")]
    assert reports == [
        (_paris(day(10), 11).isoformat(), "G01", LEILA,           # confirmed by its OUI, at that time
         [("awareness", 1), ("letter_authorities", 18), ("petition", 126)]),
        (_paris(day(12), 10).isoformat(), "G03", SOW, [("letter_authorities", 12), ("petition", 40)]),
        (_paris(day(85), 18).isoformat(), "G03", SOW, [("petition", 85)]),
        (_paris(day(181), 11).isoformat(), "G02", LEILA, [("petition", 230)]),     # read at the restart
    ]
    [item] = year.docs("triage")                                  # the free-text report, resolved by its OUI
    assert (item["status"], item["outcome"]) == ("resolved", f"report:{year.docs('reports')[0]['id']}")
    rows = year.docs("reminders")
    assert {r["status"] for r in rows} == {"sent"}
    recorded = Counter((r["to"], r["kind"]) for r in rows)
    assert recorded == Counter({(to, kind): n for (to, kind), n in year.expected.items()
                                if kind in ("reminder", "referent_note")})
    sent_reminders = {(to.lower(), str(d.message["X-Mailer-Campaign"])) for d in deliveries for to in d.rcpt_tos
                      if kind_of(d.message) == "reminder"}
    assert sent_reminders == {(r["to"], r["label"]) for r in rows if r["kind"] == "reminder"}
    assert sorted({r["day"] for r in rows}) == [day(n).isoformat() for n in (0, 30, 60, 100, 181, 300)]
    for campaign, total in ((alert, 3), (call, 4), (bulletin, 3)):
        result = json.loads(year.run("campaign", "status", str(campaign), "--json"))
        assert (result["state"], result["sent"], result["total"], result["possible_duplicates"]) == \
            ("done", total, total, 0)


def test_the_service_reads_and_answers_on_its_own_clock(tmp_path: Path, smtp_server: SmtpServer, dovecot: Dovecot,
                                                       cli: Callable[..., Any], caplog: pytest.LogCaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve(clock=...)` is the service's time for what it reads too: a report read at the clock's
    moment is received then (what the reminders count from), and its acknowledgement is journaled
    then. Before this, the default processor and answers read the system clock, so a report read
    on a simulated day 10 counted as received on the real day and its group was reminded again."""
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    caplog.set_level(logging.DEBUG, logger="mailer.outbound.scheduler")
    config = write_config(tmp_path, smtp_port=smtp_server.port, confirm_reports=False,
                          extra=dovecot.inbox_section(PASSWORD_ENV) + "poll_seconds = 0.05\n")
    for kind in ("groups", "dossiers"):
        path = tmp_path / f"{kind}.csv"
        path.write_text("\n".join(CSV[kind]) + "\n", encoding="utf-8")
        assert "0 rejected" in cli(config, "import", kind, str(path)).output
    moment = _paris(date(2031, 5, 4), 10)                      # years away from the machine's clock
    year = Year(config, ManualClock(moment), smtp_server, dovecot, cli, caplog)
    year.mail_in(G01, "Compte rendu d'actions – Leïla Sadeghi", FREE_TEXT)
    with serving(config, year.clock):
        # the day's reminders come after the poll: G01 has just reported (read at the clock's moment,
        # not years before it), the others never did
        year.settle((G01, "report_ack"), (G02, "reminder"), (G03, "reminder"), (G04, "reminder"))
    [report] = year.docs("reports")
    assert (report["group"], report["date"]) == ("G01", moment.isoformat())
    [ack] = year.docs("outgoing")                              # sent, and recorded as sent, at that moment
    assert (ack["kind"], ack["status"], ack["created"], ack["sent"]) == \
        ("report_ack", "sent", moment.isoformat(), moment.isoformat())
