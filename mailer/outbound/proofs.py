"""Looking at a campaign before it goes: preview files, test messages to proof-readers, dry run.

Nothing here freezes an audience or writes a journal. A proof shows the variant one member of
the audience gets (`--as EMAIL` or `--as group:CODE`); a test message goes to each proof-reader
with a subject marked `[TEST]` and tokens that resolve to no address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import CampaignError, MailerError
from ..sheets.importer import RowError, normalize_email
from ..store.privatefiles import write_private_output
from ..models import Recipient, RecipientKind
from ..registry import suppression_map
from .campaigns import Campaign
from .audience import FrozenAudience
from .journal import read_journals
from .runner import CampaignService
from .status import CampaignStatus
from .send import SmtpTransport

ProgressCallback = Callable[[dict[str, int]], None]


def pick_recipient(service: CampaignService, campaign: Campaign,
                   who: str | None) -> tuple[Recipient, int, FrozenAudience | None]:
    """The audience member `who` names (an address, or `group:CODE`); the first one by default.

    Someone outside the audience is an error: their message would be a variant nobody gets. A
    draft whose audience is still empty (a new install's bulletin) renders for a sample recipient
    (`SAMPLE`, a subscriber for a bulletin), so its text can be read before anyone subscribes.
    """
    recipients, frozen = service.audience(campaign)
    if not recipients and frozen is None and not who:
        return sample_recipient(campaign), 0, None
    if not recipients:
        raise CampaignError(f"{campaign.source}: the audience is empty")
    if not who:
        return recipients[0], 0, frozen
    kind, _, code = who.strip().partition(":")
    if kind.lower() == "group" and code.strip():
        wanted = code.strip().upper()
        for index, recipient in enumerate(recipients):
            if recipient.kind == RecipientKind.GROUP and recipient.group.upper() == wanted:
                return recipient, index, frozen
        groups = sorted({r.group for r in recipients if r.kind == RecipientKind.GROUP})
        raise CampaignError(f"no group {wanted} in the audience of {campaign.source.name}"
                            + (f" (its groups: {', '.join(groups)})" if groups else " (it has no group address)"))
    email = who.strip().lower()
    for index, recipient in enumerate(recipients):
        if recipient.email == email:
            return recipient, index, frozen
    raise CampaignError(f"{email} is not in the audience of {campaign.source.name} ({len(recipients)} recipients): "
                        "give an address of the audience, or group:CODE")


def preview(service: CampaignService, campaign: Campaign, out_dir: Path,
            who: str | None = None) -> tuple[Path, Path, Recipient]:
    """NAME.eml and NAME.html of the message `who` would get; sends nothing."""
    recipient, index, frozen = pick_recipient(service, campaign, who)
    renderer = service.renderer(campaign, frozen)
    message = renderer.build(recipient, index)
    _, _, html_body = renderer.render_parts(recipient)
    # Names, addresses and live tokens: private (0700 folder when created, 0600 files).
    eml, html_path = out_dir / f"{campaign.name}.eml", out_dir / f"{campaign.name}.html"
    write_private_output(eml, message.data)
    write_private_output(html_path, html_body.encode("utf-8"))
    return eml, html_path, recipient


SAMPLE = "destinataire.exemple@example.org"


def sample_recipient(campaign: Campaign) -> Recipient:
    """Who a draft with an empty audience is rendered for: nobody's address, a plausible name."""
    kind = RecipientKind.SUBSCRIBER if campaign.kind == "bulletin" else RecipientKind.CONTACT
    return Recipient(SAMPLE, "Camille Exemple", kind.value)


@dataclass(frozen=True)
class TestDelivery:
    to: str
    error: str = ""          # empty when the server accepted it


def proof_reader(address: str) -> str:
    """A `--to` address, checked as an import checks one (a typo is an error, not a bounce)."""
    try:
        return normalize_email(address, "--to")
    except RowError as exc:
        raise CampaignError(str(exc)) from None


def send_test(service: CampaignService, campaign: Campaign, to: Sequence[str],
              who: str | None = None) -> tuple[Recipient, list[TestDelivery]]:
    """The message `who` gets, sent to each proof-reader in its own transaction."""
    readers = list(dict.fromkeys(proof_reader(address) for address in to))
    if not readers:
        raise CampaignError("campaign test needs at least one --to address")
    recipient, index, frozen = pick_recipient(service, campaign, who)
    renderer = service.renderer(campaign, frozen, test=True)
    results = []
    transport = SmtpTransport(service.config.smtp)
    try:
        for address in readers:
            message = renderer.build(recipient, index, deliver_to=address)
            try:
                transport.send(message)
                results.append(TestDelivery(address))
            except MailerError as exc:
                results.append(TestDelivery(address, str(exc)))
    finally:
        transport.close()
    return recipient, results


def dry_run(service: CampaignService, campaign: Campaign,
            on_progress: ProgressCallback | None = None) -> CampaignStatus:
    """Render every pending message (catching bad values and templates), send nothing."""
    recipients, frozen = service.audience(campaign)
    journal = read_journals(service.folder(campaign))
    blocked = suppression_map(service.store.snapshot()).only(campaign.kind)
    renderer = service.renderer(campaign, frozen)
    counts = {"sent": 0, "failed": 0, "suppressed": 0, "deferred": 0}
    for index, recipient in enumerate(recipients):
        if index in journal.final:
            continue
        if recipient.email in blocked:
            counts["suppressed"] += 1
            continue
        try:
            renderer.build(recipient, index)
            counts["sent"] += 1
        except MailerError:
            counts["failed"] += 1
        if on_progress and index % 500 == 0:
            on_progress(counts)
    return CampaignStatus(campaign.name, "dry-run", len(recipients), counts["sent"], counts["failed"],
                          counts["suppressed"], 0, kind=campaign.kind)
