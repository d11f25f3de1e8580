"""Writing the drafted campaign files into the campaigns folder (drafts.py and bulletin_draft.py
compose them).   [edge]

A file already there is never overwritten: a coordinator may have edited it. Each file is
written whole then renamed into place (`write_private_file`), so a crash leaves either no file or
the complete one, never half a campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..clock import parse_iso
from ..config import Config
from ..dossiers import groups_that_worked_on, thanks_due
from ..figures import entries
from ..lifecycle import Prepare
from ..models import CampaignKind, CampaignState, Dossier
from ..registry import load_directory
from ..store import Snapshot, Store, Transaction
from ..store.privatefiles import make_private_dirs, write_private_file
from ..store.schema import CAMPAIGNS, DOSSIER_EVENTS, REPORTS
from ..errors import CampaignError
from .audience import read_audience_head
from .bulletin_draft import compose, months_before
from .campaigns import TEMPLATE_RE
from .journal import campaign_folder
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


# --- the bulletin (issue 10) --------------------------------------------------------------

BULLETIN_MONTHS = 4         # "since the last bulletin" when none was sent yet: a third of a year


@dataclass(frozen=True)
class BulletinFiles:
    campaign: Draft
    markdown: Draft
    since: date
    since_why: str                      # "the last bulletin, NAME" or "4 months ago"
    left_out: tuple[str, ...]


def last_bulletin(config: Config, snapshot: Snapshot) -> tuple[str, date, int | None] | None:
    """The last bulletin sent (done), its day in the team's zone and its vars.issue_number."""
    done = [r for r in snapshot.table(CAMPAIGNS) if r.kind == CampaignKind.BULLETIN
            and r.state == CampaignState.DONE and r.started]
    if not done:
        return None
    record = max(done, key=lambda r: r.started or "")
    started = parse_iso(record.started)
    assert started is not None
    head = read_audience_head(campaign_folder(config.state_dir, record.name))
    number = head[0].get("identity", {}).get("vars", {}).get("issue_number") if head else None
    return record.name, started.astimezone(config.team.tz).date(), number if isinstance(number, int) else None


def draft_bulletin(config: Config, store: Store, today: date, since: date | None = None) -> BulletinFiles:
    """campaigns/bulletin-DAY.toml and .md, pre-filled from the store since `since` (default: the
    last bulletin sent, else 4 months ago); files already there are kept as they are."""
    snapshot = store.snapshot()
    last = last_bulletin(config, snapshot)
    if since is None:
        since, why = (last[1], f"the last bulletin, {last[0]}") if last else \
            (months_before(today, BULLETIN_MONTHS), f"{BULLETIN_MONTHS} months ago (no bulletin sent yet)")
    else:
        why = "--since"
    attempt = 1
    while _finished(snapshot, name := f"bulletin-{today.isoformat()}" + (f"-{attempt}" if attempt > 1 else "")):
        attempt += 1
    folder = config.campaigns.folder.resolve()
    toml_path, md_path = folder / f"{name}.toml", folder / f"{name}.md"
    number = last[2] + 1 if last and last[2] is not None else None
    draft = compose(load_directory(snapshot), list(snapshot.table(DOSSIER_EVENTS)),
                    entries(snapshot.table(REPORTS), config.team.tz), since, today, name, md_path.name,
                    _shown(config, toml_path), number)
    # The Markdown first: a campaign file never names a draft that is not there.
    markdown = Draft(md_path, _write_new(md_path, draft.markdown))
    return BulletinFiles(Draft(toml_path, _write_new(toml_path, draft.toml)), markdown, since, why, draft.left_out)
