"""parse_message on real and hand-made mail: decoding, quotes, forwards, limits, never a crash."""

from __future__ import annotations

import json
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailer.inbound.mime.parse import Limits, MessageTooComplex, ParsedMessage, readable_text, parse_message, strip_quotes

from corpora import BOUNCES, DATA, FR_DEV, INBOUND, ROWS  # noqa: F401
FR_FILES = sorted(FR_DEV.glob("*.eml")) if FR_DEV else []
ALL_FILES = [BOUNCES / r["file"] for r in ROWS] + sorted(INBOUND.glob("*.eml")) + FR_FILES


def parse_file(name: str) -> ParsedMessage:
    return parse_message((INBOUND / name).read_bytes())


def mail(body: str, subject: str = "Test", headers: str = "", params: str = "") -> ParsedMessage:
    head = (f"From: Léa Martin <lea.martin@example.org>\nTo: team@example.org\nSubject: {subject}\n"
            f"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8{params}\n{headers}")
    return parse_message((head + "\n" + body).encode("utf-8"))


# ---------------------------------------------------------------------------- every corpus message

@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_message_parses(path: Path) -> None:
    try:
        parsed = parse_message(path.read_bytes())
    except MessageTooComplex:
        assert path.name.startswith("hostile-"), "only the hostile samples may cross a limit"
        return
    assert isinstance(parsed.text, str) and isinstance(parsed.new_text, str)
    assert parsed.parts and parsed.parts[0].depth == 0 and parsed.parts[0].parent == -1
    assert parsed.sender == parsed.sender.lower()
    assert all(a == a.lower() for a in parsed.to)


def _stdlib_leaves(msg: EmailMessage) -> list[tuple[str, str]]:
    """(content type, text) of each leaf, the stdlib's way; report bodies are kept whole like ours."""
    out: list[tuple[str, str]] = []

    def walk(part: EmailMessage) -> None:
        ctype = part.get_content_type()
        if part.is_multipart() and not ctype.endswith(("delivery-status", "feedback-report")):
            for sub in part.iter_parts():
                walk(sub)  # type: ignore[arg-type]
            return
        if ctype in ("text/plain", "text/html"):
            out.append((ctype, part.get_content().replace("\r\n", "\n").strip()))
        else:
            out.append((ctype, ""))

    walk(msg)
    return out


DIFFERENTIAL = [r for r in ROWS if not r["malformed"]]


@pytest.mark.parametrize("row", DIFFERENTIAL, ids=lambda r: r["file"])
def test_splitter_agrees_with_the_stdlib(row: dict) -> None:
    """Our MIME splitter against email.message_from_bytes(policy.default), on well-formed mail."""
    raw = (BOUNCES / row["file"]).read_bytes()
    msg = message_from_bytes(raw, policy=policy.default)
    if any(p.defects for p in msg.walk()) or b"format=flowed" in raw or b"\n" not in raw:
        pytest.skip("the stdlib finds this message broken, or it is flowed text (we unwrap it), or its lines "
                    "end in a bare CR (the stdlib cuts some of those lines short)")
    try:
        theirs = _stdlib_leaves(msg)  # type: ignore[arg-type]
    except (LookupError, UnicodeError):
        pytest.skip("the stdlib cannot decode this charset; we fall back")
    parsed = parse_message(raw)
    ours = [(p.content_type, p.text.strip() if p.content_type in ("text/plain", "text/html") else "")
            for p in parsed.parts if not p.content_type.startswith("multipart/") and p.content_type not in
            ("message/rfc822", "message/global", "message/partial")]
    assert [c for c, _ in ours] == [c for c, _ in theirs]
    assert [_lines(t) for c, t in ours if c.startswith("text/")] == [
        _lines(t) for c, t in theirs if c.startswith("text/")]


def _lines(text: str) -> list[str]:
    """Lines without blank ones: the stdlib keeps a CR of CR-CR-LF endings where we end the line."""
    return [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]


def test_newline_variants_read_alike() -> None:
    """sisimai's CRLF and CR-only copies give the same text as the LF original."""
    for name in ("arf-01.eml", "lhost-courier-01.eml", "lhost-biglobe-01.eml"):
        texts = {parse_message((BOUNCES / "messages" / folder / name).read_bytes()).text
                 for folder in ("sisimai", "sisimai-dos", "sisimai-mac")}
        assert len(texts) == 1, name


# ---------------------------------------------------------------------------- headers and charsets

def test_headers_are_decoded() -> None:
    parsed = parse_file("verp-bounce-postfix.eml")
    assert parsed.sender == "mailer-daemon@mx1.example.org"
    assert parsed.return_path == ""                     # "<>": the null sender
    assert parsed.content_type == "multipart/report" and parsed.report_type == "delivery-status"
    assert parsed.to == ("protegeonslespersonnes+b-k3jx7qp2mzt5w4ra@example.org",)
    assert parsed.date is not None and parsed.date.utcoffset() is not None
    assert [p.content_type for p in parsed.parts] == [
        "multipart/report", "text/plain", "message/delivery-status", "text/rfc822-headers"]


def test_bogus_charset_falls_back() -> None:
    parsed = parse_file("bogus-charset.eml")
    assert "Nous avons récolté 45 signatures à la fête de l'été" in parsed.text
    assert parsed.subject == "Pétition du marché"       # =?x-bogus-8859?q?...?= read as Latin-1
    assert parsed.sender_name == "René Martin"
    assert "CharsetError" in parsed.defects


def test_undeclared_8bit_is_cp1252() -> None:
    parsed = parse_file("undeclared-8bit.eml")
    assert "L’œuvre du groupe : nous avons versé 120 € au fonds d’aide." in parsed.text
    assert parsed.sender_name == "José Alvarez"


@pytest.mark.parametrize("charset, raw, text", [
    ("utf-8", "Élodie".encode(), "Élodie"),
    ("iso-8859-1", "Élodie".encode("latin-1"), "Élodie"),
    ("us-ascii", "Élodie".encode(), "Élodie"),            # declared ASCII, sent UTF-8
    ("utf-8", "Élodie".encode("cp1252"), "Élodie"),              # declared UTF-8, sent cp1252
    ("windows-1252", "’€".encode("cp1252"), "’€"),
    ("unknown-8bit", b"caf\xe9", "café"),
])
def test_charset_chain(charset: str, raw: bytes, text: str) -> None:
    head = f"Subject: x\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit\n\n"
    assert parse_message(head.encode() + raw).text == text


@pytest.mark.parametrize("charset", ["undefined", "punycode", "idna", "base64", "rot13", "x-unknown", "utf-7",
                                     "uøf-8", ""])
def test_charsets_that_are_not_charsets(charset: str) -> None:
    raw = (f"Subject: =?{charset}?q?caf=E9?= =?{charset}?b?Y2Fm6Q==?=\nFrom: =?{charset}?q?J=E9?= <a@b.c>\n"
           f'Content-Type: text/plain; charset="{charset}"\n'
           f"Content-Disposition: inline; filename*={charset}''caf%E9\n\n").encode() + b"caf\xe9 +AGE-"
    parsed = parse_message(raw)
    assert parsed.text.startswith("caf") and parsed.sender == "a@b.c"


def test_base64_and_broken_base64() -> None:
    good = parse_message(b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                         b"Qm9uam91ciDDqXF1aXBlCg==\n")
    assert good.text == "Bonjour équipe"
    bad = parse_message(b"Content-Transfer-Encoding: base64\n\nQm9uam91ciDDqXF1aXBl!!Cg\n")
    assert bad.text.startswith("Bonjour")


# ---------------------------------------------------------------------------- HTML

def test_html_only_mail_becomes_readable_text() -> None:
    parsed = parse_file("html-only.eml")
    assert parsed.text_source == "html"
    assert "Voici notre bilan pour Mme Sadeghi :" in parsed.text
    assert "- Pétition : 87 signatures le 7 mars ;" in parsed.text
    assert "Bien à vous,\nThomas\nGroupe de Rennes" in parsed.text
    for hidden in ("margin", "not text", "comment", "Bilan\n"):
        assert hidden not in parsed.text
    assert "> Pouvez-vous nous envoyer votre bilan ?" in parsed.text     # <blockquote> as a quote
    assert "Pouvez-vous" not in parsed.new_text and "a écrit" not in parsed.new_text


def test_html_to_text_blocks_and_entities() -> None:
    html = ("<div>Un<br>deux</div><div><br></div><p>trois&nbsp;&amp;&lt;quatre&gt;</p>"
            "<table><tr><td>a</td><td>b</td></tr></table><pre>x  y\nz</pre><script>no</script>")
    assert readable_text(html) == "Un\ndeux\n\ntrois &<quatre>\na\tb\nx  y\nz"


def test_a_data_tables_row_is_one_line_even_with_a_paragraph_per_cell() -> None:
    """Word and Outlook put <p class=MsoNormal> in every cell: the row is still one line, cells a tab
    apart, so that "24/01 | Stand | 156 signatures" reads as one deed; a layout table's one cell
    holding a whole mail keeps its lines."""
    data = ("<p>Voici le bilan :</p><table><tr><td><p><b>Date</b></p></td><td><p>Action</p></td></tr>"
            "<tr><td><p>24/01</p></td><td><p>Stand place de Jaude</p><p>(pétition)</p></td>"
            "<td><p>156 signatures</p></td></tr><tr><td>31/01</td><td>38 lettres</td></tr></table><p>Merci</p>")
    assert readable_text(data) == ("Voici le bilan :\nDate\tAction\n24/01\tStand place de Jaude (pétition)"
                                   "\t156 signatures\n31/01\t38 lettres\nMerci")
    layout = "<table><tr><td><p>Bonjour,</p><p>Hier stand au marché.</p><p>Claire</p></td></tr></table>"
    assert readable_text(layout) == "Bonjour,\nHier stand au marché.\nClaire"
    long_row = "<table><tr><td>" + "".join(f"<p>paragraphe {i}</p>" for i in range(20)) + "</td><td>x</td></tr></table>"
    assert readable_text(long_row).count("\n") == 20                 # a layout row: lines kept
    quoted = "<blockquote><table><tr><td><p>a</p></td><td>b</td></tr></table></blockquote>"
    assert readable_text(quoted) == "> a\tb"


def test_multipart_alternative_prefers_plain() -> None:
    raw = (b'Content-Type: multipart/alternative; boundary="b"\n\n--b\nContent-Type: text/plain\n\nplain\n'
           b"--b\nContent-Type: text/html\n\n<p>html</p>\n--b--\n")
    parsed = parse_message(raw)
    assert (parsed.text, parsed.text_source) == ("plain", "plain")


# ---------------------------------------------------------------------------- quotes and signatures

@pytest.mark.parametrize("body, new", [
    (("OUI je confirme\n\nLe mer. 21 janv. 2026 à 14:02, Protégeons les personnes "
      "<team@example.org> a écrit :\n> Bonjour,\n> Confirmez-vous ?\n"), "OUI je confirme"),
    ("Oui.\n\nLe 3 mars 2026 à 10:00, Marie Dupont\n<marie@example.org> a écrit :\n> question\n", "Oui."),
    ("Yes.\n\nOn Mon, Mar 2, 2026 at 10:00 AM Team <team@example.org> wrote:\n> question\n", "Yes."),
    ("Merci.\n\n-----Message d'origine-----\nDe : Équipe\nEnvoyé : lundi\nObjet : x\n\nancien\n", "Merci."),
    ("Merci.\n\n-----Original Message-----\nFrom: Team\nSent: Monday\n\nold\n", "Merci."),
    ("Bien reçu.\n\nLe 02/03/2026 à 09:15, Claire a écrit :\nTexte cité sans chevrons\n", "Bien reçu."),
    # not quotes: an attribution needs a time or an address, a ">" inside a line is text
    ("Le député a écrit :\nil soutient notre démarche.\n", "Le député a écrit :\nil soutient notre démarche."),
    ("Nous avons 3 > 2 lettres.\n", "Nous avons 3 > 2 lettres."),
])
def test_quoted_replies_are_removed(body: str, new: str) -> None:
    assert mail(body).new_text == new


def test_outlook_reply_block() -> None:
    parsed = parse_file("reply-outlook-fr.eml")              # CRLF, quoted-printable
    assert parsed.new_text == "Oui, je confirme mon inscription.\n\nSolange Perret"
    assert "Pour confirmer" in parsed.text


def test_interleaved_reply_keeps_answers_and_sets_signature_apart() -> None:
    parsed = parse_file("reply-en-interleaved.eml")           # also format=flowed
    assert parsed.new_text == ("Yes, from 10 to 12.\n\nTwenty sheets, please. We expect a lot of people "
                               "at the market this Saturday.")
    assert parsed.signature == "John Smith\nGroup 37, Leeds"


def test_strip_quotes_direct() -> None:
    assert strip_quotes("Texte\n-- \nLéa\n06 12 34 56 78\n") == ("Texte", "Léa\n06 12 34 56 78")


# ---------------------------------------------------------------------------- forwards

def test_forward_as_attachment() -> None:
    parsed = parse_file("forward-rfc822.eml")
    fwd = parsed.forwarded
    assert fwd is not None and fwd.via == "attachment"
    assert (fwd.sender, fwd.sender_name, fwd.subject) == ("jean.martin@example.com", "Jean Martin",
                                                          "Actions pour Dawit")
    assert fwd.date is not None and fwd.date.isoformat() == "2026-03-16T18:42:00+01:00"
    assert "Nous avons envoyé 12 lettres au ministère le 14 mars." in fwd.new_text
    assert "Pouvez-vous" not in fwd.new_text and "Pouvez-vous" in fwd.text
    assert parsed.sender == "helene.marchal@example.com"
    assert parsed.new_text == ("Bonjour,\n\nJe vous transfère le compte rendu de Jean pour le dossier Tesfaye."
                               "\n\nHélène")


def test_inline_forward_thunderbird() -> None:
    parsed = parse_file("forward-inline-thunderbird.eml")
    fwd = parsed.forwarded
    assert fwd is not None and fwd.via == "inline"
    assert (fwd.sender, fwd.sender_name, fwd.subject) == ("luc.perrin@example.net", "Luc Perrin",
                                                          "Bilan du cercle d'Annecy")
    assert fwd.new_text == "Bonsoir Anne,\n\nLe concert de soutien du 14 mars a réuni 140 personnes.\n\nLuc"
    assert "140 personnes" in parsed.new_text          # a forward is not a quoted reply


def test_inline_forward_gmail_and_outlook() -> None:
    gmail = mail("Pour info\n\n---------- Forwarded message ---------\nFrom: Jean <jean@example.net>\n"
                 "Date: lun. 16 mars 2026 à 18:42\nSubject: Actions\nTo: Léa <lea@example.org>\n\n\n"
                 "Bonjour,\n12 lettres.\n", subject="Fwd: Actions")
    assert gmail.forwarded is not None
    assert (gmail.forwarded.sender, gmail.forwarded.subject, gmail.forwarded.date) == ("jean@example.net",
                                                                                       "Actions", None)
    assert gmail.forwarded.new_text == "Bonjour,\n12 lettres."
    outlook = mail("Voir ci-dessous.\n\n________________________________\nDe : Jean Dupuis <jd@example.net>\n"
                   "Envoyé : lundi 16 mars 2026 18:42\nÀ : Léa\nObjet : Bilan\n\nNous avons 30 signatures.\n",
                   subject="TR: Bilan")
    assert outlook.forwarded is not None and outlook.forwarded.sender == "jd@example.net"
    assert outlook.forwarded.new_text == "Nous avons 30 signatures."
    assert "30 signatures" in outlook.new_text


def test_inline_forward_apple_mail_quotes_the_whole_message() -> None:
    apple = mail("Je vous transmets le bilan.\n\nNadia\n\nDébut du message réexpédié :\n\n"
                 "> De: Mathieu Pellegrin <mathieu.pellegrin@example.com>\n> Objet: Bilan avril\n"
                 "> Date: 26 avril 2026 à 20:44:12 UTC+2\n> À: Nadia <nadia@example.org>\n>\n> Salut Nadia,\n>\n"
                 "> Le groupe a envoyé le 14 avril 64 lettres au ministre.\n>\n> Mathieu\n", subject="Fwd: Bilan avril")
    fwd = apple.forwarded
    assert fwd is not None and (fwd.sender, fwd.subject) == ("mathieu.pellegrin@example.com", "Bilan avril")
    assert fwd.new_text == "Salut Nadia,\n\nLe groupe a envoyé le 14 avril 64 lettres au ministre.\n\nMathieu"
    assert "64 lettres" in apple.new_text               # the forwarded words are read, not dropped as a quote


def test_fr_dev_forward() -> None:
    if FR_DEV is None:
        pytest.skip("fr-dev corpus not available")
    parsed = parse_message((FR_DEV / "003.eml").read_bytes())
    assert parsed.sender == "helene.marchal@example.com"
    assert parsed.forwarded is not None and parsed.forwarded.sender == "jean-luc.dumont@example.com"
    assert "Jean-Luc, groupe 19" in parsed.forwarded.new_text


# ---------------------------------------------------------------------------- the rest of the reading

def test_format_flowed_is_joined() -> None:
    parsed = mail("Une ligne qui \ncontinue ici.\n>Cité \n> aussi\n-- \nSig\n", params="; format=flowed")
    assert parsed.text.startswith("Une ligne qui continue ici.\n")
    assert parsed.new_text == "Une ligne qui continue ici."


def test_references_and_message_id() -> None:
    parsed = mail("x", headers="Message-ID: <m1@example.org>\nIn-Reply-To: <a@x>\nReferences: <b@x> <a@x>\n")
    assert parsed.message_id == "<m1@example.org>"
    assert parsed.in_reply_to == ("<a@x>", "<b@x>")


def test_stdlib_tree_is_built_on_demand() -> None:
    raw = (INBOUND / "html-only.eml").read_bytes()
    parsed = parse_message(raw)
    assert parsed.raw == raw
    assert parsed.__dict__.get("_lazy_message") is None         # nothing parsed yet
    message = parsed.message
    assert isinstance(message, EmailMessage) and message.policy == policy.default
    assert parsed.message is message                             # parsed once
    assert message["Subject"] == "Re: Bilan demandé"
    assert parsed == parse_message(raw)                          # the tree takes no part in equality


def test_header_values_keeps_every_field() -> None:
    parsed = parse_file("verp-bounce-postfix.eml")
    assert parsed.header_values("Delivered-To") == ["protegeonslespersonnes+b-k3jx7qp2mzt5w4ra@example.org"]
    assert len(parsed.header_values("received")) == 1


# ---------------------------------------------------------------------------- limits

@pytest.mark.parametrize("name", ["hostile-deep-nesting.eml", "hostile-many-parts.eml"])
def test_hostile_mime_is_refused_fast(name: str) -> None:
    raw = (INBOUND / name).read_bytes()
    start = time.thread_time()                  # CPU time: what the parser costs, whatever the load
    with pytest.raises(MessageTooComplex):
        parse_message(raw)
    assert time.thread_time() - start < 0.2


def test_limits_are_configurable() -> None:
    raw = (INBOUND / "html-only.eml").read_bytes()
    with pytest.raises(MessageTooComplex, match="bytes"):
        parse_message(raw, Limits(max_bytes=100))
    with pytest.raises(MessageTooComplex, match="characters"):
        parse_message(raw, Limits(max_text_chars=100))
    with pytest.raises(MessageTooComplex, match="header"):
        parse_message(raw, Limits(max_headers=3))
    assert issubclass(MessageTooComplex, ValueError)


# Inputs that make careless regular expressions or parsers quadratic; ~1 MB each.
HOSTILE = {
    "unclosed tags": b"Content-Type: text/html\n\n" + b"<a" * 500_000,
    "unclosed quotes": b"Content-Type: text/html\n\n" + b'<a href="' * 100_000,
    "long word with @": b"From: MAILER-DAEMON@x.org\nSubject: Undelivered Mail\n\n" + b"a" * 1_000_000 + b"@",
    "blank lines": b"Subject: x\n\n" + b"\n" * 1_000_000 + b"x",
    "spaces": b"Subject: x\n\n" + b" " * 1_000_000 + b"x",
    "From lines": b"Subject: Fwd: x\n\n" + b"From: x\n" * 120_000,
    "quote lines": b"Subject: x\n\n" + b"> x\n" * 250_000,
    "spaces in a header": b"To: a" + b" " * 1_000_000 + b"b\n\nx",
    "spaces in Content-Type": b"Content-Type: text/plain;" + b" " * 1_000_000 + b"x=1\n\nx",
    "a line with no colon": b"X" * 1_000_000 + b"\n\nx",
    "encoded words": b"Subject: " + b"=?utf-8?q?a" * 100_000 + b"\n\nx",
    "long address list": b"To: " + b"a@b.c, " * 150_000 + b"\n\nx",
    "backslashes in From": b'From: "' + b"\\" * 1_000_000 + b"\n\nx",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_pathological_input_is_read_in_linear_time(name: str) -> None:
    start = time.thread_time()                  # CPU time: what the parser costs, whatever the load
    try:
        parse_message(HOSTILE[name])
    except MessageTooComplex:
        pass
    assert time.thread_time() - start < 1.5, name      # ~0.1 s here; quadratic would take minutes


# ---------------------------------------------------------------------------- the French corpus

@pytest.mark.skipif(FR_DEV is None, reason="fr-dev corpus not available")
def test_fr_dev_senders_and_text() -> None:
    for line in (FR_DEV / "expected.jsonl").open(encoding="utf-8"):  # type: ignore[union-attr]
        row = json.loads(line)
        parsed = parse_message((FR_DEV / row["file"]).read_bytes())  # type: ignore[operator]
        assert parsed.sender == row["sender"], row["file"]
        assert parsed.new_text.strip(), row["file"]
        assert "\ufffd" not in parsed.text and "Ã©" not in parsed.text, row["file"]
