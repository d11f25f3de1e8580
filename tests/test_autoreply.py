"""Automatic replies: RFC 3834 headers, machine subjects, French and English notices; people are left alone."""

from __future__ import annotations

import json

import pytest

from mailer.inbound.understand.autoreply import RULES, detect_auto_reply
from mailer.inbound.understand.bounces import detect_bounce
from mailer.inbound.understand.complaints import detect_complaint
from mailer.inbound.understand.dsn import detect_delivery_notice
from mailer.inbound.mime.parse import ParsedMessage, parse_message

from corpora import BOUNCES, DATA, FR_DEV, INBOUND, ROWS  # noqa: F401


def mail(subject: str, body: str, headers: str = "") -> ParsedMessage:
    raw = (f"From: Léa Martin <lea.martin@example.org>\nTo: protegeonslespersonnes@example.org\n"
           f"Subject: {subject}\n{headers}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}")
    return parse_message(raw.encode("utf-8"))


def test_rules_have_unique_names() -> None:
    names = [name for name, _ in RULES]
    assert len(names) == len(set(names))


# ---------------------------------------------------------------------------- the corpora

@pytest.mark.parametrize("row", [r for r in ROWS if r["kind"] == "auto_reply"], ids=lambda r: r["file"])
def test_corpus_auto_replies(row: dict) -> None:
    assert detect_auto_reply(parse_message((BOUNCES / row["file"]).read_bytes())) is not None


def test_corpus_other_mail_is_not_an_auto_reply() -> None:
    flagged = []
    for row in ROWS:
        if row["kind"] != "other":
            continue
        parsed = parse_message((BOUNCES / row["file"]).read_bytes())
        if detect_complaint(parsed) or detect_delivery_notice(parsed):
            continue                      # the classifier settles these before asking about auto-replies
        if detect_auto_reply(parsed):
            flagged.append(row["file"])
    assert flagged == []


@pytest.mark.skipif(FR_DEV is None, reason="fr-dev corpus not available")
def test_fr_dev_kinds() -> None:
    for line in (FR_DEV / "expected.jsonl").open(encoding="utf-8"):  # type: ignore[union-attr]
        row = json.loads(line)
        rule = detect_auto_reply(parse_message((FR_DEV / row["file"]).read_bytes()))  # type: ignore[operator]
        assert (rule is not None) == (row["kind"] == "auto_reply"), (row["file"], rule)


# ---------------------------------------------------------------------------- our samples

@pytest.mark.parametrize("name, rule", [
    ("fr-autoreply-zimbra.eml", "auto-submitted"),
    ("fr-autoreply-outlook.eml", "subject"),             # "Réponse automatique :" in Latin-1, CRLF
    ("fr-autoreply-text-only.eml", "text-out-of-office"),  # no header says it: the text does
    ("fr-human-holidays.eml", None),                     # a report that mentions holidays and absence
    ("en-human-vacation.eml", None),
    ("reply-outlook-fr.eml", None),
    ("forward-rfc822.eml", None),
    ("html-only.eml", None),
])
def test_samples(name: str, rule: str | None) -> None:
    assert detect_auto_reply(parse_message((INBOUND / name).read_bytes())) == rule


# ---------------------------------------------------------------------------- rules one by one

@pytest.mark.parametrize("subject, body, headers, rule", [
    ("Re: Bulletin", "Merci.", "Auto-Submitted: auto-replied\n", "auto-submitted"),
    ("Re: Bulletin", "Merci.", "Auto-Submitted: auto-generated\n", "auto-submitted"),
    ("Re: Bulletin", "Merci, je signe !", "Auto-Submitted: no\n", None),          # RFC 3834: a person
    ("Re: Bulletin", "Absent.", "X-Autoreply: yes\n", "x-autoreply"),
    ("Re: Bulletin", "Absent.", "X-Autorespond: Re: Bulletin\n", "x-autoreply"),
    ("Bulletin", "Absent.", "Precedence: auto_reply\n", "precedence-auto-reply"),
    ("Réponse automatique : Bulletin n°43", "Je suis absente.", "", "subject"),
    ("Automatic reply: Appeal", "I am away.", "", "subject"),
    ("Out of Office: Appeal", "Away.", "", "subject"),
    ("Absence du bureau", "Bonjour.", "", "subject"),
    ("AutoReply: x", "x", "", "subject"),
    ("Message automatique", "x", "", "subject"),
    ("Thank you for your email", "We will reply soon.", "Precedence: bulk\n", "precedence-bulk-subject"),
    ("Vacances", "x", "Precedence: junk\n", "precedence-bulk-subject"),
    ("Appel à signatures", "Je suis absent jusqu'au 9 mars.", "X-Auto-Response-Suppress: All\n", "exchange-oof"),
    ("Re: Bulletin", "Ceci est une réponse automatique.\nJe vous répondrai plus tard.", "", "text-declared"),
    ("Re: Bulletin", "This is an automated reply. I am travelling.", "", "text-declared"),
    ("Re: Bulletin", "I am out of the office until Monday. Your message will not be forwarded.", "",
     "text-out-of-office"),
    ("Re: Rappel : vos bilans", "Absent jusqu'au 31 août, réponse à mon retour.\nSylvain\n\nEnvoyé de mon iPhone",
     "", "text-out-of-office"),     # a phone's notice: what becomes of our message, and when
    # people
    ("Absente samedi pour le stand", "Je ne pourrai pas venir samedi, désolée. Paul me remplace.", "", None),
    ("Congés et permanence", "Pendant mes congés du 3 au 10 mars, Paul tiendra la permanence.", "", None),
    ("Re: Bulletin", "Merci pour votre message ! Je suis en vacances mais je signe la pétition.", "", None),
    ("Re: Bulletin", "Je serai absente jusqu'au 10 mars ; en cas d'urgence, contactez Paul.", "", None),
    ("Mes vacances solidaires", "J'ai parlé du dossier pendant mes vacances : 12 signatures.", "Precedence: list\n",
     None),
    ("Appel à signatures", "Voici nos 40 signatures.", "X-Auto-Response-Suppress: All\n", None),
    # a mail client's one-click unsubscribe is automatic, but it must reach the unsubscribe rule
    ("unsubscribe", "Apple Mail sent this email to unsubscribe.",
     "Auto-Submitted: auto-replied\nX-Apple-Unsubscribe: true\n", None),
])
def test_rule(subject: str, body: str, headers: str, rule: str | None) -> None:
    assert detect_auto_reply(mail(subject, body, headers)) == rule


# issue 9: auto-reply subjects in Polish, Dutch, Portuguese, Swedish and Finnish (our own examples)
@pytest.mark.parametrize("subject, body, headers", [
    ("Odpowiedź automatyczna: Biuletyn nr 12", "Jestem na urlopie do 15 maja.", ""),
    ("Automatyczna odpowiedź", "Dziękuję za wiadomość.", ""),
    ("Nieobecność", "Wracam w poniedziałek.", "Precedence: bulk\n"),
    ("Automatisch antwoord: Nieuwsbrief", "Ik ben afwezig tot 3 juni.", ""),
    ("Afwezig", "Ik ben terug op maandag.", "Precedence: bulk\n"),
    ("Resposta automática: Boletim", "Estou de férias até dia 10.", ""),
    ("Ausente do escritório", "Volto na segunda-feira.", ""),
    ("Automatiskt svar: Nyhetsbrev", "Jag är på semester till den 4 augusti.", ""),
    ("Frånvarande", "Åter den 4 augusti.", "Precedence: junk\n"),
    ("Automaattinen vastaus: Tiedote", "Olen lomalla 20.7. asti.", ""),
    ("Poissa toimistolta", "Palaan maanantaina.", ""),
])
def test_auto_reply_subjects_in_other_languages(subject: str, body: str, headers: str) -> None:
    assert detect_auto_reply(mail(subject, body, headers)) in ("subject", "precedence-bulk-subject")


def test_long_text_is_never_an_out_of_office_notice() -> None:
    body = ("Je suis absente du 2 au 16 mars. Votre message ne sera pas transféré.\n\n"
            + "Voici le compte rendu détaillé de notre réunion publique. " * 30)
    assert detect_auto_reply(mail("Re: Bulletin", body)) is None


def test_bounces_also_look_automatic() -> None:
    """A bounce carries Auto-Submitted too; the classifier asks the bounce detector first."""
    parsed = parse_message((INBOUND / "verp-bounce-postfix.eml").read_bytes())
    assert detect_bounce(parsed) is not None
    assert detect_auto_reply(parsed) == "auto-submitted"


def test_a_challenge_response_request_is_no_auto_reply_to_ignore() -> None:
    raw = ("Return-Path: <>\nFrom: \"contact@cabinet.example via Mailinblack\" <noreply@mailinblack.example>\n"
           "To: team@example.org\nSubject: Votre message est en attente de validation\nAuto-Submitted: auto-replied\n"
           "Precedence: bulk\nContent-Type: text/plain; charset=utf-8\n\nBonjour,\n\nAfin de distribuer votre "
           "message, nous avons besoin de vérifier que vous n'êtes pas un robot. Cliquez sur le lien ci-dessous.\n")
    parsed = parse_message(raw.encode())
    assert detect_auto_reply(parsed) is None
    holiday = parse_message(raw.replace("en attente de validation", "Absent").replace(
        "Afin de distribuer votre message, nous avons besoin de vérifier que vous n'êtes pas un robot. Cliquez sur "
        "le lien ci-dessous.", "Je suis absente jusqu'au 12 mars.").encode())
    assert detect_auto_reply(holiday) is not None
