"""The splicing function's own hostile-input tests: every per-recipient value passes here."""

from __future__ import annotations

import quopri
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest

from mailer.errors import HeaderInjectionError, RecipientDataError
from mailer.outbound.encoding import (check_address, dot_stuff, encode_body, encode_display_name,
                                      encode_unstructured, format_address)


def decoded(header_value: str) -> str:
    return str(make_header(decode_header(header_value)))


@pytest.mark.parametrize("value", ["Alice\r\nBcc: victim@example.net", "Alice\nBcc: x@y.z", "A\rB",
                                   "tab\there", "nul\x00", "line\u2028sep"])
def test_line_breaks_and_controls_are_refused_in_every_header_value(value: str) -> None:
    for encode in (encode_unstructured, encode_display_name):
        with pytest.raises(HeaderInjectionError):
            encode(value)
    with pytest.raises(HeaderInjectionError):
        format_address(value, "a@example.org")


def test_text_utf8_cannot_encode_is_refused_as_that_recipient_s_bad_data() -> None:
    """A lone surrogate (from a hand-edited frozen audience, say) fails its recipient, like a line break."""
    assert issubclass(HeaderInjectionError, RecipientDataError)
    with pytest.raises(RecipientDataError, match="not valid text"):
        format_address("Zo\udce9", "a@example.org")
    with pytest.raises(RecipientDataError):
        encode_unstructured("Alerte \ud83d")


@pytest.mark.parametrize("address", ["a@example.org\r\nBcc: x@y.z", "Name <a@example.org>", "a@b", "a b@example.org",
                                     "ré@example.org", "a@example.org>", "<a@example.org", "a..b@example.org", ""])
def test_only_plain_ascii_addresses_pass(address: str) -> None:
    with pytest.raises(HeaderInjectionError):
        check_address(address)


def test_a_forged_encoded_word_is_encoded_not_passed_through() -> None:
    # A display name that *is* an encoded word would be shown decoded ("ADMIN") by clients.
    header = format_address("=?utf-8?q?ADMIN?=", "a@example.org")
    assert decoded(header.rsplit(" <", 1)[0]) == "=?utf-8?q?ADMIN?="
    assert decoded(encode_unstructured("=?utf-8?b?QURNSU4=?=")) == "=?utf-8?b?QURNSU4=?="


def test_specials_in_a_name_cannot_change_the_address() -> None:
    for name in ("Noël <html>", 'Bob "the" <evil@example.net>', "Dupont, Jean", "x@y.z"):
        raw = f"To: {format_address(name, 'real@example.org')}\r\n\r\n".encode()
        message = message_from_bytes(raw, policy=policy.default)
        (address,) = message["To"].addresses
        assert address.addr_spec == "real@example.org"
        assert address.display_name == name


def test_long_french_subject_is_folded_into_valid_encoded_words() -> None:
    subject = "Action urgente : " + "Leïla Sadeghi, défenseure des droits des femmes, " * 4
    encoded = encode_unstructured(subject)
    lines = encoded.split("\r\n ")
    assert len(lines) > 1 and all(len(line) <= 75 for line in lines)
    assert decoded(encoded) == subject


def test_plain_ascii_subject_is_left_readable() -> None:
    assert encode_unstructured("Bulletin 42") == "Bulletin 42"


@pytest.mark.parametrize("body", [
    "Bonjour Zoé,\n.\nligne seule avec un point",
    "fin de ligne avec espace \nsuite",
    "retour chariot seul\rsuite\r\nfin",
    "=?utf-8?q?x?= et = signe",
    "é" * 500,
])
def test_body_encoding_round_trips_with_crlf_and_short_lines(body: str) -> None:
    encoded = encode_body(body)
    assert b"\n" not in encoded.replace(b"\r\n", b"")
    assert b"\r" not in encoded.replace(b"\r\n", b"")
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    expected = body.replace("\r\n", "\n").replace("\r", "\n") + "\n"
    assert quopri.decodestring(encoded.replace(b"\r\n", b"\n")).decode("utf-8") == expected


def test_dot_stuffing_doubles_leading_dots_only() -> None:
    assert dot_stuff(b"a\r\n.\r\n..x\r\nb.c\r\n") == b"a\r\n..\r\n...x\r\nb.c\r\n"
    assert dot_stuff(b".start\r\n") == b"..start\r\n"
    same = b"no dots at line starts\r\n"
    assert dot_stuff(same) is same
