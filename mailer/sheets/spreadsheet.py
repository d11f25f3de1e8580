"""Spreadsheet files both ways: what French software writes in, what it opens with a double-click out.

In: `,` `;` or tab (guessed from the header line); UTF-8 with or without BOM, UTF-16 with BOM
("Texte Unicode"), cp1252 (with or without a UTF-8 BOM in front: some tools add one to any
text). Out: UTF-8 with BOM and `;` by default, which French Excel and LibreOffice open as
columns with accents intact (without the BOM Excel reads cp1252; with `,` it shows one column).

Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are written with a
leading `'` (OWASP "CSV injection"): names come from inbound mail too. The reader removes it,
so a round trip gives back the value.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence

from ..errors import ImportFileError

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {";": ";", ",": ",", "tab": "\t", "\t": "\t", "\\t": "\t"}
FORMULA_START = ("=", "+", "-", "@")


def decode(data: bytes, source: str) -> str:
    """UTF-16 (with BOM), else UTF-8, else cp1252, a UTF-8 BOM in front of either set aside."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{source}: invalid UTF-16 text: {exc}") from None
    body = data.removeprefix(codecs.BOM_UTF8)
    if b"\x00" in body:
        raise ImportFileError(f"{source}: the file contains NUL bytes (UTF-16 without its BOM?); "
                              "save it again as 'CSV UTF-8'")
    for encoding in ("utf-8", "cp1252"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(f"{source}: the file is neither UTF-8 nor Windows-1252 text; "
                          "save it again as 'CSV UTF-8'")


def sniff_delimiter(header_line: str) -> str:
    """The separator used most in the header; the header's names never contain one."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) for every record, the header first; cells are unguarded.

    A quoted cell may span lines: the record is numbered by its first line.
    """
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first))
    end = 0
    try:
        for row in reader:
            line, end = end + 1, reader.line_num
            yield line, [unguard(cell) for cell in row]
    except csv.Error as exc:
        raise ImportFileError(f"{source}: line {reader.line_num}: unreadable CSV: {exc}") from None


def guard(cell: str) -> str:
    return f"'{cell}" if cell.startswith(FORMULA_START) else cell


def unguard(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_START else cell


def to_bytes(header: Sequence[str], rows: Iterable[Sequence[str]], delimiter: str = ";") -> bytes:
    """The whole file: UTF-8 BOM, CRLF line ends (as Excel writes), minimal quoting."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([guard(str(cell)) for cell in row] for row in rows)
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def parse_delimiter(text: str) -> str:
    """`;`, `,`, or `tab` (a literal tab or `\\t` too) -> the character; anything else is refused."""
    found = DELIMITER_NAMES.get(text) or DELIMITER_NAMES.get(text.strip().lower())
    if found is None:
        raise ValueError(f"delimiter {text!r}: use ';', ',' or tab")
    return found
