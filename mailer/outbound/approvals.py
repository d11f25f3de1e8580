"""A campaign's approval before it goes (issue 10): the gate `send` passes, the approval by
command, and the signed request mailed with the preview to the other coordinators.   [edge]

The rules are the core's (`mailer/approval.py`). Here: `gate` lets a `send` (or the service's
scheduled start) through when an approval holds for this file's content hash and this audience
size; otherwise it mails each other coordinator a request, once per version, and refuses,
naming who can approve and how. A request carries the preview of the first recipient's message
(rendered with throw-away tokens, as `campaign test` does) and a Reply-To of its own,
`team+a-TOKEN@domain`: an HMAC of the coordinator, the campaign, its hash and its size
(tokens.approval_purpose). Only a yes sent to that token from that coordinator's address
approves (the inbound wing reads it): a From can be forged, the token cannot.

A request is recorded `pending` before it is mailed and `sent` once the server accepted it, so
a refused `send` run again mails only the requests that did not leave.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from .. import approval
from ..clock import Clock, for_people, french_date, system_clock
from ..config import Config
from ..errors import CampaignError, MailerError
from ..store.records import Approval, ApprovalRequest, ApprovalVia, RequestStatus
from ..store.schema import APPROVAL_REQUESTS, APPROVALS
from ..tokens import APPROVAL, approval_purpose, make_token, new_message_id, sub_address
from .audience import FrozenAudience
from .campaigns import Campaign
from .runner import CampaignService
from .send import Connect, SmtpTransport
from .session import SendSession


@dataclass(frozen=True)
class Asked:
    """What became of the request to one coordinator."""

    to: str
    outcome: str            # "mailed" (now), "already" (mailed before, on `date`), "failed"
    date: str = ""
    error: str = ""


def sender_of(service: CampaignService, by: str | None, why: str) -> str:
    """The coordinator sending a campaign that needs approval (`send --by`), as configured."""
    config = service.config
    if not by:
        raise CampaignError(f"this campaign needs a second coordinator's approval ({why}): say who is sending it "
                            f"with --by EMAIL (or $MAILER_COORDINATOR), one of team.coordinators: {_listed(config)}; "
                            "nothing was sent")
    return _coordinator(config, by, "nothing was sent")


def _listed(config: Config) -> str:
    return ", ".join(config.team.coordinators) or "(none)"


def _coordinator(config: Config, by: str, then: str) -> str:
    """`by` as a coordinator's address, or the error naming who the coordinators are."""
    found = approval.coordinator(config, by)
    if found is None:
        raise CampaignError(f"--by {by}: not one of team.coordinators ({_listed(config)}) in {config.source}; {then}")
    return found.lower()


def gate(session: SendSession, by: str | None, connect: Connect = SmtpTransport,
         clock: Clock = system_clock) -> Approval | None:
    """The approval that lets this send go (None: none is needed). Without one, the requests are
    mailed to the other coordinators and a CampaignError says who can approve and how."""
    service, campaign, total = session.service, session.campaign, session.total
    config = service.config
    why = approval.need(config, campaign.kind, total)
    if not why:
        return None
    sender = sender_of(service, by, why)
    snapshot = service.store.snapshot()
    approvals = list(snapshot.table(APPROVALS))
    found = approval.holding(config, approvals, campaign.name, campaign.digest, total, sender)
    if found is not None:
        return found
    head = (f"campaign {campaign.name!r} needs a second coordinator's approval before it goes ({why}); "
            "nothing was sent.")
    others = approval.approvers(config, sender)
    if not others:
        raise CampaignError(f"{head}\nNobody can approve it: team.coordinators lists no one but {sender}. Add a "
                            f"coordinator to [team] in {config.source}, or set approval.required = false there.")
    lines = [head]
    old = approval.voided(approvals, campaign.name, campaign.digest, total)
    if old is not None:
        lines.append(f"{old.by} approved it on {for_people(old.date, config.team.tz)} for another version (file "
                     f"{old.file_sha256[:12]}, {old.audience} recipients; now {campaign.digest[:12]}, {total}): "
                     "a change of the file or of the audience voids an approval.")
    mine = next((a for a in approvals if a.campaign == campaign.name and a.file_sha256 == campaign.digest
                 and a.audience == total and a.by.lower() == sender), None)
    if mine is not None:
        lines.append(f"{sender} approved it, but is the one sending it: the approval must come from another "
                     "coordinator.")
    asked = request(session, sender, others, connect, clock)
    lines.append(f"Who can approve it: {', '.join(others)}, with")
    lines.append(f"  mailer campaign approve {campaign.source} --by EMAIL")
    lines.append("or by replying to the approval request mailed to them with the preview:")
    tz = config.team.tz
    for item in asked:
        lines.append(f"  - {item.to}: " + {"mailed": "mailed now",
                                            "already": f"mailed on {for_people(item.date, tz)}",
                                            "failed": f"could NOT be mailed ({item.error})"}[item.outcome])
    lines.append("Then run this send again.")
    raise CampaignError("\n".join(lines))


def approve(service: CampaignService, campaign: Campaign, total: int, by: str, clock: Clock = system_clock) -> Approval:
    """`mailer campaign approve FILE --by EMAIL`: record `by`'s approval of this version."""
    config = service.config
    why = approval.need(config, campaign.kind, total)
    if not why:
        raise CampaignError(f"campaign {campaign.name!r} needs no approval ({total} recipients, kind "
                            f"{campaign.kind}, approval.required = {str(config.approval.required).lower()}): "
                            "nothing recorded")
    who = _coordinator(config, by, "only a coordinator approves")
    snapshot = service.store.snapshot()
    asked = approval.requests_for(snapshot.table(APPROVAL_REQUESTS), campaign.name, campaign.digest, total)
    if asked and asked[-1].by.lower() == who:
        raise CampaignError(f"{who} asked for this approval (they send campaign {campaign.name!r}): another "
                            f"coordinator approves it ({', '.join(approval.approvers(config, who))})")
    record = Approval(campaign=campaign.name, file_sha256=campaign.digest, audience=total, by=who,
                      date=clock().isoformat(timespec="seconds"), via=ApprovalVia.COMMAND)
    with service.store.transaction() as tx:
        tx.table(APPROVALS).insert(record)
    return record


def audience_size(service: CampaignService, campaign: Campaign) -> int:
    """The audience an approval is for: the frozen one, else the one a `send` would freeze now."""
    recipients, frozen = service.audience(campaign)
    return int(frozen.header["total"]) if frozen else len(recipients)


def request(session: SendSession, sender: str, others: tuple[str, ...], connect: Connect = SmtpTransport,
            clock: Clock = system_clock) -> list[Asked]:
    """Mail the approval request to each of `others` that has not had one for this version."""
    service, campaign, total = session.service, session.campaign, session.total
    config = service.config
    previous = {r.to.lower(): r for r in approval.requests_for(service.store.snapshot().table(APPROVAL_REQUESTS),
                                                                campaign.name, campaign.digest, total)}
    results: list[Asked] = []
    todo: list[tuple[int, ApprovalRequest]] = []
    stamp = clock().isoformat(timespec="seconds")
    with service.store.transaction() as tx:
        table = tx.table(APPROVAL_REQUESTS)
        for to in others:
            old = previous.get(to)
            if old is not None and old.status == RequestStatus.SENT:
                results.append(Asked(to, "already", old.date))
                continue
            row = ApprovalRequest(campaign=campaign.name, file_sha256=campaign.digest, audience=total, to=to,
                                  by=sender, date=stamp, message_id=new_message_id(config.team.domain),
                                  file=str(campaign.source))
            found = next(((i, r) for i, r in table.items() if (r.campaign, r.file_sha256, r.audience, r.to) ==
                          (campaign.name, campaign.digest, total, to)), None)
            if found is None:
                todo.append((table.insert(row), row))
            else:
                table.update(found[0], row)
                todo.append((found[0], row))
    if not todo:
        return results
    preview = _preview(session)
    secret = service.store.secret(config.security.secret_env)
    outcomes: dict[int, tuple[str, str]] = {}
    try:
        transport = connect(config.smtp)
    except MailerError as exc:
        transport, error = None, str(exc)
    else:
        error = ""
    try:
        for doc_id, row in todo:
            if transport is None:
                outcomes[doc_id] = (RequestStatus.FAILED, error)
                continue
            token = make_token(secret, approval_purpose(row.campaign, row.file_sha256, row.audience), row.to)
            message = request_message(session, row, sub_address(config.team.address, APPROVAL, token), preview,
                                      clock())
            try:
                transport.send_message(message)
                outcomes[doc_id] = (RequestStatus.SENT, "")
            except MailerError as exc:
                outcomes[doc_id] = (RequestStatus.FAILED, str(exc))
    finally:
        if transport is not None:
            transport.close()
    with service.store.transaction() as tx:
        table = tx.table(APPROVAL_REQUESTS)
        for doc_id, (status, error) in outcomes.items():
            current = table.get(doc_id)
            if current is not None:
                table.update(doc_id, replace(current, status=status, error=error))
    for doc_id, row in todo:
        status, error = outcomes[doc_id]
        results.append(Asked(row.to, "mailed" if status == RequestStatus.SENT else "failed", row.date, error))
    return results


@dataclass(frozen=True)
class _Preview:
    recipient: str
    subject: str
    eml: bytes
    html: str


def _preview(session: SendSession) -> _Preview | None:
    """The first recipient's message, with tokens that resolve to no address (as a test message's)."""
    if session.first is None:
        return None
    frozen = FrozenAudience(session.header, [])
    renderer = session.service.renderer(session.campaign, frozen, test=True)
    built = renderer.build(session.first, 0)
    _, _, html = renderer.render_parts(session.first)
    subject = session.service.renderer(session.campaign, frozen).render_parts(session.first)[0]   # without [TEST]
    return _Preview(session.first.email, subject, built.data, html)


def request_message(session: SendSession, row: ApprovalRequest, reply_to: str, preview: _Preview | None,
                    now: datetime) -> EmailMessage:
    """The request to one coordinator, in French, with the preview attached."""
    config, campaign = session.service.config, session.campaign
    tz = config.team.tz
    message = EmailMessage()
    message["Subject"] = f"Approbation demandée : campagne « {campaign.name} » ({row.audience} destinataires)"
    message["From"] = Address(config.team.name, addr_spec=config.team.address)
    message["To"] = Address(addr_spec=row.to)
    message["Reply-To"] = Address(config.team.name, addr_spec=reply_to)
    message["Date"] = format_datetime(now.astimezone(tz))
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"            # RFC 3834: no auto-reply back at us
    when = (f"le {french_date(campaign.send_at, tz)}" if campaign.send_at and campaign.send_at > now
            else "dès qu'elle sera approuvée et relancée")
    if campaign.not_after:
        when += f", jamais après le {french_date(campaign.not_after, tz)}"
    why = "c'est un bulletin" if campaign.kind == "bulletin" else \
        f"elle compte plus de {config.approval.min_recipients} destinataires"
    lines = ["Bonjour,", "",
             f"{row.by} demande votre approbation avant l'envoi de la campagne « {campaign.name} ».", "",
             f"  - Type : {campaign.kind}",
             f"  - Objet : {preview.subject if preview else campaign.subject}",
             f"  - Destinataires : {row.audience}",
             f"  - Envoi : {when}",
             f"  - Fichier : {campaign.source} (empreinte {row.file_sha256[:12]})",
             f"  - Pourquoi une approbation : {why}", ""]
    if preview is not None:
        lines += [f"L'aperçu joint est le message que reçoit {preview.recipient} ({campaign.name}.eml, et sa "
                  f"version web {campaign.name}.html). Ses liens ne désinscrivent personne.", ""]
    lines += ["Pour approuver, répondez simplement « j'approuve » à ce message, depuis votre adresse "
              f"{row.to} : seule cette réponse, envoyée à l'adresse de réponse de ce message, vaut approbation.",
              f"Ou, sur le serveur : mailer campaign approve {campaign.source} --by {row.to}", "",
              "Une réponse négative n'approuve rien, et l'équipe la verra. Toute modification du fichier ou de "
              "l'audience annule l'approbation : une nouvelle demande vous serait alors envoyée.", "",
              "-- ", f"mailer, le service d'envoi de l'équipe « {config.team.name} »"]
    message.set_content("\n".join(lines) + "\n")
    if preview is not None:
        attached = message_from_bytes(preview.eml, policy=policy.default)
        message.add_attachment(attached, filename=f"{campaign.name}.eml")
        message.add_attachment(preview.html, subtype="html", filename=f"{campaign.name}.html")
    return message
