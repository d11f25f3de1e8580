"""Writing the drafted campaign files into the campaigns folder (drafts.py composes them).   [edge]

A file already there is never overwritten: a coordinator may have edited it. Each file is
written whole then renamed into place (`write_private_file`), so a crash leaves either no file or
the complete one, never half a campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..config import Config
from ..dossiers import groups_that_worked_on, thanks_due
from ..lifecycle import Prepare
from ..models import CampaignState, Dossier
from ..store import Snapshot, Store, Transaction
from ..store.privatefiles import make_private_dirs, write_private_file
from ..store.schema import CAMPAIGNS, REPORTS
from ..errors import CampaignError
from .campaigns import TEMPLATE_RE
from .drafts import ALERT_TEMPLATE, alert_file, draft_name, thanks_file  # noqa: F401  (ALERT_TEMPLATE: the CLI's default)

FINISHED = (CampaignState.DONE, CampaignState.CANCELLED)


@dataclass(frozen=True)
class Draft:
    path: Path
    written: bool           # False: the file was already there and is used as it is


def _shown(config: Config, path: Path) -> str:
    """The path as a coordinator types it: relative to the project when inside it."""
    project = config.source.parent.resolve()
    return str(path.relative_to(project)) if path.is_relative_to(project) else str(path)


def _write_new(path: Path, text: str) -> bool:
    if path.exists():
        return False
    make_private_dirs(path.parent)
    write_private_file(path, text.encode("utf-8"))
    return True


def _finished(snapshot: Snapshot | Transaction, name: str) -> bool:
    found = snapshot.table(CAMPAIGNS).first("name", name)
    return found is not None and found[1].state in FINISHED


def draft_alert(config: Config, store: Store, dossier: Dossier, deadline: date, today: date,
                template: str) -> Draft:
    """campaigns/alerte-REF-DAY.toml: today's alert on `dossier`, unless one is already there; a
    name whose campaign was sent (or cancelled) today already goes to `...-2`."""
    if not TEMPLATE_RE.match(template) or ".." in template:
        raise CampaignError(f"--template {template!r} is not a template name (templates/NAME.html)")
    if not (config.campaigns.templates / f"{template}.html").is_file():
        raise CampaignError(f"--template {template!r}: no {config.campaigns.templates / (template + '.html')}")
    folder = config.campaigns.folder.resolve()
    snapshot = store.snapshot()
    attempt = 1
    while _finished(snapshot, name := draft_name("alerte", dossier.ref, today, attempt)):
        attempt += 1
    path = folder / f"{name}.toml"
    return Draft(path, _write_new(path, alert_file(dossier, name, _shown(config, path), deadline, template, today)))


def thanks_preparer(config: Config, day: date, wanted: bool = True) -> tuple[list[Draft], Prepare]:
    """A `lifecycle.set_status` `prepare` hook that writes the thank-you of a release or an
    acquittal (campaigns/merci-REF-DAY.toml, to every group that worked on the dossier) before
    the change is committed; the drafts it wrote (or found) are appended to the list returned."""
    drafts: list[Draft] = []

    def prepare(tx: Transaction, before: Dossier | None, after: Dossier) -> str:
        if not wanted or not thanks_due(before, after):
            return ""
        groups = groups_that_worked_on(after, tx.table(REPORTS))
        if not groups:
            return ""
        name = draft_name("merci", after.ref, day)
        path = config.campaigns.folder.resolve() / f"{name}.toml"
        written = _write_new(path, thanks_file(after, name, _shown(config, path), groups, day))
        drafts.append(Draft(path, written))
        return _shown(config, path)

    return drafts, prepare
