"""Rendering: personalised multipart messages, safe headers, template errors, the splice shortcut."""

from __future__ import annotations

import time
from datetime import date
from email import message_from_bytes, policy
from html import unescape
from email.message import EmailMessage
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import DATA

from mailer.config import parse_config
from mailer.errors import HeaderInjectionError, RecipientDataError, TemplateError
from mailer.models import Directory, Dossier, Group, Recipient
from mailer.outbound.campaigns import parse_campaign
from mailer.outbound.files import read_attachments, template_loader
from mailer.outbound.render import CampaignRenderer, RenderOptions
from mailer.tokens import TokenIndex, campaign_message_id, make_token, parse_sub_address

DIRECTORY = Directory(
    groups=(Group("G037", "Groupe 37 de Lyon", "groupe_local", "Lyon", "groupe37@example.org"),),
    dossiers=(Dossier("DI-2025-014", "Leïla Sadeghi", "Iran", "active", "ref@example.org", ["G037"]),),
)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A private copy of tests/data/templates, which a test may change."""
    return Path(shutil.copytree(DATA / "templates", tmp_path / "templates"))


@pytest.fixture
def renderer(templates: Path) -> Callable[..., CampaignRenderer]:
    def make(base_url: str = "", **campaign: Any) -> CampaignRenderer:
        raw = {"team": {"name": "Protégeons les personnes", "address": "plp@example.org"},
               "campaigns": {"templates": str(templates)}, "web": {"base_url": base_url}}
        config = parse_config(raw, templates.parent / "config.toml")
        fields = {"name": "alerte", "kind": "alert", "subject": "Action urgente : {{ dossier.person }}",
                  "template": "alert", "audience": "dossier:DI-2025-014", "dossier": "DI-2025-014",
                  "vars": {"deadline": "15 décembre"}} | campaign
        parsed = parse_campaign(fields, templates.parent / "c.toml")
        return CampaignRenderer(config, parsed, DIRECTORY, b"secret-key", RenderOptions("s4lt", date.today(), time.time),
                                template_loader(config), read_attachments(parsed))
    return make


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)  # type: ignore[return-value]


MARIE = Recipient("marie@example.org", "Marie Noël", "member", "G037")


def test_a_personalised_french_multipart_message(renderer: Callable[..., CampaignRenderer]) -> None:
    out = renderer().build(MARIE, 7)
    message = parse(out.data)
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour Marie," in text and "Leïla Sadeghi (Iran) a besoin de vous avant le 15 décembre" in text
    assert "Nom : Marie Noël" in html or "nom : Marie Noël" in html
    assert "Groupe : Groupe 37 de Lyon" in html
    assert message["Subject"] == "Action urgente : Leïla Sadeghi"
    assert message["To"].addresses[0].display_name == "Marie Noël"
    assert message["From"].addresses[0].addr_spec == "plp@example.org"
    # issue 8: keyed by the store's secret and bound to the recipient, the same on a resend
    assert message["Message-ID"] == campaign_message_id(b"secret-key", "example.org", "alerte.7.s4lt", MARIE.email)
    assert message["Message-ID"] == parse(renderer().build(MARIE, 7).data)["Message-ID"]
    assert message["Date"] and message["List-Id"].endswith("<alertes.example.org>")
    assert "Precedence" not in message
    assert b"\r\n" in out.data and b"\n" not in out.data.replace(b"\r\n", b"")


def test_css_is_inlined_for_mail_clients(renderer: Callable[..., CampaignRenderer]) -> None:
    html = parse(renderer().build(MARIE).data).get_body(("html",)).get_content()
    assert "<style>" not in html
    assert 'style="color: #222222;font-weight: bold;"' in html


def test_html_is_autoescaped_and_data_never_becomes_template_source(renderer: Callable[..., CampaignRenderer]) -> None:
    hostile = Recipient("x@example.org", "<script>alert(1)</script> {{ 7*7 }} {% if 1 %}", "member")
    message = parse(renderer().build(hostile).data)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }} {% if 1 %}" in text and "49" not in text


def test_verp_envelope_and_unsubscribe_tokens_are_bound_to_the_address(renderer: Callable[..., CampaignRenderer]) -> None:
    r = renderer()
    a, b = r.build(MARIE), r.build(Recipient("paul@example.org", "Paul", "member"))
    prefix_a = parse_sub_address("plp@example.org", a.envelope_from)
    assert prefix_a is not None and prefix_a[0] == "b"
    assert a.envelope_from != b.envelope_from
    index = TokenIndex(b"secret-key", ["marie@example.org", "paul@example.org"])
    assert index.address(prefix_a[1]) == "marie@example.org"
    unsubscribe = parse(a.data)["List-Unsubscribe"]
    token = make_token(b"secret-key", "u:all", "marie@example.org")
    assert unsubscribe == f"<mailto:plp+u-{token}@example.org?subject=unsubscribe>"
    assert index.resolve(token) == ("u:all", "marie@example.org")
    assert TokenIndex(b"another-key", ["marie@example.org"]).resolve(token) is None


def test_bulletin_is_bulk_with_a_bulletin_scoped_unsubscribe(renderer: Callable[..., CampaignRenderer]) -> None:
    message = parse(renderer(kind="bulletin").build(MARIE).data)
    assert message["Precedence"] == "bulk"
    token = make_token(b"secret-key", "u:bulletin", "marie@example.org")
    assert token in message["List-Unsubscribe"]


def test_one_click_unsubscribe_header_stays_unfolded(renderer: Callable[..., CampaignRenderer]) -> None:
    data = renderer(base_url="https://agir.example.org/desinscription-tres-longue-adresse").build(MARIE).data
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    line = next(l for l in head.split("\r\n") if l.startswith("List-Unsubscribe:"))
    assert "mailto:plp+u-" in line and "https://agir.example.org/desinscription-tres-longue-adresse/u/" in line
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in head
    assert "=?" not in line


def test_a_missing_variable_fails_with_the_file_and_line(renderer: Callable[..., CampaignRenderer],
                                                         templates: Path) -> None:
    (templates / "alert.txt").write_text("Bonjour,\n\nÀ faire : {{ vars.missing_thing }}\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"alert\.txt:3"):
        renderer().build(MARIE)


def test_a_syntax_error_names_the_file_and_line(renderer: Callable[..., CampaignRenderer], templates: Path) -> None:
    (templates / "alert.html").write_text('{% extends "base.html" %}\n{% block body %}\n{% if %}\n{% endblock %}')
    with pytest.raises(TemplateError, match=r"alert\.html:3"):
        renderer().build(MARIE)


def test_a_missing_template_is_named(renderer: Callable[..., CampaignRenderer]) -> None:
    with pytest.raises(TemplateError, match="nope.html: template not found"):
        renderer(template="nope").build(MARIE)


def test_a_line_break_in_the_subject_is_an_error(renderer: Callable[..., CampaignRenderer]) -> None:
    with pytest.raises(HeaderInjectionError):
        renderer(subject="Alerte {{ vars.deadline }}", vars={"deadline": "demain\nBcc: x@example.net"}).build(MARIE)


def test_a_name_with_a_line_break_cannot_add_a_header(renderer: Callable[..., CampaignRenderer]) -> None:
    with pytest.raises(HeaderInjectionError):
        renderer().build(Recipient("x@example.org", "Eve\r\nBcc: victim@example.net", "member"))


def test_a_name_utf8_cannot_encode_is_that_recipient_s_bad_data(renderer: Callable[..., CampaignRenderer]) -> None:
    """The error the sender journals as that recipient's failure (every other error stops the send)."""
    with pytest.raises(RecipientDataError, match="recipient name is not valid text"):
        renderer().build(Recipient("x@example.org", "Zo\udce9", "member"))


def test_a_subject_may_use_the_recipient_and_is_encoded_per_recipient(renderer: Callable[..., CampaignRenderer]) -> None:
    r = renderer(subject="{{ recipient.first_name }}, {{ dossier.person }} compte sur vous")
    assert parse(r.build(MARIE).data)["Subject"] == "Marie, Leïla Sadeghi compte sur vous"
    assert parse(r.build(Recipient("z@example.org", "Zoé Côté", "member")).data)["Subject"] == \
        "Zoé, Leïla Sadeghi compte sur vous"


def test_text_part_is_derived_from_html_when_there_is_no_txt(renderer: Callable[..., CampaignRenderer],
                                                              templates: Path) -> None:
    (templates / "alert.txt").unlink()
    text = parse(renderer().build(MARIE).data).get_body(("plain",)).get_content()
    assert "Bonjour Marie," in text and "<p" not in text and "Se désinscrire (mailto:plp+u-" in text


@pytest.mark.parametrize("name", ["Marie Noël", "", "=?utf-8?q?ADMIN?=", "A & B <c>", "Ève 'O\"Brien'"])
def test_splicing_gives_what_a_full_render_gives(renderer: Callable[..., CampaignRenderer], name: str) -> None:
    fast = renderer()
    slow = renderer()
    slow.per_recipient = True          # forces a full Jinja render for every recipient
    recipient = Recipient("x@example.org", name, "member", "G037")
    (subject, text, html), (subject2, text2, html2) = fast.render_parts(recipient), slow.render_parts(recipient)
    assert (subject, text) == (subject2, text2)
    # Spliced values are escaped quotes included; css-inline re-serialises quotes in text bare.
    assert unescape(html) == unescape(html2) and "<c>" not in html
    assert not fast.per_recipient


def test_a_template_that_transforms_a_value_is_rendered_per_recipient(renderer: Callable[..., CampaignRenderer],
                                                                     templates: Path) -> None:
    (templates / "alert.txt").write_text("BONJOUR {{ recipient.name|upper }} ({{ recipient.name|length }})\n")
    r = renderer()
    text = parse(r.build(MARIE).data).get_body(("plain",)).get_content()
    assert r.per_recipient and "BONJOUR MARIE NOËL (10)" in text
    (templates / "alert.txt").write_text("{% if recipient.name == 'Marie Noël' %}salut Marie{% endif %}\n")
    r = renderer()
    assert "salut Marie" in parse(r.build(MARIE).data).get_body(("plain",)).get_content()
    assert r.per_recipient


def test_attachments_make_a_mixed_message(renderer: Callable[..., CampaignRenderer], templates: Path) -> None:
    pdf = templates.parent / "lettre-modele.pdf"
    pdf.write_bytes(b"%PDF-1.4 lettre type\n")
    message = parse(renderer(attachments=[pdf.name]).build(MARIE).data)
    assert message.get_content_type() == "multipart/mixed"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "lettre-modele.pdf"
    assert attachment.get_content() == b"%PDF-1.4 lettre type\n"
    assert "Bonjour Marie" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("where", ["subject", "alert.html", "alert.txt"])
def test_campaign_templates_run_in_the_sandbox(renderer: Callable[..., CampaignRenderer], templates: Path,
                                               where: str) -> None:
    """Campaign files are code a coordinator writes: Python's internals stay out of reach (issue 8)."""
    probe = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    if where == "subject":
        make = lambda: renderer(subject=probe)      # noqa: E731
    else:
        (templates / where).write_text(f"Bonjour,\n{probe}\n", encoding="utf-8")
        make = renderer
    with pytest.raises(TemplateError, match=r"unsafe.*sandbox"):
        make().build(MARIE)
