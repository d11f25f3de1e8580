"""CSV files -> validated records, each row judged on its own and reported by line number.

Pure apart from reading the file: the caller passes the group codes already known, and
`registry.import_file` stores the result. The file format (encodings, delimiters) is
`spreadsheet`'s business, the header vocabulary `columns`' and the values' `labels`'; here each
kind is a spec table: a record type, its key, and one parser per column.

Only the columns a file has are read: `ParsedFile.fields` says which, so that a re-import
leaves every other stored field as it was.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email

from .columns import COLUMNS, CONTACTS, ImportKind, header_key, match_header
from ..errors import ImportFileError
from .labels import DOSSIER_OUTCOMES, DOSSIER_STATUSES, GROUP_KINDS, PUBLIC_FIELDS, SUBSCRIBER_STATUSES, Vocabulary
from ..models import Dossier, Group, Member, Subscriber, code_key
from .spreadsheet import decode, read_rows

Record = Group | Dossier | Member | Subscriber


class RowError(ValueError):
    """One cell makes its row unusable; the message is shown to the coordinator as is."""


@dataclass(frozen=True)
class Problem:
    """A rejected row or a warning, tied to the file's line number (the header is line 1)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ParsedFile:
    """What one file yields: records in file order (duplicates resolved, last wins)."""

    kind: str
    source: str
    rows: int = 0
    records: list[Record] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    fields: tuple[str, ...] = ()                        # the record fields the file gives
    lines: dict[str, int] = field(default_factory=dict)  # record key -> the line it came from


@dataclass(frozen=True)
class Context:
    known_groups: frozenset[str]        # upper-cased codes
    tz: tzinfo                          # a date without offset is in the team's zone


# --- cell checks -------------------------------------------------------------------------

# Unicode category Cc (CR, LF, TAB, NUL, DEL, C1 controls) plus U+2028/2029, line breaks for
# some readers. Format characters (Cf) stay allowed: Persian names need U+200C.
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_text(value: str, column: str, required: bool = False) -> str:
    """Strip the cell; refuse control characters, which would end up inside mail headers."""
    value = value.strip()
    bad = FORBIDDEN.search(value)
    if bad:
        raise RowError(f"{column} contains a control character (U+{ord(bad.group()):04X}); "
                       "line breaks are not allowed in a field")
    if required and not value:
        raise RowError(f"{column} is empty")
    return value


def normalize_email(value: str, column: str = "email") -> str:
    """A checked address, lower-cased and ASCII (IDN domains in their xn-- form).

    Non-ASCII local parts need SMTPUTF8, which relays and recipients rarely all support, so they
    are refused rather than sent into a bounce.
    """
    text = clean_text(value, column, required=True)
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise RowError(f"{column} {text!r} is not a valid address: {exc}") from None
    if checked.ascii_email is None:
        raise RowError(f"{column} {text!r}: accented or non-Latin letters before the @ are not "
                       "supported (the address needs SMTPUTF8)")
    return checked.ascii_email.lower()


# --- one parser per column: (cell, the column's title in the file, context) -> value ------

CellParser = Callable[[str, str, Context], Any]


def _text(value: str, column: str, ctx: Context) -> str:
    return clean_text(value, column)


def _as_written(value: str, column: str, ctx: Context) -> str:
    """A csv: audience's names go to the renderer as written: it is the one place that checks
    header values, and a hostile name fails that recipient alone, with its reason in the journal."""
    return value.strip()


def _required(value: str, column: str, ctx: Context) -> str:
    return clean_text(value, column, required=True)


def _email(value: str, column: str, ctx: Context) -> str:
    return normalize_email(value, column)


def _optional_email(value: str, column: str, ctx: Context) -> str:
    return normalize_email(value, column) if value.strip() else ""


def _code(value: str, column: str, ctx: Context) -> str:
    """Group codes and dossier refs are keys, stored in upper case; a space inside one is a typo."""
    code = clean_text(value, column, required=True)
    if any(c.isspace() or c in ",;" for c in code):
        raise RowError(f"{column} {code!r} must not contain spaces, ',' or ';'")
    return code_key(code)


def _unknown_groups(codes: list[str], ctx: Context) -> str:
    """The message for codes not stored, with a hint that is true for this store."""
    named = f"unknown group {codes[0]!r}" if len(codes) == 1 else f"unknown group(s) {', '.join(codes)}"
    if not ctx.known_groups:
        return f"{named}: no group is stored yet (import the groups file first)"
    near = difflib.get_close_matches(codes[0], sorted(ctx.known_groups), n=1, cutoff=0.75)
    hint = f"; did you mean {near[0]}?" if near else ""
    return f"{named} (not among the {len(ctx.known_groups)} stored groups: mailer groups list{hint})"


def _group(value: str, column: str, ctx: Context) -> str:
    code = clean_text(value, column)
    if code and code_key(code) not in ctx.known_groups:
        raise RowError(_unknown_groups([code_key(code)], ctx))
    return code_key(code)


def _groups(value: str, column: str, ctx: Context) -> list[str]:
    codes = clean_text(value, column).replace(",", ";").split(";")
    groups = list(dict.fromkeys(code_key(c) for c in codes if c.strip()))
    unknown = [c for c in groups if c not in ctx.known_groups]
    if unknown:
        raise RowError(_unknown_groups(unknown, ctx))
    return groups


def _one_of(vocabulary: Vocabulary, required: bool = True) -> CellParser:
    def parse(value: str, column: str, ctx: Context) -> str:
        text = clean_text(value, column, required)
        try:
            return vocabulary.parse(text) if text else ""
        except ValueError as exc:
            raise RowError(f"{column} {exc}") from None
    return parse


def _public(value: str, column: str, ctx: Context) -> list[str]:
    """Which fields of a dossier the bulletin may show: names in English or French (`person`,
    `Personne`), separated by `,` or `;`, kept in the table's order; never the référent."""
    names = [n for n in clean_text(value, column).replace(";", ",").split(",") if n.strip()]
    try:
        chosen = {PUBLIC_FIELDS.parse(n) for n in names}
    except ValueError as exc:
        raise RowError(f"{column} {exc}") from None
    return [f for f in PUBLIC_FIELDS.entries if f in chosen]


DATE_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _instant(value: str, column: str, ctx: Context) -> str:
    """ISO 8601 or French `20/03/2026 10:00` (team's zone when no offset) -> UTC ISO, to the second."""
    text = clean_text(value, column)
    if not text:
        return ""
    moment = _moment(text)
    if moment is None:
        raise RowError(f"{column} {text!r} is not a date (2026-03-20 10:00 or 20/03/2026 10:00)")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=ctx.tz)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class _Spec:
    record: type
    key: str
    parsers: dict[str, CellParser]
    defaults: dict[str, Any] = field(default_factory=dict)   # for required fields of the type


SUBSCRIBER = {"email": _email, "name": _text, "first_name": _text}
SPECS: dict[str, _Spec] = {
    ImportKind.GROUPS: _Spec(Group, "code", {"code": _code, "name": _required, "kind": _one_of(GROUP_KINDS),
                                             "city": _text, "email": _optional_email}),
    ImportKind.DOSSIERS: _Spec(Dossier, "ref", {"ref": _code, "person": _required, "country": _text,
                                                "status": _one_of(DOSSIER_STATUSES),
                                                "referent_email": _optional_email, "groups": _groups,
                                                "summary": _text, "outcome": _one_of(DOSSIER_OUTCOMES, False),
                                                "public": _public},
                               {"country": ""}),
    ImportKind.MEMBERS: _Spec(Member, "email", {**SUBSCRIBER, "group": _group}),
    # An empty status or date cell gives "": not given, registry keeps the stored one (upsert_subscribers).
    ImportKind.SUBSCRIBERS: _Spec(Subscriber, "email", {**SUBSCRIBER, "status": _one_of(SUBSCRIBER_STATUSES, False),
                                                        "since": _instant}),
    CONTACTS: _Spec(Subscriber, "email", {"email": _email, "name": _as_written, "first_name": _as_written}),
}
assert all(set(s.parsers) == {c.field for c in COLUMNS[k]} for k, s in SPECS.items())


def _build(spec: _Spec, cells: dict[str, tuple[str, str]], ctx: Context) -> Record:
    """cells: field -> (title in the file, cell text). `Prénom` + `Nom` become the name."""
    values = {name: spec.parsers[name](text, title, ctx) for name, (title, text) in cells.items()}
    if "first_name" in values:
        values["name"] = " ".join(p for p in (values.pop("first_name"), values.get("name", "")) if p)
    return spec.record(**{**spec.defaults, **values})


def parse_values(kind: str, cells: dict[str, tuple[str, str]], known_groups: Collection[str] = (),
                 tz: tzinfo = UTC) -> dict[str, Any]:
    """Cells given one by one (a command's options): field -> (what to call it, text) -> values,
    checked by the very parsers a file's cells go through; raises `RowError`."""
    spec = SPECS[kind]
    ctx = Context(frozenset(code_key(c) for c in known_groups), tz)
    return {name: spec.parsers[name](text, title, ctx) for name, (title, text) in cells.items()}


# --- files ----------------------------------------------------------------------------------

def _outside(row: list[str], width: int, unnamed: set[int]) -> list[str]:
    return [c.strip() for i, c in enumerate(row) if c.strip() and (i >= width or i in unnamed)]


def parse_text(text: str, kind: str, known_groups: Collection[str] = (), source: str = "<text>",
               skip: Collection[str] = (), tz: tzinfo = UTC) -> ParsedFile:
    """Validate every row; bad rows become `Problem`s, the good ones records.

    `skip` names columns to leave out on purpose (any other unknown column is an error).
    """
    spec = SPECS[kind]
    result = ParsedFile(kind=kind, source=source)
    ctx = Context(frozenset(code_key(c) for c in known_groups), tz)
    rows = read_rows(text, source)
    _, header = next(rows, (0, []))
    if not any(cell.strip() for cell in header):
        expected = ", ".join(c.field for c in COLUMNS[kind] if c.required)
        raise ImportFileError(f"{source}: the file is empty or its first line is blank "
                              f"(expected a header with at least: {expected})")
    positions = match_header(header, kind, source, skip)
    skipped = {header_key(s) for s in skip}
    unnamed = {i for i, h in enumerate(header) if not header_key(h)} - {
        i for i, h in enumerate(header) if header_key(h) in skipped}
    result.fields = tuple(dict.fromkeys("name" if c == "first_name" else c for c in spec.parsers if c in positions))
    key_title = header[positions[spec.key]].strip()
    kept: dict[str, tuple[int, Record]] = {}
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        result.rows += 1
        outside = _outside(row, len(header), unnamed)
        if outside:
            result.rejected.append(Problem(line, f"{len(outside)} value(s) outside the header's columns "
                                                 f"({', '.join(map(repr, outside))}); a delimiter inside "
                                                 "a value needs quotes"))
            continue
        cells = {c: (header[i].strip(), row[i] if i < len(row) else "") for c, i in positions.items()}
        try:
            record = _build(spec, cells, ctx)
        except RowError as exc:
            result.rejected.append(Problem(line, str(exc)))
            continue
        key = getattr(record, spec.key)
        if key in kept:
            result.warnings.append(Problem(line, f"{key_title} {key} already on line {kept[key][0]}: "
                                                 "this line replaces it"))
        kept[key] = (line, record)     # last wins, at the place of the first
    result.records = [record for _, record in kept.values()]
    result.lines = {key: line for key, (line, _) in kept.items()}
    return result


def read_file(path: Path, kind: str, known_groups: Collection[str] = (), skip: Collection[str] = (),
              tz: tzinfo = UTC) -> ParsedFile:
    """Read and validate one CSV file; only an unreadable file raises `ImportFileError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_text(decode(data, str(path)), kind, known_groups, str(path), skip, tz)
