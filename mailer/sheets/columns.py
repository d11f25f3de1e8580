"""The columns a spreadsheet may have, per kind of file, in English and in French.   [pure]

One table says, for each kind, which columns the import reads, which are required, how the
export titles them (`en` is the field's own name, `fr` what a French coordinator writes) and
which other spellings are understood. Headers are compared by `header_key`: case, accents,
spaces, hyphens, underscores and apostrophes do not matter (`Adresse e-mail` = `adresse_email`).

A header the table does not know is an error naming it, with the closest known column: a
column silently ignored is data silently lost (a `Téléphone` column is skipped only on request).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..errors import ImportFileError


class ImportKind(StrEnum):
    GROUPS = "groups"
    DOSSIERS = "dossiers"
    MEMBERS = "members"
    SUBSCRIBERS = "subscribers"


CONTACTS = "contacts"       # the rows of a campaign's `csv:` audience (not an import)


def header_key(text: str) -> str:
    """`Adresse électronique` -> `adresseelectronique`: letters and digits, no accent, any case."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\ufeff", "")).casefold()
    return "".join(c for c in decomposed if c.isalnum())


@dataclass(frozen=True)
class Column:
    """One field of a record; `first_name` is the one virtual column (joined into `name`)."""

    field: str
    fr: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(header_key(h) for h in (self.field, self.fr, *self.aliases))


EMAIL = ("e-mail", "mail", "courriel", "mél", "adresse électronique", "adresse e-mail", "adresse mail",
         "adresse courriel", "email address", "e-mail address")
NAME = ("nom", "nom complet", "full name", "nom de famille", "last name", "surname")
FIRST_NAME = Column("first_name", "Prénom", aliases=("prénom", "first name", "given name"))
GROUP_CODE = ("groupe", "code groupe", "code du groupe", "group code")

COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.GROUPS: (
        Column("code", "Code", True, GROUP_CODE[1:]),
        Column("name", "Nom", True, ("nom du groupe", "group name", "libellé")),
        Column("kind", "Type", True, ("type de groupe", "group type", "catégorie")),
        Column("city", "Ville", aliases=("commune", "localité")),
        Column("email", "Courriel", aliases=EMAIL),
    ),
    ImportKind.DOSSIERS: (
        Column("ref", "Référence", True, ("réf", "référence du dossier", "dossier", "numéro de dossier")),
        Column("person", "Personne", True, ("personne concernée", "nom")),
        Column("country", "Pays"),
        Column("status", "Statut", True, ("état",)),
        Column("referent_email", "Référent", aliases=("référente", "courriel du référent", "e-mail du référent",
                                                      "email référent", "courriel référent")),
        Column("groups", "Groupes", aliases=("codes des groupes", "group codes")),
        # issue 10: a public text, the outcome (libéré·e, acquitté·e...), which fields the bulletin may show
        Column("summary", "Résumé", aliases=("résumé public", "public summary")),
        Column("outcome", "Issue", aliases=("dénouement", "issue du dossier")),
        Column("public", "Champs publics", aliases=("public", "public fields", "publics")),
    ),
    ImportKind.MEMBERS: (
        Column("email", "Courriel", True, EMAIL),
        Column("name", "Nom", aliases=NAME),
        FIRST_NAME,
        Column("group", "Groupe", aliases=GROUP_CODE),
    ),
    ImportKind.SUBSCRIBERS: (
        Column("email", "Courriel", True, EMAIL),
        Column("name", "Nom", aliases=NAME),
        FIRST_NAME,
        Column("status", "Statut", aliases=("état",)),
        Column("since", "Date d'inscription", aliases=("depuis", "inscrit depuis", "abonné depuis", "inscription",
                                                      "date inscription", "subscribed")),
    ),
    CONTACTS: (
        Column("email", "Courriel", True, EMAIL),
        Column("name", "Nom", aliases=NAME),
        FIRST_NAME,
    ),
}


def exported(kind: str) -> tuple[Column, ...]:
    """What an export writes: every real field, in the table's order (no `first_name`)."""
    return tuple(c for c in COLUMNS[kind] if c is not FIRST_NAME)


def title(column: Column, labels: str) -> str:
    return column.fr if labels == "fr" else column.field


def _describe(columns: Sequence[Column]) -> str:
    return ", ".join(f"{c.field} ({c.fr})" for c in columns)


def _closest(key: str, columns: Sequence[Column]) -> Column | None:
    by_key = {k: c for c in columns for k in c.keys}
    found = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.6)
    return by_key[found[0]] if found else None


def match_header(header: Sequence[str], kind: str, source: str, skip: Collection[str] = ()) -> dict[str, int]:
    """Header cells -> {field: position}; every cell is understood, skipped on request, or empty.

    Raises `ImportFileError` for an unknown column (with the closest known one), a field given
    twice, a missing required column, or a `skip` name that is not in the header.
    """
    columns = COLUMNS[kind]
    skipped = {header_key(s): s for s in skip}
    keys = [header_key(h) for h in header]
    unknown_skip = [name for key, name in skipped.items() if key not in keys]
    if unknown_skip:
        raise ImportFileError(f"{source}: --skip-column {unknown_skip[0]!r}: no such column in the header "
                              f"({', '.join(repr(h.strip()) for h in header)})")
    positions: dict[str, int] = {}
    problems: list[str] = []
    for index, (text, key) in enumerate(zip(header, keys)):
        if not key or key in skipped:
            continue                    # an unnamed column: its cells must stay empty (see importer)
        column = next((c for c in columns if key in c.keys), None)
        if column is None:
            near = _closest(key, columns)
            hint = f" (did you mean {near.fr!r}, {near.field}?)" if near else ""
            leave = f"--skip-column {text.strip()!r}" if kind != CONTACTS else "remove it from the file"
            problems.append(f"column {text.strip()!r} is not understood for {kind}{hint}; "
                            f"to leave it out on purpose: {leave}")
        elif column.field in positions:
            problems.append(f"columns {header[positions[column.field]].strip()!r} and {text.strip()!r} "
                            f"both mean {column.field}")
        else:
            positions[column.field] = index
    missing = [c for c in columns if c.required and c.field not in positions]
    if missing:
        problems.append(f"missing column(s) {', '.join(c.field for c in missing)} "
                        f"(in French: {', '.join(c.fr for c in missing)})")
    if problems:
        raise ImportFileError(f"{source}: " + "; ".join(problems) + f". Known columns for {kind}: "
                              + _describe(columns))
    return positions
