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
from corpora import BOUNCES, FR_DEV, INBOUND, ROWS

TOKEN = "k3jx7qp2mzt5w4ra"
TOKENS = {TOKEN: "marie.dupont@example.net"}

# file -> {field: (what the corpus expects, what we read today)}. Kind misses: none today.
KNOWN_MISSES: dict[str, dict[str, tuple[object, object]]] = {
    # recipients: the corpus counts sisimai's rows; we find another number of addresses
    "messages/sisimai/lhost-fml-02.eml": {"recipients": (1, ["neko-nyaan-ctl@example.org",
                                                            "neko-nyaan@example.org"])},
    "messages/sisimai/rfc3464-01.eml": {"recipients": (2, ["userunknown@bouncehammer.jp"])},
    "messages/sisimai/rhost-cox-01.eml": {"recipients": (2, ["recipient55@cox.net"])},
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


def test_permanence_misses_are_contradictory_reports() -> None:
    """The permanence misses left are all "Action: failed" with a 4.x.x Status, None by design."""
    for file, fields in KNOWN_MISSES.items():
        if "permanent" in fields:
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
    ("sisimai/rfc3464-35.eml", {"kijitora@nyaan.example.com", "sabatora@cat.example.net",
                                "mikeneko@neko.example.or.jp"}, None, "dsn"),          # failed + delayed
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
    assert bounce.failures[0].recipient == "marie.d@forward.example.net"    # the alias the report names
    without = detect_bounce(parsed)
    assert without is not None and without.recipients == ("marie.d@forward.example.net",)
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
