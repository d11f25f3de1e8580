"""The single place where per-recipient values become message bytes.   [pure]

Every value spliced into a message passes through here: checked for CR, LF and other control
characters and for text UTF-8 cannot encode, RFC 2047-encoded for headers, escaped for HTML,
and the bodies quoted-printable encoded with CRLF line ends. Hostile values (`=?utf-8?q?ADMIN?=`,
`Noël <html>`, a name with a line break and `Bcc:`, a lone `.` on a line) are tested in
tests/test_encoding.py.
"""

from __future__ import annotations

import binascii
import re

from ..errors import HeaderInjectionError, RecipientDataError

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")     # not text: UTF-8 cannot encode a lone surrogate
_ATEXT_PHRASE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$")
_ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$")
# RFC 2047 section 5(3): in a phrase, only these may stand unencoded inside a Q encoded-word.
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_Q_BYTE = [chr(b) if b in _Q_SAFE else ("_" if b == 0x20 else f"={b:02X}") for b in range(256)]
_ENCODED_WORD_BUDGET = 75 - len("=?utf-8?q??=")


def check_header_value(value: str, what: str = "header value") -> str:
    """A CR or LF in any header value is an error (it would start a new header line)."""
    if _CONTROL.search(value):
        raise HeaderInjectionError(f"{what} contains a line break or control character: {value!r}")
    if not value.isascii() and _SURROGATE.search(value):
        raise RecipientDataError(f"{what} is not valid text (a lone surrogate UTF-8 cannot encode): {value!r}")
    return value


def check_address(address: str) -> str:
    """Plain ASCII addr-spec only: no display name, no comments, nothing to smuggle."""
    check_header_value(address, "address")
    if not _ADDRESS.match(address) or ".." in address or len(address) > 254:
        raise HeaderInjectionError(f"not a deliverable plain address: {address!r}")
    return address


def _q_encode_words(text: str) -> list[str]:
    """RFC 2047 Q encoded-words of at most 75 characters, never splitting a character."""
    words: list[str] = []
    current = ""
    for char in text:
        encoded = "".join([_Q_BYTE[b] for b in char.encode("utf-8")])
        if len(current) + len(encoded) > _ENCODED_WORD_BUDGET:
            words.append(f"=?utf-8?q?{current}?=")
            current = ""
        current += encoded
    if current or not words:
        words.append(f"=?utf-8?q?{current}?=")
    return words


def encode_unstructured(value: str, what: str = "header value") -> str:
    """A header body (Subject, List-Id phrase): as is when plain ASCII, else encoded-words.

    Anything containing `=?` is encoded too, or a client would decode a forged encoded-word.
    """
    check_header_value(value, what)
    if value.isascii() and "=?" not in value and len(value) <= 900:
        return value
    return "\r\n ".join(_q_encode_words(value))


def encode_display_name(name: str) -> str:
    check_header_value(name, "display name")
    if not name:
        return ""
    if name.isascii() and "=?" not in name:
        if _ATEXT_PHRASE.match(name) and not name.startswith(" ") and "  " not in name:
            return name
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return " ".join(_q_encode_words(name))


def format_address(name: str, address: str) -> str:
    check_address(address)
    phrase = encode_display_name(name.strip())
    return f"{phrase} <{address}>" if phrase else address


def encode_body(text: str) -> bytes:
    """UTF-8, quoted-printable, CRLF line ends; every line ≤ 76 characters.

    binascii.b2a_qp takes its line-end style from the first line and lets a lone CR through,
    so line ends are normalised to LF first and turned into CRLF after.
    """
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normalised.endswith("\n"):
        normalised += "\n"
    encoded = binascii.b2a_qp(normalised.encode("utf-8"), quotetabs=False, istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n")


def dot_stuff(data: bytes) -> bytes:
    """SMTP transparency (RFC 5321 4.5.2): a line starting with '.' gets one more."""
    if data.startswith(b".") or b"\n." in data:
        data = re.sub(rb"(?m)^\.", b"..", data)
    return data
