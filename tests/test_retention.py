"""Retention (issue 8): the daily purge, each category on a store filled through the real flows,
with dates on both sides of each limit (the processor's clock and the purge's `now`)."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import write_config
from dovecot import Dovecot
from inbound_fixtures import TEAM, Clock, Inbox, dsn, inbox_fixture, mail  # noqa: F401  (fixture)

from mailer import registry, retention
from mailer.app import retention as purging
from mailer.capture.maildirs import MaildirWriter
from mailer.config import RetentionConfig, load_config
from mailer.errors import ConfigError
from mailer.inbound import queries
from mailer.inbound.apply import confirm_address
from mailer.inbound.pipeline import Processor
from mailer.inbound.sources.maildir import MaildirSource
from mailer.models import Subscriber, SubscriberStatus, SuppressionReason, SuppressionScope
from mailer.outbound.runner import send_lock
from mailer.service import serve
from mailer.store import Store

DAY = timedelta(days=1)
SIGNUP = "Bonjour,\n\nJe souhaiterais devenir bénévole et suivre le dossier de Nadejda Kouznetsova.\n\nLouise Martin\n"


def _sign_up(inbox: Inbox, email: str, message_id: str, send: bool = True) -> None:
    inbox.processor().process_batch([mail(email, SIGNUP, name="Louise Martin", subject="Proposition d'aide",
                                          message_id=message_id)])
    if send:
        inbox.answers().send_pending()


def _confirm(inbox: Inbox, email: str, message_id: str) -> None:
    reply_to = confirm_address(inbox.config, inbox.processor().secret, email)
    inbox.processor().process_batch([mail(email, "Oui, je confirme.\n", to=reply_to,
                                          subject="Re: Confirmez votre inscription", message_id=message_id)])
    inbox.answers().send_pending()


def _emails(inbox: Inbox, table: str, field: str = "email") -> list[str]:
    return [d[field] for d in inbox.docs(table)]


# -- config ---------------------------------------------------------------------------------

def test_the_retention_section_has_the_issue_s_defaults(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    assert config.retention == RetentionConfig(unconfirmed_days=30, raw_message_days=90,
                                               former_subscriber_days=1095, inbound_record_days=365)
    config = load_config(write_config(tmp_path, extra="[retention]\nraw_message_days = 7\n"))
    assert config.retention.raw_message_days == 7 and config.retention.unconfirmed_days == 30


@pytest.mark.parametrize("extra,message", [
    ("unconfirmed_days = 0", "retention.unconfirmed_days: expected a number of days (1 or more), found the integer 0 "
                             "(a period of 0 days would purge everything)"),
    ("inbound_record_days = -3", "retention.inbound_record_days: expected a number of days"),
    ("raw_message_days = 1.5", "retention.raw_message_days: expected a number of days"),
    ("former_subscriber_days = \"1095\"", "retention.former_subscriber_days: expected a number of days"),
    ("raw_messages_days = 90", "retention.raw_messages_days: unknown key; did you mean retention.raw_message_days?"),
])
def test_a_bad_period_is_a_config_error_naming_the_key(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, extra=f"[retention]\n{extra}\n"))
    assert message in str(caught.value)


# -- the pure core --------------------------------------------------------------------------

def test_the_plan_is_chosen_from_records_and_dates_alone() -> None:
    from mailer.store.records import PendingPerson, PendingStatus
    now = datetime(2027, 1, 1, tzinfo=UTC)
    old, recent = (now - 31 * DAY).isoformat(), (now - 29 * DAY).isoformat()
    tables = retention.Tables(pending_people=[(1, PendingPerson(email="a@example.org", requested=old)),
                                              (2, PendingPerson(email="b@example.org", requested=recent)),
                                              (3, PendingPerson(email="c@example.org", requested=old,
                                                                status=PendingStatus.ACTIVE))])
    plan = retention.plan(tables, RetentionConfig(), now)
    assert plan.delete["pending_people"] == [1] and plan.unconfirmed == {"a@example.org"}
    assert plan.counts()["unconfirmed_people"] == 1


def test_a_purge_is_due_once_a_day_in_the_team_s_zone() -> None:
    from zoneinfo import ZoneInfo
    paris = ZoneInfo("Europe/Paris")
    assert retention.is_due("", datetime(2027, 1, 1, 12, tzinfo=UTC), paris)
    assert not retention.is_due("2027-01-01T00:30:00+00:00", datetime(2027, 1, 1, 22, 0, tzinfo=UTC), paris)
    assert retention.is_due("2027-01-01T12:00:00+00:00", datetime(2027, 1, 1, 23, 30, tzinfo=UTC), paris)  # 00:30 Paris


# -- unconfirmed_days -----------------------------------------------------------------------

def test_an_unconfirmed_sign_up_goes_after_the_period_and_leaves_no_trace(inbox: Inbox) -> None:
    _sign_up(inbox, "nouvelle@example.com", "<s1@example.com>")
    _sign_up(inbox, "confirmee@example.com", "<s2@example.com>")
    inbox.clock.advance(1)
    _confirm(inbox, "confirmee@example.com", "<yes2@example.com>")
    start = inbox.clock.now
    assert "nouvelle@example.com" in _emails(inbox, "pending_people")
    assert "nouvelle@example.com" in _emails(inbox, "outgoing", "to")

    kept = purging.purge(inbox.config, inbox.store, start + 29 * DAY)
    assert kept.counts["unconfirmed_people"] == 0 and "nouvelle@example.com" in _emails(inbox, "pending_people")

    done = purging.purge(inbox.config, inbox.store, start + 31 * DAY)
    assert done.counts["unconfirmed_people"] == 1     # (an unknown sender has no signup_requests row)
    assert done.counts["confirmation_requests"] == 1
    assert "nouvelle@example.com" not in _emails(inbox, "pending_people") + _emails(inbox, "signup_requests")
    assert "nouvelle@example.com" not in _emails(inbox, "outgoing", "to") + _emails(inbox, "ack_log")
    assert "nouvelle@example.com" not in [d["sender"] for d in inbox.docs("inbound")]
    assert "confirmee@example.com" in _emails(inbox, "pending_people")      # confirmed: kept
    assert inbox.docs("erasures") == []                                      # no hash: they may sign up again
    inbox.clock.now = start + 32 * DAY
    _sign_up(inbox, "nouvelle@example.com", "<s3@example.com>")
    assert "nouvelle@example.com" in _emails(inbox, "pending_people")


def test_a_confirmation_request_not_yet_sent_is_never_purged(inbox: Inbox) -> None:
    _sign_up(inbox, "lente@example.com", "<s1@example.com>", send=False)
    done = purging.purge(inbox.config, inbox.store, inbox.clock.now + 31 * DAY)
    assert done.counts["unconfirmed_people"] == 1 and done.counts["confirmation_requests"] == 0
    assert [d["status"] for d in inbox.docs("outgoing") if d["to"] == "lente@example.com"] == ["pending"]


def test_a_pending_subscriber_goes_after_the_period(inbox: Inbox) -> None:
    now = datetime.now(UTC)
    registry.upsert_subscribers(inbox.store, [
        Subscriber("vieux@example.org", "Vieux", SubscriberStatus.PENDING, (now - 40 * DAY).isoformat()),
        Subscriber("recent@example.org", "Récent", SubscriberStatus.PENDING, (now - 10 * DAY).isoformat()),
        Subscriber("actif@example.org", "Actif", SubscriberStatus.ACTIVE, (now - 400 * DAY).isoformat())],
        fields=("email", "name", "status", "since"))
    done = purging.purge(inbox.config, inbox.store, now)
    assert done.counts["unconfirmed_people"] == 1
    assert sorted(_emails(inbox, "subscribers")) == ["actif@example.org", "recent@example.org"]


# -- former_subscriber_days -----------------------------------------------------------------

def test_a_former_subscriber_is_erased_as_expired_then_may_sign_up_again_but_no_import_re_adds_them(
        inbox: Inbox, cli: Callable[..., Any]) -> None:
    registry.add_subscriber(inbox.store, "ancienne@example.com", "Louise Martin")
    registry.suppress(inbox.store, "ancienne@example.com", SuppressionReason.UNSUBSCRIBE)     # scope all
    registry.suppress(inbox.store, "lettre@example.org", SuppressionReason.UNSUBSCRIBE, SuppressionScope.BULLETIN)
    registry.suppress(inbox.store, "rebond@example.org", SuppressionReason.BOUNCE)
    now = datetime.now(UTC)
    assert purging.purge(inbox.config, inbox.store, now + 1094 * DAY).counts["former_subscribers"] == 0
    registry.suppress(inbox.store, "rebond@example.org", SuppressionReason.BOUNCE)    # contact again: counted anew
    with inbox.store.transaction() as tx:      # ... as if it were a year later
        from mailer.store.schema import SUPPRESSION_EVENTS
        events = tx.table(SUPPRESSION_EVENTS)
        doc_id, last = list(events.find("email", "rebond@example.org"))[-1]
        events.update(doc_id, last.__class__.from_doc({**last.to_doc(), "date": (now + 365 * DAY).isoformat()}))

    done = purging.purge(inbox.config, inbox.store, now + 1096 * DAY)
    assert done.counts["former_subscribers"] == 1
    assert "ancienne@example.com" not in inbox.config.storage.path.read_text(encoding="utf-8")
    assert "ancienne@example.com" not in _emails(inbox, "subscribers")
    assert sorted(_emails(inbox, "suppressions")) == ["lettre@example.org", "rebond@example.org"]
    listed = [json.loads(line) for line in cli(inbox.config_path, "suppressions", "list", "--json").output.splitlines()]
    assert [row["reason"] for row in listed if row["email"].startswith("hmac-sha256:")] == ["expired"]

    report = registry.upsert_subscribers(inbox.store, [Subscriber("ancienne@example.com", "Louise Martin")])
    assert report.erased == 1 and "ancienne@example.com" not in _emails(inbox, "subscribers")

    inbox.clock.now = now + 1097 * DAY
    _sign_up(inbox, "ancienne@example.com", "<again@example.com>")
    assert "ancienne@example.com" in _emails(inbox, "pending_people")
    assert [d["status"] for d in inbox.docs("outgoing") if d["to"] == "ancienne@example.com"] == ["sent"]
    assert registry.suppression_map(inbox.store.snapshot()).get("ancienne@example.com") is not None  # not yet
    inbox.clock.advance(1)
    _confirm(inbox, "ancienne@example.com", "<yes@example.com>")
    blocked = registry.suppression_map(inbox.store.snapshot())
    assert blocked.get("ancienne@example.com") is None                                  # consented anew
    digest = inbox.docs("erasures")[0]["hash"]
    assert blocked.get(digest) is not None          # an old audience's scrubbed line still sends nothing
    assert "ancienne@example.com" in _emails(inbox, "members")


def test_an_art_17_erasure_still_blocks_a_new_sign_up_and_stays_erased(inbox: Inbox) -> None:
    registry.suppress(inbox.store, "partie@example.com", SuppressionReason.UNSUBSCRIBE)
    purging.purge(inbox.config, inbox.store, datetime.now(UTC) + 1096 * DAY)
    registry.erase(inbox.store, "partie@example.com", "claire")       # then an Art. 17 request: erased wins
    registry.erase(inbox.store, "forgotten@example.com", "claire")
    assert sorted(e["reason"] for e in inbox.docs("erasures")) == ["erased", "erased"]
    inbox.clock.now = datetime.now(UTC) + 1100 * DAY
    _sign_up(inbox, "forgotten@example.com", "<f1@example.com>")
    _sign_up(inbox, "partie@example.com", "<f2@example.com>")
    assert _emails(inbox, "pending_people") == []


# -- inbound_record_days --------------------------------------------------------------------

def test_records_of_messages_read_are_compacted_after_the_period(inbox: Inbox) -> None:
    inbox.processor().process_batch([
        mail("helene.marchal@example.com", "Bonjour, j'ai signé la pétition pour le dossier DI-2025-014.",
             subject="Pétition", message_id="<r1@example.net>"),
        mail("question@example.net", "Pouvez-vous me rappeler ?", subject="Question", message_id="<q1@example.net>"),
        mail("question2@example.net", "Une autre question ?", subject="Question 2", message_id="<q2@example.net>")])
    inbox.answers().send_pending()
    ack = next(o for o in inbox.docs("outgoing") if o["to"] == "helene.marchal@example.com")
    inbox.processor().process_batch([dsn("helene.marchal@example.com", message_id="<d1@mx.example.net>",
                                         returned=f"Message-ID: {ack['message_id']}")])
    registry.suppress(inbox.store, "stop@example.org", SuppressionReason.UNSUBSCRIBE, SuppressionScope.BULLETIN)
    items = queries.triage_items(inbox.store)
    assert len(items) >= 2
    queries.resolve_triage(inbox.store, items[0]["id"], "vu")
    reports = inbox.docs("reports")
    assert reports and inbox.docs("bounce_scores") and inbox.docs("outgoing") and inbox.docs("ack_log")
    lines_before = len(inbox.store.path_of(retention.INBOUND_PART).read_text().splitlines())
    assert lines_before == 4

    later = max(inbox.clock.now, datetime.now(UTC)) + 366 * DAY
    done = purging.purge(inbox.config, inbox.store, later)
    assert done.counts["inbound_records"] == 3      # the newest line stays, without its sender (ids go on)
    log = [json.loads(line)[1] for line in inbox.store.path_of(retention.INBOUND_PART).read_text().splitlines()]
    assert len(log) == 1 and log[0]["sender"] == "" and log[0]["key"]
    assert inbox.docs("bounce_scores") == [] and inbox.docs("outgoing") == [] and inbox.docs("ack_log") == []
    assert [t["status"] for t in inbox.docs("triage")] == ["open"] * (len(items) - 1)     # open ones stay
    assert [r["sender"] for r in inbox.docs("reports")] == [""] * len(reports)
    assert [r["actions"] for r in inbox.docs("reports")] == [r["actions"] for r in reports]   # counts kept
    assert [e["email"] for e in inbox.docs("suppression_events")] == ["stop@example.org"]   # explains one
    # a new message after compaction gets a new id, above every id ever given
    inbox.clock.now = later
    inbox.processor().process_batch([mail("x@example.net", "Bonjour", message_id="<n1@example.net>")])
    assert max(d["id"] for d in inbox.docs("inbound")) == 5


# -- raw_message_days -----------------------------------------------------------------------

def _age(path: Path, days: float) -> None:
    moment = time.time() - days * 86400
    os.utime(path, (moment, moment))


def test_raw_mail_in_the_processed_folder_and_the_outbox_goes_after_the_period_on_maildir(
        inbox: Inbox) -> None:
    source = MaildirSource(inbox.config.inbox)
    processed, triage, failed = source.folder("processed"), source.folder("triage"), source.folder("failed")
    old_open = mail("ouverte@example.net", "Une question", message_id="<o1@example.net>")
    old_done = mail("resolue@example.net", "Une autre question", message_id="<o2@example.net>")
    inbox.processor().process_batch([old_open, old_done])
    items = {t["sender"]: t for t in inbox.docs("triage")}
    queries.resolve_triage(inbox.store, items["resolue@example.net"]["id"])
    paths = {name: MaildirWriter(folder).deliver(raw) for name, folder, raw in [
        ("old", processed, mail("a@example.net", "vieux", message_id="<a1@example.net>")),
        ("new", processed, mail("b@example.net", "récent", message_id="<b1@example.net>")),
        ("open", triage, old_open), ("done", triage, old_done),
        ("failed", failed, mail("c@example.net", "cassé", message_id="<c1@example.net>")),
        ("captured", inbox.config.smtp.outbox, mail(TEAM, "copie", to="d@example.net")),
        ("captured_new", inbox.config.smtp.outbox, mail(TEAM, "copie récente", to="e@example.net"))]}
    for name in ("old", "open", "done", "failed", "captured"):
        _age(paths[name], 91)
    _age(paths["new"], 89)

    dry = purging.purge(inbox.config, inbox.store, datetime.now(UTC) + 91 * DAY - 91 * DAY, dry_run=True)
    assert dry.counts["raw_messages"] == 1 and dry.counts["captured_mail"] == 1
    assert all(p.exists() for p in paths.values())          # a dry run changes nothing

    # the resolution is recent: its message stays until it is itself older than the period
    done = purging.purge(inbox.config, inbox.store, datetime.now(UTC))
    assert done.counts["raw_messages"] == 1 and done.counts["captured_mail"] == 1
    assert {n for n, p in paths.items() if p.exists()} == {"new", "open", "done", "failed", "captured_new"}
    done = purging.purge(inbox.config, inbox.store, datetime.now(UTC) + 91 * DAY)
    assert {n for n, p in paths.items() if p.exists()} == {"open", "failed"}


def test_raw_mail_on_imap_goes_by_internaldate_in_the_processed_folder_only(
        dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILER_TEST_IMAP_PASSWORD", dovecot.password)
    config = load_config(write_config(tmp_path, extra=dovecot.inbox_section()))
    store = Store(config.storage.path, config.security.secret_env)
    now = datetime.now(UTC)
    to_triage = mail("c@example.net", "à trier", message_id="<c1@example.net>").replace(b"\n", b"\r\n")
    Processor(config, store, clock=Clock()).process_batch([to_triage])      # its triage item, open
    with dovecot.client() as box:
        for folder in ("Traités", "À trier", "Erreurs"):
            box.folder.create(folder)
        box.append(mail("a@example.net", "vieux", message_id="<a1@example.net>").replace(b"\n", b"\r\n"),
                   "Traités", dt=now - 100 * DAY)
        box.append(mail("b@example.net", "récent", message_id="<b1@example.net>").replace(b"\n", b"\r\n"),
                   "Traités", dt=now - 80 * DAY)
        box.append(to_triage, "À trier", dt=now - 100 * DAY)
        box.append(mail("d@example.net", "en erreur", message_id="<d1@example.net>").replace(b"\n", b"\r\n"),
                   "Erreurs", dt=now - 100 * DAY)
        box.append(mail("e@example.net", "inbox", message_id="<e1@example.net>").replace(b"\n", b"\r\n"),
                   "INBOX", dt=now - 100 * DAY)
    assert purging.purge(config, store, now, dry_run=True).counts["raw_messages"] == 1
    assert dovecot.count("Traités") == 2
    assert purging.purge(config, store, now).counts["raw_messages"] == 1
    assert [b"r\xc3\xa9cent" in m for m in dovecot.messages("Traités")] == [True]
    assert (dovecot.count("À trier"), dovecot.count("Erreurs"), dovecot.count("INBOX")) == (1, 1, 1)
    item = queries.triage_items(store)[0]
    queries.resolve_triage(store, item["id"], "vu")              # a person looked at it: it may go, later
    assert purging.purge(config, store, now + 89 * DAY).counts["raw_messages"] == 1    # "récent", not the item
    assert dovecot.count("À trier") == 1
    assert purging.purge(config, store, now + 91 * DAY).counts["raw_messages"] == 1
    assert (dovecot.count("Traités"), dovecot.count("À trier"), dovecot.count("Erreurs")) == (0, 0, 1)


# -- the service and the command ------------------------------------------------------------

def test_a_purge_runs_at_most_once_a_day_across_a_restart(inbox: Inbox) -> None:
    now = datetime(2027, 5, 4, 8, 0, tzinfo=UTC)
    assert purging.purge_if_due(inbox.config, inbox.store, now) is not None
    assert purging.purge_if_due(inbox.config, inbox.store, now + timedelta(hours=3)) is None
    restarted = Store(inbox.config.storage.path, inbox.config.security.secret_env)    # a new process
    assert purging.purge_if_due(inbox.config, restarted, now + timedelta(hours=5)) is None
    assert purging.purge_if_due(inbox.config, restarted, now + DAY) is not None


def test_an_interrupted_purge_is_done_again(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    _sign_up(inbox, "nouvelle@example.com", "<s1@example.com>")
    now = inbox.clock.now + 31 * DAY

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(purging, "_purge_mailbox", crash)
    with pytest.raises(OSError):
        purging.purge_if_due(inbox.config, inbox.store, now)
    monkeypatch.undo()
    assert purging.purge_if_due(inbox.config, inbox.store, now) is not None     # the day was not marked done
    assert "nouvelle@example.com" not in _emails(inbox, "pending_people")


def test_the_service_purges_once_a_day_and_survives_a_failing_purge(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(write_config(tmp_path, extra="[inbox]\npoll_seconds = 0.05\n"))
    store = Store(config.storage.path, config.security.secret_env)
    registry.add_subscriber(store, "personne@example.org", "Personne")
    day = [datetime(2027, 5, 4, 8, 0, tzinfo=UTC)]
    runs: list[datetime] = []
    real = purging.purge

    def counted(config_: Any, store_: Any, now: datetime | None = None, dry_run: bool = False) -> Any:
        runs.append(now)  # type: ignore[arg-type]
        if len(runs) == 1:
            raise OSError(28, "No space left on device")     # the first try fails: retried next poll
        return real(config_, store_, now, dry_run)

    monkeypatch.setattr(purging, "purge", counted)

    def run(polls: float) -> None:
        stop = threading.Event()
        thread = threading.Thread(target=serve, args=(config, stop),
                                  kwargs={"embedded": False, "clock": lambda: day[0]})
        thread.start()
        time.sleep(polls)
        stop.set()
        thread.join(10)
        assert not thread.is_alive()

    with caplog.at_level(logging.INFO, logger="mailer"):
        run(0.6)
        assert len(runs) == 2                                # failed once, then done: once that day
        run(0.3)                                             # a restart the same day: not again
        assert len(runs) == 2
        day[0] += DAY
        run(0.3)
        assert len(runs) == 3
    text = caplog.text
    assert "retention purge failed" in text and "retention purge:" in text
    assert "personne@example.org" not in text


def test_the_purge_command_dry_run_json_and_as_of(inbox: Inbox, cli: Callable[..., Any]) -> None:
    _sign_up(inbox, "nouvelle@example.com", "<s1@example.com>")
    as_of = (inbox.clock.now + 31 * DAY).date().isoformat()
    result = cli(inbox.config_path, "purge", "--dry-run", "--json", "--as-of", as_of)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["dry_run"] is True and doc["counts"]["unconfirmed_people"] == 1 and doc["as_of"].startswith(as_of)
    assert "nouvelle@example.com" in _emails(inbox, "pending_people")
    result = cli(inbox.config_path, "purge", "--as-of", as_of)
    assert result.exit_code == 0 and "unconfirmed_people" in result.output and "1" in result.output
    assert "nouvelle@example.com" not in _emails(inbox, "pending_people")
    assert "nouvelle@example.com" not in result.output
    bad = cli(inbox.config_path, "purge", "--as-of", "hier")
    assert bad.exit_code != 0 and "--as-of" in bad.output


def test_a_purge_that_erases_waits_for_the_senders(inbox: Inbox, cli: Callable[..., Any]) -> None:
    registry.suppress(inbox.store, "ancienne@example.com", SuppressionReason.UNSUBSCRIBE)
    as_of = (datetime.now(UTC) + 1100 * DAY).date().isoformat()
    with send_lock(inbox.config.state_dir / "campaigns" / "bulletin-42"):
        result = cli(inbox.config_path, "purge", "--as-of", as_of)
    assert result.exit_code != 0 and "campaign bulletin-42 is being sent now" in result.output, result.output
    assert "ancienne@example.com" in _emails(inbox, "suppressions")
    assert cli(inbox.config_path, "purge", "--as-of", as_of).exit_code == 0
    assert "ancienne@example.com" not in _emails(inbox, "suppressions")
