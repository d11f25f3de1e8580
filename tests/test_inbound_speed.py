"""The machine-mail hot path stays cheap (issue 9 §3): not timed, but what it does and what it imports.

A bounce storm must read at ≥ 1,000 msg/s with the store (`benchmarks/inbox_bench.py`); these
check the mechanisms behind that figure without a clock: quoted replies and forwards are looked
for only when a rule asks, the common daemon From form needs no stdlib address parser, and no
heavy library is imported to read a bounce. `scripts/parse_diff.sh` proves the readings unchanged.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from inbound_fixtures import Inbox, dsn, inbox_fixture  # noqa: F401  (fixture)

from mailer.inbound import pipeline
from mailer.inbound.mime import headers, parse
from mailer.inbound.mime.parse import parse_message

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
BOUNCE = DATA / "bounces-dev" / "messages" / "sisimai" / "rfc3464-01.eml"
HEAVY = ("dateparser", "spacy", "rapidfuzz", "text_to_num", "sklearn", "jinja2", "aiosmtpd")

REPLY = (b"From: Alice <alice@example.org>\nTo: team@example.org\nSubject: Re: collecte\n"
         b"Message-ID: <r1@example.org>\n\nMerci, 30 lettres envoyees.\n-- \nAlice\n\n"
         b"Le 3 mars 2026 a 10:00, team@example.org a ecrit :\n> Combien ?\n")


def test_quotes_and_forwards_are_read_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = parse.strip_quotes
    monkeypatch.setattr(parse, "strip_quotes", lambda text: calls.append(text) or real(text))
    parsed = parse_message(REPLY)
    assert calls == []                          # a bounce that never asks costs nothing
    assert parsed.new_text == "Merci, 30 lettres envoyees."
    assert parsed.signature == "Alice"
    assert parsed.forwarded is None
    assert len(calls) == 1                      # the three fields come from one reading
    assert parsed == parse_message(REPLY)       # equality still compares them


def test_fields_given_or_replaced_are_kept() -> None:
    parsed = parse_message(REPLY)
    changed = replace(parsed, new_text="autre")
    assert (changed.new_text, changed.signature) == ("autre", "Alice")
    bare = parse.ParsedMessage("", "", "", "", (), "", None, {}, "texte", "texte")
    assert (bare.new_text, bare.signature, bare.forwarded) == ("texte", "", None)


def test_daemon_from_with_a_comment_needs_no_stdlib_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(values: list[str]) -> list[tuple[str, str]]:
        raise AssertionError(f"getaddresses called on {values!r}")

    monkeypatch.setattr(headers, "getaddresses", refuse)
    assert headers.mailboxes(["MAILER-DAEMON@mx1.example.co.uk (Mail Delivery System)"]) == [
        ("Mail Delivery System", "MAILER-DAEMON@mx1.example.co.uk")]
    assert headers.mailboxes(["a@b.example ( x y ), c@d.example"]) == [(" x y ", "a@b.example"), ("", "c@d.example")]


@pytest.mark.parametrize("value", [
    "MAILER-DAEMON@mx.example (Mail Delivery System)", "a@b (x, y)", "a@b (x) (y)", "a..b@c (x)",
    "a@b@c (x)", "a@[1.2.3.4] (x)", "é@b (x)", "a@b (x\\)y)", "a@b.example (x), c@d (y)", "a@b ()"])
def test_comment_form_reads_as_getaddresses(value: str) -> None:
    assert headers.mailboxes([value]) == headers.getaddresses([value])


def test_reading_a_bounce_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from mailer.inbound.mime.parse import parse_message\n"
        "from mailer.inbound.understand.classify import read_message\n"
        "from mailer.inbound.decide import MessageFacts\n"
        "from mailer.models import Directory\n"
        f"parsed = parse_message(open({str(BOUNCE)!r}, 'rb').read())\n"
        "reading = read_message(parsed, Directory((), (), ()))\n"
        "MessageFacts.of(parsed)\n"
        "assert reading.kind.value == 'bounce', reading\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("enabled", [True, False])
def test_a_batch_runs_without_the_cycle_collector_and_leaves_it_as_it_was(
        inbox: Inbox, monkeypatch: pytest.MonkeyPatch, enabled: bool) -> None:
    seen: list[bool] = []
    real = pipeline.read_message

    def spy(parsed, directory, context):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return real(parsed, directory, context)

    monkeypatch.setattr(pipeline, "read_message", spy)
    (gc.enable if enabled else gc.disable)()
    try:
        [outcome] = inbox.processor().process_batch([dsn("jane@example.org")])
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert seen == [False] and outcome.kind == "bounce"


def test_a_report_longer_than_the_reader_scans_is_cut_and_doubted() -> None:
    """A 60 KB French spam cost 150 ms in the report reader (issue 9): it reads MAX_CHARS, no more,
    and says so ("text_cut"), so that such a reading is triaged rather than applied."""
    from mailer.inbound.understand.classify import read_message
    from mailer.inbound.understand.segments import MAX_CHARS
    from mailer.models import Directory

    sentence = "Nous avons envoyé 32 lettres au préfet pour le dossier. "
    filler = "Offre exceptionnelle, livraison gratuite, cliquez ici. " * (MAX_CHARS // 50 + 10)
    raw = ("From: Alice <alice@example.org>\nTo: team@example.org\nSubject: Compte rendu\n"
           "Message-ID: <long@example.org>\nContent-Type: text/plain; charset=utf-8\n\n"
           + sentence + filler).encode("utf-8")
    reading = read_message(parse_message(raw), Directory((), (), ()))
    assert reading.kind.value == "report"
    assert "text_cut" in reading.checks and reading.confidence < 0.8
    short = read_message(parse_message(raw[:2000]), Directory((), (), ()))
    assert "text_cut" not in short.checks
