"""Issue 10, approval: a bulletin, or a campaign larger than `[approval] min_recipients`, goes only
once a second coordinator approved this very version (file content hash, audience size): by
`mailer campaign approve FILE --by EMAIL`, or by replying from their own address to the `+a-`
token of the request `send` mailed them with the preview. A change voids it; `send` without it
refuses and names who can approve."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from conftest import SmtpServer
from dovecot import Dovecot
from sending import audience_received, status

from mailer import approval
from mailer.config import InboxConfig, load_config
from mailer.inbound.mime.parse import parse_message
from mailer.inbound.pipeline import Processor
from mailer.inbound.sources.imap import ImapSource, MaildirSource
from mailer.inbound.understand.approval import ApprovalAnswer, ApprovalBinding, answer_of
from mailer.inbound.understand.classify import ReadingContext, read_message
from mailer.models import Directory, Subscriber
from mailer.registry import upsert_subscribers
from mailer.service import poll_once
from mailer.store import Store
from mailer.tokens import APPROVAL, approval_purpose, make_token, parse_sub_address

TEAM = "protegeonslespersonnes@example.org"
CLAIRE, JULIEN, NADIA = "claire@example.org", "julien@example.org", "nadia@example.org"
COORDINATORS = f'coordinators = ["{CLAIRE}", "{JULIEN}", "{NADIA}"]'


def _with(config: Path, coordinators: str = COORDINATORS, approval_section: str = "") -> Path:
    text = config.read_text(encoding="utf-8").replace('coordinators = ["coordination@example.org"]', coordinators)
    config.write_text(text + approval_section, encoding="utf-8")
    return config


@pytest.fixture
def bulletin(setup: Callable[..., tuple[Path, Path]]) -> tuple[Path, Path]:
    """A project with three coordinators and a bulletin to 6 people (5 subscribers and a member)."""
    config, campaign = setup(people=5)
    return _with(config), campaign


def _reached(server: SmtpServer) -> list[str]:
    """Who of the audience got mail (the coordinators' requests and notices aside)."""
    return [r for r in audience_received(server) if r not in (CLAIRE, JULIEN, NADIA)]


def _send(cli: Callable[..., Any], config: Path, campaign: Path, *args: str):
    return cli(config, "campaign", "send", str(campaign), "--yes", *args)


def _requests(server: SmtpServer) -> dict[str, EmailMessage]:
    return {d.rcpt_tos[0]: d.message for d in server.handler.deliveries
            if str(d.message["Subject"]).startswith("Approbation demandée")}


# -- the rules -------------------------------------------------------------------------------

def test_approval_is_required_by_default_with_two_coordinators_and_off_with_one(tmp_path: Path) -> None:
    from conftest import write_config
    one = load_config(write_config(tmp_path))
    assert one.approval.required is False and one.approval.min_recipients == 500
    two = load_config(_with(write_config(tmp_path), f'coordinators = ["{CLAIRE}", "{JULIEN}"]'))
    assert two.approval.required is True
    assert load_config(_with(write_config(tmp_path), f'coordinators = ["{CLAIRE}", "{JULIEN}"]',
                             "[approval]\nrequired = false\n")).approval.required is False
    assert load_config(_with(write_config(tmp_path), f'coordinators = ["{CLAIRE}"]',
                             "[approval]\nrequired = true\nmin_recipients = 20\n")).approval == \
        type(one.approval)(required=True, min_recipients=20)


def test_what_needs_approval(tmp_path: Path) -> None:
    from conftest import write_config
    config = load_config(_with(write_config(tmp_path), approval_section="[approval]\nmin_recipients = 3\n"))
    assert approval.need(config, "bulletin", 1) == "it is a bulletin"
    assert approval.need(config, "alert", 3) == ""                     # larger than, not as large as
    assert "4 recipients, more than approval.min_recipients (3)" == approval.need(config, "custom", 4)
    assert approval.approvers(config, "CLAIRE@example.org") == (JULIEN, NADIA)
    off = load_config(_with(write_config(tmp_path), approval_section="[approval]\nrequired = false\n"))
    assert approval.need(off, "bulletin", 10_000) == ""


@pytest.mark.parametrize(("body", "answer"), [
    ("J'approuve.", ApprovalAnswer.YES), ("Oui, c'est bon pour moi !\n\nJulien", ApprovalAnswer.YES),
    ("Validé", ApprovalAnswer.YES), ("Bonjour,\n\nok, bon pour envoi.\n\nCordialement\nJulien", ApprovalAnswer.YES),
    ("Non, pas encore.", ApprovalAnswer.DECLINED), ("Je n'approuve pas", ApprovalAnswer.DECLINED),
    ("Oui mais quand part-il ?", ApprovalAnswer.TEXT),
    ("Je ne vois pas d'objection, ok", ApprovalAnswer.TEXT),
    ("Il faudrait d'abord corriger la date de la manifestation et le nom du groupe de Rennes dans le texte, "
     "ensuite ce sera bon", ApprovalAnswer.TEXT),
])
def test_what_a_reply_to_an_approval_request_says(body: str, answer: ApprovalAnswer) -> None:
    assert answer_of(body) is answer


def _reply(sender: str, to: str, body: str, message_id: str = "<r@example.org>", subject: str = "Re: Approbation") -> bytes:
    return (f"From: {sender}\nTo: {to}\nSubject: {subject}\nDate: Wed, 02 Dec 2026 10:00:00 +0100\n"
            f"Message-ID: {message_id}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\n" + body + "\n").encode()


def test_only_our_token_from_its_coordinator_reads_as_an_approval() -> None:
    binding = ApprovalBinding("bulletin-42", "ab" * 32, 6, JULIEN, CLAIRE)
    token = "c" * 20
    context = ReadingContext(team_address=TEAM, approval_token=lambda t: binding if t == token else None)
    to = f"protegeonslespersonnes+{APPROVAL}-{token}@example.org"

    def rule(raw: bytes) -> str:
        reading = read_message(parse_message(raw), Directory(), context)
        return reading.rule

    assert rule(_reply(JULIEN, to, "J'approuve")) == "approval.yes"
    assert rule(_reply("Julien <JULIEN@example.org>", to, "oui")) == "approval.yes"
    assert rule(_reply("mallory@example.com", to, "J'approuve")) == "approval.other_writer"
    assert rule(_reply(CLAIRE, to, "J'approuve")) == "approval.other_writer"     # the sender is not the approver
    assert rule(_reply(JULIEN, to, "Non.")) == "approval.declined"
    assert rule(_reply(JULIEN, f"protegeonslespersonnes+a-{'d' * 20}@example.org", "J'approuve")) == \
        "approval.unknown_token"
    assert not rule(_reply(JULIEN, TEAM, "J'approuve")).startswith("approval")   # no token: no approval


# -- by command --------------------------------------------------------------------------------

def test_send_needs_to_know_who_sends(bulletin: tuple[Path, Path], cli: Callable[..., Any],
                                      smtp_server: SmtpServer) -> None:
    config, campaign = bulletin
    result = _send(cli, config, campaign)
    assert result.exit_code == 1 and "--by EMAIL" in result.output and CLAIRE in result.output, result.output
    result = _send(cli, config, campaign, "--by", "someone@example.org")
    assert result.exit_code == 1 and "not one of team.coordinators" in result.output
    assert smtp_server.handler.deliveries == []


def test_a_bulletin_waits_for_a_second_coordinator_s_approval(bulletin: tuple[Path, Path], cli: Callable[..., Any],
                                                              smtp_server: SmtpServer) -> None:
    config, campaign = bulletin
    refused = _send(cli, config, campaign, "--by", CLAIRE)
    assert refused.exit_code == 1
    out = refused.output
    assert "needs a second coordinator's approval before it goes (it is a bulletin); nothing was sent" in out
    assert f"Who can approve it: {JULIEN}, {NADIA}" in out and "mailer campaign approve" in out
    assert f"{JULIEN}: mailed now" in out and f"{NADIA}: mailed now" in out
    assert _reached(smtp_server) == [] and status(cli, config, campaign)["sent"] == 0

    # the request: to each other coordinator, signed for them, with the preview
    requests = _requests(smtp_server)
    assert sorted(requests) == [JULIEN, NADIA]
    request = requests[JULIEN]
    assert str(request["Subject"]) == "Approbation demandée : campagne « bulletin-42 » (6 destinataires)"
    prefix, token = parse_sub_address(TEAM, request["Reply-To"].addresses[0].addr_spec)
    secret = Store(load_config(config).storage.path).secret("MAILER_TEST_SECRET_UNSET")
    digest = load_campaign_digest(campaign)
    assert (prefix, token) == (APPROVAL, make_token(secret, approval_purpose("bulletin-42", digest, 6), JULIEN))
    assert token != parse_sub_address(TEAM, requests[NADIA]["Reply-To"].addresses[0].addr_spec)[1]
    text = request.get_body(("plain",)).get_content()
    assert f"{CLAIRE} demande votre approbation" in text and "répondez simplement « j'approuve »" in text
    assert f"mailer campaign approve {campaign}" in text
    names = sorted(part.get_filename() for part in request.iter_attachments())
    assert names == ["bulletin-42.eml", "bulletin-42.html"]
    preview = next(p for p in request.iter_attachments() if p.get_filename() == "bulletin-42.eml")
    assert preview.get_content_type() == "message/rfc822"
    assert "Des nouvelles de Leïla Sadeghi" in str(preview.get_content()["Subject"])

    # a second refused send does not mail it again; the sender cannot approve their own campaign
    again = _send(cli, config, campaign, "--by", CLAIRE)
    assert again.exit_code == 1 and f"{JULIEN}: mailed on" in again.output
    assert len([d for d in smtp_server.handler.deliveries if "Approbation" in str(d.message["Subject"])]) == 2
    own = cli(config, "campaign", "approve", str(campaign), "--by", CLAIRE, "--yes")
    assert own.exit_code == 1 and "another coordinator approves it" in own.output
    shown = status(cli, config, campaign)["approval"]
    assert shown["needed"] and shown["approved_by"] == "" and shown["can_approve"] == [JULIEN, NADIA]
    assert sorted(shown["requested_from"]) == [JULIEN, NADIA]
    text_status = cli(config, "campaign", "status", str(campaign)).output
    assert f"approval: needed (it is a bulletin); not approved yet; who can approve: {JULIEN}, {NADIA}" in text_status

    # approved by Julien: it goes, to each recipient once
    approved = cli(config, "campaign", "approve", str(campaign), "--by", JULIEN, "--yes")
    assert approved.exit_code == 0 and f"approved by {JULIEN}" in approved.output, approved.output
    assert status(cli, config, campaign)["approval"]["approved_by"] == JULIEN
    sent = _send(cli, config, campaign, "--by", CLAIRE)
    assert sent.exit_code == 0, sent.output
    assert f"approved by {JULIEN}" in sent.output
    counts = Counter(_reached(smtp_server))
    assert len(counts) == 6 and set(counts.values()) == {1}


def load_campaign_digest(path: Path) -> str:
    from mailer.outbound.files import load_campaign
    return load_campaign(path).digest


def test_a_changed_file_voids_the_approval(bulletin: tuple[Path, Path], cli: Callable[..., Any],
                                           smtp_server: SmtpServer) -> None:
    config, campaign = bulletin
    assert cli(config, "campaign", "approve", str(campaign), "--by", JULIEN, "--yes").exit_code == 0
    campaign.write_text(campaign.read_text(encoding="utf-8").replace("15 décembre", "16 décembre"), encoding="utf-8")
    refused = _send(cli, config, campaign, "--by", CLAIRE)
    assert refused.exit_code == 1
    assert f"{JULIEN} approved it on" in refused.output and "voids an approval" in refused.output
    assert f"Who can approve it: {JULIEN}, {NADIA}" in refused.output
    assert _reached(smtp_server) == []
    assert "voids" in status(cli, config, campaign)["approval"]["voided"]


def test_a_changed_audience_voids_the_approval(bulletin: tuple[Path, Path], cli: Callable[..., Any],
                                               smtp_server: SmtpServer) -> None:
    config, campaign = bulletin
    assert cli(config, "campaign", "approve", str(campaign), "--by", NADIA, "--yes").exit_code == 0
    upsert_subscribers(Store(load_config(config).storage.path), [Subscriber("nouvelle@example.net", "Nouvelle")])
    refused = _send(cli, config, campaign, "--by", CLAIRE)
    assert refused.exit_code == 1 and "6 recipients; now" in refused.output and ", 7)" in refused.output
    assert _reached(smtp_server) == []


def test_the_refusal_says_when_nobody_else_can_approve(setup: Callable[..., tuple[Path, Path]],
                                                       cli: Callable[..., Any], smtp_server: SmtpServer) -> None:
    config, campaign = setup(people=3)
    _with(config, f'coordinators = ["{CLAIRE}"]', "[approval]\nrequired = true\n")
    refused = _send(cli, config, campaign, "--by", CLAIRE)
    assert refused.exit_code == 1 and f"Nobody can approve it: team.coordinators lists no one but {CLAIRE}" in \
        refused.output
    assert smtp_server.handler.deliveries == []


def test_a_small_alert_needs_no_approval(setup: Callable[..., tuple[Path, Path]], cli: Callable[..., Any],
                                         smtp_server: SmtpServer) -> None:
    config, campaign = setup(people=3, kind="alert")
    _with(config)
    assert _send(cli, config, campaign).exit_code == 0       # no --by needed
    assert len(set(_reached(smtp_server))) == 4
    result = cli(config, "campaign", "approve", str(campaign), "--by", JULIEN, "--yes")
    assert result.exit_code == 1 and "needs no approval" in result.output


# -- by reply ----------------------------------------------------------------------------------

def _poll_maildir(config: Path, raws: list[bytes]) -> None:
    from mailer.capture.devsmtp import MaildirWriter
    loaded = load_config(config)
    for raw in raws:
        MaildirWriter(loaded.inbox.maildir).deliver(raw)
    store = Store(loaded.storage.path, loaded.security.secret_env)
    poll_once(loaded, store, MaildirSource(loaded.inbox), Processor(loaded, store))


def _docs(config: Path, table: str) -> list[dict]:
    return Store(load_config(config).storage.path).snapshot().docs(table)


def _answer(request: EmailMessage, sender: str, body: str, message_id: str, to: str | None = None) -> bytes:
    quoted = "".join(f"> {line}\n" for line in request.get_body(("plain",)).get_content().splitlines())
    return (f"From: {sender}\nTo: {to or request['Reply-To'].addresses[0].addr_spec}\n"
            f"Subject: Re: {request['Subject']}\nDate: Wed, 02 Dec 2026 10:00:00 +0100\nMessage-ID: {message_id}\n"
            f"In-Reply-To: {request['Message-ID']}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: 8bit\n\n{body}\n\nLe mer. 2 déc. 2026 à 10:00, Protégeons les personnes <{TEAM}> a "
            f"écrit :\n{quoted}").encode()


def test_a_forged_or_unclear_reply_approves_nothing(bulletin: tuple[Path, Path], cli: Callable[..., Any],
                                                    smtp_server: SmtpServer) -> None:
    config, campaign = bulletin
    assert _send(cli, config, campaign, "--by", CLAIRE).exit_code == 1
    request = _requests(smtp_server)[JULIEN]
    _poll_maildir(config, [
        _answer(request, "mallory@example.com", "J'approuve", "<m1@example.com>"),          # From forged
        _answer(request, f"Julien <{JULIEN}>", "J'approuve", "<m2@example.org>", to=TEAM),   # no token
        _answer(request, JULIEN, "Non, pas encore : la date est fausse.", "<m3@example.org>"),
        _answer(request, JULIEN, "J'approuve", "<m4@example.org>",
                to=f"protegeonslespersonnes+a-{'0' * 20}@example.org"),                      # a token we never mailed
    ])
    assert _docs(config, "approvals") == []
    reasons = sorted(t["reason"] for t in _docs(config, "triage") if t["kind"] == "approval")
    assert reasons == sorted(["approval request answered no: nothing approved",
                              "approval token we did not mail for any campaign now: nothing approved",
                              "reply to an approval request from another address than the coordinator it was "
                              "mailed to (forwarded, or forged): nothing approved"])
    assert _send(cli, config, campaign, "--by", CLAIRE).exit_code == 1
    assert _reached(smtp_server) == []


def test_approval_by_reply_over_real_imap(bulletin: tuple[Path, Path], cli: Callable[..., Any],
                                          smtp_server: SmtpServer, dovecot: Dovecot,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    config, campaign = bulletin
    assert _send(cli, config, campaign, "--by", CLAIRE).exit_code == 1
    request = _requests(smtp_server)[JULIEN]
    before = len(smtp_server.handler.deliveries)
    dovecot.append(_answer(request, f"Julien Morel <{JULIEN}>", "J'approuve, merci !\n\nJulien", "<ok@example.org>"))
    monkeypatch.setenv("MAILER_TEST_IMAP_PASSWORD", dovecot.password)
    loaded = load_config(config)
    imap = InboxConfig(source="imap", host=dovecot.host, port=dovecot.port, security="none", username=dovecot.user,
                       password_env="MAILER_TEST_IMAP_PASSWORD")
    store = Store(loaded.storage.path, loaded.security.secret_env)
    source = ImapSource(imap, timeout=5, backoff=(0.1, 0.2, 0.4))
    try:
        summary = poll_once(loaded, store, source, Processor(loaded, store))
    finally:
        source.close()
    assert summary.kinds["approval"] == 1 and dovecot.count("INBOX") == 0
    [approved] = _docs(config, "approvals")
    assert (approved["campaign"], approved["by"], approved["via"], approved["audience"]) == \
        ("bulletin-42", JULIEN, "reply", 6)
    assert approved["file_sha256"] == load_campaign_digest(campaign)
    # both coordinators are told: Claire may send it now, Julien's approval is recorded
    told = {d.rcpt_tos[0]: d.message for d in smtp_server.handler.deliveries[before:]}
    assert sorted(told) == [CLAIRE, JULIEN]
    assert str(told[CLAIRE]["Subject"]) == "Campagne « bulletin-42 » approuvée"
    assert f"{JULIEN} a approuvé" in told[CLAIRE].get_content() and "Vous pouvez maintenant l'envoyer" in \
        told[CLAIRE].get_content()
    assert f"mailer campaign send {campaign} --by {CLAIRE}" in told[CLAIRE].get_content()
    assert "Votre approbation est enregistrée" in told[JULIEN].get_content()
    shown = json.loads(cli(config, "campaign", "status", str(campaign), "--json").output)["approval"]
    assert (shown["approved_by"], shown["via"]) == (JULIEN, "reply")

    sent = _send(cli, config, campaign, "--by", CLAIRE)
    assert sent.exit_code == 0, sent.output
    counts = Counter(_reached(smtp_server))
    assert len(counts) == 6 and set(counts.values()) == {1}


def test_a_reply_to_an_older_version_s_request_does_not_approve_the_new_one(
        bulletin: tuple[Path, Path], cli: Callable[..., Any], smtp_server: SmtpServer) -> None:
    config, campaign = bulletin
    assert _send(cli, config, campaign, "--by", CLAIRE).exit_code == 1
    old_request = _requests(smtp_server)[JULIEN]
    campaign.write_text(campaign.read_text(encoding="utf-8").replace("15 décembre", "16 décembre"), encoding="utf-8")
    _poll_maildir(config, [_answer(old_request, JULIEN, "Oui", "<late@example.org>")])
    [approved] = _docs(config, "approvals")             # it approves the version it was mailed for...
    assert approved["file_sha256"] != load_campaign_digest(campaign)
    refused = _send(cli, config, campaign, "--by", CLAIRE)   # ...not this one
    assert refused.exit_code == 1 and "voids an approval" in refused.output
    assert re.search(rf"{JULIEN}: mailed now", refused.output)   # the new version is asked for anew
