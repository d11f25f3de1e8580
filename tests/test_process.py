"""Processor: real .eml files through parse -> classify -> decide -> store, answers over a real aiosmtpd."""

from __future__ import annotations

import json
from dataclasses import replace
from collections import Counter

import pytest
from inbound_fixtures import DATA, TEAM, Inbox, dsn, fr_dev, inbox_fixture, mail  # noqa: F401  (fixture)

from mailer.inbound import pipeline
from mailer.inbound.apply import confirm_address
from mailer.store import Transaction
from mailer.tokens import BOUNCE, campaign_message_id, make_token, sub_address

FR_DEV = sorted((DATA / "fr-dev").glob("*.eml"))


def expected(corpus: str) -> dict[str, dict]:
    rows = (json.loads(line) for line in (DATA / corpus / "expected.jsonl").open(encoding="utf-8"))
    return {row["file"]: row for row in rows}


def test_fr_dev_batch_is_applied_once(inbox: Inbox) -> None:
    raws = [p.read_bytes() for p in FR_DEV]
    processor = inbox.processor()
    first = processor.process_batch(raws)
    assert [o.kind for o in first] == [expected("fr-dev")[p.name]["kind"] for p in FR_DEV]
    assert all(o.folder == {"apply": "processed", "ignore": "processed", "triage": "triage"}[o.disposition]
               for o in first)
    tables = {t: len(inbox.docs(t)) for t in ("inbound", "reports", "triage", "outgoing", "pending_people")}
    assert tables["inbound"] == 40 and tables["reports"] == 10      # 009 has a number nothing read: triage
    # the same batch again (the source could not move it before a crash): nothing applied twice
    again = inbox.processor().process_batch(raws)
    assert [(o.key, o.kind, o.disposition, o.folder) for o in again] == \
        [(o.key, o.kind, o.disposition, o.folder) for o in first]
    assert {t: len(inbox.docs(t)) for t in tables} == tables
    assert all(o.detail == "already processed" for o in again)


def test_no_body_is_stored(inbox: Inbox) -> None:
    inbox.processor().process_batch([fr_dev("003.eml"), fr_dev("005.eml")])
    state = inbox.config.storage.path.read_text(encoding="utf-8")
    body = fr_dev("005.eml").decode("utf-8", "replace").split("\n\n", 1)[1]
    words = [w for w in body.split() if len(w) > 9 and w.isalpha()][:5]
    assert words and not [w for w in words if w in state]


def test_a_crash_before_commit_loses_nothing_and_applies_once(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    raws = [fr_dev("003.eml"), fr_dev("020.eml")]

    def crash(self: Transaction) -> None:
        raise KeyboardInterrupt("kill -9 stand-in")

    monkeypatch.setattr(Transaction, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        inbox.processor().process_batch(raws)
    monkeypatch.undo()
    assert inbox.docs("inbound") == [] and inbox.docs("reports") == []
    outcomes = inbox.processor().process_batch(raws)
    assert [o.disposition for o in outcomes] == ["apply", "apply"]
    inbox.processor().process_batch(raws)
    assert len(inbox.docs("reports")) == 2 and len(inbox.docs("outgoing")) == 2


def test_a_failing_message_is_retried_then_failed_and_the_batch_continues(inbox: Inbox,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    real = pipeline.read_message

    def flaky(parsed, directory, context):  # type: ignore[no-untyped-def]
        if parsed.sender == "helene.marchal@example.com":
            raise RuntimeError("boom")
        return real(parsed, directory, context)

    monkeypatch.setattr(pipeline, "read_message", flaky)
    raws = [fr_dev("003.eml"), fr_dev("020.eml")]
    folders = [[o.folder for o in inbox.processor().process_batch(raws)] for _ in range(3)]
    assert folders == [["", "processed"], ["", "processed"], ["failed", "processed"]]
    assert [d["count"] for d in inbox.docs("inbound_failures")] == [3]
    assert len(inbox.docs("inbound")) == 1            # the failing one is never recorded as processed


def test_pathological_mail_fails_at_once(inbox: Inbox) -> None:
    raw = (DATA / "inbound" / "hostile-deep-nesting.eml").read_bytes()
    [outcome] = inbox.processor().process_batch([raw])
    assert (outcome.kind, outcome.disposition, outcome.folder) == ("error", "error", "failed")


# ------------------------------------------------------------------------------ bounces

def test_permanent_bounces_reach_suppression_day_after_day(inbox: Inbox) -> None:
    victim = "claire.vasseur@example.org"
    secret = inbox.processor().secret
    for day in range(5):
        # issue 8: each report returns one of our Message-IDs to the victim (a forged one scores nothing)
        ours = f"Message-ID: {campaign_message_id(secret, 'example.org', f'lettre.{day}.s4lt', victim)}"
        inbox.processor().process_batch([dsn(victim, message_id=f"<d{day}@mx>", returned=ours),
                                         dsn(victim, message_id=f"<e{day}@mx>", returned=ours)])
        suppressed = {d["email"]: d["reason"] for d in inbox.docs("suppressions")}
        assert (victim in suppressed) == (day == 4)
        inbox.clock.advance(1)
    assert suppressed[victim] == "bounce"
    [score] = inbox.docs("bounce_scores")
    assert (score["score"], score["count"]) == (5.0, 5)
    assert inbox.docs("outgoing") == []               # never answered


def test_delay_warnings_never_suppress(inbox: Inbox) -> None:
    files = [(DATA / "inbound" / f).read_bytes() for f in ("delay-warning-postfix.eml", "delay-warning-sendmail.eml")]
    for day in range(10):
        extra = [dsn("slow@example.net", "4.2.0", "delayed", message_id=f"<w{day}@mx>")]
        outcomes = inbox.processor().process_batch([*files, *extra] if day == 0 else extra)
        assert {o.kind for o in outcomes} == {"bounce"}
        inbox.clock.advance(1)
    assert inbox.docs("suppressions") == []


def test_our_verp_token_names_the_recipient(inbox: Inbox) -> None:
    processor = inbox.processor()
    # an address known only from a frozen campaign audience
    folder = inbox.config.state_dir / "campaigns" / "bulletin-mars"
    folder.mkdir(parents=True)
    (folder / "audience.jsonl").write_text('{"header": true}\n["lecteur@example.net", "Lecteur", "subscriber", ""]\n')
    token = make_token(processor.secret, BOUNCE, "lecteur@example.net")
    raw = dsn("alias-forwarded@elsewhere.example", to=sub_address(TEAM, BOUNCE, token))
    [outcome] = processor.process_batch([raw])
    assert outcome.kind == "bounce"
    assert [d["email"] for d in inbox.docs("bounce_scores")] == ["lecteur@example.net"]


def test_complaint_suppresses_and_machine_corpus_gets_no_answer(inbox: Inbox) -> None:
    token = make_token(inbox.processor().secret, BOUNCE, "claire.vasseur@example.org")
    arf = f"X-Original-To: {sub_address(TEAM, BOUNCE, token)}\n".encode() + \
        (DATA / "bounces-dev" / "messages" / "sisimai" / "arf-25.eml").read_bytes()   # issue 8: to our VERP
    raws = [arf] + [p.read_bytes() for p in sorted((DATA / "bounces-dev" / "messages").rglob("*")) if p.is_file()][:300]
    outcomes = inbox.processor().process_batch(raws)
    counts = Counter(o.kind for o in outcomes)
    assert counts["bounce"] > 100 and counts["complaint"] >= 1
    assert not [o for o in outcomes if o.kind in ("report", "signup") and o.disposition == "apply"]
    reasons = {d["reason"] for d in inbox.docs("suppressions")}
    assert "complaint" in reasons
    assert [d for d in inbox.docs("outgoing") if d["kind"] != "unsubscribed"] == []


# ------------------------------------------------------------------------------ people

def test_double_opt_in_end_to_end(inbox: Inbox) -> None:
    processor = inbox.processor()
    signup = mail("nouvelle@example.com", "Bonjour,\n\nJe souhaiterais devenir bénévole et suivre le dossier de "
                  "Nadejda Kouznetsova.\n\nLouise Martin\n", subject="Proposition d'aide", name="Louise Martin",
                  message_id="<signup1@example.com>")
    [outcome] = processor.process_batch([signup])
    assert (outcome.kind, outcome.disposition) == ("signup", "apply")
    [person] = inbox.docs("pending_people")
    assert (person["email"], person["status"], person["dossier"]) == ("nouvelle@example.com", "pending", "DI-2024-031")
    assert inbox.answers().send_pending() == 1
    [delivery] = inbox.smtp.handler.deliveries
    request = delivery.message
    assert delivery.rcpt_tos == ["nouvelle@example.com"]
    assert str(request["Subject"]) == "Confirmez votre inscription"
    assert request["Auto-Submitted"] == "auto-replied" and request["In-Reply-To"] == "<signup1@example.com>"
    reply_to = confirm_address(inbox.config, processor.secret, "nouvelle@example.com")
    assert reply_to in str(request["Reply-To"]) and reply_to in request.get_content()
    assert inbox.answers().send_pending() == 0              # marked sent

    # a forged confirmation (no token, no thread) activates nobody
    forged = mail("nouvelle@example.com", "Oui, je confirme.\n", subject="Re: Confirmez votre inscription",
                  message_id="<forged@example.com>")
    [outcome] = processor.process_batch([forged])
    assert (outcome.kind, outcome.disposition) == ("confirm", "triage")
    assert inbox.docs("pending_people")[0]["status"] == "pending" and inbox.mail_consents() == []

    # the reply to the +c-TOKEN address activates, records consent, tells the référent
    inbox.clock.advance(1)
    confirm = mail("nouvelle@example.com", "Oui, je confirme.\n", to=reply_to, subject="Re: Confirmez votre inscription",
                   message_id="<yes@example.com>")
    [outcome] = processor.process_batch([confirm])
    assert (outcome.kind, outcome.disposition) == ("confirm", "apply")
    assert inbox.docs("pending_people")[0]["status"] == "active"
    [consent] = inbox.mail_consents()
    assert consent["message_id"] == "<yes@example.com>" and consent["request_message_id"] == request["Message-ID"]
    wordings = {w["version"]: w["text"] for w in inbox.docs("consent_wordings")}
    assert "acceptez" in wordings[consent["wording_version"]]
    assert any(m["email"] == "nouvelle@example.com" for m in inbox.store.snapshot().docs("members"))
    assert inbox.answers().send_pending() == 1
    notice = inbox.smtp.handler.deliveries[-1]
    assert notice.rcpt_tos == ["claire.vasseur@example.org"]     # DI-2024-031's référent
    assert "Auto-Submitted" not in notice.message and "nouvelle@example.com" in notice.message.get_content()
    # confirming again changes nothing
    [outcome] = processor.process_batch([confirm.replace(b"<yes@", b"<yes2@")])
    assert outcome.disposition == "ignore" and len(inbox.mail_consents()) == 1


def test_confirmation_in_the_thread_of_our_request(inbox: Inbox) -> None:
    processor = inbox.processor()
    processor.process_batch([fr_dev("015.eml")])               # a sign-up from an unknown address
    [request] = inbox.docs("outgoing")
    reply = mail(request["to"], "Oui\n", subject="Re: Confirmez votre inscription", message_id="<r@example.org>",
                 extra=f"In-Reply-To: {request['message_id']}\nReferences: {request['message_id']}\n")
    [outcome] = processor.process_batch([reply])
    assert (outcome.kind, outcome.rule, outcome.disposition) == ("confirm", "confirm.thread", "apply")
    assert inbox.mail_consents()[0]["via"] == "thread"


def test_acknowledgements_follow_rfc_3834(inbox: Inbox) -> None:
    processor = inbox.processor()
    report = fr_dev("020.eml")                                  # the Lyon group's own address
    processor.process_batch([report])
    processor.process_batch([report.replace(b"Message-ID: <", b"Message-ID: <again-")])   # same day
    assert len(inbox.docs("reports")) == 2 and len(inbox.docs("outgoing")) == 1
    assert inbox.answers().send_pending() == 1
    ack = inbox.smtp.handler.deliveries[0].message
    assert ack["Auto-Submitted"] == "auto-replied" and ack["In-Reply-To"]
    assert "si c'est inexact, répondez à ce message" in ack.get_content().lower()
    assert "126 signatures" in ack.get_content()

    inbox.clock.advance(1)
    listed = report.replace(b"Message-ID: <", b"List-Id: <equipe.example.org>\nMessage-ID: <list-")
    empty_path = b"Return-Path: <>\n" + report.replace(b"Message-ID: <", b"Message-ID: <null-")
    auto = fr_dev("024.eml")
    outcomes = processor.process_batch([listed, empty_path, auto])
    assert [o.disposition for o in outcomes] == ["apply", "apply", "ignore"]
    assert len(inbox.docs("outgoing")) == 1                    # none of them answered
    next_day = processor.process_batch([report.replace(b"Message-ID: <", b"Message-ID: <day2-")])
    assert next_day[0].disposition == "apply" and len(inbox.docs("outgoing")) == 2


def test_a_reply_to_an_acknowledgement_goes_to_triage_linked_to_its_report(inbox: Inbox) -> None:
    processor = inbox.processor()
    processor.process_batch([fr_dev("020.eml")])
    [ack] = inbox.docs("outgoing")
    [report] = inbox.docs("reports")
    correction = mail("groupe37.lyon@example.org", "Bonjour, en fait nous avons recueilli 162 signatures le 14 février, "
                      "pas 126.\n", subject="Re: Bien reçu", message_id="<fix@example.org>",
                      extra=f"In-Reply-To: {ack['message_id']}\nReferences: {ack['message_id']}\n")
    [outcome] = processor.process_batch([correction])
    assert outcome.disposition == "triage"
    [item] = inbox.docs("triage")
    assert item["link"] == f"report:{report['id']}" and item["reason"] == "reply to an acknowledgement"
    assert len(inbox.docs("reports")) == 1


def test_a_report_from_an_unknown_sender_is_held(inbox: Inbox) -> None:
    [outcome] = inbox.processor().process_batch([fr_dev("010.eml")])
    assert (outcome.kind, outcome.disposition, outcome.folder) == ("report", "triage", "triage")
    assert inbox.docs("reports") == [] and inbox.docs("outgoing") == []
    [item] = inbox.docs("triage")
    assert item["sender"] == "m.roussel@example.net" and "unknown sender" in item["reason"]


def test_unsubscribe_is_applied_at_once_with_one_confirmation(inbox: Inbox) -> None:
    # issue 8: a free-text unsubscribe is applied at once when our server vouches for the From domain
    inbox = replace(inbox, config=replace(inbox.config, inbox=replace(inbox.config.inbox, authserv_id="mx.example.org")))
    processor = inbox.processor()
    def vouched(domain: str) -> bytes:
        return f"Authentication-Results: mx.example.org; dmarc=pass header.from={domain}\n".encode()
    processor.process_batch([vouched("example.net") + fr_dev("001.eml"), vouched("example.org") + fr_dev("035.eml")])
    suppressed = {d["email"]: (d["reason"], d["scope"]) for d in inbox.docs("suppressions")}
    assert suppressed == {"r.dufour@example.net": ("unsubscribe", "all"),
                          "daniel.morin@example.org": ("unsubscribe", "bulletin")}
    assert inbox.answers().send_pending() == 2
    assert sorted(r for d in inbox.smtp.handler.deliveries for r in d.rcpt_tos) == ["daniel.morin@example.org",
                                                                                      "r.dufour@example.net"]
    assert "bulletin" in inbox.smtp.handler.deliveries[-1].message.get_content()


def test_an_unsubscribe_that_asks_something_else_is_applied_and_the_rest_goes_to_a_person(inbox: Inbox) -> None:
    # issue 9: the unsubscribe is obeyed at once; the tax-receipt question must not be lost with it
    inbox = replace(inbox, config=replace(inbox.config, inbox=replace(inbox.config.inbox, authserv_id="mx.example.org")))
    vouched = b"Authentication-Results: mx.example.org; dmarc=pass header.from=example.net\n"
    body = ("Bonjour,\n\nJe souhaiterais ne plus recevoir le bulletin par courriel : je le lis sur votre site.\n\n"
            "Par ailleurs, je n'ai pas reçu de reçu fiscal pour mon don de décembre. Pourriez-vous me l'envoyer ?\n\n"
            "Jacqueline Muller\n")
    plain = "Bonjour,\n\nJe souhaiterais ne plus recevoir le bulletin, je le lis sur votre site.\n\nPaul\n"
    [mixed, alone] = inbox.processor().process_batch([
        vouched + mail("jacqueline.muller@example.net", body, subject="bulletin + reçu fiscal"),
        vouched + mail("paul.roche@example.net", plain, subject="Bulletin", message_id="<m2@example.net>")])
    suppressed = {d["email"]: d["scope"] for d in inbox.docs("suppressions")}
    assert suppressed == {"jacqueline.muller@example.net": "bulletin", "paul.roche@example.net": "bulletin"}
    assert (mixed.disposition, mixed.folder, alone.disposition, alone.folder) == ("triage", "triage", "apply",
                                                                                  "processed")
    [item] = inbox.docs("triage")
    assert (item["sender"], item["reason"]) == ("jacqueline.muller@example.net",
                                                "unsubscribe applied; the message also asks something else of us")
    assert any("recu fiscal" in ask for ask in item["reading"]["asks"])
    assert inbox.answers().send_pending() == 2       # both are told they are unsubscribed


def test_signup_from_a_member_is_passed_to_the_referent(inbox: Inbox) -> None:
    processor = inbox.processor()
    [outcome] = processor.process_batch([fr_dev("029.eml")])      # isabelle.leroux: a known member
    assert outcome.disposition == "apply"
    assert inbox.docs("pending_people") == []
    [request] = inbox.docs("signup_requests")
    assert (request["email"], request["dossier"]) == ("isabelle.leroux@example.com", "DI-2025-033")
    [notice] = inbox.docs("outgoing")
    referent = next(d for d in inbox.store.snapshot().docs("dossiers") if d["ref"] == "DI-2025-033")["referent_email"]
    assert (notice["kind"], notice["to"]) == ("referent_notice", referent)
    assert inbox.answers().send_pending() == 1
    assert "prendre en charge" in inbox.smtp.handler.deliveries[0].message.get_content()


def test_read_file_writes_nothing(inbox: Inbox) -> None:
    before = {p: p.stat().st_mtime_ns for p in inbox.store.files if p.exists()}
    result = pipeline.read_file(inbox.config, inbox.store, fr_dev("003.eml"))
    assert result.reading is not None and result.reading.kind == "report" and result.disposition == "apply"
    assert {p: p.stat().st_mtime_ns for p in inbox.store.files if p.exists()} == before


def test_unsubscribe_token_names_the_address_and_its_scope(inbox: Inbox) -> None:
    from mailer.registry import add_subscriber
    from mailer.tokens import UNSUBSCRIBE, unsubscribe_purpose

    add_subscriber(inbox.store, "lectrice@example.net", "Lectrice")
    processor = inbox.processor()
    token = make_token(processor.secret, unsubscribe_purpose("bulletin"), "lectrice@example.net")
    raw = mail("autre.adresse@example.com", "", subject="unsubscribe", to=sub_address(TEAM, UNSUBSCRIBE, token))
    [outcome] = processor.process_batch([raw])
    assert (outcome.kind, outcome.rule) == ("unsubscribe", "unsubscribe.token")
    assert [(d["email"], d["scope"]) for d in inbox.docs("suppressions")] == [("lectrice@example.net", "bulletin")]
    assert [d["to"] for d in inbox.docs("outgoing")] == ["lectrice@example.net"]


def test_answers_wait_while_the_relay_is_down(inbox: Inbox) -> None:
    from dataclasses import replace

    from conftest import free_port

    from mailer.outbound.answers import AnswerSender

    inbox.processor().process_batch([fr_dev("001.eml")])
    down = replace(inbox.config, smtp=replace(inbox.config.smtp, port=free_port()))   # nobody listens there
    assert AnswerSender(down, inbox.store).send_pending() == 0
    assert [d["status"] for d in inbox.docs("outgoing")] == ["pending"]
    assert inbox.answers().send_pending() == 1                                     # the relay is back
    assert [d["status"] for d in inbox.docs("outgoing")] == ["sent"]


def test_no_answer_to_an_address_suppressed_for_bounces(inbox: Inbox) -> None:
    processor = inbox.processor()
    processor.process_batch([fr_dev("020.eml")])
    processor.process_batch([mail("abuse@isp.example", "", subject="x")])     # noise: other -> triage
    from mailer.registry import suppress
    suppress(inbox.store, "groupe37.lyon@example.org", "complaint")
    assert inbox.answers().send_pending() == 0
    assert [d["status"] for d in inbox.docs("outgoing")] == ["skipped"]


def test_a_message_failing_half_way_leaves_no_effect(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailer.inbound import apply as ledger

    def broken(*args: object) -> list[str]:
        raise RuntimeError("summary failed after the report was recorded")

    monkeypatch.setattr(ledger.summaries, "report_summary", broken)
    raws = [fr_dev("020.eml"), fr_dev("001.eml")]
    outcomes = inbox.processor().process_batch(raws)
    assert [(o.disposition, o.folder) for o in outcomes] == [("error", ""), ("apply", "processed")]
    # issue 8: 001's free-text unsubscribe from an unverified From gets the one-click confirmation
    assert inbox.docs("reports") == [] and [d["kind"] for d in inbox.docs("outgoing")] == ["unsubscribe_confirm"]
    assert inbox.docs("ack_log")[0]["email"] == "r.dufour@example.net"
    monkeypatch.undo()
    inbox.processor().process_batch(raws)
    assert len(inbox.docs("reports")) == 1 and len(inbox.docs("outgoing")) == 2


def test_answers_journaled_before_a_crash_are_not_sent_again(inbox: Inbox) -> None:
    from mailer.outbound.answers import JOURNAL

    processor = inbox.processor()
    processor.process_batch([fr_dev("001.eml"), fr_dev("035.eml")])
    first, second = inbox.docs("outgoing")
    # killed after the server accepted the first answer and its line was written, before folding;
    # the torn second line (no date) is ignored
    (inbox.config.state_dir / JOURNAL).write_text(f"{first['id']} sent 2026-03-20T09:00:01+00:00\n{second['id']} se")
    assert inbox.answers().send_pending() == 1
    assert [r for d in inbox.smtp.handler.deliveries for r in d.rcpt_tos] == [second["to"]]
    assert [d["status"] for d in inbox.docs("outgoing")] == ["sent", "sent"]
    assert (inbox.config.state_dir / JOURNAL).read_text() == ""
    assert inbox.answers().send_pending() == 0


def test_a_triaged_message_keeps_its_best_reading_for_the_human_who_finishes_it(inbox: Inbox) -> None:
    report = mail("inconnu@example.net", "Bonjour,\n\nPour le dossier DI-2024-031, nous avons recueilli 120 signatures "
                  "le 12 mars.\n\nUn bénévole\n", subject="Bilan", message_id="<unknown-report@example.net>")
    [outcome] = inbox.processor().process_batch([report])
    assert outcome.disposition == "triage"
    [item] = inbox.docs("triage")
    assert item["reading"]["kind"] == "report" and item["reading"]["dossier"] == "DI-2024-031"
    assert [(a["type"], a["count"]) for a in item["reading"]["actions"]] == [("petition", 120)]
