"""Issue 8: inbound mail cannot be forged into action. A From, an Original-Rcpt-To or a DSN's
recipient can be written by anyone; our tokens, our Message-IDs and our own server's
Authentication-Results can not. Real store, real SMTP server (inbound_fixtures)."""

from __future__ import annotations

from dataclasses import replace

from inbound_fixtures import TEAM, Inbox, dsn, fr_dev, inbox_fixture, mail  # noqa: F401  (fixture)

from mailer import tokens
from mailer.inbound.mime import headers
from mailer.tokens import BOUNCE, make_token, parse_sub_address, sub_address

GROUP = "groupe37.lyon@example.org"
REFERENT = "claire.vasseur@example.org"
MEMBER = "marc-antoine.riviere@example.net"
AUTHSERV = "mx.example.org"


def arf(*rcpt_to: str, returned: str = "") -> bytes:
    """An RFC 5965 abuse report, as anyone can write one."""
    fields = "".join(f"Original-Rcpt-To: {a}\n" for a in rcpt_to)
    original = returned or "From: protegeonslespersonnes@example.org\nSubject: Bulletin\n"
    return (f"From: abuse@isp.example\nTo: {TEAM}\nSubject: Abuse report\nMessage-ID: <arf@isp.example>\n"
            "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\n\n"
            "--A\nContent-Type: text/plain\n\nThis is an abuse report.\n\n"
            "--A\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: x/1.0\nVersion: 1\n"
            f"{fields}\n--A\nContent-Type: text/rfc822-headers\n\n{original}\n--A--\n").encode()


def campaign_id(inbox: Inbox, address: str, index: int = 3) -> str:
    return tokens.campaign_message_id(inbox.processor().secret, "example.org", f"bulletin-mars.{index}.ab12cd34", address)


def suppressed(inbox: Inbox) -> dict[str, str]:
    return {d["email"]: d["reason"] for d in inbox.docs("suppressions")}


# ------------------------------------------------------------------------------ Message-IDs

def test_campaign_message_ids_are_keyed_and_bound_to_the_recipient() -> None:
    a = tokens.campaign_message_id(b"k" * 32, "example.org", "bulletin.7.s4lt", "marie@example.org")
    assert a == tokens.campaign_message_id(b"k" * 32, "example.org", "bulletin.7.s4lt", "MARIE@example.org")   # resend
    assert a != tokens.campaign_message_id(b"other-key", "example.org", "bulletin.7.s4lt", "marie@example.org")
    assert tokens.sent_campaign_to(b"k" * 32, a, "marie@example.org")
    assert not tokens.sent_campaign_to(b"k" * 32, a, "paul@example.org")
    assert not tokens.sent_campaign_to(b"k" * 32, "<c.bulletin.7.s4lt@example.org>", "marie@example.org")


# ------------------------------------------------------------------------------ complaints and bounces

def test_a_forged_complaint_naming_addresses_suppresses_nobody(inbox: Inbox) -> None:
    [outcome] = inbox.processor().process_batch([arf(GROUP, REFERENT, MEMBER)])
    assert (outcome.kind, outcome.disposition) == ("complaint", "triage")
    assert suppressed(inbox) == {}
    assert "not proven" in inbox.docs("triage")[0]["reason"]


def test_a_complaint_returning_our_message_id_suppresses_that_address_only(inbox: Inbox) -> None:
    returned = f"From: {TEAM}\nTo: {MEMBER}\nMessage-ID: {campaign_id(inbox, MEMBER)}\n"
    [outcome] = inbox.processor().process_batch([arf(MEMBER, GROUP, returned=returned)])
    assert outcome.disposition == "apply"
    assert suppressed(inbox) == {MEMBER: "complaint"}


def test_five_forged_bounces_on_five_days_suppress_nobody(inbox: Inbox) -> None:
    for day in range(5):
        [outcome] = inbox.processor().process_batch([dsn(MEMBER, message_id=f"<f{day}@mx>")])
        assert (outcome.kind, outcome.disposition) == ("bounce", "triage")
        inbox.clock.advance(1)
    assert suppressed(inbox) == {} and inbox.docs("bounce_scores") == []


def test_bounces_returning_our_message_id_or_references_score(inbox: Inbox) -> None:
    ours = campaign_id(inbox, MEMBER)
    for day in range(5):
        returned = f"Message-ID: {ours}" if day % 2 else f"Message-ID: <x{day}@y>\nReferences: {ours}"
        [outcome] = inbox.processor().process_batch([dsn(MEMBER, message_id=f"<g{day}@mx>", returned=returned)])
        assert outcome.disposition == "apply"
        inbox.clock.advance(1)
    assert suppressed(inbox) == {MEMBER: "bounce"}


def test_our_message_id_sent_to_someone_else_proves_nothing(inbox: Inbox) -> None:
    """A member forwards a copy of their own bulletin inside a forged DSN naming another address."""
    raw = dsn(REFERENT, returned=f"Message-ID: {campaign_id(inbox, MEMBER)}")
    [outcome] = inbox.processor().process_batch([raw])
    assert outcome.disposition == "triage" and inbox.docs("bounce_scores") == []


def test_a_bounce_to_our_verp_address_still_scores(inbox: Inbox) -> None:
    processor = inbox.processor()
    raw = dsn("whoever@elsewhere.example", to=sub_address(TEAM, BOUNCE, make_token(processor.secret, BOUNCE, MEMBER)))
    [outcome] = processor.process_batch([raw])
    assert outcome.disposition == "apply"
    assert [d["email"] for d in inbox.docs("bounce_scores")] == [MEMBER]


# ------------------------------------------------------------------------------ confirmations

def test_a_reply_in_the_confirmation_thread_from_another_sender_confirms_nobody(inbox: Inbox) -> None:
    processor = inbox.processor()
    processor.process_batch([fr_dev("015.eml")])               # a sign-up from an unknown address
    [request] = inbox.docs("outgoing")
    reply = mail("intrus@example.com", "Oui\n", subject="Re: Confirmez votre inscription", message_id="<r@x>",
                 extra=f"In-Reply-To: {request['message_id']}\nReferences: {request['message_id']}\n")
    [outcome] = processor.process_batch([reply])
    assert (outcome.kind, outcome.disposition) == ("confirm", "triage")
    assert [p["status"] for p in inbox.docs("pending_people")] == ["pending"]
    assert inbox.mail_consents() == []


# ------------------------------------------------------------------------------ unsubscribe by free text

def stop(sender: str = MEMBER, extra: str = "", message_id: str = "<stop@example.net>") -> bytes:
    return mail(sender, "STOP\n", subject="STOP", extra=extra, message_id=message_id)


def with_authserv(inbox: Inbox, authserv_id: str = AUTHSERV) -> Inbox:
    config = replace(inbox.config, inbox=replace(inbox.config.inbox, authserv_id=authserv_id))
    return replace(inbox, config=config)


def test_stop_from_a_spoofable_from_is_answered_with_a_one_click_confirmation(inbox: Inbox) -> None:
    [outcome] = inbox.processor().process_batch([stop()])
    assert (outcome.kind, outcome.disposition) == ("unsubscribe", "apply")
    assert suppressed(inbox) == {}
    [answer] = inbox.docs("outgoing")
    assert (answer["kind"], answer["to"]) == ("unsubscribe_confirm", MEMBER)
    assert inbox.answers().send_pending() == 1
    [delivery] = inbox.smtp.handler.deliveries
    text = delivery.message.get_content()
    token = parse_sub_address(TEAM, delivery.message["Reply-To"].addresses[0].addr_spec)
    assert token is not None and token[0] == "u" and f"+u-{token[1]}@" in text
    [again] = inbox.processor().process_batch([mail(MEMBER, "oui\n", subject="Re: STOP", to=sub_address(TEAM, "u", token[1]),
                                                     message_id="<stop2@example.net>")])
    assert again.disposition == "apply" and suppressed(inbox) == {MEMBER: "unsubscribe"}


def test_a_stranger_confirms_through_the_address_we_gave_them(inbox: Inbox) -> None:
    processor = inbox.processor()
    processor.process_batch([stop("inconnu@example.com")])
    [answer] = inbox.docs("outgoing")
    processor.process_batch([mail("inconnu@example.com", "oui\n", to=answer["reply_to"], message_id="<y@x>")])
    assert suppressed(inbox) == {"inconnu@example.com": "unsubscribe"}


def test_stop_answering_our_mailing_to_that_address_is_applied(inbox: Inbox) -> None:
    ours = campaign_id(inbox, MEMBER)
    [outcome] = inbox.processor().process_batch([stop(extra=f"In-Reply-To: {ours}\nReferences: {ours}\n")])
    assert outcome.disposition == "apply" and suppressed(inbox) == {MEMBER: "unsubscribe"}


def test_stop_answering_a_mailing_to_someone_else_is_not_applied(inbox: Inbox) -> None:
    other = campaign_id(inbox, REFERENT)
    inbox.processor().process_batch([stop(extra=f"In-Reply-To: {other}\n")])
    assert suppressed(inbox) == {}


def results(authserv: str, verdict: str, domain: str = "example.net") -> str:
    return f"Authentication-Results: {authserv}; spf=none; dkim=none; dmarc={verdict} (p=none) header.from={domain}\n"


def test_stop_with_our_servers_dmarc_pass_is_applied(inbox: Inbox) -> None:
    trusted = with_authserv(inbox)
    trusted.processor().process_batch([stop(extra=results(AUTHSERV, "pass"))])
    assert suppressed(inbox) == {MEMBER: "unsubscribe"}


def test_a_forged_authentication_results_is_ignored(inbox: Inbox) -> None:
    trusted = with_authserv(inbox)
    forged = results("mx.attacker.example", "pass")
    outer_fail = results(AUTHSERV, "fail") + results(AUTHSERV, "pass")      # ours is the topmost one
    wrong_domain = results(AUTHSERV, "pass", "attacker.example")
    for n, extra in enumerate((forged, outer_fail, wrong_domain)):
        trusted.processor().process_batch([stop(extra=extra, message_id=f"<s{n}@example.net>")])
    inbox.processor().process_batch([stop(extra=results(AUTHSERV, "pass"), message_id="<s9@example.net>")])
    assert suppressed(inbox) == {}                        # authserv_id = "" (default): no header is trusted


def test_authentication_results_parsing() -> None:
    items = [("authentication-results", "mx.example.org 1; dkim=pass (good) header.d=lists.example.net; "
                                        "spf=fail smtp.mailfrom=x@example.net")]
    assert headers.authenticated_domain(items, "mx.example.org") == {"lists.example.net"}
    assert headers.authenticated_domain(items, "") == set()
    spf = [("authentication-results", "mx.example.org; spf=pass smtp.mailfrom=bounce@example.net")]
    assert headers.authenticated_domain(spf, "MX.example.org") == {"example.net"}


# ------------------------------------------------------------------------------ automatic senders

def test_a_non_dsn_mail_from_mailer_daemon_is_never_answered_nor_a_pending_person(inbox: Inbox) -> None:
    raw = fr_dev("015.eml")
    head, sep, body = raw.partition(b"\n\n")
    head = b"\n".join(b"From: MAILER-DAEMON@mx.example.net" if line.lower().startswith(b"from:") else line
                      for line in head.split(b"\n"))
    [outcome] = inbox.processor().process_batch([head + sep + body])
    assert outcome.disposition == "triage"
    assert inbox.docs("pending_people") == [] and inbox.docs("outgoing") == []
