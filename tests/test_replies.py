"""Issue 9 §2: an alert's or a reminder's `+r-` reply address, its fill-in block read back with
certainty, and the templates' own examples read back exactly."""

from __future__ import annotations

import re
import textwrap
import time
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from html import unescape
from pathlib import Path

import pytest
from conftest import SmtpServer
from dovecot import Dovecot
from inbound_fixtures import Inbox, inbox_fixture  # noqa: F401  (fixture)

from mailer.capture.devsmtp import MaildirWriter
from mailer.config import InboxConfig, parse_config
from mailer.inbound.mime.htmlscan import readable_text as html_to_text
from mailer.inbound.mime.parse import parse_message
from mailer.inbound.pipeline import Processor
from mailer.inbound.sources.imap import ImapSource, MaildirSource
from mailer.inbound.understand.classify import ReadingContext, read_message
from mailer.inbound.understand.replyform import LABELS, read_form, without_form
from mailer.models import Directory, Dossier, Group, Recipient
from mailer.outbound.campaigns import parse_campaign
from mailer.outbound.files import read_attachments, template_loader
from mailer.outbound.render import CampaignRenderer, RenderOptions
from mailer.service import poll_once
from mailer.tokens import REPLY, ReplyIndex, make_token, parse_sub_address, reply_purpose, sub_address

REPO = Path(__file__).resolve().parent.parent
TEAM = "protegeonslespersonnes@example.org"
SENT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
DIRECTORY = Directory(
    groups=(Group("G037", "Groupe 37 de Lyon", "groupe_local", "Lyon", "groupe37@example.org"),),
    dossiers=(Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", "ref@example.org", ["G037"]),),
)
FILLED = """Lettres aux autorités : 12
Cartes de soutien :
Signatures : 85
Élu·es rencontré·es : 1
Événements et date : 1 stand le 14 mai
Partenaires : LDH, Secours catholique
Fonds € et date : 150 € le 3 mai
"""
EXPECTED = [("letter_authorities", 12, None, None), ("petition", 85, None, None), ("advocacy", 1, None, None),
            ("awareness", 1, None, "2026-05-14"), ("collaboration", None, None, None), ("fund", None, 150, "2026-05-03")]


def _actions(actions) -> list[tuple]:
    return [(a.type.value, a.count, a.amount_eur, a.date.isoformat() if a.date else None) for a in actions]


# --- the reader ------------------------------------------------------------------------------

def test_an_unquoted_filled_block_is_read_exactly() -> None:
    form = read_form("Bonjour, voici nos chiffres.\n\n" + FILLED + "\nBien à vous,\nLéa", SENT)
    assert form is not None and _actions(form.actions) == EXPECTED and form.unread == ()


@pytest.mark.parametrize("quote", ["> ", ">", ">> ", "> > "])
def test_a_block_filled_inside_the_quoted_alert_is_read(quote: str) -> None:
    text = "Voilà !\n\nLe 1 juin 2026, l'équipe a écrit :\n" + "".join(quote + line + "\n" for line in FILLED.splitlines())
    form = read_form(text, SENT)
    assert form is not None and _actions(form.actions) == EXPECTED


def test_a_block_from_an_html_reply_turned_to_text_is_read() -> None:
    html = ("<div>Voici notre bilan.</div><blockquote><p class=\"form\">"
            + "<br>\n".join(f"<b>{line.split(':')[0]}:</b>{line.split(':', 1)[1]}" for line in FILLED.splitlines())
            + "</p></blockquote>")
    raw = (f"From: groupe37@example.org\nTo: {TEAM}\nSubject: Re: alerte\nDate: Mon, 01 Jun 2026 09:00:00 +0000\n"
           "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
           + html).encode()
    parsed = parse_message(raw)
    assert parsed.text_source == "html"
    form = read_form(parsed.text, parsed.date)
    assert form is not None and _actions(form.actions) == EXPECTED
    assert _actions(read_form(html_to_text(html), SENT).actions) == EXPECTED


def test_the_empty_block_and_a_stray_label_are_no_form() -> None:
    empty = "".join(f"> {label} :\n" for label in LABELS)
    assert read_form("Merci, on s'y met.\n\n" + empty, SENT) is None
    assert read_form("Signatures : 85, super !", SENT) is None          # one label is free text, not the block


def test_a_filled_copy_above_the_quoted_empty_block_wins() -> None:
    empty = "".join(f"> {label} :\n" for label in LABELS)
    form = read_form(FILLED + "\n" + empty, SENT)
    assert form is not None and _actions(form.actions) == EXPECTED


def test_values_in_other_shapes() -> None:
    text = textwrap.dedent("""\
        Lettres aux autorités : douze lettres
        Cartes de soutien : 0
        Signatures : aucune
        Élus rencontrés : 2 (la députée et le sénateur)
        Événements et date : 2 : 14/05 et 21/05
        Partenaires : 3
        Fonds € et date : 30 € le 2 mai et 45,50 € le 9 mai
        """)
    form = read_form(text, SENT)
    assert form is not None and form.unread == ()
    assert _actions(form.actions) == [("letter_authorities", 12, None, None), ("advocacy", 2, None, None),
                                      ("awareness", 1, None, "2026-05-14"), ("awareness", 1, None, "2026-05-21"),
                                      ("collaboration", None, None, None), ("fund", None, 30, "2026-05-02"),
                                      ("fund", None, 45.5, "2026-05-09")]


def test_a_value_not_read_whole_is_named_never_guessed() -> None:
    form = read_form("Lettres aux autorités : beaucoup\nSignatures : 85\nPartenaires :\n", SENT)
    assert form is not None and form.unread == ("Lettres aux autorités",)
    assert _actions(form.actions) == [("petition", 85, None, None)]
    form = read_form("Lettres aux autorités : 3\nSignatures : 85\n> Signatures : 90\nPartenaires :\n", SENT)
    assert form is not None and form.unread == ("Signatures",)


def test_without_form_keeps_the_words_around_the_block() -> None:
    rest = without_form("Bonjour.\n" + FILLED + "Nous avons aussi rencontré le maire.\n")
    assert rest == "Bonjour.\nNous avons aussi rencontré le maire.\n"


# --- the token -------------------------------------------------------------------------------

def test_the_reply_token_is_bound_to_address_campaign_and_dossier() -> None:
    secret = b"k" * 32
    token = make_token(secret, reply_purpose("alerte-mai", "DI-2025-014"), "groupe37@example.org")
    assert token != make_token(secret, reply_purpose("alerte-juin", "DI-2025-014"), "groupe37@example.org")
    assert token != make_token(secret, reply_purpose("alerte-mai", "DI-2024-031"), "groupe37@example.org")
    assert token != make_token(secret, reply_purpose("alerte-mai", "DI-2025-014"), "autre@example.org")
    address = sub_address(TEAM, REPLY, token)
    assert parse_sub_address(TEAM, address) == (REPLY, token)
    index = ReplyIndex(secret)
    index.add("alerte-mai", "DI-2025-014", [("Groupe37@example.org", "G037")])
    assert index.resolve(token.upper()) == ("groupe37@example.org", "G037", "DI-2025-014", "alerte-mai")
    assert index.resolve("0" * 20) is None


def _reply(to: str, body: str, sender: str = "groupe37@example.org") -> bytes:
    return (f"From: {sender}\nTo: {to}\nSubject: Re: Action urgente\nDate: Mon, 01 Jun 2026 09:00:00 +0000\n"
            "Message-ID: <r1@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\n" + body).encode()


def _context(bound: dict[str, tuple[str | None, str | None]]) -> ReadingContext:
    return ReadingContext(team_address=TEAM, reply_token=lambda t: bound.get(t.lower()))


def test_a_reply_to_the_token_with_the_block_is_a_certain_report() -> None:
    to = sub_address(TEAM, REPLY, "a" * 20)
    reading = read_message(parse_message(_reply(to, "Bonjour,\n\n" + FILLED + "\nLéa\n")), DIRECTORY,
                           _context({"a" * 20: ("G037", "DI-2025-014")}))
    assert (reading.kind, reading.rule, reading.group, reading.dossier) == ("report", "report.form", "G037", "DI-2025-014")
    assert _actions(reading.actions) == EXPECTED and reading.confidence == 1.0 and reading.checks == ()


def test_free_text_around_the_block_is_read_as_any_report() -> None:
    to = sub_address(TEAM, REPLY, "a" * 20)
    body = "Bonjour,\n\n" + FILLED + "\nNous avons aussi envoyé 4 cartes de soutien à Leïla.\n"
    reading = read_message(parse_message(_reply(to, body)), DIRECTORY, _context({"a" * 20: ("G037", "DI-2025-014")}))
    assert reading.kind == "report" and reading.group == "G037"
    assert ("letter_support", 4, None, None) in _actions(reading.actions)
    assert _actions(reading.actions)[:len(EXPECTED)] == EXPECTED       # the block's figures, not counted twice


def test_a_token_we_did_not_mint_or_no_block_is_no_form_reading() -> None:
    to = sub_address(TEAM, REPLY, "b" * 20)
    reading = read_message(parse_message(_reply(to, FILLED)), DIRECTORY, _context({}))
    assert reading.rule != "report.form"
    ours = sub_address(TEAM, REPLY, "a" * 20)
    reading = read_message(parse_message(_reply(ours, "Nous avons envoyé 3 lettres au préfet.\n")), DIRECTORY,
                           _context({"a" * 20: ("G037", "DI-2025-014")}))
    assert reading.rule == "report.actions"


# --- rendering: the Reply-To and the templates' examples ---------------------------------------

def _renderer(template: str, kind: str, **fields) -> CampaignRenderer:
    raw = {"team": {"name": "Protégeons les personnes", "address": TEAM},
           "campaigns": {"templates": str(REPO / "templates")}}
    config = parse_config(raw, REPO / "config.toml")
    campaign = parse_campaign({"name": "alerte-mai", "kind": kind, "subject": "Action : {{ dossier.person }}",
                               "template": template, "audience": "dossier:DI-2025-014", "dossier": "DI-2025-014",
                               "vars": {"deadline": "15 décembre"}} | fields, REPO / "c.toml")
    return CampaignRenderer(config, campaign, DIRECTORY, b"secret-key", RenderOptions("s4lt", date(2026, 6, 1), time.time),
                            template_loader(config), read_attachments(campaign))


GROUP = Recipient("groupe37@example.org", "Groupe 37 de Lyon", "group", "G037")


def _parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


@pytest.mark.parametrize(("template", "kind"), [("action_alert", "alert"), ("reminder", "reminder")])
def test_alerts_and_reminders_reply_to_the_recipient_s_token(template: str, kind: str) -> None:
    message = _parse(_renderer(template, kind).build(GROUP, 0).data)
    token = make_token(b"secret-key", reply_purpose("alerte-mai", "DI-2025-014"), GROUP.email)
    assert message.get_all("Reply-To") == [sub_address(TEAM, REPLY, token)]


def test_other_kinds_and_an_explicit_reply_to_keep_the_static_header() -> None:
    assert _parse(_renderer("action_alert", "custom").build(GROUP, 0).data).get_all("Reply-To") == [TEAM]
    explicit = _renderer("action_alert", "alert", reply_to="coord@example.org").build(GROUP, 0).data
    assert _parse(explicit).get_all("Reply-To") == ["coord@example.org"]


def _parts(template: str, kind: str) -> tuple[str, str]:
    message = _parse(_renderer(template, kind).build(GROUP, 0).data)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def _examples(text: str) -> list[str]:
    """The line each 'par exemple :' introduces."""
    lines = [line.strip() for line in text.splitlines()]
    return [next(line for line in lines[i + 1:] if line) for i, line in enumerate(lines)
            if re.search(r"par exemple\s*:$", line, re.I)]


EXAMPLES = {"action_alert": [("letter_authorities", 12, None, None), ("petition", 85, None, None),
                             ("advocacy", 1, None, None)],
            "reminder": [("letter_authorities", 9, None, None), ("petition", 40, None, None),
                         ("awareness", 1, None, None)]}


@pytest.mark.parametrize(("template", "kind"), [("action_alert", "alert"), ("reminder", "reminder")])
def test_the_templates_examples_are_read_back_exactly(template: str, kind: str) -> None:
    text, html = _parts(template, kind)
    html_text = html_to_text(unescape(re.sub(r"\s+", " ", html)))
    for shown in (text, html_text):
        [example] = _examples(shown)
        reading = read_message(parse_message(_reply(TEAM, example + "\n")), DIRECTORY)
        assert (reading.kind, reading.dossier) == ("report", "DI-2025-014"), example
        assert _actions(reading.actions) == EXAMPLES[template], example


@pytest.mark.parametrize(("template", "kind"), [("action_alert", "alert"), ("reminder", "reminder")])
def test_both_parts_show_the_empty_block_and_it_fills_in(template: str, kind: str) -> None:
    text, html = _parts(template, kind)
    for shown in (text, html_to_text(html)):
        assert all(f"{label} :" in shown for label in LABELS)
        quoted = "".join(f"> {line}\n" for line in shown.splitlines())
        assert read_form(quoted, SENT) is None                      # as sent, nothing is filled in
        filled = quoted.replace("> Signatures :", "> Signatures : 85")
        assert _actions(read_form(filled, SENT).actions) == [("petition", 85, None, None)]


def test_inbound_answer_templates_show_no_example_to_read_back() -> None:
    """The answers the inbox sends show no example of a report (the acknowledgement's summary is
    what was read, not wording to copy): nothing there for the reading to get wrong."""
    for path in sorted((REPO / "templates" / "inbound").glob("*.txt")):
        assert _examples(path.read_text(encoding="utf-8")) == [], path.name


# --- end to end: send, reply, process --------------------------------------------------------

def _send_alert_and_reply(inbox: Inbox, smtp_server: SmtpServer, cli) -> bytes:
    """Send an alert through the capture server; the group's reply to its Reply-To, the block
    filled inside the quoted alert as a mail client quotes it."""
    campaign = inbox.config_path.parent / "alerte.toml"
    campaign.write_text(textwrap.dedent("""\
        name = "alerte-mai"
        kind = "alert"
        subject = "Action urgente : {{ dossier.person }}"
        template = "action_alert"
        audience = "dossier:DI-2024-031"
        dossier = "DI-2024-031"
        [vars]
        deadline = "15 décembre"
        """), encoding="utf-8")
    result = cli(inbox.config_path, "campaign", "send", str(campaign), "--yes")
    assert result.exit_code == 0, result.output
    delivered = {d.rcpt_tos[0]: d.message for d in smtp_server.handler.deliveries}
    alert = delivered["groupe37.lyon@example.org"]
    reply_to = str(alert["Reply-To"])
    assert parse_sub_address(TEAM, reply_to)[0] == REPLY
    quoted = "".join(f"> {line}\n" for line in alert.get_body(("plain",)).get_content().splitlines())
    for label, value in [("Lettres aux autorités", "12"), ("Signatures", "85"), ("Fonds € et date", "150 € le 3 mars")]:
        quoted = quoted.replace(f"> {label} :\n", f"> {label} : {value}\n")
    return (f"From: Groupe 37 <groupe37.lyon@example.org>\nTo: {reply_to}\nSubject: Re: {alert['Subject']}\n"
            f"Date: Fri, 20 Mar 2026 08:00:00 +0100\nMessage-ID: <reply-g37@example.org>\n"
            f"In-Reply-To: {alert['Message-ID']}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\nBonjour, voici nos chiffres dans le formulaire.\n\nLe groupe 37\n\n"
            + quoted).encode()


def _assert_applied(inbox: Inbox, summary) -> None:
    assert summary.fetched == 1 and summary.folders["processed"] == 1 and summary.kinds["report"] == 1
    [report] = inbox.docs("reports")
    assert (report["group"], report["dossier"]) == ("G037", "DI-2024-031")
    assert sorted((a["type"], a.get("count"), a.get("amount_eur"), a.get("date")) for a in report["actions"]) == [
        ("fund", None, 150, "2026-03-03"), ("letter_authorities", 12, None, None), ("petition", 85, None, None)]
    assert inbox.docs("triage") == []


def test_an_alert_sent_replied_to_and_applied(inbox: Inbox, smtp_server: SmtpServer, cli) -> None:
    MaildirWriter(inbox.config.inbox.maildir).deliver(_send_alert_and_reply(inbox, smtp_server, cli))
    processor = Processor(inbox.config, inbox.store, clock=inbox.clock)
    _assert_applied(inbox, poll_once(inbox.config, inbox.store, MaildirSource(inbox.config.inbox), processor))


def test_an_alert_reply_over_real_imap(inbox: Inbox, smtp_server: SmtpServer, cli, dovecot: Dovecot,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot.append(_send_alert_and_reply(inbox, smtp_server, cli))
    monkeypatch.setenv("MAILER_TEST_IMAP_PASSWORD", dovecot.password)
    imap = InboxConfig(source="imap", host=dovecot.host, port=dovecot.port, security="none",
                       username=dovecot.user, password_env="MAILER_TEST_IMAP_PASSWORD")
    source = ImapSource(imap, timeout=5, backoff=(0.1, 0.2, 0.4))
    processor = Processor(inbox.config, inbox.store, clock=inbox.clock)
    try:
        _assert_applied(inbox, poll_once(inbox.config, inbox.store, source, processor))
    finally:
        source.close()
    assert dovecot.count("INBOX") == 0
