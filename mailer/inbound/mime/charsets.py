"""Bytes -> text: transfer encodings, MIME charsets (with fallbacks), format=flowed.   [pure]

Declared charset, then utf-8, cp1252, latin-1 (which never fails): mail that lies about its
charset still reads. Only C codecs: this runs on every text part of every message.
"""

from __future__ import annotations

import binascii
import codecs
import re


def decode_transfer_encoding(payload: bytes, cte: str, defects: list[str]) -> bytes:
    """base64 (lenient about padding and junk) or quoted-printable -> bytes; anything else as is."""
    if cte == "base64":
        try:
            return binascii.a2b_base64(payload)
        except binascii.Error:
            defects.append("InvalidBase64PaddingDefect")
            data = re.sub(rb"[^A-Za-z0-9+/]", b"", payload)
            data = data[: len(data) - len(data) % 4]
            try:
                return binascii.a2b_base64(data)
            except binascii.Error:
                return payload
    if cte == "quoted-printable":
        return binascii.a2b_qp(payload)
    return payload


_CODECS: dict[str, str | None] = {}
# 7-bit encodings whose bytes do not mean ASCII: ISO-2022-JP mail is pure ASCII bytes, yet Japanese.
_NOT_ASCII_TRANSPARENT = ("utf-16", "utf-32", "utf-7", "iso2022", "hz")


# Python codecs that no mail charset names: escapes, IDNA, bytes-to-bytes ("base64", "zlib"), "undefined".
_NOT_CHARSETS = frozenset({"undefined", "punycode", "idna", "unicode_escape", "raw_unicode_escape", "mbcs", "oem"})


def codec_name(charset: str) -> str | None:
    """A Python codec name for a MIME charset, or None when unknown ("bogus", "unknown-8bit")."""
    key = charset.strip().strip('"').lower()
    if key not in _CODECS:
        try:
            info = codecs.lookup(key) if key else None
        except (LookupError, ValueError):
            info = None
        text_codec = info is not None and getattr(info, "_is_text_encoding", True) and info.name not in _NOT_CHARSETS
        _CODECS[key] = info.name if text_codec else None  # type: ignore[union-attr]
        if len(_CODECS) > 1000:          # hostile mail must not grow this without bound
            _CODECS.clear()
    return _CODECS[key]


def decode_bytes(data: bytes, charset: str, defects: list[str] | None = None) -> str:
    """Declared charset, then utf-8, cp1252, latin-1 (which never fails)."""
    codec = codec_name(charset) if charset else None
    if data.isascii() and not (codec and codec.startswith(_NOT_ASCII_TRANSPARENT)):
        return data.decode("ascii")
    if charset and codec is None and defects is not None and "CharsetError" not in defects:
        defects.append("CharsetError")
    for name in (codec, "utf-8", "cp1252"):
        if name:
            try:
                return data.decode(name)
            except (UnicodeError, LookupError, ValueError):
                pass
    return data.decode("latin-1")


def unflow(text: str, delsp: bool) -> str:
    """RFC 3676 format=flowed: a line ending in a space continues on the next one."""
    out: list[str] = []
    joining = False
    for line in text.split("\n"):
        line = line.removeprefix(" ")    # space-stuffing
        if joining:
            out[-1] += line
        else:
            out.append(line)
        joining = line.endswith(" ") and line != "-- " and not line.startswith(">")
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return "\n".join(out)
