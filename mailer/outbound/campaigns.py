"""A campaign file's content -> Campaign, and audience expressions -> recipients.   [pure]

A campaign is a TOML file identified by its `name`, read by `files.load_campaign`. The audience
is resolved here from what the store knows (a `Directory` and the subscribers) and the `csv:`
lists the caller read (`files.read_contacts`), and frozen by the sender at the first `send`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import AudienceError, CampaignError
from ..models import CampaignKind, Directory, DossierStatus, Recipient, RecipientKind, Subscriber

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
TEMPLATE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")
KNOWN_KEYS = {"name", "kind", "subject", "template", "audience", "dossier", "attachments", "vars", "reply_to",
              "figures_since", "send_at", "not_after", "markdown"}


@dataclass(frozen=True)
class Campaign:
    name: str
    kind: str
    subject: str
    template: str
    audience: tuple[str, ...]
    source: Path
    dossier: str | None = None
    attachments: tuple[Path, ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    reply_to: str | None = None
    figures_since: date | None = None   # the dossier's `figures` count from this day (default: every report)
    send_at: datetime | None = None     # when the service starts it (issue 10): scheduled by `send`
    not_after: datetime | None = None   # never sent after this (a mailing due last week is worse than none)
    digest: str = ""                    # sha256 of the file's bytes, as read: what an approval names
    markdown: Path | None = None        # issue 10: the body written in Markdown (a bulletin's draft)
    markdown_digest: str = ""           # sha256 of that file's bytes, as read (files.load_campaign)


def _moment(raw: dict[str, Any], key: str, source: Path) -> datetime | None:
    """An ISO 8601 date and time with its offset, as a TOML datetime or a string; a time without
    an offset would mean another hour on the server than in the coordinator's head."""
    value = raw.get(key)
    if value is None:
        return None
    example = "write it with its offset, e.g. 2026-12-05T09:00:00+01:00"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise CampaignError(f"{source}: {key}: {raw[key]!r} is not an ISO 8601 date and time; {example}") from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise CampaignError(f"{source}: {key}: {raw[key]} has no offset; {example}")
        return value
    if isinstance(value, date):
        raise CampaignError(f"{source}: {key}: {value} is a date without a time; {example}")
    raise CampaignError(f"{source}: {key}: expected a date and time with its offset; {example}")


def parse_campaign(raw: dict[str, Any], source: Path, digest: str = "") -> Campaign:
    def fail(key: str, message: str) -> CampaignError:
        return CampaignError(f"{source}: {key}: {message}")

    def text(key: str, required: bool = True) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                raise fail(key, "is required")
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(key, "must be a non-empty string")
        return value.strip()

    unknown = set(raw) - KNOWN_KEYS
    if unknown:
        raise fail(sorted(unknown)[0], f"unknown key (known: {', '.join(sorted(KNOWN_KEYS))})")
    name = text("name")
    assert name is not None
    if not NAME_RE.match(name):
        raise fail("name", f"{name!r}: use lower-case letters, digits, '.', '_' or '-' (it names folders)")
    kind = text("kind")
    if kind not in {k.value for k in CampaignKind}:
        raise fail("kind", f"{kind!r}: must be one of {', '.join(k.value for k in CampaignKind)}")
    template = text("template")
    assert template is not None
    if not TEMPLATE_RE.match(template) or ".." in template:
        raise fail("template", f"{template!r} is not a template name")
    audience_raw = raw.get("audience")
    audience = [audience_raw] if isinstance(audience_raw, str) else audience_raw
    if not audience or not all(isinstance(a, str) and a.strip() for a in audience):
        raise fail("audience", "must be an audience expression or a list of them")
    for expression in audience:
        parse_audience_expression(expression, source)
    attachments = raw.get("attachments", [])
    if not isinstance(attachments, list) or not all(isinstance(a, str) for a in attachments):
        raise fail("attachments", "must be a list of file paths")
    files = tuple((source.parent / a).resolve() for a in attachments)
    variables = raw.get("vars", {})
    if not isinstance(variables, dict):
        raise fail("vars", "must be a table")
    subject = text("subject")
    assert subject is not None
    if kind == CampaignKind.CALL and text("dossier", required=False) is None:
        # A reply to a call signs its writer up for the call's dossier: the token needs one.
        raise fail("dossier", "is required for a call (kind = \"call\"): the dossier volunteers sign up for")
    dossier = text("dossier", required=False)
    since = _day(raw.get("figures_since"), fail)
    if since is not None and dossier is None:
        raise fail("figures_since", "needs `dossier`: figures are a dossier's")
    markdown = text("markdown", required=False)
    if markdown is not None and not markdown.endswith(".md"):
        raise fail("markdown", f"{markdown!r}: name a Markdown file (NAME.md), relative to this file")
    send_at, not_after = _moment(raw, "send_at", source), _moment(raw, "not_after", source)
    if send_at and not_after and not_after <= send_at:
        raise fail("not_after", f"{not_after.isoformat()} is not after send_at ({send_at.isoformat()})")
    return Campaign(name=name, kind=kind, subject=subject, template=template,  # type: ignore[arg-type]
                    audience=tuple(a.strip() for a in audience), source=source,
                    dossier=dossier, attachments=files, vars=variables,
                    reply_to=text("reply_to", required=False), figures_since=since, send_at=send_at,
                    not_after=not_after, digest=digest,
                    markdown=(source.parent / markdown).resolve() if markdown else None)


def _day(value: Any, fail: Any) -> date | None:
    """A TOML date (`2026-10-01`) or the same as a string; a date-time is a mistake here."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    elif isinstance(value, date) and not hasattr(value, "hour"):
        return value
    raise fail("figures_since", f"{value!r}: expected a day, YYYY-MM-DD")


AUDIENCE_KINDS = ("dossier", "group", "groups", "members", "subscribers", "csv")


def parse_audience_expression(expression: str, source: Path | None = None) -> tuple[str, str]:
    kind, _, argument = expression.strip().partition(":")
    where = f"{source}: audience: " if source else "audience: "
    if kind not in AUDIENCE_KINDS:
        raise CampaignError(f"{where}{expression!r}: unknown audience (use dossier:REF, group:CODE, "
                            "groups, groups:CODE,CODE, members, subscribers or csv:PATH)")
    needs_argument = kind in ("dossier", "group", "csv")
    if needs_argument != bool(argument.strip()) and kind != "groups":      # `groups` or `groups:CODE,CODE`
        raise CampaignError(f"{where}{expression!r}: " + ("needs a value after ':'" if needs_argument
                                                          else "takes no value"))
    if kind == "groups" and ":" in expression and not group_codes(argument):
        raise CampaignError(f"{where}{expression!r}: name the groups after ':' (groups:G021,G088), or write groups")
    return kind, argument.strip()


def group_codes(argument: str) -> list[str]:
    """`groups:G021, g088;J004` -> the codes, upper case, each once: only these groups' addresses."""
    return list(dict.fromkeys(c.strip().upper() for c in argument.replace(";", ",").split(",") if c.strip()))


def csv_paths(campaign: Campaign) -> dict[str, Path]:
    """The files of the audience's `csv:` expressions, by argument (relative to the campaign file)."""
    expressions = (parse_audience_expression(e, campaign.source) for e in campaign.audience)
    return {argument: (campaign.source.parent / argument).resolve() for kind, argument in expressions
            if kind == "csv"}


def resolve_audience(campaign: Campaign, directory: Directory, subscribers: Iterable[Subscriber],
                     contacts: Mapping[str, Sequence[Recipient]] | None = None) -> list[Recipient]:
    """Every recipient once, in a stable order; the first way an address is reached wins,
    but a later way fills in a missing name. `contacts`: the `csv:` lists, by argument."""
    unique: dict[str, Recipient] = {}
    for expression in campaign.audience:
        reached = 0
        for recipient in _expand(expression, campaign.source, directory, subscribers, contacts or {}):
            reached += 1
            key = recipient.email.lower()
            known = unique.get(key)
            if known is None:
                unique[key] = Recipient(key, recipient.name, recipient.kind, recipient.group)
            elif not known.name and recipient.name:
                unique[key] = Recipient(key, recipient.name, known.kind, known.group or recipient.group)
        kind, argument = parse_audience_expression(expression)
        why = REACHES_NOBODY.get("groups:" if kind == "groups" and argument else kind)
        if not reached and why:
            raise AudienceError(f"{campaign.source}: audience: {expression!r} reaches nobody ({why})")
    return list(unique.values())


# An expression naming a dossier, a group or a file that yields no address is a mistake, not
# an empty send; `members`/`subscribers` may legitimately be empty on a new install.
REACHES_NOBODY = {
    "dossier": "none of its groups has an address and it has no référent: mailer dossiers list",
    "group": "the group has no address and no members: mailer groups list",
    "groups:": "none of these groups has an address: mailer groups list",
    "csv": "the file has a header and no rows",
}


def audience_gaps(campaign: Campaign, directory: Directory) -> list[str]:
    """Whom the audience names but cannot reach: told before sending, never skipped in silence."""
    gaps: list[str] = []
    for expression in campaign.audience:
        kind, argument = parse_audience_expression(expression, campaign.source)
        if kind == "dossier" and (dossier := directory.dossier(argument)) is not None:
            for code in dossier.groups:
                group = directory.group(code)
                if group is None:
                    gaps.append(f"dossier {dossier.ref} names group {code}, which is not in the store")
                elif not group.email:
                    gaps.append(f"group {group.code} ({group.name}) of dossier {dossier.ref} has no address: "
                                "it is not reached")
            if not dossier.referent_email:
                gaps.append(f"dossier {dossier.ref} has no référent address")
        elif kind == "group" and (group := directory.group(argument)) is not None and not group.email:
            gaps.append(f"group {group.code} ({group.name}) has no address: only its members are reached")
        elif kind == "groups":
            named = group_codes(argument)
            silent = [g.code for g in directory.groups if not g.email and (not named or g.code.upper() in named)]
            if silent:
                gaps.append(f"{len(silent)} group(s) have no address and are not reached: {', '.join(silent)}")
    return list(dict.fromkeys(gaps))


def _expand(expression: str, source: Path, directory: Directory, subscribers: Iterable[Subscriber],
            contacts: Mapping[str, Sequence[Recipient]]) -> Iterator[Recipient]:
    kind, argument = parse_audience_expression(expression, source)
    if kind == "dossier":
        dossier = directory.dossier(argument)
        if dossier is None:
            raise AudienceError(f"{source}: audience: no dossier {argument!r} (mailer dossiers list)")
        if dossier.status == DossierStatus.CLOSED:
            raise AudienceError(f"{source}: audience: dossier {argument} is closed")
        for code in dossier.groups:
            group = directory.group(code)
            if group and group.email:
                yield Recipient(group.email, group.name, RecipientKind.GROUP, group.code)
        if dossier.referent_email:
            member = directory.member(dossier.referent_email)
            yield Recipient(dossier.referent_email, member.name if member else "", RecipientKind.REFERENT,
                            member.group if member else "")
    elif kind == "group":
        group = directory.group(argument)
        if group is None:
            raise AudienceError(f"{source}: audience: no group {argument!r} (mailer groups list)")
        if group.email:
            yield Recipient(group.email, group.name, RecipientKind.GROUP, group.code)
        for member in directory.members_of(group.code):
            yield Recipient(member.email, member.name, RecipientKind.MEMBER, group.code)
    elif kind == "groups" and argument:
        for code in group_codes(argument):
            named = directory.group(code)
            if named is None:
                raise AudienceError(f"{source}: audience: no group {code!r} (mailer groups list)")
            if named.email:
                yield Recipient(named.email, named.name, RecipientKind.GROUP, named.code)
    elif kind == "groups":
        for group in directory.groups:
            if group.email:
                yield Recipient(group.email, group.name, RecipientKind.GROUP, group.code)
    elif kind == "members":
        for member in directory.members:
            yield Recipient(member.email, member.name, RecipientKind.MEMBER, member.group)
    elif kind == "subscribers":
        for subscriber in subscribers:
            if subscriber.status == "active":
                yield Recipient(subscriber.email, subscriber.name, RecipientKind.SUBSCRIBER)
    elif argument in contacts:
        yield from contacts[argument]
    else:
        raise ValueError(f"{source}: csv:{argument} was not read (files.read_contacts)")
