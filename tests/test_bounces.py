"""Bounces, delay warnings, success notices and complaints, on the bounces-dev corpus and our own samples.

Every corpus file is read by production's `read_message` and compared with the corpus's expectation
field by field (`bounce_corpus.misses`); the files where today's reading differs are listed in
KNOWN_MISSES with both values, so a fix shows as plainly as a regression.
"""

from __future__ import annotations

import pytest

from mailer.inbound.understand.autoreply import detect_auto_reply
from mailer.inbound.understand.bounces import Bounce, detect_bounce
from mailer.inbound.understand.complaints import detect_complaint
from mailer.inbound.understand.dsn import detect_delivery_notice
from mailer.inbound.understand.classify import Kind
from mailer.inbound.mime.parse import ParsedMessage, parse_message

from bounce_corpus import contradictory, misses, read_file
from corpora import BOUNCES, FR_DEV, INBOUND, ROWS, SEEN, SEEN_ROWS

TOKEN = "k3jx7qp2mzt5w4ra"
TOKENS = {TOKEN: "marie.dupont@example.net"}

# file -> {field: (what the corpus expects, what we read today)}. Kind misses: none today.
KNOWN_MISSES: dict[str, dict[str, tuple[object, object]]] = {
    # recipients: the corpus counts sisimai's rows; we find another number of addresses
    "messages/sisimai/lhost-fml-02.eml": {"recipients": (1, ["neko-nyaan-ctl@example.org",
                                                            "neko-nyaan@example.org"])},
    "messages/sisimai/rfc3464-01.eml": {"recipients": (2, ["userunknown@bouncehammer.jp"])},
    "messages/sisimai/rhost-cox-01.eml": {"recipients": (2, ["recipient55@cox.net"])},
    # failed for two, delayed for one (issue 9): the failed ones are the bounce, permanent; sisimai
    # counts every row and calls the whole "mixed" (bounces-seen's multi-recipient.eml agrees with us)
    "messages/sisimai/rfc3464-35.eml": {"recipients": (3, ["kijitora@nyaan.example.com",
                                                           "mikeneko@neko.example.or.jp"]),
                                        "permanent": (None, True)},
    # permanence: "Action: failed" with a 4.x.x Status, which we call contradictory (None)
    "messages/sisimai/lhost-receivingses-03.eml": {"permanent": (False, None)},
    "messages/sisimai/lhost-yandex-03.eml": {"permanent": (False, None)},
    "messages/sisimai/rfc3464-43.eml": {"permanent": (False, None)},
    "messages/sisimai/rhost-franceptt-06.eml": {"permanent": (False, None)},
    "messages/sisimai/rhost-franceptt-07.eml": {"permanent": (False, None)},
    "messages/sisimai/rhost-franceptt-08.eml": {"permanent": (False, None)},
    "messages/sisimai/rhost-franceptt-10.eml": {"permanent": (True, None)},
    "messages/sisimai/rhost-franceptt-11.eml": {"permanent": (False, None)},
    "messages/sisimai/rhost-yahooinc-02.eml": {"permanent": (False, None)},
    "messages/bounceparser/long-smtp.msg": {"permanent": (False, None)},
}


# The same on bounces-seen (issue 9), whose files the rules were not written on.
SEEN_KNOWN_MISSES: dict[str, dict[str, tuple[object, object]]] = {
    # two reports in one mbox file: we read the first message only
    "messages/cwsmbh/bounce_511_057.eml": {"recipients": (["non-existent-user-address-this-is@google.mil",
                                                           "this-user-does-not-exist-for-example@gmail.com"],
                                                          ["this-user-does-not-exist-for-example@gmail.com"])},
    # a bare directory name ("thomas.dtankengine") that flufl's Yale detector expands to two domains
    "messages/flufl/yale_01.eml": {"recipients": (["thomas.dtankengine@cs.yale.edu",
                                                   "thomas.dtankengine@yale.edu"], ["name@directory.yale.edu"])},
    # a final failure with a 4.x.x code: None (final, soft) by design
    "messages/flufl/yahoo_01.eml": {"permanent": (True, None)},
    "messages/mailbounce/transient-failure.eml": {"permanent": (False, None)},
}


def corpus(file: str) -> ParsedMessage:
    return parse_message((BOUNCES / "messages" / file).read_bytes())


def inbound(name: str) -> ParsedMessage:
    return parse_message((INBOUND / name).read_bytes())


# ---------------------------------------------------------------------------- the corpus, file by file

@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_corpus_message(row: dict) -> None:
    assert misses(row, read_file(BOUNCES, row["file"])) == KNOWN_MISSES.get(row["file"], {})


def test_known_misses_are_corpus_files() -> None:
    assert set(KNOWN_MISSES) <= {row["file"] for row in ROWS}
    assert set(SEEN_KNOWN_MISSES) <= {row["file"] for row in SEEN_ROWS}


@pytest.mark.parametrize("row", SEEN_ROWS, ids=[row["file"] for row in SEEN_ROWS])
def test_seen_corpus_message(row: dict) -> None:
    assert misses(row, read_file(SEEN, row["file"])) == SEEN_KNOWN_MISSES.get(row["file"], {})


def test_permanence_misses_are_contradictory_reports() -> None:
    """The permanence misses left are all "Action: failed" with a 4.x.x Status, None by design."""
    for file, fields in KNOWN_MISSES.items():
        if "permanent" in fields and file != "messages/sisimai/rfc3464-35.eml":
            assert fields["permanent"][1] is None, file
            assert contradictory(parse_message((BOUNCES / file).read_bytes())), file


def test_every_complaint_is_found() -> None:
    for row in ROWS:
        if row.get("subkind") == "feedback_report":
            parsed = parse_message((BOUNCES / row["file"]).read_bytes())
            if parsed.report_type != "feedback-report":
                continue                                      # arf-26: a mail client's unsubscribe mail
            reading = read_file(BOUNCES, row["file"])
            assert reading.kind is Kind.COMPLAINT, row["file"]        # so the bounce rule, before it, said no
            assert reading.feedback_type == row["details"][0]["feedback_type"], row["file"]


# ---------------------------------------------------------------------------- well-understood samples

@pytest.mark.parametrize("file, recipients, permanent, rule", [
    # standard DSNs
    ("sisimai/lhost-postfix-01.eml", {"kijitora@example.org"}, True, "dsn"),
    ("bounceparser/postfix-orig.msg", {"original@dest.example.com"}, True, "dsn"),   # Original- over Final-
    ("bounceparser/sendmail-host-unknown.msg", {"recipient@#example.net"}, True, "dsn"),
    ("sisimai/rfc3464-35.eml", {"kijitora@nyaan.example.com", "mikeneko@neko.example.or.jp"}, True,
     "dsn"),                                                       # failed + delayed: the failed ones
    ("spamscope/mail_malformed_2.eml", {"abh@netpar.com.br"}, None, "dsn"),          # failed + 4.2.2
    # French: Orange/SFR rejections and a French Exchange NDR
    ("sisimai/rhost-franceptt-01.eml", {"pseudo-local-part-kijitora-nyaaan@orange.fr"}, True, "dsn"),
    ("sisimai/lhost-exchange2007-06.eml", {"transports@agglo-saumur.fr"}, True, "dsn"),
    # non-standard bounces, one per family
    ("bounceparser/qmail.unknown.msg", {"recipient@example.net"}, True, "text"),
    ("sisimai/lhost-qmail-02.eml", {"userunknown@example.jp", "filtered@example.jp"}, True, "text"),
    ("sisimai/lhost-exim-02.eml", {"kijitora@example.jp", "sabatora@example.jp"}, True, "text"),
    ("sisimai/lhost-gmx-03.eml", {"mikeneko@example.co.jp", "sabineko@example.co.jp"}, True, "text"),
    ("bounceparser/exchange.unknown.msg", {"recipient@example.net"}, True, "text"),
    ("sisimai/lhost-exchange2003-02.eml", {"kijitora@example.co.jp", "mikeneko@example.co.jp"}, True, "text"),
    ("bounceparser/domino.unknown.msg", {"recipient@example.net"}, True, "text"),
    ("sisimai/lhost-notes-03.eml", {"kijitora@example.com"}, True, "text"),
    ("sisimai/lhost-yahoo-01.eml", {"kijitora@example.org"}, True, "text"),
    ("sisimai/lhost-gmail-01.eml", {"userunknown@example.jp"}, True, "text"),
    ("sisimai/lhost-v5sendmail-07.eml", {"kijitora@example.org", "mikeneko@example.org",
                                         "hachiware@example.edu"}, True, "text"),
    ("sisimai/lhost-v5sendmail-01.eml", {"kijitora@example.com"}, False, "text"),     # 421 Deferred
    ("bounceparser/aol.attachment.msg", {"exampleuser@aol.com"}, True, "text"),       # AOL screen name
    ("bounceparser/misidentified-recipient.msg", {"john.b@b.c"}, True, "text"),
])
def test_sample(file: str, recipients: set[str], permanent: bool | None, rule: str) -> None:
    bounce = detect_bounce(corpus(file))
    assert bounce is not None
    assert (set(bounce.recipients), bounce.permanent, bounce.rule) == (recipients, permanent, rule)


@pytest.mark.parametrize("file", ["sisimai/rfc3464-28.eml", "sisimai/lhost-amazonses-12.eml",
                                  "sisimai/lhost-amazonses-13.eml"])
def test_success_notices_are_not_bounces(file: str) -> None:
    assert detect_bounce(corpus(file)) is None             # amazonses-12/13: SES "Delivery" JSON notices


def test_deliverable_dsn_is_a_delivery_notice() -> None:
    assert detect_delivery_notice(corpus("sisimai/rfc3464-28.eml")) == "dsn-deliverable"


def test_dsn_failures_keep_per_recipient_detail() -> None:
    bounce = detect_bounce(corpus("sisimai/rfc3464-35.eml"))
    assert bounce is not None
    by_address = {f.recipient: (f.action, f.status[:1], f.permanent) for f in bounce.failures}
    assert by_address["sabatora@cat.example.net"] == ("delayed", "4", False)
    assert by_address["kijitora@nyaan.example.com"] == ("failed", "5", True)


# ---------------------------------------------------------------------------- our VERP address

def test_verp_names_the_recipient_first() -> None:
    parsed = inbound("verp-bounce-postfix.eml")
    bounce = detect_bounce(parsed, TOKENS.get)
    assert bounce is not None
    assert (bounce.recipients, bounce.permanent, bounce.rule) == (("marie.dupont@example.net",), True, "verp+dsn")
    assert "marie.d@forward.example.net" in bounce.failures[0].reason       # the alias target the report names
    without = detect_bounce(parsed)    # "<target> (expanded from <marie.dupont@...>)": whom we wrote to
    assert without is not None and without.recipients == ("marie.dupont@example.net",)
    unknown = detect_bounce(parsed, lambda token: None)                     # a token we never issued
    assert unknown is not None and unknown.rule == "dsn"


def test_resolver_gets_the_token() -> None:
    seen: list[str] = []
    detect_bounce(inbound("verp-bounce-postfix.eml"), lambda token: seen.append(token) or None)
    assert seen and set(seen) == {TOKEN}


def test_verp_with_an_unknown_bounce_format() -> None:
    bounce = detect_bounce(inbound("verp-bounce-text-only.eml"), TOKENS.get)
    assert bounce is not None
    assert (bounce.recipients, bounce.permanent, bounce.rule) == (("marie.dupont@example.net",), True, "verp+text")


def test_verp_alone_is_a_bounce_of_unknown_permanence() -> None:
    raw = (f"Return-Path: <>\nFrom: mx@relay.example.net\nTo: team+b-{TOKEN}@example.org\nSubject: hmm\n\n"
           "Something happened to your message.\n").encode()
    bounce = detect_bounce(parse_message(raw), TOKENS.get)
    assert bounce == Bounce(("marie.dupont@example.net",), None, "verp")


def test_a_person_writing_to_our_envelope_sender_is_not_a_bounce() -> None:
    raw = (f"From: Paul <paul@example.net>\nTo: team+b-{TOKEN}@example.org\nSubject: Re: Bulletin\n\n"
           "Merci pour le bulletin, je signe.\n").encode()
    assert detect_bounce(parse_message(raw), TOKENS.get) is None


def test_french_exim_bounce() -> None:
    bounce = detect_bounce(inbound("fr-exim-orange.eml"))
    assert bounce is not None
    assert (bounce.recipients, bounce.permanent, bounce.rule) == (("jacques.morel@sfr.example.fr",), True, "text")


def test_vacation_reply_to_our_envelope_sender_is_not_a_bounce() -> None:
    parsed = inbound("fr-autoreply-zimbra.eml")          # sent to the +b- address
    assert detect_bounce(parsed, TOKENS.get) is None
    assert detect_auto_reply(parsed) == "auto-submitted"


# ---------------------------------------------------------------------------- delays

def test_postfix_delay_warning_is_temporary() -> None:
    bounce = detect_bounce(inbound("delay-warning-postfix.eml"))
    assert bounce is not None
    assert (bounce.recipients, bounce.permanent, bounce.rule) == (("jean.petit@lent.example.net",), False, "dsn")


def test_sendmail_warning_without_report_is_temporary() -> None:
    bounce = detect_bounce(inbound("delay-warning-sendmail.eml"))
    assert bounce is not None
    assert (bounce.recipients, bounce.permanent, bounce.rule) == (("paul.durand@tres-lent.example.net",), False, "text")


def test_success_dsn_of_our_own() -> None:
    parsed = inbound("dsn-delivered.eml")
    assert detect_bounce(parsed, TOKENS.get) is None
    assert detect_delivery_notice(parsed) == "dsn-relayed"


# ---------------------------------------------------------------------------- complaints

def test_complaint_names_the_recipient_through_verp() -> None:
    parsed = inbound("arf-verp.eml")
    complaint = detect_complaint(parsed, TOKENS.get)
    assert complaint is not None
    assert (complaint.recipients, complaint.feedback_type, complaint.rule) == (
        ("marie.dupont@example.net",), "abuse", "arf-verp")
    fallback = detect_complaint(parsed)                  # without tokens: the To of the attached original
    assert fallback is not None and (fallback.recipients, fallback.rule) == (
        ("redacted@isp.example.net",), "arf-original-to")
    assert detect_bounce(parsed, TOKENS.get) is None


def test_complaint_with_original_rcpt_to() -> None:
    raw = ("From: fbl@isp.example\nTo: abuse@example.org\nSubject: FBL\nMIME-Version: 1.0\n"
           'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\n\n'
           "--b\nContent-Type: text/plain\n\nA complaint.\n"
           "--b\nContent-Type: message/feedback-report\n\nFeedback-Type: opt-out\nVersion: 1\n"
           "Original-Rcpt-To: <Paul.Durand@Example.net>\n"
           "--b\nContent-Type: text/rfc822-headers\n\nTo: paul.durand@example.net\nSubject: Bulletin\n--b--\n")
    complaint = detect_complaint(parse_message(raw.encode()))
    assert complaint is not None
    assert (complaint.recipients, complaint.feedback_type, complaint.rule) == (
        ("paul.durand@example.net",), "opt-out", "arf")


# ---------------------------------------------------------------------------- people are not bounces

HUMAN = ["fr-human-holidays.eml", "en-human-vacation.eml", "forward-rfc822.eml", "forward-inline-thunderbird.eml",
         "reply-outlook-fr.eml", "reply-en-interleaved.eml", "html-only.eml", "bogus-charset.eml",
         "undeclared-8bit.eml", "fr-autoreply-text-only.eml", "fr-autoreply-outlook.eml"]


@pytest.mark.parametrize("name", HUMAN)
def test_people_and_their_auto_replies_are_not_bounces(name: str) -> None:
    parsed = inbound(name)
    assert detect_bounce(parsed, TOKENS.get) is None
    assert detect_complaint(parsed, TOKENS.get) is None
    assert detect_delivery_notice(parsed) is None


def test_a_forwarded_bounce_from_a_person_is_not_a_bounce() -> None:
    raw = ("From: Léa <lea@example.org>\nTo: team@example.org\nSubject: Fwd: Undelivered Mail Returned to Sender\n"
           "\nJ'ai reçu ceci, que faire ?\n\n---------- Forwarded message ---------\nFrom: MAILER-DAEMON\n\n"
           "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n"
           "<paul@example.net>: User unknown\n").encode()
    assert detect_bounce(parse_message(raw)) is None


@pytest.mark.skipif(FR_DEV is None, reason="fr-dev corpus not available")
def test_no_fr_dev_message_is_a_bounce() -> None:
    for path in sorted(FR_DEV.glob("*.eml")):  # type: ignore[union-attr]
        parsed = parse_message(path.read_bytes())
        assert detect_bounce(parsed) is None, path.name
        assert detect_complaint(parsed) is None, path.name


# ---------------------------------------------------------------------------- issue 9: classes of unseen notices

def notice(subject: str, body: str, sender: str = "MAILER-DAEMON@mx.example.net",
           to: str = "team+b-zz9zz9zz9zz9zz9z@example.org", extra: str = "") -> ParsedMessage:
    return parse_message((f"From: {sender}\nTo: {to}\nSubject: {subject}\n{extra}\n{body}").encode())


def test_our_own_addresses_are_never_failed_recipients() -> None:
    """The fallback reads the returned original's To: when that is our envelope address, nobody failed."""
    parsed = notice("Undeliverable", "Delivery has failed to these recipients.\n\n"
                    "--- Below this line is a copy of the message.\n\nTo: team+b-zz9zz9zz9zz9zz9z@example.org\n"
                    "Subject: Bulletin\n")
    found = detect_bounce(parsed, is_ours=lambda a: a.endswith("@example.org") and a.startswith("team"))
    assert found is not None and found.recipients == ()


def test_qmail_layout_with_a_custom_intro_and_no_stock_phrase() -> None:
    body = ("Bonjour, ce serveur ne connaît personne de ce nom.\n\n<paul@example.net>:\n"
            "Sorry, no mailbox here by that name. (#5.1.1)\n\n--- Below this line is a copy of the message.\n")
    found = detect_bounce(notice("failure notice", body))
    assert found is not None and found.recipients == ("paul@example.net",) and found.permanent is True


def test_a_daemon_with_a_subject_outside_the_list() -> None:
    body = "|--- Failed addresses follow: ---|\n paul@example.net ... unknown host\n|--- Message text follows ---|\n"
    found = detect_bounce(notice("mail failed, returning to sender", body))
    assert found is not None and found.recipients == ("paul@example.net",)


def test_exchange_x400_and_bracketed_smtp_forms() -> None:
    body = ("Your message did not reach the following recipient(s):\n\n"
            "c=FR;a= ;p=ORG;o=Nexus;dda:SMTP=PAUL@EXAMPLE.NET; on Mon, 4 Oct 2026\n"
            "    The recipient name is not recognized\n"
            "Marie Curie [SMTP:marie@example.net] on Mon, 4 Oct 2026\n")
    found = detect_bounce(notice("Undeliverable: Bulletin", body, sender="postmaster@example.net"))
    assert found is not None and set(found.recipients) == {"paul@example.net", "marie@example.net"}


def test_the_address_we_wrote_to_not_its_alias_expansion() -> None:
    body = ("   ----- The following addresses had permanent fatal errors -----\npaul@relay.example.net\n"
            "    (expanded from: paul@example.net)\n\n   ----- Transcript of session follows -----\n"
            "550 5.1.1 User unknown\n")
    found = detect_bounce(notice("Returned mail: User unknown", body))
    assert found is not None and found.recipients == ("paul@example.net",)


def test_a_summary_of_the_original_is_no_recipient() -> None:
    body = ("Your message\n\n  To:      paul@example.net\n  Subject: Bulletin\n\n"
            "did not reach the following recipient(s):\n\nPaul Martin on Fri, 14 Sep 2026 18:52:54 +0300\n"
            "    The recipient was unavailable to take delivery of the message\n"
            "\n--- Below this line is a copy of the message.\n\nTo: paul@example.net\nSubject: Bulletin\n")
    found = detect_bounce(notice("Undeliverable: Bulletin", body, sender="postmaster@example.net"))
    assert found is not None and found.recipients == ()


def test_help_text_addresses_are_not_recipients() -> None:
    body = ("The address to which your message was addressed, paul@example.net, did not match a user here.\n"
            "The following locator information may be of help:\n  Paul Martin  +1 925-423-5635  pmartin4@example.net\n\n"
            "Original message as received is as follows:\n>Received: by mx.example.net for <paul@example.net>;\n")
    found = detect_bounce(notice("FAILED MAIL to \"paul\"", body, sender="postmaster@example.net"))
    assert found is not None and found.recipients == ("paul@example.net",)
    assert found.permanent is True                     # a phone number is no SMTP code


def test_a_mangled_daemon_from() -> None:
    body = ("Delivery of email to this address\n\n\"paul@example.net\"\n\nhas been postponed due to a full mailbox.\n"
            "We will continue to try to deliver your message over the next few days.\n")
    found = detect_bounce(notice("Mail Delivery Warning", body, sender="postmaster\\@example.net@example.net"))
    assert found is not None and found.recipients == ("paul@example.net",) and found.permanent is False


def test_a_final_failure_with_a_4xx_code_is_final_and_soft() -> None:
    body = ("Unable to deliver message to the following address(es).\n\n<paul@example.net>:\n"
            "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
            "I'm not going to try again; this message has been in the queue too long.\n")
    found = detect_bounce(notice("failure delivery", body))
    assert found is not None and found.permanent is None


def test_delivery_attempts_will_continue_is_a_delay() -> None:
    body = ("Your message could not be delivered to the following recipients:\n\npaul@example.net\n\n"
            "Delivery attempts will continue to be made for 5 day(s).\n")
    found = detect_bounce(notice("Delivery failure notification", body, sender="antivirus@example.net"))
    assert found is not None and found.permanent is False


def test_a_warning_subject_does_not_override_no_such_user() -> None:
    found = detect_bounce(notice("Warning: paul@example.net - User unknown!",
                                 "paul@example.net - no such user here.\n\nThere is no user by that name.\n",
                                 sender="mdaemon@example.net"))
    assert found is not None and found.permanent is True


def test_a_reply_code_in_the_status_field() -> None:
    raw = ("From: MAILER-DAEMON@mx.example.net\nTo: team@example.org\nSubject: Undelivered Mail\n"
           "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
           "--b\nContent-Type: text/plain\n\nFailed.\n--b\nContent-Type: message/delivery-status\n\n"
           "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; paul@example.net\nAction: failed\n"
           "Status: 550\n--b--\n").encode()
    found = detect_bounce(parse_message(raw))
    assert found is not None and found.failures[0].status == "550" and found.permanent is True


def test_failed_and_delayed_in_one_report_reports_the_failed() -> None:
    raw = ("From: MAILER-DAEMON@mx.example.net\nTo: team@example.org\nSubject: Undelivered Mail\n"
           "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
           "--b\nContent-Type: text/plain\n\nSome failed.\n--b\nContent-Type: message/delivery-status\n\n"
           "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; gone@example.net\nAction: failed\n"
           "Status: 5.1.1\n\nFinal-Recipient: rfc822; slow@example.net\nAction: delayed\nStatus: 4.4.7\n--b--\n").encode()
    found = detect_bounce(parse_message(raw))
    assert found is not None and found.recipients == ("gone@example.net",) and found.permanent is True


def test_a_delivery_report_wrapped_by_a_gateway() -> None:
    raw = ("From: postmaster@gateway.example.net\nTo: team+b-zz9zz9zz9zz9zz9z@example.org\n"
           "Subject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nDisclaimer.\n"
           "--o\nContent-Type: message/rfc822\n\nFrom: postmaster@inner.example.net\n"
           "To: team+b-zz9zz9zz9zz9zz9z@example.org\nSubject: Delivery Status Notification (Failure)\n"
           "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
           "--b\nContent-Type: text/plain\n\nFailed.\n--b\nContent-Type: message/delivery-status\n\n"
           "Reporting-MTA: dns; inner.example.net\n\nFinal-Recipient: rfc822; paul@example.net\nAction: failed\n"
           "Status: 5.1.1\n--b--\n--o--\n").encode()
    found = detect_bounce(parse_message(raw))
    assert found is not None and found.recipients == ("paul@example.net",) and found.permanent is True


def test_a_bounce_phrase_at_the_end_of_a_reply_subject() -> None:
    body = ("*****\nVotre message n'a pas pu etre delivre a\npaul@example.net\n\n*****\n"
            "Your message could not be delivered to\npaul@example.net\n")
    found = detect_bounce(notice("RE: Your message awaits approval : non remis (delivery failed)", body,
                                 sender="gateway.mail@example.net"))
    assert found is not None and found.recipients == ("paul@example.net",)


def test_the_x_failed_recipients_header_names_them_when_the_text_cannot() -> None:
    """Exim and Gmail name the failed addresses in a header, RFC 2047-encoded for a UTF-8 local part."""
    raw = ("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nTo: equipe@example.org\n"
           "X-Failed-Recipients: =?UTF-8?B?8J+QiEBleGFtcGxlLm9yZw==?=\n"
           "Subject: Delivery Status Notification (Failure)\nMessage-ID: <x@google.com>\n"
           "Date: Wed, 06 Aug 2014 08:51:12 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n"
           "Delivery to the following recipient failed permanently:\n\n     (an address we cannot print)\n\n"
           "Technical details of permanent failure:\n local-part of envelope contains utf8 but remote server did "
           "not offer SMTPUTF8\n").encode()
    found = detect_bounce(parse_message(raw))
    assert found is not None and found.recipients == ("\U0001f408@example.org",), found


def _ours(address: str) -> bool:
    return address.startswith("team") and address.endswith("@example.org")


def test_a_phishing_notice_naming_only_us_and_returning_nothing_is_not_a_bounce() -> None:
    """'Messages on hold for you@...' from a mailer-daemon lookalike: nobody of ours failed."""
    body = ("Message Delivery Failure\n\n(4) incoming messages for team@example.org are on hold.\n"
            "Release pending messages: https://example-org.verify.example/owa/?login=team@example.org\n")
    parsed = notice("Undelivered Mail Returned to Sender - (4) messages en attente", body, to="team@example.org")
    assert detect_bounce(parsed, is_ours=_ours) is None
    # the same words returning the mail we sent: a bounce (of nobody we can name), not phishing
    returned = notice("Undelivered Mail Returned to Sender", body + "\n--- Below this line is a copy of the message.\n"
                      "\nTo: team@example.org\nSubject: Bulletin\n", to="team@example.org")
    assert detect_bounce(returned, is_ours=_ours) is not None


def test_an_address_inside_a_link_is_not_a_recipient() -> None:
    body = ("Delivery has failed to these recipients:\n\npaul@example.net\n\n"
            "Help: https://help.example.net/ndr?for=marie@example.net\n")
    found = detect_bounce(notice("Undeliverable: Bulletin", body, sender="postmaster@example.net"))
    assert found is not None and found.recipients == ("paul@example.net",)


def test_a_message_id_in_a_session_transcript_is_not_a_recipient() -> None:
    body = ("The attached message had PERMANENT fatal delivery errors!\n\n--- Session Transcript ---\n"
            " Thu 2026-05-14 10:42:12.312: *  To: compta@example.net\n"
            " Thu 2026-05-14 10:42:12.312: *  Message-ID: <c.alert.13905.f1bb20.2e68b9@example.org>\n"
            " Thu 2026-05-14 10:42:12.375: <-- 550 5.1.1 User unknown\n--- End Transcript ---\n")
    found = detect_bounce(notice("Permanent Delivery Failure", body, sender="MDaemon@mail.example.net"))
    assert found is not None and found.recipients == ("compta@example.net",) and found.permanent is True


def test_an_exim_alias_failure_names_the_address_we_wrote_to() -> None:
    text = ("A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent "
            "error. The following address(es) failed:\n\n  target@orange.example\n    (generated from "
            "secretariat@asso.example)\n    550 5.1.1 <target@orange.example>: Invalid recipient\n")
    report = ("Reporting-MTA: dns; mail.asso.example\n\nAction: failed\nFinal-Recipient: rfc822;target@orange.example\n"
              "Status: 5.0.0\n")
    raw = (b"Return-Path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mail.asso.example>\nTo: team@example.org\n"
           b"Subject: Mail delivery failed: returning message to sender\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\n"
           b"Content-Type: text/plain\n\n" + text.encode() + b"\n--B\nContent-Type: message/delivery-status\n\n"
           + report.encode() + b"\n--B--\n")
    bounce = detect_bounce(parse_message(raw))
    assert bounce is not None and (bounce.recipients, bounce.permanent) == (("secretariat@asso.example",), True)
