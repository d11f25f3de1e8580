"""decide: the rules of issue 3 on readings and plain values (no store, no server)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from mailer.inbound.understand.classify import Kind, Reading
from mailer.inbound.decide import (BOUNCE_SCORE_THRESHOLD, BounceScore, Known, MessageFacts, crosses_threshold,
                                   decide, score_bounce, why_not_answer)
from mailer.inbound.effects import (Activate, CreatePendingPerson, Disposition, RecordBounce, RecordReport,
                                    RecordSignupRequest, SendAnswer, Suppress, ToTriage)
from mailer.inbound.understand.extract import Action, ActionType
from mailer.models import AnswerKind, Directory, Dossier, Group, Member

TEAM = "protegeonslespersonnes@example.org"
TODAY = date(2026, 3, 20)
DIRECTORY = Directory(
    groups=(Group("G037", "Groupe 37 de Lyon", "groupe_local", "Lyon", "groupe37.lyon@example.org"),),
    dossiers=(Dossier("DI-1", "Nadejda K", "Russie", "active", "referent@example.org", ["G037"]),),
    members=(Member("anne@example.net", "Anne Petit", "G037"),),
)


def known(**kwargs: object) -> Known:
    return Known(team_address=TEAM, directory=DIRECTORY, today=TODAY, coordinators=("coord@example.org",),
                 **kwargs)  # type: ignore[arg-type]


def env(sender: str = "anne@example.net", return_path: str | None = None, references: tuple[str, ...] = (),
        automatic: bool = False) -> MessageFacts:
    return MessageFacts("<in@example.net>", sender, return_path, references, automatic)


REPORT = Reading(Kind.REPORT, "report.actions", "anne@example.net", group="G037", dossier="DI-1",
                 actions=(Action(ActionType.PETITION, 40),))


def kinds(decision: object) -> list[type]:
    return [type(e) for e in decision.effects]  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ bounces

def test_bounce_scoring_follows_mailman_defaults() -> None:
    first = score_bounce(None, True, TODAY)
    assert first == BounceScore(1.0, "2026-03-20", 1)
    assert score_bounce(first, True, TODAY) is None                   # once a day: a storm is one event
    soft = score_bounce(first, None, TODAY + timedelta(days=1))
    assert soft is not None and soft.score == 1.5                     # unknown permanence: a soft bounce
    assert score_bounce(first, False, TODAY + timedelta(days=1)) is None   # a delay never scores


def test_stale_bounce_information_restarts_at_zero() -> None:
    old = BounceScore(4.0, (TODAY - timedelta(days=8)).isoformat(), 4)
    assert score_bounce(old, True, TODAY) == BounceScore(1.0, TODAY.isoformat(), 1)
    recent = BounceScore(4.0, (TODAY - timedelta(days=7)).isoformat(), 4)
    fifth = score_bounce(recent, True, TODAY)
    assert fifth is not None and fifth.score == BOUNCE_SCORE_THRESHOLD and crosses_threshold(fifth)


def test_five_daily_permanent_bounces_cross_the_threshold_and_delays_never_do() -> None:
    score = None
    for day in range(5):
        score = score_bounce(score, True, TODAY + timedelta(days=day)) or score
        assert crosses_threshold(score) == (day == 4)
    delays = None
    for day in range(30):
        delays = score_bounce(delays, False, TODAY + timedelta(days=day)) or delays
    assert delays is None


def test_bounce_records_each_recipient_and_never_answers() -> None:
    reading = Reading(Kind.BOUNCE, "bounce.verp+dsn", "mailer-daemon@mx.example.net",
                      recipients=("a@example.net", "b@example.net"), permanent=True, by_token=True)
    decision = decide(reading, env("mailer-daemon@mx.example.net", ""), known())
    assert decision.disposition is Disposition.APPLY
    assert decision.effects == (RecordBounce("a@example.net", True), RecordBounce("b@example.net", True))
    nobody = Reading(Kind.BOUNCE, "bounce.heuristic", "mailer-daemon@x", recipients=(), permanent=None)
    assert decide(nobody, env(), known()).disposition is Disposition.TRIAGE


def test_complaint_suppresses_at_once() -> None:
    reading = Reading(Kind.COMPLAINT, "complaint.arf", "abuse@isp.example", recipients=("a@example.net",),
                      returned_ids=("<ours@example.org>",))
    decision = decide(reading, env("abuse@isp.example"), known(sent={"<ours@example.org>": "a@example.net"}))
    assert decision.effects == (Suppress("a@example.net", "complaint", "all"),)
    unproven = decide(replace(reading, returned_ids=()), env("abuse@isp.example"), known())
    assert unproven.disposition is Disposition.TRIAGE       # issue 8: anyone can write an ARF report


def test_auto_reply_is_ignored_and_never_answered() -> None:
    reading = Reading(Kind.AUTO_REPLY, "auto_reply.subject", "anne@example.net")
    decision = decide(reading, env(), known())
    assert decision.disposition is Disposition.IGNORE and decision.effects == ()


# ------------------------------------------------------------------------------ answers

@pytest.mark.parametrize(("facts", "reason"), [
    (env(automatic=True), "automatic or list mail"),
    (env(return_path=""), "empty return path"),
    (env(sender=TEAM), "our own mail"),
    (env(sender="protegeonslespersonnes+b-abc@example.org"), "our own mail"),
])
def test_no_answer_to_machines_lists_or_ourselves(facts: MessageFacts, reason: str) -> None:
    assert why_not_answer("anne@example.net", facts, REPORT, known()) == reason


def test_at_most_one_answer_per_address_per_day() -> None:
    assert why_not_answer("anne@example.net", env(), REPORT, known()) is None
    assert why_not_answer("anne@example.net", env(), REPORT, known(answered={"anne@example.net": "2026-03-20"})) \
        == "already answered today"
    assert why_not_answer("anne@example.net", env(), REPORT, known(answered={"anne@example.net": "2026-03-19"})) \
        is None


# ------------------------------------------------------------------------------ people

def test_report_from_a_member_is_applied_and_acknowledged() -> None:
    decision = decide(REPORT, env(), known())
    assert decision.disposition is Disposition.APPLY
    assert kinds(decision) == [RecordReport, SendAnswer]
    assert decision.effects[1].kind is AnswerKind.REPORT_ACK and decision.effects[1].to == "anne@example.net"


def test_report_from_list_mail_is_applied_but_not_acknowledged() -> None:
    decision = decide(REPORT, env(automatic=True), known())
    assert kinds(decision) == [RecordReport] and "automatic" in decision.note


def test_report_from_an_unknown_sender_waits_in_triage() -> None:
    reading = Reading(Kind.REPORT, "report.actions", "stranger@example.com", actions=(Action(ActionType.FUND),))
    decision = decide(reading, env("stranger@example.com"), known())
    assert decision.disposition is Disposition.TRIAGE and kinds(decision) == [ToTriage]


def test_a_reply_to_our_acknowledgement_is_triage_linked_to_the_report() -> None:
    k = known(ack_threads={"<ack1@example.org>": "report:7"})
    decision = decide(REPORT, env(references=("<ack1@example.org>",)), k)
    assert decision.disposition is Disposition.TRIAGE
    assert decision.effects == (ToTriage("reply to an acknowledgement", "report:7"),)


def test_signup_from_an_unknown_address_asks_for_confirmation() -> None:
    reading = Reading(Kind.SIGNUP, "signup.volunteer", "new@example.com", name="Léa Moreau", dossier="DI-1")
    decision = decide(reading, env("new@example.com"), known())
    assert decision.disposition is Disposition.APPLY
    assert decision.effects == (CreatePendingPerson("new@example.com", "Léa Moreau", None, "DI-1"),
                                SendAnswer(AnswerKind.CONFIRM_REQUEST, "new@example.com"))
    again = decide(reading, env("new@example.com"), known(pending={"new@example.com": ("pending", "DI-1")}))
    assert kinds(again) == [SendAnswer]                 # no second pending person


def test_a_signup_to_join_a_group_is_routed_to_that_group() -> None:
    reading = Reading(Kind.SIGNUP, "signup.volunteer", "new@example.com", name="Léa Moreau", joins="G037")
    decision = decide(reading, env("new@example.com"), known())
    assert decision.effects[0] == CreatePendingPerson("new@example.com", "Léa Moreau", "G037", None)
    member = decide(replace(reading, sender="anne@example.net"), env(), known())
    assert member.effects[0] == RecordSignupRequest("anne@example.net", "Léa Moreau", "G037", None)


def test_signup_from_list_mail_is_never_confirmed_by_mail() -> None:
    reading = Reading(Kind.SIGNUP, "signup.volunteer", "new@example.com")
    assert decide(reading, env("new@example.com", automatic=True), known()).disposition is Disposition.TRIAGE


def test_signup_from_a_member_goes_to_the_referent_without_opt_in() -> None:
    reading = Reading(Kind.SIGNUP, "signup.volunteer", "anne@example.net", name="Anne Petit", dossier="DI-1")
    decision = decide(reading, env(), known())
    assert decision.effects == (RecordSignupRequest("anne@example.net", "Anne Petit", None, "DI-1"),
                                SendAnswer(AnswerKind.REFERENT_NOTICE, "referent@example.org", threaded=False,
                                           about="anne@example.net"))
    no_dossier = Reading(Kind.SIGNUP, "signup.volunteer", "groupe37.lyon@example.org")
    assert decide(no_dossier, env("groupe37.lyon@example.org"), known()).effects[1].to == "coord@example.org"


def test_only_a_token_or_our_thread_confirms() -> None:
    pending = {"new@example.com": ("pending", "DI-1")}
    forged = Reading(Kind.CONFIRM, "confirm.reply", "new@example.com")
    assert decide(forged, env("new@example.com"), known(pending=pending)).disposition is Disposition.TRIAGE
    unknown_token = Reading(Kind.CONFIRM, "confirm.token", "new@example.com", token="deadbeef")
    assert decide(unknown_token, env("new@example.com"), known(pending=pending)).disposition is Disposition.TRIAGE
    by_token = Reading(Kind.CONFIRM, "confirm.token", "someone@else.example", token="abc123", verified=True)
    decision = decide(by_token, env("someone@else.example"), known(pending=pending,
                                                                   confirm_tokens={"abc123": "new@example.com"}))
    assert decision.disposition is Disposition.APPLY
    assert decision.effects[0] == Activate("new@example.com", "token")
    assert decision.effects[1] == SendAnswer(AnswerKind.REFERENT_NOTICE, "referent@example.org", threaded=False,
                                             about="new@example.com")
    by_thread = Reading(Kind.CONFIRM, "confirm.thread", "new@example.com", verified=True)
    decision = decide(by_thread, env("new@example.com", references=("<req@example.org>",)),
                      known(pending=pending, confirm_threads={"<req@example.org>": "new@example.com"}))
    assert decision.effects[0] == Activate("new@example.com", "thread")
    done = known(pending={"new@example.com": ("active", "DI-1")}, confirm_tokens={"abc123": "new@example.com"})
    assert decide(by_token, env(), done).disposition is Disposition.IGNORE


def test_unsubscribe_uses_the_token_address_and_confirms_once() -> None:
    reading = Reading(Kind.UNSUBSCRIBE, "unsubscribe.token", "alias@example.com", scope="bulletin", token="t0k")
    k = known(unsubscribe_address=lambda token: "real@example.com" if token == "t0k" else None)
    decision = decide(reading, env("alias@example.com"), k)
    assert decision.effects == (Suppress("real@example.com", "unsubscribe", "bulletin"),
                                SendAnswer(AnswerKind.UNSUBSCRIBED, "real@example.com",
                                           values={"scope": "bulletin"}))
    answered = known(answered={"anne@example.net": TODAY.isoformat()}, sent={"<ack@example.org>": "anne@example.net"})
    stop = Reading(Kind.UNSUBSCRIBE, "unsubscribe.text", "anne@example.net", scope="all")
    assert kinds(decide(stop, env(references=("<ack@example.org>",)), answered)) == [Suppress]


def test_our_own_mail_and_other_mail() -> None:
    ours = Reading(Kind.OTHER, "other.no_rule", TEAM)
    assert decide(ours, env(TEAM), known()).disposition is Disposition.IGNORE
    other = Reading(Kind.OTHER, "other.no_rule", "x@example.com")
    assert decide(other, env("x@example.com"), known()).effects == (ToTriage("other.no_rule"),)
