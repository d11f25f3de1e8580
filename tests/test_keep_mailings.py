"""Issue 9 §2: an unsubscribe's scope, read in free text, is made certain by the person it stopped.

The "c'est fait" of an unsubscribe from everything gives a member a `+k-` address that narrows it to
the bulletin; the "c'est fait" of a bulletin-only one gives the `+u-` address that stops everything.
Real store, real aiosmtpd: the addresses are taken from the mail the relay received."""

from __future__ import annotations

import re
from dataclasses import replace

from inbound_fixtures import TEAM, Inbox, inbox_fixture, mail  # noqa: F401  (fixture)

from mailer.tokens import KEEP, make_token, sub_address

MEMBER = "marc-antoine.riviere@example.net"          # a member of fr-dev's directory
VOUCHED = b"Authentication-Results: mx.example.org; dmarc=pass header.from=example.net\n"


def vouching(inbox: Inbox) -> Inbox:
    return replace(inbox, config=replace(inbox.config, inbox=replace(inbox.config.inbox, authserv_id="mx.example.org")))


def scopes(inbox: Inbox) -> dict[str, tuple[str, str]]:
    return {d["email"]: (d["reason"], d["scope"]) for d in inbox.docs("suppressions")}


def last_text(inbox: Inbox) -> str:
    return inbox.smtp.handler.deliveries[-1].message.get_content()


def test_a_member_unsubscribed_from_everything_keeps_the_group_mailings_by_writing_to_k(inbox: Inbox) -> None:
    inbox = vouching(inbox)
    inbox.processor().process_batch([VOUCHED + mail(MEMBER, "Merci de me retirer de toutes vos listes.\n")])
    assert scopes(inbox) == {MEMBER: ("unsubscribe", "all")}
    assert inbox.answers().send_pending() == 1
    done = last_text(inbox)
    assert "plus aucun envoi" in done
    [keep] = re.findall(r"protegeonslespersonnes\+k-[0-9a-f]+@example\.org", done)
    assert keep == sub_address(TEAM, KEEP, make_token(inbox.store.secret(inbox.config.security.secret_env), KEEP,
                                                      MEMBER))
    inbox.clock.advance(1)
    # Any mail to that address, even an empty one from a phone with another From, proves the recipient.
    [outcome] = inbox.processor().process_batch([mail("marc.perso@example.com", "", subject="", to=keep,
                                                      message_id="<k1@example.com>")])
    assert (outcome.disposition, outcome.folder) == ("apply", "processed")
    assert scopes(inbox) == {MEMBER: ("unsubscribe", "bulletin")}
    assert [e["action"] for e in inbox.docs("suppression_events")] == ["suppress", "narrow"]
    members = [c for c in inbox.docs("consents") if c["email"] == MEMBER and c["list"] == "members"]
    assert [c["event"] for c in members][-1] == "confirmed" and members[-1]["via"] == "token"
    assert inbox.answers().send_pending() == 1
    assert inbox.smtp.handler.deliveries[-1].rcpt_tos == [MEMBER]   # told at the address, not the From
    told = last_text(inbox)
    assert "plus notre bulletin" in told and "continueront" in told and "+u-" in told and "+k-" not in told


def test_a_bulletin_only_unsubscribe_offers_to_stop_everything(inbox: Inbox) -> None:
    inbox = vouching(inbox)
    inbox.processor().process_batch([VOUCHED + mail(MEMBER, "Je ne souhaite plus recevoir le bulletin.\n")])
    assert scopes(inbox) == {MEMBER: ("unsubscribe", "bulletin")}
    assert inbox.answers().send_pending() == 1
    [stop_all] = re.findall(r"protegeonslespersonnes\+u-[0-9a-f]+@example\.org", last_text(inbox))
    inbox.clock.advance(1)
    inbox.processor().process_batch([mail(MEMBER, "", to=stop_all, message_id="<u1@example.net>")])
    assert scopes(inbox) == {MEMBER: ("unsubscribe", "all")}


def test_one_who_gets_only_the_bulletin_is_offered_no_other_scope(inbox: Inbox) -> None:
    inbox = vouching(inbox)
    stranger = "lecteur@example.net"                  # not a member nor a group: the bulletin is all they get
    inbox.processor().process_batch([VOUCHED + mail(stranger, "Merci de me retirer de toutes vos listes.\n")])
    assert inbox.answers().send_pending() == 1
    text = last_text(inbox)
    assert "plus aucun envoi" in text and "+k-" not in text and "+u-" not in text


def test_a_keep_mail_with_a_token_we_never_minted_goes_to_a_person(inbox: Inbox) -> None:
    inbox = vouching(inbox)
    inbox.processor().process_batch([VOUCHED + mail(MEMBER, "Merci de me retirer de toutes vos listes.\n")])
    forged = sub_address(TEAM, KEEP, make_token(b"another key", KEEP, MEMBER))
    [outcome] = inbox.processor().process_batch([mail(MEMBER, "garder", to=forged, message_id="<k2@example.net>")])
    assert outcome.disposition == "triage"
    assert scopes(inbox) == {MEMBER: ("unsubscribe", "all")}


def test_a_keep_mail_never_lifts_a_bounce_nor_a_coordinators_suppression(inbox: Inbox) -> None:
    from mailer.models import SuppressionReason
    from mailer.registry import suppress
    suppress(inbox.store, MEMBER, SuppressionReason.BOUNCE)
    keep = sub_address(TEAM, KEEP, make_token(inbox.store.secret(inbox.config.security.secret_env), KEEP, MEMBER))
    suppress(inbox.store, "francoise.chabert@example.net", SuppressionReason.MANUAL)     # a coordinator's
    inbox.processor().process_batch([
        mail(MEMBER, "", to=keep, message_id="<k3@example.net>"),
        mail("francoise.chabert@example.net", "", message_id="<k4@example.net>", to=sub_address(TEAM, KEEP, make_token(
            inbox.store.secret(inbox.config.security.secret_env), KEEP, "francoise.chabert@example.net")))])
    assert scopes(inbox) == {MEMBER: ("bounce", "all"), "francoise.chabert@example.net": ("manual", "all")}
    assert [e["action"] for e in inbox.docs("suppression_events")] == ["suppress", "suppress"]
    assert inbox.docs("outgoing") == []          # no "the alerts go on", which would be untrue
