"""Issue 9 §2, second part: a call for volunteers (campaign kind `call`) and its `+v-` reply
address, a short yes read as a certain sign-up; a request for the bulletin by mail through the
`+c-` double opt-in for the bulletin only."""

from __future__ import annotations

import json
import textwrap
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from conftest import SmtpServer
from dovecot import Dovecot
from inbound_fixtures import TEAM, Inbox, inbox_fixture, mail  # noqa: F401  (fixture)
from sending import write_campaign

from mailer.capture.devsmtp import MaildirWriter
from mailer.config import InboxConfig
from mailer.errors import CampaignError
from mailer.inbound.mime.parse import parse_message
from mailer.inbound.sources.imap import ImapSource, MaildirSource
from mailer.inbound.understand.callreply import CallAnswer, answer_of
from mailer.inbound.understand.classify import ReadingContext, read_message
from mailer.registry import load_directory
from mailer.models import Directory, Dossier, Group, Member
from mailer.outbound.campaigns import parse_campaign
from mailer.service import poll_once
from mailer.tokens import CONFIRM, VOLUNTEER, call_purpose, make_token, parse_sub_address, reply_purpose
from mailer.wording import BULLETIN_CONSENT_WORDING, wording_version

DIRECTORY = Directory(
    groups=(Group("G037", "Groupe 37 de Lyon", "groupe_local", "Lyon", "groupe37@example.org"),),
    dossiers=(Dossier("DI-2024-031", "Nadejda Kouznetsova", "Russie", "active", "ref@example.org", ["G037"]),),
    members=(Member("bernard@example.net", "Bernard Faure", "G037"),),
)
CALL_TO = f"protegeonslespersonnes+{VOLUNTEER}-{'a' * 20}@example.org"
QUOTED_CALL = ("\n\nLe 20 mars 2026 à 09:00, Protégeons les personnes <protegeonslespersonnes@example.org> a écrit :\n"
               "> Appel à bénévoles · dossier DI-2024-031\n> On a besoin de vous pour Nadejda Kouznetsova\n"
               "> Répondez simplement à ce message en quelques mots (« je suis partant·e »)\n")
YES = ["Je suis partant·e !", "partante !", "Ok pour moi", "Oui, comptez sur moi.", "Je m'inscris",
       "Bonjour,\n\nJe suis partante, pas de souci.\n\nBernard", "Partant !" + QUOTED_CALL]
NOT_YES = {"Pas cette fois, désolée.": CallAnswer.DECLINED, "Non merci.": CallAnswer.DECLINED,
           "Je ne suis pas partante cette fois.": CallAnswer.DECLINED,
           "Partante, mais c'est quand exactement ?": CallAnswer.TEXT,
           ("Bonjour, je suis partant en principe, mais il faudrait que je sache d'abord combien de temps cela "
            "prendrait chaque semaine et si je peux venir avec ma fille qui a quinze ans."): CallAnswer.TEXT}


def _reply(body: str, to: str = CALL_TO, sender: str = "bernard@example.net") -> bytes:
    return (f"From: Bernard Faure <{sender}>\nTo: {to}\nSubject: Re: Appel à bénévoles\n"
            "Date: Fri, 20 Mar 2026 10:00:00 +0100\nMessage-ID: <call-reply@example.net>\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body + "\n").encode()


def _context(address: str = "bernard@example.net") -> ReadingContext:
    bound = {"a" * 20: (address, "G037", "DI-2024-031")}
    return ReadingContext(team_address=TEAM, call_token=lambda t: bound.get(t.lower()))


# --- the token and the campaign ----------------------------------------------------------------

def test_the_call_token_is_its_own_and_bound_like_the_reply_token() -> None:
    secret = b"k" * 32
    token = make_token(secret, call_purpose("appel-mai", "DI-2024-031"), "bernard@example.net")
    assert token != make_token(secret, reply_purpose("appel-mai", "DI-2024-031"), "bernard@example.net")
    assert token != make_token(secret, call_purpose("appel-mai", "DI-2025-014"), "bernard@example.net")
    assert token != make_token(secret, call_purpose("appel-mai", "DI-2024-031"), "autre@example.net")
    assert parse_sub_address(TEAM, f"protegeonslespersonnes+v-{token}@example.org") == (VOLUNTEER, token)


def test_a_call_names_a_dossier() -> None:
    raw = {"name": "appel", "kind": "call", "subject": "Appel", "template": "call", "audience": "members"}
    with pytest.raises(CampaignError, match="dossier"):
        parse_campaign(raw, Path("appel.toml"))
    assert parse_campaign(raw | {"dossier": "DI-2024-031"}, Path("appel.toml")).kind == "call"


# --- the reading ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body", YES)
def test_a_short_yes_to_the_call_token_is_a_certain_sign_up(body: str) -> None:
    reading = read_message(parse_message(_reply(body)), DIRECTORY, _context())
    assert (reading.kind, reading.rule, reading.group, reading.dossier) == ("signup", "signup.call", "G037",
                                                                             "DI-2024-031")
    assert reading.confidence == 1.0 and reading.checks == () and reading.name == "Bernard Faure"


@pytest.mark.parametrize(("body", "answer"), NOT_YES.items())
def test_what_is_not_a_short_yes_is_read_as_usual_never_a_refusal_as_a_sign_up(body: str, answer: CallAnswer) -> None:
    assert answer_of(body) is answer
    reading = read_message(parse_message(_reply(body)), DIRECTORY, _context())
    assert reading.rule != "signup.call"
    assert reading.dossier == "DI-2024-031"                  # attributed to the call's dossier
    if answer is CallAnswer.DECLINED:
        assert (reading.kind, reading.rule) == ("other", "other.call_declined")
        assert reading.to_json()["dossier"] == "DI-2024-031"


def test_a_yes_without_the_token_proves_nothing() -> None:
    for to in (TEAM, f"protegeonslespersonnes+v-{'b' * 20}@example.org"):
        reading = read_message(parse_message(_reply("Je suis partante !", to=to)), DIRECTORY, _context())
        assert reading.rule != "signup.call" and reading.dossier is None


def test_a_yes_from_someone_the_call_was_not_sent_to_is_doubted() -> None:
    reading = read_message(parse_message(_reply("Partante !", sender="inconnue@example.com")), DIRECTORY,
                           _context())
    assert reading.rule == "signup.call" and reading.checks == ("call_other_writer",) and reading.confidence < 0.8


@pytest.mark.parametrize("body", ["Bonjour,\nje voudrais recevoir le bulletin.\nMerci\nMarie",
                                  "Pouvez-vous m'abonner à votre lettre d'information ?",
                                  "Inscrivez-moi à la newsletter svp"])
def test_a_request_for_the_bulletin_is_a_bulletin_sign_up(body: str) -> None:
    reading = read_message(parse_message(mail("marie@example.com", body)), DIRECTORY)
    assert (reading.kind, reading.rule, reading.scope) == ("signup", "signup.bulletin", "bulletin")
    assert reading.to_json()["scope"] == "bulletin"


@pytest.mark.parametrize("body", ["Je ne veux plus recevoir le bulletin.", "Merci pour le bulletin, très intéressant !",
                                  "Je voudrais devenir bénévole au groupe 37.",
                                  "Je souhaite bien sûr continuer à recevoir le bulletin."])
def test_other_words_about_the_bulletin_are_no_bulletin_sign_up(body: str) -> None:
    assert read_message(parse_message(mail("marie@example.com", body)), DIRECTORY).rule != "signup.bulletin"


# --- end to end: a call sent through the capture server, replies through the pipeline -----------

def _send_call(inbox: Inbox, smtp_server: SmtpServer, cli) -> EmailMessage:
    """A call to group G037 (its address and its members) for DI-2024-031; Bernard's copy."""
    campaign = inbox.config_path.parent / "appel.toml"
    campaign.write_text(textwrap.dedent("""\
        name = "appel-mai"
        kind = "call"
        subject = "Appel à bénévoles : {{ dossier.person }}"
        template = "call"
        audience = "group:G037"
        dossier = "DI-2024-031"
        [vars]
        need = "tenir un stand au marché de la Croix-Rousse"
        when = "samedi 4 avril"
        """), encoding="utf-8")
    result = cli(inbox.config_path, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 0, result.output
    delivered = {d.rcpt_tos[0]: d.message for d in smtp_server.handler.deliveries}
    return delivered["bernard.faure@example.net"]


def _answer_call(call: EmailMessage, body: str, to: str | None = None) -> bytes:
    quoted = "".join(f"> {line}\n" for line in call.get_body(("plain",)).get_content().splitlines())
    return (f"From: Bernard Faure <bernard.faure@example.net>\nTo: {to or call['Reply-To']}\n"
            f"Subject: Re: {call['Subject']}\nDate: Fri, 20 Mar 2026 10:00:00 +0100\n"
            f"Message-ID: <answer@example.net>\nIn-Reply-To: {call['Message-ID']}\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            f"{body}\n\nLe 20 mars 2026, Protégeons les personnes a écrit :\n{quoted}").encode()


def test_the_call_is_sent_with_the_recipient_s_own_reply_address(inbox: Inbox, smtp_server: SmtpServer, cli) -> None:
    call = _send_call(inbox, smtp_server, cli)
    prefix, token = parse_sub_address(TEAM, str(call["Reply-To"]))
    assert prefix == VOLUNTEER
    assert token == make_token(_secret(inbox), call_purpose("appel-mai", "DI-2024-031"), "bernard.faure@example.net")
    assert "appels." in str(call["List-Id"]) and call["List-Unsubscribe"]
    text = call.get_body(("plain",)).get_content()
    assert "Nadejda Kouznetsova" in text and "partant·e" in text and "DI-2024-031" in text


def _secret(inbox: Inbox) -> bytes:
    from mailer.inbound.pipeline import _readonly_secret
    return _readonly_secret(inbox.config, inbox.store)


def _process(inbox: Inbox, raw: bytes):
    """One poll of the Maildir (the service's: it sends the answers it recorded too)."""
    MaildirWriter(inbox.config.inbox.maildir).deliver(raw)
    return poll_once(inbox.config, inbox.store, MaildirSource(inbox.config.inbox), inbox.processor())


def _assert_signed_up(inbox: Inbox) -> None:
    [request] = inbox.docs("signup_requests")
    assert (request["email"], request["group"], request["dossier"]) == ("bernard.faure@example.net", "G037",
                                                                         "DI-2024-031")
    notices = [o for o in inbox.docs("outgoing") if o["kind"] == "referent_notice"]
    assert [n["to"] for n in notices] == ["claire.vasseur@example.org"]
    assert notices[0]["values"]["dossier"] == "DI-2024-031"
    assert inbox.docs("pending_people") == [] and inbox.docs("reports") == [] and inbox.docs("triage") == []
    assert [o["kind"] for o in inbox.docs("outgoing")] == ["referent_notice"]


@pytest.mark.parametrize("body", ["Je suis partant !", "ok pour moi\n\nBernard"])
def test_a_short_yes_to_the_delivered_call_signs_up_for_its_dossier(inbox: Inbox, smtp_server: SmtpServer, cli,
                                                                    body: str) -> None:
    summary = _process(inbox, _answer_call(_send_call(inbox, smtp_server, cli), body))
    assert summary.kinds["signup"] == 1
    _assert_signed_up(inbox)


@pytest.mark.parametrize("body", ["Pas cette fois, désolé.", "C'est à quelle heure, le stand ?"])
def test_a_refusal_or_a_question_to_the_delivered_call_is_no_sign_up(inbox: Inbox, smtp_server: SmtpServer, cli,
                                                                    body: str) -> None:
    _process(inbox, _answer_call(_send_call(inbox, smtp_server, cli), body))
    assert inbox.docs("signup_requests") == [] and inbox.docs("pending_people") == []
    assert inbox.docs("reports") == []
    [item] = inbox.docs("triage")
    assert item["reading"].get("dossier") == "DI-2024-031"


def test_a_forged_yes_without_the_token_is_read_as_usual(inbox: Inbox, smtp_server: SmtpServer, cli) -> None:
    call = _send_call(inbox, smtp_server, cli)
    forged = _answer_call(call, "Je suis partant !", to=TEAM)
    _process(inbox, forged)
    usual = read_message(parse_message(forged), load_directory(inbox.store.snapshot()))
    [inbound] = inbox.docs("inbound")
    assert inbound["rule"] == usual.rule != "signup.call"


def test_a_short_yes_to_the_call_over_real_imap(inbox: Inbox, smtp_server: SmtpServer, cli, dovecot: Dovecot,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot.append(_answer_call(_send_call(inbox, smtp_server, cli), "Partant, comptez sur moi."))
    monkeypatch.setenv("MAILER_TEST_IMAP_PASSWORD", dovecot.password)
    imap = InboxConfig(source="imap", host=dovecot.host, port=dovecot.port, security="none",
                       username=dovecot.user, password_env="MAILER_TEST_IMAP_PASSWORD")
    source = ImapSource(imap, timeout=5, backoff=(0.1, 0.2, 0.4))
    try:
        poll_once(inbox.config, inbox.store, source, inbox.processor())
    finally:
        source.close()
    _assert_signed_up(inbox)
    assert dovecot.count("INBOX") == 0


# --- end to end: the bulletin's double opt-in ----------------------------------------------------

def test_a_request_for_the_bulletin_goes_through_double_opt_in(inbox: Inbox, smtp_server: SmtpServer, cli) -> None:
    _process(inbox, mail("lectrice@example.com", "Bonjour,\n\nJe voudrais recevoir le bulletin.\n\nAnne Lectrice\n",
                         subject="Bulletin", name="Anne Lectrice", message_id="<bull@example.com>"))
    [pending] = inbox.store.snapshot().docs("subscribers")
    assert (pending["email"], pending["status"]) == ("lectrice@example.com", "pending")
    assert inbox.docs("members") and all(m["email"] != "lectrice@example.com" for m in inbox.docs("members"))
    [inbound] = [d for d in inbox.docs("inbound") if d["sender"] == "lectrice@example.com"]
    assert (inbound["rule"], inbound["disposition"]) == ("signup.bulletin", "apply")
    [request] = [d.message for d in smtp_server.handler.deliveries if d.rcpt_tos == ["lectrice@example.com"]]
    body = " ".join(request.get_body(("plain",)).get_content().split())
    assert "demande d'abonnement à notre bulletin" in body and "proposition d'aide bénévole" not in body
    assert BULLETIN_CONSENT_WORDING in body
    confirm_to = request["Reply-To"].addresses[0].addr_spec
    assert parse_sub_address(TEAM, confirm_to)[0] == CONFIRM

    # her "oui" to her +c- address
    inbox.clock.advance(0.01)
    reply = (f"From: lectrice@example.com\nTo: {confirm_to}\nSubject: Re: {request['Subject']}\n"
             f"Date: Fri, 20 Mar 2026 11:00:00 +0100\nMessage-ID: <yes@example.com>\n"
             f"In-Reply-To: {request['Message-ID']}\nContent-Type: text/plain; charset=utf-8\n\nOui\n").encode()
    _process(inbox, reply)
    [subscriber] = inbox.docs("subscribers")
    assert (subscriber["email"], subscriber["status"]) == ("lectrice@example.com", "active")
    assert all(m["email"] != "lectrice@example.com" for m in inbox.docs("members"))
    [consent] = [c for c in inbox.mail_consents() if c["email"] == "lectrice@example.com"]
    assert consent["list"] == "subscribers" and consent["request_message_id"] == str(request["Message-ID"])
    assert consent["signup_message_id"] == "<bull@example.com>"
    assert consent["wording_version"] == wording_version(inbox.config, "bulletin")
    texts = {w["version"]: w["text"] for w in inbox.docs("consent_wordings")}
    assert texts[consent["wording_version"]] == BULLETIN_CONSENT_WORDING
    assert not [o for o in inbox.docs("outgoing") if o["kind"] == "referent_notice"]
    shown = cli(inbox.config_path, "person", "consent", "lectrice@example.com")
    assert shown.exit_code == 0 and "subscribers" in shown.output

    # an existing subscriber asking again gets no second request
    inbox.clock.advance(2)
    _process(inbox, mail("lectrice@example.com", "Je voudrais recevoir le bulletin.", message_id="<again@example.com>"))
    assert [o["kind"] for o in inbox.docs("outgoing")].count("confirm_request") == 1

    # the next bulletin reaches her
    before = len(smtp_server.handler.deliveries)
    campaign = write_campaign(inbox.config_path.parent, name="bulletin-avril", kind="bulletin", audience='["subscribers"]')
    campaign.write_text(campaign.read_text(encoding="utf-8").replace('template = "alert"', 'template = "action_alert"'),
                        encoding="utf-8")
    result = cli(inbox.config_path, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 0, result.output
    reached = [d.rcpt_tos for d in smtp_server.handler.deliveries[before:]]
    assert ["lectrice@example.com"] in reached                  # (and the coordinators' notice that it went)
    assert all(r == ["lectrice@example.com"] or "coordination@example.org" in r for r in reached)


def test_the_bulletin_sign_up_shows_its_scope(inbox: Inbox, cli) -> None:
    raw = mail("lecteur@example.com", "Inscrivez-moi à la newsletter svp")
    path = inbox.config_path.parent / "bull.eml"
    path.write_bytes(raw)
    result = cli(inbox.config_path, "parse", "--json", str(path))
    assert result.exit_code == 0, result.output
    doc: Any = json.loads(result.output)
    doc = doc[0] if isinstance(doc, list) else doc
    assert (doc["kind"], doc["rule"], doc["scope"]) == ("signup", "signup.bulletin", "bulletin")


def test_a_triaged_bulletin_request_shows_its_scope_and_accept_keeps_it(inbox: Inbox, cli) -> None:
    # An empty return path: the inbox may not answer, so the request waits for a person.
    _process(inbox, mail("lecteur@example.com", "Pouvez-vous m'abonner à votre lettre d'information ?",
                         extra="Return-Path: <>\n", message_id="<b2@example.com>"))
    [item] = inbox.docs("triage")
    assert item["reading"]["scope"] == "bulletin"
    shown = cli(inbox.config_path, "triage", "show", str(item["id"]))
    assert shown.exit_code == 0 and "bulletin" in shown.output and "scope" in shown.output, shown.output
    done = cli(inbox.config_path, "triage", "accept", str(item["id"]), "--by", "claire")
    assert done.exit_code == 0 and "bulletin" in done.output, done.output
    [person] = inbox.docs("pending_people")
    assert (person["email"], person["scope"], person["group"]) == ("lecteur@example.com", "bulletin", None)
    assert [(s["email"], s["status"]) for s in inbox.docs("subscribers")] == [("lecteur@example.com", "pending")]
    [request] = [o for o in inbox.docs("outgoing") if o["kind"] == "confirm_request"]
    assert request["values"]["scope"] == "bulletin" and "+c-" in request["reply_to"]
