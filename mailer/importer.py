"""CSV files -> validated records, each row judged on its own and reported by line number.

Pure apart from reading the file: the caller passes the group codes already known, and
`registry.import_file` stores the result. Files come from French spreadsheet software, so the
reader accepts `,` `;` or tab delimiters (guessed from the header line), UTF-8 with or without
BOM, UTF-16 with BOM ("Texte Unicode") and cp1252 as the fallback when UTF-8 fails.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from .errors import ImportFileError
from .models import Dossier, DossierStatus, Group, GroupKind, Member, Subscriber

Record = Group | Dossier | Member | Subscriber
DELIMITERS = (",", ";", "\t")


class ImportKind(StrEnum):
    GROUPS = "groups"
    DOSSIERS = "dossiers"
    MEMBERS = "members"
    SUBSCRIBERS = "subscribers"


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

    kind: ImportKind
    source: str
    rows: int = 0
    records: list[Record] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


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


def _optional_email(value: str, column: str) -> str:
    return normalize_email(value, column) if value.strip() else ""


def _code(value: str, column: str) -> str:
    """Group codes and dossier refs are keys; a space or separator inside one is a typo."""
    code = clean_text(value, column, required=True)
    if any(c.isspace() or c in ",;" for c in code):
        raise RowError(f"{column} {code!r} must not contain spaces, ',' or ';'")
    return code


def _group_kind(value: str) -> str:
    text = clean_text(value, "kind", required=True)
    key = text.lower().replace(" ", "_").replace("-", "_")
    try:
        return GroupKind(key).value
    except ValueError:
        allowed = ", ".join(k.value for k in GroupKind)
        raise RowError(f"kind {text!r} is not one of {allowed}") from None


def _group_ref(code: str, known_groups: Collection[str]) -> str:
    if code not in known_groups:
        raise RowError(f"unknown group {code!r} (import the groups file first)")
    return code


# --- one builder per kind: cells (by column name) -> record --------------------------------

Cells = dict[str, str]
Builder = Callable[[Cells, Collection[str]], Record]


def _group(cells: Cells, known: Collection[str]) -> Group:
    return Group(code=_code(cells["code"], "code"), name=clean_text(cells["name"], "name", True),
                 kind=_group_kind(cells["kind"]), city=clean_text(cells["city"], "city"),
                 email=_optional_email(cells["email"], "email"))


def _dossier(cells: Cells, known: Collection[str]) -> Dossier:
    ref = _code(cells["ref"], "ref")
    try:
        status = DossierStatus.parse(clean_text(cells["status"], "status", True)).value
    except ValueError as exc:
        raise RowError(str(exc)) from None
    codes = clean_text(cells["groups"], "groups").replace(",", ";").split(";")
    groups = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    unknown = [c for c in groups if c not in known]
    if unknown:
        raise RowError(f"unknown group(s) {', '.join(unknown)} (import the groups file first)")
    return Dossier(ref=ref, person=clean_text(cells["person"], "person", True),
                   country=clean_text(cells["country"], "country"), status=status,
                   referent_email=_optional_email(cells["referent_email"], "referent_email"),
                   groups=groups)


def _member(cells: Cells, known: Collection[str]) -> Member:
    group = clean_text(cells["group"], "group")
    return Member(email=normalize_email(cells["email"]), name=clean_text(cells["name"], "name"),
                  group=_group_ref(group, known) if group else "")


def _subscriber(cells: Cells, known: Collection[str]) -> Subscriber:
    return Subscriber(email=normalize_email(cells["email"]), name=clean_text(cells["name"], "name"))


@dataclass(frozen=True)
class _Spec:
    columns: tuple[str, ...]
    key: str
    build: Builder


SPECS: dict[ImportKind, _Spec] = {
    ImportKind.GROUPS: _Spec(("code", "name", "kind", "city", "email"), "code", _group),
    ImportKind.DOSSIERS: _Spec(("ref", "person", "country", "status", "referent_email", "groups"),
                               "ref", _dossier),
    ImportKind.MEMBERS: _Spec(("email", "name", "group"), "email", _member),
    ImportKind.SUBSCRIBERS: _Spec(("email", "name"), "email", _subscriber),
}


# --- files ----------------------------------------------------------------------------------

def decode(data: bytes, source: str) -> str:
    """UTF-16 (with BOM), else UTF-8 (BOM optional), else cp1252: what spreadsheets write."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{source}: invalid UTF-16 text: {exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(f"{source}: the file is neither UTF-8 nor Windows-1252 text; "
                              "save it again as 'CSV UTF-8'") from None


def sniff_delimiter(header_line: str) -> str:
    """The separator used most in the header; the header's names never contain one."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_line(text: str) -> str:
    return re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]


def _columns(header: list[str], spec: _Spec, source: str) -> dict[str, int]:
    names = [h.strip().strip("\ufeff").strip().lower() for h in header]
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in spec.columns and name in positions:
            raise ImportFileError(f"{source}: column {name!r} appears twice in the header")
        positions.setdefault(name, index)
    missing = [c for c in spec.columns if c not in positions]
    if missing:
        raise ImportFileError(f"{source}: missing column(s) {', '.join(missing)} in the header "
                              f"(expected {','.join(spec.columns)}; found {','.join(names)})")
    return {c: positions[c] for c in spec.columns}


def parse_text(text: str, kind: ImportKind, known_groups: Collection[str] = (),
               source: str = "<text>") -> ParsedFile:
    """Validate every row; bad rows become `Problem`s, the good ones records."""
    spec = SPECS[ImportKind(kind)]
    result = ParsedFile(kind=ImportKind(kind), source=source)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(_first_line(text)))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportFileError(f"{source}: the file is empty (expected a header {','.join(spec.columns)})")
        columns = _columns(header, spec, source)
        kept: dict[str, tuple[int, Record]] = {}
        end = reader.line_num
        for row in reader:
            line, end = end + 1, reader.line_num   # a quoted cell may span lines: report the first
            if not any(cell.strip() for cell in row):
                continue
            result.rows += 1
            cells = {c: (row[i] if i < len(row) else "") for c, i in columns.items()}
            try:
                record = spec.build(cells, known_groups)
            except RowError as exc:
                result.rejected.append(Problem(line, str(exc)))
                continue
            key = getattr(record, spec.key)
            if key in kept:
                result.warnings.append(Problem(line, f"{spec.key} {key} already on line {kept[key][0]}: "
                                                     "this line replaces it"))
            kept[key] = (line, record)
    except csv.Error as exc:
        raise ImportFileError(f"{source}: line {reader.line_num}: unreadable CSV: {exc}") from None
    result.records = [record for _, record in kept.values()]
    return result


def read_file(path: Path, kind: ImportKind, known_groups: Collection[str] = ()) -> ParsedFile:
    """Read and validate one CSV file; only an unreadable file raises `ImportFileError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_text(decode(data, str(path)), kind, known_groups, source=str(path))
