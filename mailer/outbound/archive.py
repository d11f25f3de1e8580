"""Every sent campaign as it went out: one rendered copy per variant, with its audience counts.   [edge]

    STATE/campaigns/NAME/archive/archive.json   what was sent, to how many, how it ended
    STATE/campaigns/NAME/archive/vV-N.eml       variant N of version V, as a mail client opens it
    STATE/campaigns/NAME/archive/vV-N.html      ... its HTML part, for a browser

Written when a send starts (from the frozen audience and the renderer the workers use) and
updated when it finishes, so "what exactly did we send in March?" has an answer
(`mailer campaign archive FILE|NAME`). A variant is what the renderer renders once (recipient
kind, group, whether a name is known); its copy is rendered for a stand-in with that variant's
key (the group's own name is kept, a person's becomes "Prénom Nom", the address is nobody's) and
tokens under a key nobody keeps: the archive holds no subscriber's address, and no live link.
A resume of a file that changed since adds a version; a resume of the same file adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..models import Recipient, RecipientKind
from ..store.privatefiles import ensure_private_dir, write_private_file, write_private_files
from .audience import FrozenAudience, iter_audience
from .campaigns import Campaign
from .journal import JournalState, campaign_folder
from .runner import CampaignService, now

ARCHIVE = "archive"
INDEX = "archive.json"
STAND_IN = "destinataire@example.org"

VariantKey = tuple[str, str, bool, bool]


def variant_key(recipient: Recipient) -> VariantKey:
    """The renderer's own variant key (render.CampaignRenderer._variant)."""
    return (recipient.kind, recipient.group, bool(recipient.name), bool(recipient.first_name))


def stand_in(recipient: Recipient) -> Recipient:
    name = recipient.name if recipient.kind == RecipientKind.GROUP else ("Prénom Nom" if recipient.name else "")
    return Recipient(STAND_IN, name, recipient.kind, recipient.group)


def archive_folder(state_dir: Path, name: str) -> Path:
    return campaign_folder(state_dir, name) / ARCHIVE


def read_archive(state_dir: Path, name: str) -> dict[str, Any] | None:
    try:
        return json.loads((archive_folder(state_dir, name) / INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _variants(folder: Path) -> tuple[list[VariantKey], dict[VariantKey, list[Any]]]:
    """Each variant once, in the order of its first recipient, with how many recipients it has."""
    found: dict[VariantKey, list[Any]] = {}
    for _, recipient in iter_audience(folder):
        key = variant_key(recipient)
        slot = found.setdefault(key, [0, recipient])
        slot[0] += 1
    return list(found), found


def record_start(service: CampaignService, campaign: Campaign, header: dict[str, Any]) -> None:
    """Archive the version about to be sent, unless this very file was archived already."""
    folder = service.folder(campaign)
    archive = ensure_private_dir(folder / ARCHIVE)
    index = read_archive(service.config.state_dir, campaign.name) or {
        "campaign": campaign.name, "kind": campaign.kind, "versions": [], "outcome": None}
    if any(v["file_sha256"] == campaign.digest for v in index["versions"]):
        return
    order, found = _variants(folder)
    renderer = service.renderer(campaign, FrozenAudience(header, []), throwaway_tokens=True)
    version = len(index["versions"]) + 1
    files: list[tuple[Path, bytes]] = []
    variants = []
    subject = ""
    for n, key in enumerate(order, 1):
        count, first = found[key]
        person = stand_in(first)
        message = renderer.build(person, None)
        subject, _, html_body = renderer.render_parts(person)
        eml, html = f"v{version}-{n}.eml", f"v{version}-{n}.html"
        files += [(archive / eml, message.data), (archive / html, html_body.encode("utf-8"))]
        variants.append({"n": n, "kind": key[0], "group": key[1], "named": key[2], "recipients": count,
                         "subject": subject, "eml": eml, "html": html})
    by_kind: dict[str, int] = {}
    for key in order:
        by_kind[key[0]] = by_kind.get(key[0], 0) + found[key][0]
    index["versions"].append({
        "version": version, "started": now(), "file": str(campaign.source), "file_sha256": campaign.digest,
        "markdown": str(campaign.markdown) if campaign.markdown else None, "today": header.get("today"),
        "subject": subject, "identity": header.get("identity"),
        "audience": {"total": header.get("total"), "by_kind": by_kind}, "variants": variants})
    write_private_files([*files, (archive / INDEX, _dump(index))])


def record_finish(state_dir: Path, name: str, journal: JournalState, state: str,
                  summary: dict[str, int]) -> None:
    """How the send ended: the totals, and per variant how many were sent, failed, suppressed."""
    index = read_archive(state_dir, name)
    if index is None:
        return
    folder = campaign_folder(state_dir, name)
    order: list[VariantKey] = []
    counts: dict[VariantKey, dict[str, int]] = {}
    codes = {"D": "sent", "F": "failed", "S": "suppressed"}
    for i, recipient in iter_audience(folder):
        key = variant_key(recipient)
        if key not in counts:
            order.append(key)
            counts[key] = {"recipients": 0, "sent": 0, "failed": 0, "suppressed": 0}
        counts[key]["recipients"] += 1
        code = journal.final.get(i)
        if code in codes:
            counts[key][codes[code]] += 1
    index["outcome"] = {"state": str(state), "updated": now(), **summary,
                        "by_variant": [{"n": n, "kind": k[0], "group": k[1], "named": k[2], **counts[k]}
                                       for n, k in enumerate(order, 1)]}
    write_private_file(archive_folder(state_dir, name) / INDEX, _dump(index))


def _dump(index: dict[str, Any]) -> bytes:
    return (json.dumps(index, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def copies(state_dir: Path, index: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, Any], Path]]:
    """(version, variant, path of its .eml) for each archived copy."""
    folder = archive_folder(state_dir, index["campaign"])
    for version in index["versions"]:
        for variant in version["variants"]:
            yield version, variant, folder / variant["eml"]
