"""What a campaign reads from disk besides its TOML: its `csv:` lists and its attachments.   [edge]

Read here, by the sender and the commands, and handed to the pure `campaigns` and `render`
modules as values.
"""

from __future__ import annotations

from pathlib import Path

from ..columns import CONTACTS
from ..errors import AudienceError, ImportFileError
from ..importer import read_file
from ..models import Recipient, RecipientKind
from .campaigns import Campaign, csv_paths
from .mime import Attachment

ContactLists = dict[str, list[Recipient]]


def read_contacts(campaign: Campaign) -> ContactLists:
    """Every `csv:` list of the audience, by its expression's argument."""
    return {argument: read_csv_audience(path) for argument, path in csv_paths(campaign).items()}


def read_csv_audience(path: Path) -> list[Recipient]:
    """A spreadsheet of addresses, read and validated as `mailer import` reads one (encodings,
    delimiters, BOM, French headers: Courriel, Prénom + Nom). Every row must be usable: a bad
    address or an unknown column stops the campaign with its line, rather than a person
    silently left out."""
    try:
        parsed = read_file(path, CONTACTS)
    except ImportFileError as exc:
        raise AudienceError(f"audience csv:{exc} (a csv: audience has the columns email and, "
                            "if you like, name or Prénom + Nom)") from None
    if parsed.rejected:
        lines = "; ".join(str(p) for p in parsed.rejected[:5])
        more = f" (and {len(parsed.rejected) - 5} more)" if len(parsed.rejected) > 5 else ""
        raise AudienceError(f"audience csv:{path}: {len(parsed.rejected)} unusable row(s): {lines}{more}")
    return [Recipient(contact.email, contact.name, RecipientKind.CONTACT) for contact in parsed.records]


def read_attachments(campaign: Campaign) -> list[Attachment]:
    return [Attachment(path.name, path.read_bytes()) for path in campaign.attachments]
