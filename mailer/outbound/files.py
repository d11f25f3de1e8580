"""What a campaign reads from disk: its TOML, its templates, its `csv:` lists, its attachments.   [edge]

Read here, by the sender and the commands, and handed to the pure `campaigns` and `render`
modules as values.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import jinja2

from ..sheets.columns import CONTACTS
from ..config import Config
from ..tomlspec import read_toml_bytes
from ..errors import AudienceError, CampaignError, ImportFileError
from ..sheets.importer import read_file
from ..models import Recipient, RecipientKind
from .campaigns import Campaign, csv_paths, parse_campaign
from .mime import Attachment

ContactLists = dict[str, list[Recipient]]


def load_campaign(path: str | Path) -> Campaign:
    """A campaign file, validated, with its attachments checked to exist (read when sent), and the
    content hash of the very bytes parsed (an approval names it: issue 10)."""
    source = Path(path).resolve()
    raw, data = read_toml_bytes(source, CampaignError, "campaign file not found")
    campaign = parse_campaign(raw, source, hashlib.sha256(data).hexdigest())
    if campaign.markdown is not None:
        # The Markdown is the bulletin's text: an approval names it too (an edited draft voids it).
        text = markdown_bytes(campaign)
        campaign = replace(campaign, markdown_digest=hashlib.sha256(text).hexdigest(),
                           digest=hashlib.sha256(data + b"\0markdown\0" + text).hexdigest())
    return check_attachments(campaign)


def markdown_bytes(campaign: Campaign) -> bytes:
    assert campaign.markdown is not None
    try:
        return campaign.markdown.read_bytes()
    except FileNotFoundError:
        raise CampaignError(f"{campaign.source}: markdown: {campaign.markdown}: no such file") from None


def read_markdown(config: Config, campaign: Campaign) -> str | None:
    """The campaign's Markdown body, read only from where a campaign's files may come (as
    attachments: inside the configuration file's folder, outside the storage folder)."""
    if campaign.markdown is None:
        return None
    project, storage = config.source.parent.resolve(), config.state_dir.resolve()
    path = campaign.markdown.resolve()
    if not path.is_relative_to(project) or path.is_relative_to(storage):
        raise CampaignError(f"{campaign.source}: markdown: {path} must be inside the folder of the configuration "
                            f"file ({project}) and outside the storage folder ({storage})")
    try:
        return markdown_bytes(campaign).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CampaignError(f"{campaign.source}: markdown: {path} is not UTF-8 ({exc})") from None


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes: the campaign file's identity for an approval and a schedule."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_attachments(campaign: Campaign) -> Campaign:
    """Refuse a campaign whose attachments are missing now, rather than at its first message."""
    for file in campaign.attachments:
        if not file.is_file():
            raise CampaignError(f"{campaign.source}: attachments: {file}: no such file")
    return campaign


def template_loader(config: Config) -> jinja2.BaseLoader:
    """The campaign templates, read by Jinja from `[campaigns] templates` when first used."""
    return jinja2.FileSystemLoader(str(config.campaigns.templates))


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


def campaign_attachments(config: Config, campaign: Campaign) -> list[Attachment]:
    """The attachments a message carries, read only from where a campaign's files may come.

    A campaign file is code a coordinator writes (issue 8): a path such as `../var/secret.key`
    would mail the token key, or someone's data, to the whole audience. So an attachment must
    lie inside the configuration file's folder (the project) and outside the storage folder.
    """
    project, storage = config.source.parent.resolve(), config.state_dir.resolve()
    for file in campaign.attachments:
        path = file.resolve()
        if not path.is_relative_to(project):
            raise CampaignError(f"{campaign.source}: attachments: {file.name}: {path} is outside the folder of "
                                f"the configuration file ({project}); attachments must be inside it")
        if path.is_relative_to(storage):
            raise CampaignError(f"{campaign.source}: attachments: {file.name}: {path} is inside the storage "
                                f"folder ({storage}), which holds the token key and personal data; "
                                "attachments never come from there")
    return read_attachments(campaign)
